# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gotipath: url and pattern purges per distribution, synchronous, no request id and no status API.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import uuid
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import ALL, PREFIX, URL, Kind, Option, PlannedItem, Provider, credential, shown

# The API is modelled on Gcore's, whose limits are 100 URLs and 10 patterns per request.
MAX_URLS = 100
MAX_PATTERNS = 10
# Our kinds, as Gotipath's "type" calls them.
PURGE_TYPE = {URL: "url", PREFIX: "pattern", ALL: "all"}


class Gotipath(Provider):
    name = "gotipath"
    title = "Gotipath"
    default_api_base_url = "https://apistream.gotipath.com"
    options = (
        Option("distribution_id", "Required. The CDN distribution UUID.", required=True),
        credential("api_key", "The API key (header C(X-Auth-ApiKey)).", "GOTIPATH_API_KEY"),
        credential("client_id", "The client id (header C(X-Auth-ClientId)).", "GOTIPATH_CLIENT_ID"),
        credential("library_id", "The library id (header C(X-Auth-LibraryId)).", "GOTIPATH_LIBRARY_ID"),
    )
    kinds = {URL: Kind(MAX_URLS, MAX_URLS), PREFIX: Kind(MAX_PATTERNS, MAX_PATTERNS), ALL: Kind()}
    synchronous = True

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        value = params["distribution_id"]
        try:
            self.distribution_id = str(uuid.UUID(value))
        except (ValueError, TypeError, AttributeError):
            raise CdnError("distribution_id=%s is not a UUID like 292e5d7f-a8b9-41a0-bdf0-e70347709c6f" % shown(value), provider=self.name) from None

    def target_id(self) -> str:
        return self.distribution_id

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        headers = {
            "X-Auth-ClientId": credentials["client_id"],
            "X-Auth-LibraryId": credentials["library_id"],
            "X-Auth-ApiKey": credentials["api_key"],
            "Accept": "application/json",
        }
        return headers, None

    def plan_path(self, path: str) -> PlannedItem:
        if not path.startswith("/"):
            raise self.invalid_path(path, "must start with / (no scheme or domain; query strings are part of the path)")
        if "*" not in path:
            return PlannedItem(path, URL)
        # Only a trailing * is a plain prefix we can use to drop covered paths; others are sent as they are.
        prefix = path[:-1] if path.count("*") == 1 and path.endswith("*") else None
        return PlannedItem(path, PREFIX, prefix=prefix)

    def _purges_url(self) -> str:
        return "/v1/distributions/%s/purges" % self.distribution_id

    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        what = "purge of the whole distribution" if kind == ALL else "%s purge of %d paths" % (PURGE_TYPE[kind], len(values))
        client.request("POST", self._purges_url(), what, json={"type": PURGE_TYPE[kind], "paths": values})
        return None  # noqa: RET501 - synchronous: the vendor answers no request id
