# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner: from the user's paths to the purge requests to send, before anything is sent.

Validation by the provider's rules, exact duplicates dropped, paths covered by a prefix purge
in the same call dropped, paths already accepted under the idempotency key dropped, then
batches. Everything is O(n log n): coverage uses one sort and binary search, never pairs.
"""

import bisect
import collections
import re

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError

MAX_PATH_LENGTH = 2048
MAX_REPORTED_ERRORS = 10
# C0 and C1 control characters and every Unicode white space (str.isspace), plus the BOM.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")

SKIP_DUPLICATE = "duplicate"
SKIP_COVERED = "covered_by_prefix"
SKIP_ACCEPTED = "already_accepted"


class Plan:
    """What a purge will send: the paths, what was dropped and why, and the batches."""

    def __init__(self, paths, skipped, batches):
        self.paths = paths
        self.skipped = skipped
        self.batches = batches


def _check_common(path):
    """Rules for every provider; returns a reason or None."""
    if not isinstance(path, str):
        return "must be a string"
    if not path:
        return "must not be empty"
    if len(path) > MAX_PATH_LENGTH:
        return "is %d characters long; the limit is %d" % (len(path), MAX_PATH_LENGTH)
    match = _FORBIDDEN.search(path)
    if match:
        return "contains %r at position %d: control characters and white space are not allowed (URL-encode spaces as %%20)" % (match.group(), match.start())
    return None


def _validate(provider, paths):
    planned, errors = [], []
    for path in paths:
        reason = _check_common(path)
        if reason:
            errors.append("path %r %s" % (path, reason))
            continue
        try:
            planned.append(provider.plan_path(path))
        except CdnError as exc:
            errors.append(exc.message)
    if errors:
        more = len(errors) - MAX_REPORTED_ERRORS
        shown = errors[:MAX_REPORTED_ERRORS] + (["and %d more invalid paths" % more] if more > 0 else [])
        raise CdnError(
            "%d of %d paths are invalid for %s; nothing was sent: %s" % (len(errors), len(paths), provider.name, "; ".join(shown)),
            provider=provider.name,
            details={"invalid_paths": errors},
        )
    return planned


def _drop_covered(planned, skipped):
    """Drop every path that a prefix in the same call covers (O(n log n))."""
    prefixes = sorted({item.prefix for item in planned if item.prefix is not None})
    if not prefixes:
        return planned
    # In sorted order every string that starts with p directly follows p, so a prefix is covered
    # exactly when it starts with the last prefix kept.
    kept = []
    for prefix in prefixes:
        if not (kept and prefix.startswith(kept[-1])):
            kept.append(prefix)
    kept_set = set(kept)
    sent_as = {}
    for item in planned:
        if item.prefix is not None:
            sent_as.setdefault(item.prefix, item.path)
    result = []
    for item in planned:
        if item.prefix is not None and item.prefix in kept_set:
            result.append(item)
            continue
        key = item.path if item.prefix is None else item.prefix
        # Kept prefixes never cover each other, so only the greatest one <= key can cover it.
        index = bisect.bisect_right(kept, key) - 1
        if index >= 0 and key.startswith(kept[index]):
            skipped.append({"path": item.path, "reason": SKIP_COVERED, "covered_by": sent_as[kept[index]]})
        else:
            result.append(item)
    return result


def _suggest_prefix(paths):
    folders = collections.Counter(path.rsplit("/", 1)[0] + "/" for path in paths if "/" in path)
    if not folders:
        return ""
    folder, count = folders.most_common(1)[0]
    return "; for example %d of them are under %s, which one prefix purge (%s*) would cover" % (count, folder, folder)


def plan_purge(provider, paths, batch_size, max_requests, accepted=None):
    """Build the Plan, or raise CdnError before anything is sent.

    accepted maps paths already accepted under the idempotency key to their request id.
    """
    provider.check_batch_size(batch_size)
    planned = _validate(provider, paths)
    skipped = []
    unique, seen = [], set()
    for item in planned:
        if item.path in seen:
            skipped.append({"path": item.path, "reason": SKIP_DUPLICATE})
        else:
            seen.add(item.path)
            unique.append(item)
    remaining = _drop_covered(unique, skipped)
    if accepted:
        fresh = []
        for item in remaining:
            if item.path in accepted:
                skipped.append({"path": item.path, "reason": SKIP_ACCEPTED, "request_id": accepted[item.path]})
            else:
                fresh.append(item)
        remaining = fresh
    batches = provider.make_batches(remaining, batch_size)
    if len(batches) > max_requests:
        raise CdnError(
            "this purge needs %d purge requests to %s, more than max_requests=%d; nothing was sent. Purge a prefix "
            "instead of single files, or raise max_requests%s"
            % (len(batches), provider.name, max_requests, _suggest_prefix([item.path for item in remaining])),
            provider=provider.name,
            details={"purge_requests_needed": len(batches)},
        )
    return Plan([item.path for item in remaining], skipped, batches)
