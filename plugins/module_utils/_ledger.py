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

Format 2, JSON lines (TIME "YYYY-MM-DDTHH:MM:SSZ", UTC; ID the first 16 hex digits of SHA-256(scope)):
    {"cdn_purge_ledger":2,"compacted":TIME,"size":BYTES,"oldest":TIME}     first line
    {"scope":ID,"declare":[provider,target,key,account,api_base_url]}       what an ID stands for
    {"scope":ID,"request_id":ID|null,"paths":[item key,...],"time":TIME}    an accepted purge request, appended
    {"scope":ID,"requests":[[ID|null,[item key,...]],...],"time":TIME}      a scope's requests of a day, compacted
"maybe_accepted_twice":true (or true as a pair's third item) marks a request sent again after a lost answer; a
purge_all has the item key PURGE_ALL. A record is appended by one write(), then fdatasync, as soon as the provider
accepts the request, so a run killed at any moment loses at most the requests in flight. Bytes after the last newline
are a torn record of a killed writer: readers ignore them, the next writer cuts them off. Other bad lines are errors.

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

Format 1 ({"version": 1, "entries": {...}}) is still read. Its entries predate account and API in the scope: one with
a target counts for every scope of its provider, target and key; one with an empty target could be any account's and
counts for none (a rerun purges again rather than skip what another account purged). The first record migrates the
file: each entry becomes records of the scope [provider, target, key] dated by "updated", pruned like any record.
"""

from __future__ import annotations

import contextlib
import datetime
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

DEFAULT_LEDGER = "~/.ansible/cdn_purge/ledger.json"
VERSION = 2
# The key a purge_all is recorded under, so a rerun with the same key sends nothing.
PURGE_ALL = "<purge_all>"
PRUNE_DAYS = 90
COMPACT_MIN_BYTES = 1 << 20
DEFAULT_LOCK_TIMEOUT = 60.0
FINGERPRINT_KEY = b"cdnops.cdn idempotency ledger account fingerprint v1"
_MAGIC = "cdn_purge_ledger"
_HEADER = b'{"%s":' % _MAGIC.encode()  # how format 2 starts
_SYNC = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
_Request = tuple[Any, list[str], bool]  # (request_id, item keys, maybe_accepted_twice)


def account_fingerprint(secrets: tuple[str, ...]) -> str:
    """16 hex digits of HMAC-SHA256(FINGERPRINT_KEY, JSON list of the credentials): names an account, never reveals it."""
    return hmac.new(FINGERPRINT_KEY, json.dumps(list(secrets)).encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _scope_id(scope: str) -> str:
    return hashlib.sha256(scope.encode("utf-8")).hexdigest()[:16]


def _time(days_ago: float = 0, moment: datetime.datetime | None = None) -> str:
    moment = (moment or datetime.datetime.now(datetime.timezone.utc)) - datetime.timedelta(days=days_ago)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(item: dict[str, Any]) -> bytes:
    return (json.dumps(item, separators=(",", ":")) + "\n").encode("utf-8")


def _identity(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _sync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_journal(data: bytes) -> bool:
    """Whether data starts with the first line of format 2 (or with the torn start of one)."""
    try:
        header = json.loads(data.split(b"\n", 1)[0])
    except ValueError:
        return data.startswith(_HEADER[: len(data)])
    return isinstance(header, dict) and _MAGIC in header


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


class _Journal:
    """What a read found: (scope ID, time, requests) of the records (all, or the wanted scopes'), the declared scopes."""

    def __init__(self) -> None:
        self.header: dict[str, Any] = {}
        self.records: list[tuple[str, str, list[_Request]]] = []
        self.declared: dict[str, list[str]] = {}


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

    def _parse(self, data: bytes | None, wanted: tuple[bytes, ...] | None = None) -> _Journal:
        """Format 2 (every line, or those naming a wanted scope ID) or format 1; CdnError when neither."""
        journal = _Journal()
        if not data or not data.strip():
            return journal
        if not _is_journal(data):
            return self._parse_v1(data, journal)
        for number, line in enumerate(data[: data.rfind(b"\n") + 1].split(b"\n")[:-1], 1):  # after the last newline: torn
            if number > 1 and (not any(scope_id in line for scope_id in wanted) if wanted is not None else not line.strip()):
                continue
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            scoped = number > 1 and isinstance(item, dict) and isinstance(item.get("scope"), str)
            if number == 1 and isinstance(item, dict) and isinstance(item.get(_MAGIC), int):
                journal.header = item
                if item[_MAGIC] > VERSION:
                    raise self._error("was written by a newer cdnops.cdn (format %s)" % item[_MAGIC], "upgrade the collection or use another file")
            elif scoped and "declare" not in item and (requests := _requests(item)) is not None:
                journal.records.append((item["scope"], item["time"], requests))
            elif scoped and isinstance(item.get("declare"), list) and len(item["declare"]) in (3, 5) and all(isinstance(part, str) for part in item["declare"]):
                journal.declared[item["scope"]] = item["declare"]
            else:
                raise self._error("has a malformed line %d (not a record of a cdn_purge ledger)" % number)
        return journal

    def _parse_v1(self, data: bytes, journal: _Journal) -> _Journal:
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise self._error("cannot be read as a ledger (%s)" % exc) from None
        entries = document.get("entries") if isinstance(document, dict) and document.get("version", 1) == 1 else None
        if not isinstance(entries, dict):
            raise self._error("is not a cdn_purge ledger", "move it away")
        for entry in entries.values():
            entry = entry if isinstance(entry, dict) else {}
            fields: list[Any] = [entry.get(name) for name in ("provider", "target", "idempotency_key")]
            paths, updated = entry.get("paths"), entry.get("updated", "")
            if not (all(isinstance(field, str) for field in fields + [updated]) and isinstance(paths, dict)) or not all(
                isinstance(value, (str, type(None))) for value in paths.values()
            ):
                raise self._error("is a version 1 ledger with a malformed entry")
            if fields[1]:  # with an empty target it could be any account's: it counts for no scope
                try:
                    when = _time(0, datetime.datetime.fromisoformat(updated))
                except ValueError:
                    when = _time()
                journal.declared[_scope_id(json.dumps(fields))] = fields
                by_request: dict[str | None, list[str]] = {}
                for path, request_id in paths.items():
                    by_request.setdefault(request_id, []).append(path)
                journal.records.append((_scope_id(json.dumps(fields)), when, [(request_id, keys, False) for request_id, keys in by_request.items()]))
        return journal

    def _read_scope(self, target: str, scope: str) -> tuple[dict[str, Any], tuple[int, int] | None, bool]:
        """({item key: request_id} accepted under scope, the file read, whether it declares scope)."""
        parts = json.loads(scope)
        ids = (_scope_id(scope),) + ((_scope_id(json.dumps(parts[:3])),) if parts[1] else ())  # format 1 entries count
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
        offset, deadline, changed = 1 + int(_scope_id(scope), 16) % (1 << 60), time.monotonic() + self.lock_timeout, _CHANGED
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
    def _compacted(self, data: bytes) -> bytes:
        journal, cutoff, seen = self._parse(data), _time(PRUNE_DAYS), set[tuple[str, str]]()
        days: dict[tuple[str, str], tuple[str, list[list[Any]]]] = {}  # (scope ID, day) -> (latest time, requests)
        for scope_id, when, requests in reversed(journal.records):
            for request_id, keys, twice in reversed(requests) if when >= cutoff else ():
                fresh = [key for key in keys if (scope_id, key) not in seen]
                seen.update((scope_id, key) for key in fresh)
                if fresh:
                    days.setdefault((scope_id, when[:10]), (when, []))[1].append([request_id, fresh] + [True] * twice)
        scopes = {scope_id for scope_id, _day in days}
        lines = [_line({"scope": scope_id, "declare": parts}) for scope_id, parts in journal.declared.items() if scope_id in scopes]
        for (scope_id, _day), (when, pairs) in sorted(days.items(), key=lambda day: day[1][0]):
            lines.append(_line({"scope": scope_id, "requests": pairs[::-1], "time": when}))
        oldest = min((when for when, _requests in days.values()), default=_time())
        return _line({_MAGIC: VERSION, "compacted": _time(), "size": sum(map(len, lines)), "oldest": oldest}) + b"".join(lines)

    def _compact(self, target: str, lock: _LockFile | None = None) -> None:
        """Rewrite target compacted: under the append lock the caller holds, or (given lock) taking it only to finish."""
        data, identity = self._load(target)
        data = data[: data.rfind(b"\n") + 1] if data and _is_journal(data) else data
        if not data:
            return
        handle, temporary = tempfile.mkstemp(prefix=".ledger-", suffix=".tmp", dir=os.path.dirname(target))
        replaced = False
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(self._compacted(data))
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
        return size > max(COMPACT_MIN_BYTES, 2 * int(header.get("size") or 0)) or isinstance(oldest, str) and oldest < _time(PRUNE_DAYS + 1)


class Reservation:
    """One run's hold on a scope: what was accepted before it (accepted), and record() for what it gets accepted."""

    def __init__(self, ledger: Ledger, target: str, lock: _LockFile, scope: str) -> None:
        self.ledger, self.target, self.lock, self.scope_id = ledger, target, lock, _scope_id(scope)
        self.declaration = _line({"scope": self.scope_id, "declare": json.loads(scope)})
        self.accepted, identity, declared = ledger._read_scope(target, scope)
        self.declared_in = identity if declared else None  # the file known to declare the scope
        self.fds: list[int] = []  # closed at the end only, so that a thread may still sync one
        self.recorded, self.closed = 0, False

    def record(self, purge_request: dict[str, Any]) -> None:
        """Append one accepted request ({"request_id", "paths": [item keys], "maybe_accepted_twice"}); thread-safe."""
        keys, request_id = [str(key) for key in purge_request.get("paths") or [PURGE_ALL]], purge_request.get("request_id")
        item: dict[str, Any] = {"scope": self.scope_id, "request_id": None if request_id is None else str(request_id), "paths": keys, "time": _time()}
        if purge_request.get("maybe_accepted_twice"):
            item["maybe_accepted_twice"] = True
        try:
            with self.ledger._append_lock(self.lock):
                fd = self._append(_line(item))
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
            data = _line({_MAGIC: VERSION, "compacted": _time(), "size": 0, "oldest": _time()}) + data
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
            if not _is_journal(head):
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
