# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gcore: URL purges (100 a request) and pattern purges (10) per CDN resource, or purge all; rate limits waited out;
the purge id found in Gcore's purge history right after sending, and the status read from that history.

Internal use only: this file is not part of the collection's public API and may change without notice.

Gcore allows per resource 2 URL purges, 1 pattern purge and 1 purge-all a minute. A refused purge (429, or Gcore's
400 "exceeded the URL quota") is waited out and resent, within wait_timeout counted from the first purge: a purge
of N URLs takes about N/200 minutes. The 201 answer carries no id: the purge is looked up in
GET /cdn/purge_statuses (same resource, type and payload, created since it was sent) and its purge_id returned.
"""

from __future__ import annotations

import calendar
import email.utils
import re
import time
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    ALL,
    COMPLETED,
    PENDING,
    PREFIX,
    REQUEST_ID,
    STATUS_PER_ID,
    URL,
    Kind,
    Option,
    PlannedItem,
    Provider,
    credential,
    shown,
)
from ansible_collections.cdnops.cdn.plugins.module_utils._site_urls import has_scheme

MAX_URLS = 100
MAX_PATTERNS = 10
# The documented limits per resource: purges a minute of each kind. Without Retry-After, a refused purge waits a
# whole window: a fixed window has reset by then, so one wait is enough when nobody else purges the resource.
RATE_WINDOW = 60.0
PER_WINDOW = {URL: 2, PREFIX: 1, ALL: 1}
# A Retry-After of 0 (or in the past) still waits this long: a server that keeps refusing must not make a busy loop.
MIN_WAIT = 1.0
# Gcore's own words for a refused purge on HTTP 400 (on 429 the status says it).
_QUOTA_WORDS = re.compile(r"exceeded the (url|request) quota", re.IGNORECASE)

PURGE_TYPE = {URL: "purge_by_url", PREFIX: "purge_by_pattern", ALL: "purge_all"}
BODY_KEY = {URL: "urls", PREFIX: "paths", ALL: "paths"}
KIND_NAME = {URL: "URL purge", PREFIX: "pattern purge", ALL: "purge of everything"}
# Purge history: entries a page; pages read at most for one lookup; clocks may differ this much (seconds).
PAGE = 100
MAX_PAGES = 50
CLOCK_SKEW = 60.0
# The history may lag the 201 a little: tries of the lookup and the pause before each retry (seconds).
LOOKUP_DELAYS = (0.0, 1.0, 2.0)
FAILED = "Failed"
_PURGE_ID = re.compile(r"^[0-9]{1,20}\Z")
_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?\Z")


def iso_utc(timestamp: float) -> str:
    """A UTC time as Gcore's from_created takes it: 2021-06-14T00:00:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an ISO 8601 time (UTC when it names no offset), or None."""
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        seconds = float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))
    except (OverflowError, ValueError):
        return None
    fraction, zone = match.group(7), match.group(8)
    if fraction:
        seconds += float("0." + fraction)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "+" else 1
        digits = zone[1:].replace(":", "")
        seconds += sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds


def retry_after_seconds(value: Any) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if re.match(r"^\d{1,9}(\.\d+)?\Z", value):
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


