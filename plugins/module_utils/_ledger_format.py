# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The idempotency ledger's file format: reading, writing and compacting its lines. No files, no locks (_ledger.py).

Internal use only: this file is not part of the collection's public API and may change without notice.

Format 2, JSON lines (TIME "YYYY-MM-DDTHH:MM:SSZ", UTC; ID the first 16 hex digits of SHA-256(scope)):
    {"cdn_purge_ledger":2,"compacted":TIME,"size":BYTES,"oldest":TIME}     first line
    {"scope":ID,"declare":[provider,target,key,account,api_base_url]}       what an ID stands for
    {"scope":ID,"request_id":ID|null,"paths":[item key,...],"time":TIME}    an accepted purge request, appended
    {"scope":ID,"requests":[[ID|null,[item key,...]],...],"time":TIME}      a scope's requests of a day, compacted
"maybe_accepted_twice":true (or true as a pair's third item) marks a request sent again after a lost answer; a
purge_all has the item key PURGE_ALL. A record is appended by one write(), then fdatasync, as soon as the provider
accepts the request, so a run killed at any moment loses at most the requests in flight. Bytes after the last newline
are a torn record of a killed writer: readers ignore them, the next writer cuts them off. Other bad lines are errors.

Format 1 ({"version": 1, "entries": {...}}) is still read. Its entries predate account and API in the scope: one with
a target counts for every scope of its provider, target and key; one with an empty target could be any account's and
counts for none (a rerun purges again rather than skip what another account purged). The first record migrates the
file: each entry becomes records of the scope [provider, target, key] dated by "updated", pruned like any record.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError

VERSION = 2
PRUNE_DAYS = 90
MAGIC = "cdn_purge_ledger"
_HEADER = b'{"%s":' % MAGIC.encode()  # how format 2 starts
_Request = tuple[Any, list[str], bool]  # (request_id, item keys, maybe_accepted_twice)
# How a problem of the file is told: (problem, advice) -> the ledger's CdnError naming the file.
ErrorFactory = Callable[..., CdnError]


def id_of_scope(scope: str) -> str:
    return hashlib.sha256(scope.encode("utf-8")).hexdigest()[:16]


def timestamp(days_ago: float = 0, moment: datetime.datetime | None = None) -> str:
    moment = (moment or datetime.datetime.now(datetime.timezone.utc)) - datetime.timedelta(days=days_ago)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def line(item: dict[str, Any]) -> bytes:
    return (json.dumps(item, separators=(",", ":")) + "\n").encode("utf-8")


def is_journal(data: bytes) -> bool:
    """Whether data starts with the first line of format 2 (or with the torn start of one)."""
    try:
        header = json.loads(data.split(b"\n", 1)[0])
    except ValueError:
        return data.startswith(_HEADER[: len(data)])
    return isinstance(header, dict) and MAGIC in header


def _requests(item: dict[str, Any]) -> list[_Request] | None:
    """The requests of a format 2 record (appended or compacted); None when it is not one."""
    pairs = item.get("requests", [[item.get("request_id"), item.get("paths"), item.get("maybe_accepted_twice", False)]])
    found: list[_Request] = []
    for pair in pairs if isinstance(item.get("time"), str) and isinstance(pairs, list) else [None]:
        request_id, keys, twice = (pair + [False])[:3] if isinstance(pair, list) and len(pair) in (2, 3) else (0, None, None)
        if not (isinstance(request_id, (str, type(None))) and isinstance(keys, list) and keys and isinstance(twice, bool)):
            return None
        if not all(isinstance(key, str) for key in keys):
            return None
        found.append((request_id, keys, twice))
    return found


class Journal:
    """What a read found: (scope ID, time, requests) of the records (all, or the wanted scopes'), the declared scopes."""

    def __init__(self) -> None:
        self.header: dict[str, Any] = {}
        self.records: list[tuple[str, str, list[_Request]]] = []
        self.declared: dict[str, list[str]] = {}


def parse(data: bytes | None, error: ErrorFactory, wanted: tuple[bytes, ...] | None = None) -> Journal:
    """Format 2 (every line, or those naming a wanted scope ID) or format 1; CdnError when neither."""
    journal = Journal()
    if not data or not data.strip():
        return journal
    if not is_journal(data):
        return _parse_v1(data, journal, error)
    for number, line in enumerate(data[: data.rfind(b"\n") + 1].split(b"\n")[:-1], 1):  # after the last newline: torn
        if number > 1 and (not any(scope_id in line for scope_id in wanted) if wanted is not None else not line.strip()):
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        scoped = number > 1 and isinstance(item, dict) and isinstance(item.get("scope"), str)
        if number == 1 and isinstance(item, dict) and isinstance(item.get(MAGIC), int):
            journal.header = item
            if item[MAGIC] > VERSION:
                raise error("was written by a newer cdnops.cdn (format %s)" % item[MAGIC], "upgrade the collection or use another file")
        elif scoped and "declare" not in item and (requests := _requests(item)) is not None:
            journal.records.append((item["scope"], item["time"], requests))
        elif scoped and isinstance(item.get("declare"), list) and len(item["declare"]) in (3, 5) and all(isinstance(part, str) for part in item["declare"]):
            journal.declared[item["scope"]] = item["declare"]
        else:
            raise error("has a malformed line %d (not a record of a cdn_purge ledger)" % number)
    return journal


def _parse_v1(data: bytes, journal: Journal, error: ErrorFactory) -> Journal:
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise error("cannot be read as a ledger (%s)" % exc) from None
    entries = document.get("entries") if isinstance(document, dict) and document.get("version", 1) == 1 else None
    if not isinstance(entries, dict):
        raise error("is not a cdn_purge ledger", "move it away")
    for entry in entries.values():
        entry = entry if isinstance(entry, dict) else {}
        fields: list[Any] = [entry.get(name) for name in ("provider", "target", "idempotency_key")]
        paths, updated = entry.get("paths"), entry.get("updated", "")
        if not (all(isinstance(field, str) for field in fields + [updated]) and isinstance(paths, dict)) or not all(
            isinstance(value, (str, type(None))) for value in paths.values()
        ):
            raise error("is a version 1 ledger with a malformed entry")
        if fields[1]:  # with an empty target it could be any account's: it counts for no scope
            try:
                when = timestamp(0, datetime.datetime.fromisoformat(updated))
            except ValueError:
                when = timestamp()
            journal.declared[id_of_scope(json.dumps(fields))] = fields
            by_request: dict[str | None, list[str]] = {}
            for path, request_id in paths.items():
                by_request.setdefault(request_id, []).append(path)
            journal.records.append((id_of_scope(json.dumps(fields)), when, [(request_id, keys, False) for request_id, keys in by_request.items()]))
    return journal


def compacted(data: bytes, error: ErrorFactory) -> bytes:
    """data (a whole journal) rewritten: records older than PRUNE_DAYS dropped, keys recorded again later dropped from
    earlier records, a scope's requests of a day merged into one line."""
    journal, cutoff, seen = parse(data, error), timestamp(PRUNE_DAYS), set[tuple[str, str]]()
    days: dict[tuple[str, str], tuple[str, list[list[Any]]]] = {}  # (scope ID, day) -> (latest time, requests)
    for scope_id, when, requests in reversed(journal.records):
        for request_id, keys, twice in reversed(requests) if when >= cutoff else ():
            fresh = [key for key in keys if (scope_id, key) not in seen]
            seen.update((scope_id, key) for key in fresh)
            if fresh:
                days.setdefault((scope_id, when[:10]), (when, []))[1].append([request_id, fresh] + [True] * twice)
    scopes = {scope_id for scope_id, _day in days}
    lines = [line({"scope": scope_id, "declare": parts}) for scope_id, parts in journal.declared.items() if scope_id in scopes]
    for (scope_id, _day), (when, pairs) in sorted(days.items(), key=lambda day: day[1][0]):
        lines.append(line({"scope": scope_id, "requests": pairs[::-1], "time": when}))
    oldest = min((when for when, _requests in days.values()), default=timestamp())
    return line({MAGIC: VERSION, "compacted": timestamp(), "size": sum(map(len, lines)), "oldest": oldest}) + b"".join(lines)
