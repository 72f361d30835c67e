# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ImageMash: batches of prefix paths ("search strings"), a request id, and one purge list for status.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import MAX_LIST_BODY_BYTES
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    COMPLETED,
    PENDING,
    PREFIX,
    REQUEST_ID,
    STATUS_LIST,
    Kind,
    Option,
    PlannedItem,
    Provider,
    credential,
    has_extension,
    is_hostname,
    shown,
)

PATH_RULE = (
    "every ImageMash path is a prefix and must be a complete file path with an extension (/logo.png), at least "
    "15 characters long, or nested in at least two folders (/img/big/ or /img/big/my_)"
)


def _folders(path):
    """How many folders path is nested in: the segments followed by a /."""
    return len([segment for segment in path.split("/")[1:-1] if segment])


class ImageMash(Provider):
    name = "imagemash"
    title = "ImageMash"
    default_api_base_url = "https://api.imagemash.io"
    options = (
        Option("domain", "Optional. The ImageMash domain to purge, for example V(john.imagemash.io)."),
        credential("api_key", "The API key (header C(apikey)).", "IMAGEMASH_API_KEY"),
    )
    # Every ImageMash path is a prefix ("search string"); no documented maximum per request.
    kinds = {PREFIX: Kind(100)}
    status_words = {"InProgress": PENDING, "Completed": COMPLETED}
    status_model = STATUS_LIST

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        self.domain = params.get("domain")
        if self.domain is not None and not is_hostname(self.domain):
            raise CdnError("domain=%s is not a host name like john.imagemash.io" % shown(self.domain), provider=self.name)

    def target_id(self) -> str:
        return self.domain or ""

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        return {"apikey": credentials["api_key"], "Accept": "application/json"}, None

    def plan_path(self, path: str) -> PlannedItem:
        if not path.startswith("/"):
            raise self.invalid_path(path, "must start with /")
        # Every ImageMash path already purges by prefix, so a trailing * adds nothing.
        stripped = path[:-1] if path.endswith("*") else path
        if "*" in stripped:
            raise self.invalid_path(path, "ImageMash has no wildcards; every path is already a prefix (search string)")
        # Performance: the cheapest test first; the three are pure, so the outcome is the same in any order.
        if not (len(stripped) >= 15 or has_extension(stripped) or _folders(stripped) >= 2):
            raise self.invalid_path(path, PATH_RULE)
        return PlannedItem(stripped, PREFIX, prefix=stripped)

    def retry_after(self, headers: Any) -> float | None:
        # Every ImageMash answer carries rl-ttl: the seconds until its rate window resets.
        try:
            return float(headers.get("rl-ttl"))
        except (TypeError, ValueError):
            return None

    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        body = {"paths": values}
        if self.domain:
            body["domain"] = self.domain
        what = "purge of %d paths" % len(values)
        response = client.request("POST", "/v1/storage/purgeCache", what, json=body)
        return self._request_id(response, what)

    def _request_id(self, response: Any, what: str) -> str:
        # The docs show the id as a bare string; accept it plain, as a JSON string or in an object.
        text = (response.text or "").strip()
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        if isinstance(body, dict):
            body = body.get("requestId")
        if isinstance(body, str) and REQUEST_ID.match(body):
            return body
        raise self.no_usable_id(response, what, "requestId")

    def purge_list(self, client: Any) -> list[dict[str, Any]]:
        # No pages: the list holds every purge with its paths, so it may be far larger than a purge answer.
        response = client.request("POST", "/v1/storage/getPurgeList", "listing purge requests", max_body=MAX_LIST_BODY_BYTES)
        try:
            entries = response.json()
        except ValueError:
            entries = None
        if not isinstance(entries, list):
            raise CdnError("%s: the purge list is not a JSON list" % self.name, provider=self.name)
        listed = []
        for entry in entries:
            # Only entries whose id could be ours: an id goes into results and the ledger, never a list or a 10 MB string.
            if not isinstance(entry, dict) or not isinstance(entry.get("requestId"), str) or not REQUEST_ID.match(entry["requestId"]):
                continue
            paths = entry.get("paths")
            listed.append(
                {
                    "request_id": entry["requestId"],
                    "created_at": entry.get("createdAt") if isinstance(entry.get("createdAt"), str) else None,
                    "provider_status": entry.get("status"),
                    # A word the adapter does not know is listed as the vendor says it; asking for that id is an error.
                    "status": self.contract_status(entry.get("status")) or entry.get("status"),
                    "paths": [path for path in paths if isinstance(path, str)] if isinstance(paths, list) else [],
                }
            )
        return listed

    def statuses_from_list(self, entries: list[dict[str, Any]], request_ids: list[str] | None) -> dict[str, str]:
        """{id: vendor status} for request_ids (None: every listed purge), from one purge list."""
        known = {entry["request_id"]: entry["provider_status"] for entry in entries}
        if request_ids is None:
            return known
        missing = [request_id for request_id in request_ids if request_id not in known]
        if missing:
            raise CdnError(
                "%s: request ids not in the account's purge list: %s" % (self.name, ", ".join(missing)),
                provider=self.name,
                details={"missing_request_ids": missing},
            )
        return {request_id: known[request_id] for request_id in request_ids}

    def statuses(self, client: Any, request_ids: list[str], concurrency: int = 1) -> dict[str, str]:
        return self.statuses_from_list(self.purge_list(client), request_ids)
