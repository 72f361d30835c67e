# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fastly: one URL per purge request (sent concurrently), surrogate keys in bulk, purge all; synchronous.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote, urlsplit

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    ALL,
    PREFIX,
    REQUEST_ID,
    TAG,
    URL,
    Kind,
    Option,
    PlannedItem,
    Provider,
    credential,
    shown,
)
from ansible_collections.cdnops.cdn.plugins.module_utils._site_urls import URL_ENDPOINT_DESCRIPTION, absolute_url, check_url_endpoint

_SERVICE_ID = re.compile(r"^[A-Za-z0-9]{1,64}\Z")
_SURROGATE_KEY = re.compile(r"^[\x21-\x7e]{1,1024}\Z")
MAX_KEYS = 256
NO_PREFIX = "Fastly has no prefix or wildcard purge: tag the objects with a surrogate key and purge it with tags"


class Fastly(Provider):
    name = "fastly"
    title = "Fastly"
    default_api_base_url = "https://api.fastly.com"
    options = (
        Option("service_id", "The service id; required to purge C(tags) and C(purge_all), not for URL purges."),
        Option("url_endpoint", URL_ENDPOINT_DESCRIPTION),
        credential(
            "api_key",
            "An API token with the scope C(purge_select) (URLs and keys) or C(purge_all), header C(Fastly-Key).",
            "FASTLY_API_TOKEN",
            aliases=("api_token",),
        ),
    )
    kinds = {URL: Kind(1, 1), TAG: Kind(MAX_KEYS, MAX_KEYS), ALL: Kind()}
    # One URL per request: the requests are independent and run concurrently on one session.
    concurrent = True
    synchronous = True
    supports_soft_purge = True
    kind_advice = {PREFIX: NO_PREFIX}

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        self.service_id = params.get("service_id")
        if self.service_id is not None and not _SERVICE_ID.match(self.service_id):
            raise CdnError("service_id=%s must be a Fastly service id (letters and digits)" % shown(self.service_id), provider=self.name)
        self.url_endpoint = check_url_endpoint(self.name, params.get("url_endpoint"))
        self.soft = bool(params.get("soft_purge"))
        if self.soft and params.get("purge_all"):
            raise CdnError("soft_purge cannot be combined with purge_all: Fastly never soft-purges a whole service", provider=self.name)
        if self.service_id is None and (params.get("tags") or params.get("purge_all")):
            raise CdnError("option service_id is required for provider fastly to purge tags (surrogate keys) or purge_all", provider=self.name)

    def target_id(self) -> str:
        return self.service_id or self.url_endpoint or ""

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        headers = {"Fastly-Key": credentials["api_key"], "Accept": "application/json"}
        if self.soft:
            headers["Fastly-Soft-Purge"] = "1"
        return headers, None

    def plan_path(self, path: str) -> PlannedItem:
        url = absolute_url(self.name, path, self.url_endpoint)
        if "*" in url:
            raise self.invalid_path(path, NO_PREFIX)
        parts = urlsplit(url)
        # The API takes host and path without the scheme, not URL-encoded: POST /purge/www.example.com/img/a.png
        return PlannedItem(url[len(parts.scheme) + 3 :], URL, key=url)

    def plan_tag(self, tag: str) -> PlannedItem:
        if not _SURROGATE_KEY.match(tag):
            raise CdnError(
                "tag %s is not a valid Fastly surrogate key: at most 1024 printable ASCII characters without spaces" % shown(tag), provider=self.name
            )
        return PlannedItem(tag, TAG)

    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        if kind == URL:
            response = client.request("POST", "/purge/%s" % quote(values[0], safe="/?=&;:@%+,!$'()~"), "purge of %s" % values[0])
            return self._confirmed_id(client, response, "purge of %s" % values[0])
        base = "/service/%s" % self.service_id
        if kind == ALL:
            response = client.request("POST", base + "/purge_all", "purge of the whole service %s" % self.service_id)
            return self._confirmed_id(client, response, "purge_all")
        if len(values) == 1:
            what = "purge of surrogate key %s" % values[0]
            response = client.request("POST", "%s/purge/%s" % (base, quote(values[0], safe="")), what)
            return self._confirmed_id(client, response, what)
        what = "purge of %d surrogate keys" % len(values)
        response = client.request("POST", base + "/purge", what, json={"surrogate_keys": values})
        answer = self._json(response)
        if not isinstance(answer, dict) or not all(key in answer for key in values):
            raise self._unconfirmed(client, response, what)
        # One id per key; a purge request has one request_id, and Fastly has no status API to read it with.
        return None

    @staticmethod
    def _json(response: Any) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def _confirmed_id(self, client: Any, response: Any, what: str) -> str | None:
        answer = self._json(response)
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            raise self._unconfirmed(client, response, what)
        request_id = answer.get("id")
        return request_id if isinstance(request_id, str) and REQUEST_ID.match(request_id) else None

    def _unconfirmed(self, client: Any, response: Any, what: str) -> CdnError:
        message = client.error_message(response)
        return CdnError(
            "%s: %s: the API did not confirm it (HTTP %d): %s" % (self.name, what, response.status_code, message),
            provider=self.name,
            http_status=response.status_code,
            provider_message=message,
        )

    def retry_after(self, headers: Any) -> float | None:
        # Fastly-RateLimit-Reset is the epoch second the hourly window resets.
        try:
            return float(headers.get("Fastly-RateLimit-Reset")) - time.time()
        except (TypeError, ValueError):
            return None
