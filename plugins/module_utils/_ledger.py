# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The idempotency ledger: a journal of the purge requests a provider accepted, per scope.

Internal use only: this file is not part of the collection's public API and may change without notice.

Scope: Ledger.scope(provider, target, key, account, api_base_url); account is account_fingerprint(the credentials),
16 hex digits of HMAC-SHA256 keyed with the public FINGERPRINT_KEY: it tells accounts apart, never reveals a secret.
The runner (check mode only calls ledger.accepted(scope), which locks nothing and creates nothing):
    ledger = Ledger(path, lock_timeout=60.0)    # path None: DEFAULT_LEDGER
    ledger.check_usable()                        # before anything is sent: CdnError if the ledger cannot be used
    with ledger.reserve(scope) as run:           # waits (at most lock_timeout) while another run holds this scope
        run.accepted                             # {item key: request_id or None}, read once the scope is held
        run.record(purge_request)                # as each request is accepted, from any thread; CdnError if it cannot

The file format (JSON lines; format 1 still read) is in _ledger_format.py.

Locks: POSIX record locks on <ledger>.lock beside the ledger (links resolved, so links to one ledger share it), opened
with O_NOFOLLOW, dropped by the kernel when a process dies (never stale). Byte 0: one append. Byte 1 + (ID mod 2**60):
a scope's reservation, from reading run.accepted to the last record, so two runs of a scope never send one item and
runs of other scopes share only the append lock. POSIX locks belong to a process: within one they are threading locks
too, on one descriptor per lock file (closing any other would drop them all). Every wait ends at lock_timeout.

Compaction, as a run that recorded ends, when the file is over COMPACT_MIN_BYTES and twice its size after the last
one, or holds records older than PRUNE_DAYS + 1 (pruning rewrites at most daily): records older than PRUNE_DAYS (to
the day) dropped, keys recorded again later dropped from earlier records, a scope's requests of a day merged. Built
without the lock into a temp file beside the link-resolved target; under the append lock what was appended meanwhile
is added, fsync, os.replace (a link stays a link).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any, cast

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger_format import (
    MAGIC,
    PRUNE_DAYS,
    VERSION,
    Journal,
    compacted,
    id_of_scope,
    is_journal,
    line,
    parse,
    timestamp,
)

