# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner: from the items the user asked to purge to the purge requests to send, before anything is sent.

Internal use only: this file is not part of the collection's public API and may change without notice.

Every item has a kind (url, prefix, tag, host, cp_code, all). Validation by the provider's rules, exact
duplicates dropped, paths covered by a prefix purge in the same call dropped, items already accepted under the
idempotency key dropped, then batches per kind. Everything is O(n log n): coverage uses one sort and binary
search, never pairs.
"""

from __future__ import annotations

import bisect
import collections
import re
from collections.abc import Callable
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import PURGE_ALL
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import ALL, CP_CODE, HOST, KIND_OPTION, TAG, Batch, PlannedItem, Provider, shown

MAX_PATH_LENGTH = 2048
MAX_REPORTED_ERRORS = 10
MAX_LISTED_ERRORS = 100
# C0 and C1 control characters, every Unicode white space (str.isspace), the BOM, and the invisible format
# characters that make two different paths look alike: zero-width (U+200B-U+200F, U+2060-U+2064, U+180E) and
# bidirectional controls (U+202A-U+202E, U+2066-U+2069).
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff\ufff9-\ufffb]")
# In the path part: an empty segment (//) or a dot segment (/./, /../) names the same object as another path,
# and lets a path slip past a rule written for its normal form (ImageKit's never-wildcard folders).
_ODD_SEGMENT = re.compile(r"//|/\.\.?(?=/|$|\?|#|\*)")
_SCHEME_AND_HOST = re.compile(r"^https?://[^/]*")
_ENCODED_DOT = re.compile(r"%2e", re.IGNORECASE)

SKIP_DUPLICATE = "duplicate"
SKIP_COVERED = "covered_by_prefix"
SKIP_ACCEPTED = "already_accepted"
# Option → (the word for one item in messages, the kind its items get when the adapter does not say).
ITEM_OPTIONS = {"paths": ("path", None), "tags": ("tag", TAG), "hosts": ("host", HOST), "cp_codes": ("cp_code", CP_CODE)}


class Plan:
    """What a purge will send: the item keys, what was dropped and why, and the batches."""

    def __init__(self, paths: list[str], skipped: list[dict[str, Any]], batches: list[Batch]) -> None:
        self.paths = paths
        self.skipped = skipped
        self.batches = batches


def _check_common(path: Any) -> str | None:
    """Rules for every string item of every provider; returns a reason or None."""
    if not isinstance(path, str):
        return "must be a string"
    if not path:
        return "must not be empty"
    if len(path) > MAX_PATH_LENGTH:
        return "is %d characters long; the limit is %d" % (len(path), MAX_PATH_LENGTH)
    match = _FORBIDDEN.search(path)
    if match:
        return "contains %r at position %d: control characters, white space and invisible characters are not allowed (URL-encode spaces as %%20)" % (
            match.group(),
            match.start(),
        )
    return None


def _check_path(path: Any) -> str | None:
    """The rules for every provider's paths: the string rules, and a path part in its normal form."""
    reason = _check_common(path)
    if reason:
        return reason
    # %2e is a dot to the HTTP client (an unreserved character, decoded after dot segments were removed): /%2e%2e/ walks up.
    # Performance: each regex runs only where it can match (a scheme starts with "http", %2e needs "%", an odd segment
    # "//" or "/."); the outcome is the same as running all three on every path, at a third of the cost.
    rest = _SCHEME_AND_HOST.sub("", path) if path.startswith("http") else path
    if "%" in rest:
        rest = _ENCODED_DOT.sub(".", rest)
    if ("//" in rest or "/." in rest) and _ODD_SEGMENT.search(rest):
        return "has an empty (//) or dot (/./, /../) segment: give the path in its normal form"
    return None


