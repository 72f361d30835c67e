# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bunny (bunny.net): one URL or prefix per purge request (sent concurrently), one cache tag per request, or a whole
pull zone; synchronous (async=false).

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import quote, urlsplit

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    ALL,
    PREFIX,
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

# Printable ASCII without spaces; commas separate tags in the CDN-Tag header, so none in one tag (our rule).
_TAG = re.compile(r"^[\x21-\x7e]{1,1024}\Z")
# The documented token buckets of the account, in tokens a second: exact URLs (burst 120) and prefixes (burst 20).
# Tag and pull zone purges have no documented bucket: they back off as exact URLs do.
REFILL_PER_SECOND = {URL: 5.0, PREFIX: 0.5}


class Bunny(Provider):
    name = "bunny"
    title = "Bunny"
    default_api_base_url = "https://api.bunny.net"
    options = (
        Option("pull_zone_id", "The pull zone id, a number; required to purge C(tags) and C(purge_all), not for URL purges.", type="int"),
        Option("url_endpoint", URL_ENDPOINT_DESCRIPTION),
        credential("api_key", "The account API key (Account settings > API), sent as C(AccessKey).", "BUNNYNET_API_KEY"),
    )
    kinds = {URL: Kind(1, 1), PREFIX: Kind(1, 1), TAG: Kind(1, 1), ALL: Kind()}
    # One item per request: the requests are independent and run concurrently on one session.
    concurrent = True
    # async=false: the API answers when the purge is done.
    synchronous = True

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        pull_zone_id = params.get("pull_zone_id")
        if isinstance(pull_zone_id, str) and pull_zone_id.isdigit():
            pull_zone_id = int(pull_zone_id)
        if pull_zone_id is not None and (isinstance(pull_zone_id, bool) or not isinstance(pull_zone_id, int) or pull_zone_id < 1):
            raise CdnError("pull_zone_id=%s must be a Bunny pull zone id: a positive integer" % shown(pull_zone_id), provider=self.name)
        self.pull_zone_id: int | None = pull_zone_id
        self.url_endpoint = check_url_endpoint(self.name, params.get("url_endpoint"))
        if self.pull_zone_id is None and (params.get("tags") or params.get("purge_all")):
            raise CdnError("option pull_zone_id is required for provider bunny to purge tags (cache tags) or purge_all", provider=self.name)
        # The kind of the request this thread is sending, for the retry_after hook (the HTTP layer calls it in this thread).
        self._sending = threading.local()
        # Per bucket, when the last refill slot handed to a refused request comes (time.monotonic()).
        self._slots_lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def target_id(self) -> str:
        return str(self.pull_zone_id) if self.pull_zone_id is not None else self.url_endpoint or ""

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        return {"AccessKey": credentials["api_key"], "Accept": "application/json"}, None

    def plan_path(self, path: str) -> PlannedItem:
        url = absolute_url(self.name, path, self.url_endpoint)
        if "#" in url:
            raise self.invalid_path(path, "a fragment (#...) never reaches the CDN: leave it out")
        if "*" not in url:
            return PlannedItem(url, URL)
        if urlsplit(url).query or "?" in url:
            raise self.invalid_path(path, "a Bunny prefix purge (a * at the end) has no query string")
        if url.count("*") > 1 or not url.endswith("*"):
            raise self.invalid_path(path, "Bunny takes one * only at the end of a URL (a prefix purge)")
        return PlannedItem(url, PREFIX, prefix=url[:-1])

    def plan_tag(self, tag: str) -> PlannedItem:
        if not _TAG.match(tag) or "," in tag:
            raise CdnError("tag %s is not valid for bunny: at most 1024 printable ASCII characters, without spaces or commas" % shown(tag), provider=self.name)
        return PlannedItem(tag, TAG)

    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        self._sending.kind = kind
        if kind in (URL, PREFIX):
            # The whole URL goes URL-encoded into the query: its own ?, & and = must not end the parameter.
            what = "%s of %s" % ("prefix purge" if kind == PREFIX else "purge", values[0])
            client.request("POST", "/purge?url=%s&async=false" % quote(values[0], safe=""), what)
            return None
        zone = self.pull_zone_id
        if zone is None:  # refused in __init__ already; kept for the type checker
            raise CdnError("option pull_zone_id is required for provider bunny to purge tags (cache tags) or purge_all", provider=self.name)
        path = "/pullzone/%d/purgeCache" % zone
        if kind == TAG:
            client.request("POST", path, "purge of cache tag %s" % values[0], json={"CacheTag": values[0]})
        else:
            client.request("POST", path, "purge of the whole pull zone %d" % zone)
        # Bunny answers 200 or 204 with no body: no id to return, and none needed (the purge is done).
        return None

    # --- hooks of the shared HTTP layer --------------------------------------------------------------------------
    def pace(self, wait: float) -> float:
        """A 429: wait at least what Retry-After asks, and for a token of the documented bucket, each refused request
        for its own one.

        Requests in flight at once would all wake together after one back-off (or one Retry-After) and meet an empty
        bucket again; handing out the bucket's refill slots in turn (0.2 s apart for URLs, 2 s for prefixes) lets each
        through."""
        kind = getattr(self._sending, "kind", URL)
        bucket = kind if kind in REFILL_PER_SECOND else URL
        with self._slots_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(bucket, now)) + 1.0 / REFILL_PER_SECOND[bucket]
            self._next_slot[bucket] = slot
        return max(wait, slot - now)

    def error_words(self, body: Any) -> list[str]:
        # {"ErrorKey": ..., "Field": ..., "Message": ...}
        if isinstance(body, dict) and isinstance(body.get("Message"), str) and body["Message"]:
            detail = ", ".join(
                "%s %s" % (label, body[key]) for key, label in (("ErrorKey", "error"), ("Field", "field")) if isinstance(body.get(key), str) and body[key]
            )
            return ["%s (%s)" % (body["Message"], detail) if detail else body["Message"]]
        return super().error_words(body)