DEFAULT_LEDGER = "~/.ansible/cdn_purge/ledger.json"
# The key a purge_all is recorded under, so a rerun with the same key sends nothing.
PURGE_ALL = "<purge_all>"
COMPACT_MIN_BYTES = 1 << 20
DEFAULT_LOCK_TIMEOUT = 60.0
FINGERPRINT_KEY = b"cdnops.cdn idempotency ledger account fingerprint v1"
_SYNC = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def account_fingerprint(secrets: tuple[str, ...]) -> str:
    """16 hex digits of HMAC-SHA256(FINGERPRINT_KEY, JSON list of the credentials): names an account, never reveals it."""
    return hmac.new(FINGERPRINT_KEY, json.dumps(list(secrets)).encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _identity(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _sync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _LockFile:
    """The descriptor of a lock file in this process, and the threading side of its locks."""

    def __init__(self, fd: int, key: tuple[int, int]) -> None:
        self.fds, self.key, self.users = [fd], key, 0
        self.append = threading.Lock()
        self.reserved: set[int] = set()


_LOCK_FILES: dict[tuple[int, int], _LockFile] = {}
_CHANGED = threading.Condition()  # guards _LOCK_FILES and every _LockFile.reserved


def _forget_after_fork() -> None:
    global _CHANGED  # pylint: disable=global-statement
    _LOCK_FILES.clear()  # a child holds none of its parent's POSIX locks
    _CHANGED = threading.Condition()


os.register_at_fork(after_in_child=_forget_after_fork)


def _close_lock(lock: _LockFile) -> None:
    with _CHANGED:
        lock.users -= 1
        if lock.users == 0:
            _LOCK_FILES.pop(lock.key, None)
            for fd in lock.fds:
                os.close(fd)


def _unreserve(changed: threading.Condition, lock: _LockFile, offset: int) -> None:
    with changed:
        lock.reserved.discard(offset)
        changed.notify_all()


class Ledger:
    def __init__(self, path: str | None, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.path = os.path.abspath(os.path.expanduser(path or DEFAULT_LEDGER))
        self.lock_timeout = lock_timeout

    @staticmethod
    def scope(provider: str, target: str, key: str, account: str, api_base_url: str) -> str:
        return json.dumps([provider, target, key, account, api_base_url])

    def _error(self, problem: str, advice: str = "repair it or move it away") -> CdnError:
        target = os.path.realpath(self.path)
        name = self.path if target == self.path else "%s (a link to %s)" % (self.path, target)
        return CdnError("idempotency_file %s %s; %s" % (name, problem, advice))

    def _busy(self, what: str) -> CdnError:
        problem = "is held by another run: %s was not free within lock_timeout=%gs" % (what, self.lock_timeout)
        return self._error(problem, "wait for that run to finish, or use another idempotency_file")

    # --- reading -----------------------------------------------------------------------------------------------------
    def _load(self, target: str) -> tuple[bytes | None, tuple[int, int] | None]:
        """The ledger's bytes and the (device, inode) they came from; (None, None) when there is no ledger."""
        try:
            if not stat.S_ISREG(os.stat(target).st_mode):
                raise self._error("is not a regular file", "move it away")
            with open(target, "rb") as handle:
                return handle.read(), _identity(handle.fileno())
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            raise self._error("cannot be read (%s)" % exc.strerror, "fix its permissions or move it away") from None

    def _parse(self, data: bytes | None, wanted: tuple[bytes, ...] | None = None) -> Journal:
        return parse(data, self._error, wanted)

    def _read_scope(self, target: str, scope: str) -> tuple[dict[str, Any], tuple[int, int] | None, bool]:
        """({item key: request_id} accepted under scope, the file read, whether it declares scope)."""
        parts = json.loads(scope)
        ids = (id_of_scope(scope),) + ((id_of_scope(json.dumps(parts[:3])),) if parts[1] else ())  # format 1 entries count
        data, identity = self._load(target)
        journal = self._parse(data, tuple(scope_id.encode() for scope_id in ids))
        accepted: dict[str, Any] = {}
        for scope_id, _when, requests in journal.records:
            for request_id, keys, _twice in requests if scope_id in ids else ():
                accepted.update(dict.fromkeys(keys, request_id))
        return accepted, identity, ids[0] in journal.declared

    def accepted(self, scope: str) -> dict[str, Any]:
        """{item key: request_id} accepted under scope; read only (check mode): locks nothing, creates nothing."""
        return self._read_scope(os.path.realpath(self.path), scope)[0]

    def entries(self) -> list[dict[str, Any]]:
        """Every scope with records: its declared parts (format 1: no account, api_base_url) and {item key: request_id}."""
        journal = self._parse(self._load(os.path.realpath(self.path))[0])
        found: dict[str, dict[str, Any]] = {}
        for scope_id, _when, requests in journal.records:
            parts = (list(journal.declared.get(scope_id, [])) + [None] * 5)[:5]
            entry = found.setdefault(scope_id, dict(zip(("provider", "target", "idempotency_key", "account", "api_base_url"), parts, strict=True)))
            for request_id, keys, _twice in requests:
                entry.setdefault("paths", {}).update(dict.fromkeys(keys, request_id))
        return list(found.values())

    # --- checking and locking ----------------------------------------------------------------------------------------
    def _make_directory(self) -> str:
        """Create the ledger's directory (0700) when missing; return the ledger's target (symbolic links resolved)."""
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise self._error("cannot have its directory created (%s)" % exc.strerror, "fix the path or its permissions") from None
        target = os.path.realpath(self.path)
        if not os.path.isdir(os.path.dirname(target)):
            raise self._error("is in a directory that does not exist", "create it or fix the path")
        return target

    def check_usable(self) -> None:
        """CdnError unless the ledger can be read, parsed, locked and written; changes nothing but creating its directory."""
        target = self._make_directory()
        if not os.access(os.path.dirname(target), os.R_OK | os.W_OK | os.X_OK):
            raise self._error("is in a directory where files cannot be created", "fix its permissions or use another idempotency_file")
        data = self._load(target)[0]
        if data is not None:
            try:
                os.close(os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC))
            except OSError as exc:
                raise self._error("cannot be written (%s)" % exc.strerror, "fix its permissions or move it away") from None
            self._parse(data)
        lock = self._open_lock(target, create=False)
        if lock is not None:
            try:
                with self._append_lock(lock):
                    pass
            finally:
                _close_lock(lock)

    def _open_lock(self, target: str, create: bool) -> _LockFile | None:
        lock_path = target + ".lock"
        with _CHANGED:
            try:
                info = os.lstat(lock_path)
                if not stat.S_ISREG(info.st_mode):
                    raise self._error("has a lock file %s that is a link or not a file" % lock_path, "remove it (it is never followed)")
                if (info.st_dev, info.st_ino) in _LOCK_FILES:
                    _LOCK_FILES[info.st_dev, info.st_ino].users += 1
                    return _LOCK_FILES[info.st_dev, info.st_ino]
            except FileNotFoundError:
                if not create:
                    return None
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_CREAT if create else 0), 0o600)
            except OSError as exc:
                problem = "is a link" if exc.errno == errno.ELOOP else "cannot be opened (%s)" % exc.strerror
                raise self._error("has a lock file %s that %s" % (lock_path, problem), "fix or remove it") from None
            lock = _LOCK_FILES.setdefault(_identity(fd), _LockFile(fd, _identity(fd)))
            if lock.fds[0] != fd:
                lock.fds.append(fd)  # closing it now would drop this process's locks on the file
            lock.users += 1
            return lock

    def _lock_range(self, lock: _LockFile, start: int, deadline: float, what: str) -> None:
        delay = 0.001
        while True:
            try:
                return fcntl.lockf(lock.fds[0], fcntl.LOCK_EX | fcntl.LOCK_NB, 1, start)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise self._error("cannot be locked (%s)" % exc.strerror, "put it on a file system with POSIX locks") from None
            if time.monotonic() >= deadline:
                raise self._busy(what)
            time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, 0.05)

    @contextlib.contextmanager
    def _append_lock(self, lock: _LockFile) -> Iterator[None]:
        deadline = time.monotonic() + self.lock_timeout
        if not lock.append.acquire(timeout=max(0.0, self.lock_timeout)):
            raise self._busy("its append lock")
        try:
            self._lock_range(lock, 0, deadline, "its append lock")
            try:
                yield
            finally:
                fcntl.lockf(lock.fds[0], fcntl.LOCK_UN, 1, 0)
        finally:
            lock.append.release()

    @contextlib.contextmanager
    def reserve(self, scope: str) -> Iterator[Reservation]:
        """Hold scope for one run (waiting at most lock_timeout while another run holds it); yield its Reservation."""
        offset, deadline, changed = 1 + int(id_of_scope(scope), 16) % (1 << 60), time.monotonic() + self.lock_timeout, _CHANGED
        with contextlib.ExitStack() as undo:  # undone last to first
            lock = cast(_LockFile, self._open_lock(self._make_directory(), create=True))  # create: never None
            undo.callback(_close_lock, lock)
            with changed:
                if not changed.wait_for(lambda: offset not in lock.reserved, max(0.0, deadline - time.monotonic())):
                    raise self._busy("the reservation of this scope")
                lock.reserved.add(offset)
            undo.callback(_unreserve, changed, lock, offset)
            self._lock_range(lock, offset, deadline, "the reservation of this scope")
            undo.callback(fcntl.lockf, lock.fds[0], fcntl.LOCK_UN, 1, offset)
            run = Reservation(self, os.path.realpath(self.path), lock, scope)
            undo.callback(run.close)
            yield run

    # --- compaction --------------------------------------------------------------------------------------------------
    def _compact(self, target: str, lock: _LockFile | None = None) -> None:
        """Rewrite target compacted: under the append lock the caller holds, or (given lock) taking it only to finish."""
        data, identity = self._load(target)
        data = data[: data.rfind(b"\n") + 1] if data and is_journal(data) else data
        if not data:
            return
        handle, temporary = tempfile.mkstemp(prefix=".ledger-", suffix=".tmp", dir=os.path.dirname(target))
        replaced = False
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(compacted(data, self._error))
                out.flush()
                os.fsync(out.fileno())
                with self._append_lock(lock) if lock is not None else contextlib.nullcontext():
                    if lock is not None:  # add what was appended since the read
                        with open(target, "rb") as current:
                            if _identity(current.fileno()) != identity:
                                return  # another run compacted it meanwhile
                            current.seek(len(data))
                            tail = current.read()
                        out.write(tail[: tail.rfind(b"\n") + 1])
                        out.flush()
                        os.fsync(out.fileno())
                    os.replace(temporary, target)
                    replaced = True
            _sync_directory(os.path.dirname(target))
        finally:
            if not replaced:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

    def _worth_compacting(self, target: str) -> bool:
        with open(target, "rb") as handle:
            size, header = os.fstat(handle.fileno()).st_size, self._parse(handle.readline()).header
        oldest = header.get("oldest")
        return size > max(COMPACT_MIN_BYTES, 2 * int(header.get("size") or 0)) or isinstance(oldest, str) and oldest < timestamp(PRUNE_DAYS + 1)


