# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the items to purge come from (options and paths_file), and how many of them a result lists.

Internal use only: this file is not part of the collection's public API and may change without notice.

A release can change 100,000 files. Handing them to Ansible as a variable and back as a result costs seconds
and hundreds of megabytes in ansible-core itself, so paths_file reads them on the host that runs the module,
and return_items=false returns counts instead of lists.
"""

from __future__ import annotations

import collections
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError

# The list-valued keys of results and failures that return_items=false turns into counts.
ITEM_LISTS = ("paths", "paths_purged", "paths_remaining", "paths_uncertain")


def read_paths_file(path: str) -> list[str]:
    """One path per line; blank lines and lines starting with # are ignored; line endings are not part of a path."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise CdnError("paths_file %s cannot be read (%s); nothing was sent" % (path, exc.strerror or exc)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        number = data.count(b"\n", 0, exc.start) + 1
        raise CdnError("paths_file %s is not UTF-8 text (line %d); nothing was sent" % (path, number)) from None
    paths = []
    for line in text.split("\n"):
        line = line[:-1] if line.endswith("\r") else line
        # Only blank lines are skipped whole; other white space stays in the path, where the planner refuses it.
        if line.strip() and not line.startswith("#"):
            paths.append(line)
    return paths


def items_from(settings: dict[str, Any]) -> tuple[dict[str, list[Any]], bool]:
    """The items to purge per option, paths_file joined to paths; and whether results list them (return_items)."""
    paths = list(settings.get("paths") or [])
    from_file = settings.get("paths_file") is not None
    if from_file:
        paths.extend(read_paths_file(settings["paths_file"]))
    items = {"paths": paths, "tags": settings.get("tags") or [], "hosts": settings.get("hosts") or [], "cp_codes": settings.get("cp_codes") or []}
    return_items = settings.get("return_items")
    return items, (not from_file) if return_items is None else bool(return_items)


def counted(result: dict[str, Any]) -> dict[str, Any]:
    """The result with counts in place of item lists: paths_count, skipped_count by reason, paths_count per request."""
    compact = dict(result)
    for key in ITEM_LISTS:
        if key in compact:
            compact[key + "_count"] = len(compact.pop(key))
    if "skipped_paths" in compact:
        compact["skipped_count"] = dict(collections.Counter(item["reason"] for item in compact.pop("skipped_paths")))
    if "purge_requests" in compact:
        compact["purge_requests"] = [
            dict({key: value for key, value in request.items() if key != "paths"}, paths_count=len(request["paths"])) for request in compact["purge_requests"]
        ]
    return compact