class Gcore(Provider):
    name = "gcore"
    title = "Gcore"
    default_api_base_url = "https://api.gcore.com"
    options = (
        Option(
            "resource_id", "Required. The CDN resource id, a number (the Gcore Customer Portal lists it under CDN > CDN resources).", type="int", required=True
        ),
        credential(
            "api_key",
            "A permanent API token (it contains a V($)), sent as C(Authorization: APIKey <token>); a user with the role "
            '"Purge and Prefetch only (API)" is enough.',
            "GCORE_API_KEY",
        ),
    )
    kinds = {URL: Kind(MAX_URLS, MAX_URLS), PREFIX: Kind(MAX_PATTERNS, MAX_PATTERNS), ALL: Kind()}
    status_model = STATUS_PER_ID
    status_words = {"In progress": PENDING, "Successful": COMPLETED}
    # A refusal by the rate limit (429, or 400 "exceeded the URL quota") is waited out and resent within wait_timeout,
    # not failed on after `retries`.
    waits_out_rate_limits = True

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        resource_id = params["resource_id"]
        if isinstance(resource_id, str) and resource_id.isdigit():
            resource_id = int(resource_id)
        if isinstance(resource_id, bool) or not isinstance(resource_id, int) or resource_id < 1:
            raise CdnError("resource_id=%s must be a Gcore CDN resource id: a positive integer" % shown(resource_id), provider=self.name)
        self.resource_id: int = resource_id
        # Set by the first purge: every rate-limit wait of the run ends before it.
        self.deadline: float | None = None
        self.rate_limit_waits: list[float] = []
        # Purge ids this run found (one purge is never claimed twice) and when each was sent (epoch seconds).
        self.sent_at: dict[str, float] = {}

    def target_id(self) -> str:
        return str(self.resource_id)

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        return {"Authorization": "APIKey %s" % credentials["api_key"], "Accept": "application/json"}, None

    # --- planning ------------------------------------------------------------------------------------------------
    def plan_path(self, path: str) -> PlannedItem:
        if has_scheme(path):
            raise self.invalid_path(path, "Gcore purges paths of the CDN resource: give the path without scheme or host, like /img/a.png")
        if not path.startswith("/"):
            raise self.invalid_path(path, "must start with / (a path of the CDN resource, like /img/a.png)")
        if "#" in path:
            raise self.invalid_path(path, "a fragment (#...) never reaches the CDN: leave it out")
        if "*" not in path:
            return PlannedItem(path, URL)
        if "?" in path:
            raise self.invalid_path(path, "a Gcore pattern has no query string (Gcore would ignore it and purge the whole path)")
        if path.count("*") > 1 or not path.endswith("*"):
            raise self.invalid_path(path, "Gcore takes one * only at the end of a path (a pattern purge, like /images/*)")
        return PlannedItem(path, PREFIX, prefix=path[:-1])

    # --- requests ------------------------------------------------------------------------------------------------
    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        body = {BODY_KEY[kind]: list(values)}
        what = "purge of everything in resource %d" % self.resource_id if kind == ALL else "%s of %d paths" % (KIND_NAME[kind], len(values))
        if self.deadline is None:
            self.deadline = time.monotonic() + self.params["wait_timeout"]
        path = "/cdn/resources/%d/purge" % self.resource_id
        while True:
            sent_at = time.time()
            # 400 and 429 come back here at once (the HTTP layer retries no status the caller takes): a refusal by the
            # rate limit is waited out below, without using up retries; any other 400 is a failure. An answer lost
            # before a resend still counts for this purge: the runner's exchange spans every request of it.
            response = client.request("POST", path, what, ok=(200, 201, 202, 204, 400, 429), json=body)
            if response.status_code == 429 or (response.status_code == 400 and self._quota_refusal(client, response)):
                self._wait_out(client, response, what)
                continue
            if response.status_code == 400:
                message = client.error_message(response)
                raise CdnError(
                    "%s: %s failed: HTTP 400 %s: %s" % (self.name, what, response.reason or "Bad Request", message),
                    provider=self.name,
                    http_status=400,
                    provider_message=message,
                )
            break
        return self._find_purge(client, kind, values, sent_at, what)

    def _quota_refusal(self, client: Any, response: Any) -> bool:
        return bool(_QUOTA_WORDS.search(client.error_message(response)))

    def _wait_out(self, client: Any, response: Any, what: str) -> None:
        """Sleep what the refusal asks (Retry-After, else the documented window), or fail when that passes the deadline."""
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        wait = max(MIN_WAIT, RATE_WINDOW if asked is None else asked)
        deadline = self.deadline if self.deadline is not None else time.monotonic()
        if time.monotonic() + wait > deadline:
            message = client.error_message(response)
            raise CdnError(
                "%s: %s was refused by Gcore's rate limit (HTTP %d: %s); waiting %.0fs more would pass wait_timeout=%ss "
                "(%d rate-limit waits of %.0fs in all so far). Gcore allows per resource %d URL purges (of up to %d URLs), "
                "%d pattern purge and %d purge of everything a minute: a purge of N URLs takes about N/200 minutes; "
                "raise wait_timeout"
                % (
                    self.name,
                    what,
                    response.status_code,
                    message,
                    wait,
                    self.params["wait_timeout"],
                    len(self.rate_limit_waits),
                    sum(self.rate_limit_waits),
                    PER_WINDOW[URL],
                    MAX_URLS,
                    PER_WINDOW[PREFIX],
                    PER_WINDOW[ALL],
                ),
                provider=self.name,
                http_status=response.status_code,
                provider_message=message,
            )
        self.rate_limit_waits.append(wait)
        time.sleep(wait)

    def _find_purge(self, client: Any, kind: str, values: list[Any], sent_at: float, what: str) -> str:
        """The purge_id of the purge just accepted: the newest history entry of this resource, type and payload,
        created since it was sent, that this run has not claimed yet."""
        params = {"from_created": iso_utc(sent_at - CLOCK_SKEW), "purge_type": PURGE_TYPE[kind], "limit": PAGE}
        wanted = sorted(values)
        for delay in LOOKUP_DELAYS:
            if delay:
                time.sleep(delay)
            purge_id = self._lookup(client, kind, params, wanted, sent_at)
            if purge_id is not None:
                self.sent_at[purge_id] = sent_at
                return purge_id
        raise CdnError(
            "%s: %s was accepted (HTTP 201) but does not appear in Gcore's purge history (GET /cdn/purge_statuses), so "
            "its purge id is unknown; it is probably done: see the purge history in the Gcore Customer Portal" % (self.name, what),
            provider=self.name,
        )

    def _lookup(self, client: Any, kind: str, params: dict[str, Any], wanted: list[str], sent_at: float) -> str | None:
        """One look into the history: the newest candidate's purge id, or None."""
        candidates: list[tuple[float, int, str]] = []

        def enough(entries: list[dict[str, Any]]) -> bool:
            candidates[:] = [candidate for candidate in (self._candidate(entry, kind, wanted, sent_at) for entry in entries) if candidate]
            return bool(candidates)

        enough(self._history(client, params, "looking up the %s just accepted" % KIND_NAME[kind], enough))
        return max(candidates)[2] if candidates else None

    def _candidate(self, entry: dict[str, Any], kind: str, wanted: list[str], sent_at: float) -> tuple[float, int, str] | None:
        """(created, id, id) when entry may be the purge just sent: this resource, type and payload, created since it
        was sent (give or take CLOCK_SKEW), not claimed by this run yet; else None."""
        purge_id = _purge_id(entry)
        if purge_id is None or purge_id in self.sent_at or not self._same_purge(entry, kind, wanted):
            return None
        created = parse_time(entry.get("created"))
        if created is not None and created < sent_at - CLOCK_SKEW:
            return None
        return (created or 0.0, int(purge_id), purge_id)

    def _same_purge(self, entry: dict[str, Any], kind: str, wanted: list[str]) -> bool:
        resource = entry.get("resource")
        if not isinstance(resource, dict) or resource.get("id") != self.resource_id or entry.get("purge_type") != PURGE_TYPE[kind]:
            return False
        payload = entry.get("payload")
        listed = payload.get(BODY_KEY[kind]) if isinstance(payload, dict) else None
        return isinstance(listed, list) and all(isinstance(item, str) for item in listed) and sorted(listed) == wanted

    def _history(self, client: Any, params: dict[str, Any], what: str, enough: Any) -> list[dict[str, Any]]:
        """Entries of the purge history for params: the first page, then the others from the newest back (offsets count
        from the oldest purge of the period), until enough(entries) says so or MAX_PAGES pages were read."""
        entries, count = self._history_page(client, dict(params, offset=0), what)
        if count is None or enough(entries):
            return entries
        end, pages = count, 1
        while end > PAGE and pages < MAX_PAGES:
            start = max(PAGE, end - PAGE)
            page, _count = self._history_page(client, dict(params, offset=start, limit=end - start), what)
            entries.extend(page)
            pages += 1
            if enough(entries):
                break
            end = start
        return entries

    def _history_page(self, client: Any, params: dict[str, Any], what: str) -> tuple[list[dict[str, Any]], int | None]:
        """(entries, total count) of one page; a bare list (a server that does not page) has no count."""
        response = client.request("GET", "/cdn/purge_statuses", what, params=params)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            count = body.get("count")
            return [entry for entry in body["results"] if isinstance(entry, dict)], count if isinstance(count, int) and not isinstance(count, bool) else None
        if isinstance(body, list):
            return [entry for entry in body if isinstance(entry, dict)], None
        raise CdnError("%s: %s: Gcore's purge history is not a JSON list (HTTP %d)" % (self.name, what, response.status_code), provider=self.name)

    # --- status --------------------------------------------------------------------------------------------------
    def check_request_id(self, request_id: Any) -> None:
        super().check_request_id(request_id)
        if not _PURGE_ID.match(request_id):
            raise CdnError("request_id %s is not a valid gcore purge id (a number)" % shown(request_id), provider=self.name)

    def statuses(self, client: Any, request_ids: list[str], concurrency: int = 1) -> dict[str, str]:
        """Every id's status from the purge history: one listing answers for many ids."""
        wanted = set(request_ids)
        params: dict[str, Any] = {"limit": PAGE}
        known = [self.sent_at[request_id] for request_id in request_ids if request_id in self.sent_at]
        if len(known) == len(request_ids) and known:
            # Purges of this run: only the history since the first of them.
            params["from_created"] = iso_utc(min(known) - CLOCK_SKEW)
        found: dict[str, Any] = {}

        def enough(entries: list[dict[str, Any]]) -> bool:
            for entry in entries:
                purge_id = _purge_id(entry)
                if purge_id in wanted:
                    found[purge_id] = entry.get("status")
            return wanted <= set(found)

        enough(self._history(client, params, "reading the status of %d purge requests" % len(request_ids), enough))
        missing = [request_id for request_id in request_ids if request_id not in found]
        if missing:
            raise CdnError(
                "%s: purge ids not in Gcore's purge history: %s" % (self.name, ", ".join(missing[:20])),
                provider=self.name,
                details={"missing_request_ids": missing},
            )
        return {request_id: found[request_id] for request_id in request_ids}

    def check_status_words(self, statuses: dict[str, Any]) -> None:
        """A Failed purge is an error of its own, naming it; other unknown words as for every provider."""
        failed = [request_id for request_id, word in statuses.items() if word == FAILED]
        if failed:
            raise CdnError(
                "%s: Gcore reports %d purge requests of resource %d as Failed: %s; their paths may still be cached: purge "
                "them again, and see the purge history in the Gcore Customer Portal" % (self.name, len(failed), self.resource_id, ", ".join(failed[:20])),
                provider=self.name,
                provider_message=FAILED,
                details={"failed_request_ids": failed},
            )
        super().check_status_words(statuses)

    # --- hooks of the shared HTTP layer --------------------------------------------------------------------------
    def retry_after(self, headers: Any) -> float | None:
        # A 429 without Retry-After: the documented window (the HTTP layer's own retries wait it too).
        return RATE_WINDOW

    def error_words(self, body: Any) -> list[str]:
        # {"message": ..., "exception_class"?, "errors"?}: the message says it; errors only when there is none.
        if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
            return [body["message"]]
        return super().error_words(body)


def _purge_id(entry: dict[str, Any]) -> str | None:
    """The entry's purge_id as a string, when it is one this module can return."""
    value = entry.get("purge_id")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value)
    return text if _PURGE_ID.match(text) and REQUEST_ID.match(text) else None
