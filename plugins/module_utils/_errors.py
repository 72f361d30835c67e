# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the collection.

Internal use only: this file is not part of the collection's public API and may change without notice.

Helpers raise CdnError; only a module's main() turns it into fail_json, so every
failure carries the provider, the HTTP status and the provider's own words.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

MAX_PROVIDER_MESSAGE = 500


class CdnError(Exception):
    """A failure the user can act on: bad input, a refused request or a dead API."""

    def __init__(
        self,
        message: str,
        provider: str | None = None,
        http_status: int | None = None,
        provider_message: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.http_status = http_status
        self.provider_message = provider_message
        # Extra result keys (for example what was purged before the failure).
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def result(self) -> dict[str, Any]:
        """Keys for fail_json besides msg."""
        result = dict(self.details)
        if self.provider is not None:
            result.setdefault("provider", self.provider)
        if self.http_status is not None:
            result["http_status"] = self.http_status
        if self.provider_message is not None:
            result["provider_message"] = self.provider_message
        return result


def secret_forms(secret: str) -> list[str]:
    """The ways a secret shows up in text: as is, escaped (repr, JSON) and base64 (HTTP Basic sends base64("key:"))."""
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    for raw in (secret + ":", secret):
        forms.add(base64.b64encode(raw.encode("utf-8")).decode("ascii"))
    # Longest first, so that no shorter form leaves part of a longer one behind.
    return sorted((form for form in forms if len(form) >= 4), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Remove every secret from text (a provider may echo request headers back), in every form it travels in."""
    if not text:
        return text
    for secret in secrets:
        if secret and len(secret) >= 4:
            for form in secret_forms(secret):
                text = text.replace(form, "********")
    return text


def error_words(body: Any) -> list[str]:
    """The words of a parsed JSON error body under the keys most vendors use (message, msg/details, errors, help)."""
    if not isinstance(body, dict):
        return []
    words: list[str] = []
    for key in ("message", "msg", "details", "detail", "errors", "help"):
        value = body.get(key)
        if value in (None, "", {}, []) or key == "help" and words:
            continue
        words.append(value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    return words