class Reservation:
    """One run's hold on a scope: what was accepted before it (accepted), and record() for what it gets accepted."""

    def __init__(self, ledger: Ledger, target: str, lock: _LockFile, scope: str) -> None:
        self.ledger, self.target, self.lock, self.scope_id = ledger, target, lock, id_of_scope(scope)
        self.declaration = line({"scope": self.scope_id, "declare": json.loads(scope)})
        self.accepted, identity, declared = ledger._read_scope(target, scope)
        self.declared_in = identity if declared else None  # the file known to declare the scope
        self.fds: list[int] = []  # closed at the end only, so that a thread may still sync one
        self.recorded, self.closed = 0, False

    def record(self, purge_request: dict[str, Any]) -> None:
        """Append one accepted request ({"request_id", "paths": [item keys], "maybe_accepted_twice"}); thread-safe."""
        keys, request_id = [str(key) for key in purge_request.get("paths") or [PURGE_ALL]], purge_request.get("request_id")
        item: dict[str, Any] = {"scope": self.scope_id, "request_id": None if request_id is None else str(request_id), "paths": keys, "time": timestamp()}
        if purge_request.get("maybe_accepted_twice"):
            item["maybe_accepted_twice"] = True
        try:
            with self.ledger._append_lock(self.lock):
                fd = self._append(line(item))
            _SYNC(fd)
        except (CdnError, OSError) as exc:
            reason = str(exc) if isinstance(exc, CdnError) else str(self.ledger._error("cannot be written (%s)" % (exc.strerror or exc), "fix it"))
            raise CdnError(
                "could not record purge request %s (%d item%s), which the provider accepted: %s. A rerun with this "
                "idempotency_key sends %s again" % (item["request_id"], len(keys), "s"[: len(keys) - 1], reason, "them" if len(keys) > 1 else "it")
            ) from None

    def _append(self, data: bytes) -> int:
        if self.closed:
            raise self.ledger._error("is no longer reserved for this run", "record inside reserve()")
        fd = self._open()
        size, identity = os.fstat(fd).st_size, _identity(fd)
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a killed writer's torn record: cut it off
            size = os.pread(fd, size, 0).rfind(b"\n") + 1
            os.ftruncate(fd, size)
        if self.declared_in != identity:
            data = self.declaration + data
        if size == 0:
            data = line({MAGIC: VERSION, "compacted": timestamp(), "size": 0, "oldest": timestamp()}) + data
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            os.ftruncate(fd, size)
            raise
        self.declared_in, self.recorded = identity, self.recorded + 1
        return fd

    def _open(self) -> int:
        """A descriptor of the ledger as it is now (another run may have compacted it); format 1 is migrated first."""
        try:
            now: os.stat_result | None = os.stat(self.target)
        except FileNotFoundError:
            now = None
        if self.fds and now is not None and (now.st_dev, now.st_ino) == _identity(self.fds[-1]):
            return self.fds[-1]
        if now is not None and now.st_size:
            with open(self.target, "rb") as handle:
                head = handle.readline(1 << 16)
            if not is_journal(head):
                self.ledger._compact(self.target)
        self.fds.append(os.open(self.target, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
        if now is None:
            _sync_directory(os.path.dirname(self.target))
        return self.fds[-1]

    def close(self) -> None:
        """End the run: compact when worth it (on failure the journal stays as it is: the next run does), close files."""
        try:
            if self.recorded and self.ledger._worth_compacting(self.target):
                self.ledger._compact(self.target, self.lock)
        except (CdnError, OSError):
            pass
        finally:
            self.closed = True
            for fd in self.fds:
                os.close(fd)