def _check_cp_code(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return "must be a positive integer"
    return None


def _planner_of(provider: Provider, option: str) -> Callable[[Any], PlannedItem]:
    """The provider's method that plans one item of option (looked up once per option, not per item)."""
    if option == "paths":
        return provider.plan_path
    if option == "tags":
        return provider.plan_tag
    if option == "hosts":
        return provider.plan_host
    return provider.plan_cp_code


def _validate(provider: Provider, items: dict[str, list[Any]]) -> list[PlannedItem]:
    """Every item planned by the provider's rules; all errors at once (bounded), or the planned items."""
    planned: list[PlannedItem] = []
    errors: list[str] = []
    total = 0
    for option, values in items.items():
        if not values:
            continue
        word, kind = ITEM_OPTIONS[option]
        if kind is not None and kind not in provider.kinds:
            raise provider.missing_kind(kind, option)
        total += len(values)
        check = {"cp_codes": _check_cp_code, "paths": _check_path}.get(option, _check_common)
        plan_one = _planner_of(provider, option)
        for value in values:
            reason = check(value)
            if reason:
                errors.append("%s %s %s" % (word, shown(value), reason))
                continue
            try:
                planned.append(plan_one(value))
            except CdnError as exc:
                errors.append(exc.message)
    if errors:
        noun = "paths" if set(items) <= {"paths"} or not any(items.get(option) for option in ("tags", "hosts", "cp_codes")) else "items"
        more = len(errors) - MAX_REPORTED_ERRORS
        listed = errors[:MAX_REPORTED_ERRORS] + (["and %d more invalid %s" % (more, noun)] if more > 0 else [])
        raise CdnError(
            "%d of %d %s are invalid for %s; nothing was sent: %s" % (len(errors), total, noun, provider.name, "; ".join(listed)),
            provider=provider.name,
            # Bounded: a million invalid paths must not make a result of hundreds of megabytes.
            details={"invalid_paths": errors[:MAX_LISTED_ERRORS], "invalid_count": len(errors)},
        )
    return planned


def _drop_covered(planned: list[PlannedItem], skipped: list[dict[str, Any]]) -> list[PlannedItem]:
    """Drop every path that a prefix in the same call covers (O(n log n))."""
    prefixes = sorted({item.prefix for item in planned if item.prefix is not None})
    if not prefixes:
        return planned
    # In sorted order every string that starts with p directly follows p, so a prefix is covered
    # exactly when it starts with the last prefix kept, and that kept prefix is the one that covers it.
    kept: list[str] = []
    covered: dict[str, str] = {}  # covered prefix -> the kept prefix that covers it
    for prefix in prefixes:
        if kept and prefix.startswith(kept[-1]):
            covered[prefix] = kept[-1]
        else:
            kept.append(prefix)
    # How each prefix is named in results: by its first item (built backwards, so the first one wins).
    sent_as = {item.prefix: item.key for item in reversed(planned) if item.prefix is not None}
    result = []
    for item in planned:
        if item.prefix is not None:
            cover = covered.get(item.prefix)
            if cover is None or item.kind not in ("url", "prefix"):
                result.append(item)
            else:
                skipped.append({"path": item.key, "reason": SKIP_COVERED, "covered_by": sent_as[cover]})
            continue
        if item.kind not in ("url", "prefix"):
            result.append(item)
            continue
        # Kept prefixes never cover each other, so only the greatest one <= key can cover it.
        index = bisect.bisect_right(kept, item.key) - 1
        if index >= 0 and item.key.startswith(kept[index]):
            skipped.append({"path": item.key, "reason": SKIP_COVERED, "covered_by": sent_as[kept[index]]})
        else:
            result.append(item)
    return result


def _suggest_prefix(paths: list[str]) -> str:
    folders = collections.Counter(path.rsplit("/", 1)[0] + "/" for path in paths if "/" in path)
    if not folders:
        return ""
    folder, count = folders.most_common(1)[0]
    return "; for example %d of them are under %s, which one prefix purge (%s*) would cover" % (count, folder, folder)


def plan_purge(
    provider: Provider,
    items: dict[str, list[Any]],
    batch_size: int | None,
    max_requests: int,
    accepted: dict[str, Any] | None = None,
    purge_all: bool = False,
) -> Plan:
    """Build the Plan, or raise CdnError before anything is sent.

    items maps the options paths, tags, hosts and cp_codes to their values; accepted maps item keys already
    accepted under the idempotency key to their request id.
    """
    accepted = accepted or {}
    if purge_all:
        return _plan_purge_all(provider, items, accepted)
    if batch_size is not None:
        provider.check_batch_size(batch_size)
    planned = _validate(provider, items)
    skipped: list[dict[str, Any]] = []
    unique, seen = [], set()
    for item in planned:
        if item.key in seen:
            skipped.append({"path": item.key, "reason": SKIP_DUPLICATE})
        else:
            seen.add(item.key)
            unique.append(item)
    remaining = _drop_covered(unique, skipped)
    if accepted:
        fresh = []
        for item in remaining:
            if item.key in accepted:
                skipped.append({"path": item.key, "reason": SKIP_ACCEPTED, "request_id": accepted[item.key]})
            else:
                fresh.append(item)
        remaining = fresh
    batches = provider.make_batches(remaining, batch_size)
    if len(batches) > max_requests:
        raise CdnError(
            "this purge needs %d purge requests to %s, more than max_requests=%d; nothing was sent. Purge a prefix "
            "instead of single files, or raise max_requests%s"
            % (len(batches), provider.name, max_requests, _suggest_prefix([item.key for item in remaining if item.kind in ("url", "prefix")])),
            provider=provider.name,
            details={"purge_requests_needed": len(batches)},
        )
    return Plan([item.key for item in remaining], skipped, batches)


def _plan_purge_all(provider: Provider, items: dict[str, list[Any]], accepted: dict[str, Any]) -> Plan:
    # Checked on values, not on presence: templates often pass purge_all: false beside paths, and paths: [] beside it.
    given = [option for option, values in items.items() if values]
    if given:
        raise CdnError(
            "%s and purge_all=true are mutually exclusive: purge_all purges everything, give nothing else to purge with it" % " and ".join(given),
            provider=provider.name,
        )
    if ALL not in provider.kinds:
        raise provider.missing_kind(ALL, KIND_OPTION[ALL])
    if PURGE_ALL in accepted:
        return Plan([], [{"path": PURGE_ALL, "reason": SKIP_ACCEPTED, "request_id": accepted[PURGE_ALL]}], [])
    return Plan([], [], [Batch(ALL, [])])
