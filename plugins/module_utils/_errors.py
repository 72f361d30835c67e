# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the collection.

Internal use only: this file is not part of the collection's public API and may change without notice.

Helpers raise CdnError; only a module's main() turns it into fail_json, so every
failure carries the provider, the HTTP status and the provider's own words.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MAX_PROVIDER_MESSAGE = 500
# A secret shorter than this is not looked for (it would match ordinary words); a cut that leaves this many of a
# secret's first characters behind is masked.
MIN_SECRET_PREFIX = 4
MASK = "********"
_ENTITIES = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos"}


class CdnError(Exception):
    """A failure the user can act on: bad input, a refused request or a dead API."""

    def __init__(
        self,
        message: str,
        provider: str | None = None,
        http_status: int | None = None,
        provider_message: str | None = None,
        details: dict[str, Any] | None = None,
        maybe_accepted: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.http_status = http_status
        self.provider_message = provider_message
        # Extra result keys (for example what was purged before the failure).
        self.details = dict(details or {})
        # The provider answered a purge with success but the answer cannot be used (no valid id): it may have acted on it.
        self.maybe_accepted = maybe_accepted

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
    """The ways a secret shows up in text: as is, escaped (repr, JSON, HTML), URL-encoded and base64 (HTTP Basic
    sends base64("key:")), standard and URL-safe, with and without padding."""
    forms = {
        secret,
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        html.escape(secret),
        html.escape(secret, quote=False),
    }
    for raw in (secret + ":", secret):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(raw.encode("utf-8")).decode("ascii")
            forms.update((encoded, encoded.rstrip("=")))
    # Longest first, so that no shorter form leaves part of a longer one behind.
    return sorted((form for form in forms if len(form) >= MIN_SECRET_PREFIX), key=len, reverse=True)


def _char_pattern(char: str) -> str:
    """Every spelling of one character of a secret: itself, %XX (either case), &#N; &#xN; &name;, \\uXXXX, \\c."""
    code = ord(char)

    def anycase(hex_digits: str) -> str:
        return "".join("[%s%s]" % (digit.lower(), digit.upper()) if digit.isalpha() else digit for digit in hex_digits)

    spellings = [re.escape(char), "".join("%" + anycase("%02x" % byte) for byte in char.encode("utf-8"))]
    spellings += ["&#0*%d;" % code, "&#[xX]0*%s;" % anycase("%x" % code), r"\\u" + anycase("%04x" % code)]
    if char in _ENTITIES:
        spellings.append("&%s;" % _ENTITIES[char])
    if not char.isalnum():
        spellings.append(r"\\" + re.escape(char))
    return "(?:%s)" % "|".join(spellings)


@functools.lru_cache(maxsize=32)
def _secrets_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for every secret in every form, even with its characters escaped in different ways at once."""
    alternatives: list[str] = []
    for secret in secrets:
        alternatives.extend(re.escape(form) for form in secret_forms(secret))
        alternatives.append("".join(_char_pattern(char) for char in secret))
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True))) if alternatives else None


def _usable(secrets: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({secret for secret in secrets if secret and len(secret) >= MIN_SECRET_PREFIX}))


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Remove every secret from text (a provider may echo request headers back), in every form it travels in."""
    if not text:
        return text
    pattern = _secrets_pattern(_usable(secrets))
    return pattern.sub(MASK, text) if pattern is not None else text


def redact_cut_end(text: str, secrets: Iterable[str | None]) -> str:
    """Mask what a cut (ours, or a body that stopped short) may leave at the end of text: the first
    MIN_SECRET_PREFIX or more characters of a secret, in any of its forms."""
    for secret in _usable(secrets):
        for form in secret_forms(secret):
            for length in range(len(form) - 1, MIN_SECRET_PREFIX - 1, -1):
                if text.endswith(form[:length]):
                    text = text[:-length] + MASK
                    break
    return text


def bounded(text: str, secrets: Iterable[str | None], limit: int = MAX_PROVIDER_MESSAGE) -> str:
    """text on one line, redacted, at most limit characters (then "..."), with no piece of a secret left at its end."""
    secrets = _usable(secrets)
    text = redact(" ".join(text.split()), secrets)
    cut = len(text) > limit
    text = redact_cut_end(text[:limit] if cut else text, secrets)
    return text + "..." if cut else text


def describe_exception(exc: BaseException) -> str:
    """The exception as "ClassName: text", without the object repr urllib3 puts first ("<...HTTPConnection object at 0x..>: ")."""
    text = str(exc)
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    elif text.startswith("None: "):
        text = text[len("None: ") :]
    return "%s: %s" % (type(exc).__name__, text)


def provider_error_message(response: Any, secrets: tuple[str, ...] = (), read_words: Callable[[Any], list[str]] | None = None) -> str:
    """The provider's own words from an error response (read by the adapter's error_words hook), redacted and bounded."""
    text = response.text or ""
    try:
        body = json.loads(text)
    except ValueError:
        # Not JSON: the adapter's hook may read the vendor's own format (CloudFront's XML) from the text.
        body = text if read_words is not None else None
    if body is not None:
        words = (read_words or error_words)(body)
        text = " - ".join(words) if words else text
    return bounded(text, secrets)


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
