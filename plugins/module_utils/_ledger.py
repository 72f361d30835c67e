# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The idempotency ledger: which paths a provider accepted under (provider, target, key).

Internal use only: this file is not part of the collection's public API and may change without notice.

Writes take an exclusive lock on a side file and replace the ledger atomically, so two runs
on one ledger never corrupt it and never lose each other's entries; reads need no lock.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import tempfile
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError

DEFAULT_LEDGER = "~/.ansible/cdn_purge/ledger.json"
VERSION = 1
# The key a purge_all is recorded under, so a rerun with the same key sends nothing.
PURGE_ALL = "<purge_all>"


class Ledger:
    def __init__(self, path: str | None) -> None:
        self.path = os.path.abspath(os.path.expanduser(path or DEFAULT_LEDGER))
        self.lock_path = self.path + ".lock"

    @staticmethod
    def scope(provider: str, target: str, key: str) -> str:
        return json.dumps([provider, target, key])

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return {"version": VERSION, "entries": {}}
        except (OSError, ValueError) as exc:
            raise CdnError("idempotency_file %s cannot be read as a ledger (%s); nothing was sent. Repair or move it away" % (self.path, exc)) from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            raise CdnError("idempotency_file %s is not a cdn_purge ledger; nothing was sent. Move it away" % self.path)
        return data

    def accepted(self, scope: str) -> dict[str, Any]:
        """{path: request_id} already accepted under scope."""
        entry = self._read()["entries"].get(scope) or {}
        return dict(entry.get("paths") or {})

    def record(self, scope: str, provider: str, target: str, key: str, purge_requests: list[dict[str, Any]] | None) -> None:
        """Add every path of the given accepted purge requests to the ledger."""
        if not purge_requests:
            return
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            with open(self.lock_path, "a", encoding="utf-8") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    data = self._read()
                    entry = data["entries"].setdefault(scope, {"provider": provider, "target": target, "idempotency_key": key, "paths": {}})
                    for purge_request in purge_requests:
                        for path in purge_request["paths"] or [PURGE_ALL]:
                            entry["paths"][path] = purge_request["request_id"]
                    entry["updated"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
                    self._write(directory, data)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        except OSError as exc:
            raise CdnError("could not write idempotency_file %s: %s" % (self.path, exc)) from None

    def _write(self, directory: str, data: dict[str, Any]) -> None:
        handle, temporary = tempfile.mkstemp(prefix=".ledger-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
