"""Before anything is sent the ledger is known usable; runs of one scope never send one item twice; waits are bounded."""

import fcntl
import multiprocessing
import os
import subprocess
import threading
import time

import pytest

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import Ledger, account_fingerprint

SCOPE = Ledger.scope("imagekit", "https://ik.imagekit.io/demo", "release-1", account_fingerprint(("k",)), "https://api.imagekit.io")
OTHER = Ledger.scope("imagekit", "https://ik.imagekit.io/demo", "release-2", account_fingerprint(("k",)), "https://api.imagekit.io")
FORK = multiprocessing.get_context("fork")
URLS = ["https://ik.imagekit.io/demo/%d.css" % number for number in range(25)]


def request(request_id, *paths):
    return {"request_id": request_id, "paths": list(paths), "maybe_accepted_twice": False}


def snapshot(directory):
    """Every name under directory with its size and modification time, and the directory's own."""
    found = {str(directory): os.stat(directory).st_mtime_ns}
    for root, names, files in os.walk(directory):
        for name in names + files:
            info = os.lstat(os.path.join(root, name))
            found[os.path.join(root, name)] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return found


# --- check_usable: before anything is sent ----------------------------------------------------------------------------
def test_check_usable_creates_a_missing_directory_private_and_nothing_else(tmp_path):
    ledger = Ledger(str(tmp_path / "a" / "b" / "ledger.json"))
    ledger.check_usable()
    assert oct(os.stat(tmp_path / "a" / "b").st_mode & 0o777) == "0o700"
    assert os.listdir(tmp_path / "a" / "b") == []


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{not json", "cannot be read as a ledger"),
        ("[]", "not a cdn_purge ledger"),
        ('{"entries": {"x": 1}}', "malformed entry"),
        (
            '{"cdn_purge_ledger":2}\n{"scope":"0011","request_id":"r","paths":["/a"],"time":"t"}\nnot json\n{"scope":"0011","declare":["a","b","c"]}\n',
            "malformed line 3",
        ),
        ('{"cdn_purge_ledger":2}\n{"scope":"0011","request_id":"r","paths":[],"time":"t"}\n', "malformed line 2"),
        ('{"cdn_purge_ledger":9}\n', "newer cdnops.cdn"),
    ],
)
def test_check_usable_rejects_what_is_not_a_ledger_and_changes_nothing(tmp_path, content, problem):
    path = tmp_path / "ledger.json"
    path.write_text(content)
    before = snapshot(tmp_path)
    with pytest.raises(CdnError, match="idempotency_file %s .*%s" % (path, problem)):
        Ledger(str(path)).check_usable()
    assert snapshot(tmp_path) == before


def test_check_usable_changes_nothing_on_a_good_ledger(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"))
    with ledger.reserve(SCOPE) as run:
        run.record(request("id-1", "/a"))
    os.unlink(tmp_path / "ledger.json.lock")
    before = snapshot(tmp_path)
    ledger.check_usable()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("layout", ["ledger is a directory", "directory is a file", "ledger is a fifo", "lock is a directory"])
def test_check_usable_rejects_a_ledger_that_cannot_be_used_before_anything_is_sent(tmp_path, layout):
    """Finding: a ledger that could not be written was noticed only after the purges were sent."""
    path = tmp_path / "ledger.json"
    if layout == "ledger is a directory":
        path.mkdir()
    elif layout == "directory is a file":
        (tmp_path / "file").write_text("")
        path = tmp_path / "file" / "ledger.json"
    elif layout == "ledger is a fifo":
        os.mkfifo(path)  # the old code blocked for ever opening it
    else:
        (tmp_path / "ledger.json.lock").mkdir()
    with pytest.raises(CdnError, match="idempotency_file %s" % path):
        Ledger(str(path)).check_usable()


def make_read_only(path):
    """chmod for a user; for root, whom permissions do not stop, the immutable attribute (skip where it cannot be set)."""
    if os.geteuid() != 0:
        os.chmod(path, 0o500 if path.is_dir() else 0o400)
    elif subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode != 0:
        pytest.skip("root writes whatever the permissions, and chattr +i is not available here")


def make_writable(path):
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    os.chmod(path, 0o700 if path.is_dir() else 0o600)


@pytest.mark.parametrize("read_only", ["file", "directory"])
def test_check_usable_rejects_a_read_only_ledger_before_anything_is_sent(tmp_path, read_only):
    """Finding: purges were sent, then "could not write"."""
    (tmp_path / "dir").mkdir()
    path = tmp_path / "dir" / "ledger.json"
    ledger = Ledger(str(path))
    with ledger.reserve(SCOPE) as run:
        run.record(request("id-1", "/a"))
    frozen = path if read_only == "file" else path.parent
    make_read_only(frozen)
    try:
        with pytest.raises(CdnError, match="idempotency_file %s (cannot be written|is in a directory where files cannot be created)" % path):
            ledger.check_usable()
        assert ledger.accepted(SCOPE) == {"/a": "id-1"}, "still readable"
    finally:
        make_writable(frozen)


# --- symbolic links ---------------------------------------------------------------------------------------------------
def test_a_symlinked_ledger_updates_its_target_and_stays_a_link(tmp_path, monkeypatch):
    """Finding: a symlinked ledger was replaced by a regular file."""
    from ansible_collections.cdnops.cdn.plugins.module_utils import _ledger

    monkeypatch.setattr(_ledger, "COMPACT_MIN_BYTES", 10)  # every run that records also compacts
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "ledger.json"
    link = tmp_path / "ledger.json"
    link.symlink_to(target)
    ledger = Ledger(str(link))
    ledger.check_usable()
    for number in range(3):
        with ledger.reserve(SCOPE) as run:
            run.record(request("id-%d" % number, "/%d" % number))
        assert link.is_symlink() and os.readlink(link) == str(target)
    assert Ledger(str(target)).accepted(SCOPE) == {"/0": "id-0", "/1": "id-1", "/2": "id-2"}
    assert (tmp_path / "real" / "ledger.json.lock").exists() and not (tmp_path / "ledger.json.lock").exists()


@pytest.mark.parametrize("planted_target", ["missing", "existing"])
def test_a_planted_symlink_at_the_lock_path_is_an_error_and_never_followed(tmp_path, planted_target):
    """Finding: the lock file followed symbolic links and created their target."""
    victim = tmp_path / "victim"
    if planted_target == "existing":
        victim.write_text("precious")
    path = tmp_path / "ledger.json"
    (tmp_path / "ledger.json.lock").symlink_to(victim)
    ledger = Ledger(str(path))
    with pytest.raises(CdnError, match="idempotency_file %s .*lock file %s.lock .*link" % (path, path)):
        ledger.check_usable()
    with pytest.raises(CdnError, match="lock file %s.lock .*link" % path), ledger.reserve(SCOPE):
        pass
    assert victim.exists() == (planted_target == "existing")
    assert planted_target == "missing" or victim.read_text() == "precious"
    assert not path.exists()


# --- reservations: one run per scope at a time ------------------------------------------------------------------------
def _run(path, urls, sent_log, start):
    """One cdn_purge run: reserve, skip what was accepted, 'send' the rest (logged), record each."""
    ledger = Ledger(path, lock_timeout=60)
    ledger.check_usable()
    start.wait(30)
    with ledger.reserve(SCOPE) as run:
        for number, url in enumerate(url for url in urls if url not in run.accepted):
            with open(sent_log, "a", encoding="utf-8") as log:
                log.write(url + "\n")
            time.sleep(0.002)
            run.record(request("id-%d-%d" % (os.getpid(), number), url))


def test_concurrent_runs_of_one_key_send_each_item_once(tmp_path):
    """Finding: 8 runs of one key at once sent everything: 200 purges for 25 URLs."""
    path, sent_log, start = str(tmp_path / "ledger.json"), tmp_path / "sent.log", FORK.Event()
    runs = [FORK.Process(target=_run, args=(path, URLS, sent_log, start)) for _run_number in range(8)]
    for process in runs:
        process.start()
    start.set()
    for process in runs:
        process.join(120)
    assert [process.exitcode for process in runs] == [0] * 8
    assert sorted(sent_log.read_text().splitlines()) == sorted(URLS)
    assert sorted(Ledger(path).accepted(SCOPE)) == sorted(URLS)


def _hold(path, scope, held, release, urls=()):
    with Ledger(path).reserve(scope) as run:
        for number, url in enumerate(urls):
            run.record(request("first-%d" % number, url))
        held.set()
        release.wait(60)


def test_a_second_run_of_a_scope_waits_then_sees_what_the_first_accepted(tmp_path):
    path, held, release = str(tmp_path / "ledger.json"), FORK.Event(), FORK.Event()
    first = FORK.Process(target=_hold, args=(path, SCOPE, held, release, URLS[:3]))
    first.start()
    assert held.wait(30)
    seen, entered = [], threading.Event()

    def second():
        with Ledger(path, lock_timeout=30).reserve(SCOPE) as run:
            entered.set()
            seen.append(dict(run.accepted))

    thread = threading.Thread(target=second)
    thread.start()
    assert not entered.wait(0.5), "the second run must wait for the first"
    release.set()
    thread.join(30)
    first.join(30)
    assert seen == [{URLS[0]: "first-0", URLS[1]: "first-1", URLS[2]: "first-2"}]


def test_waiting_for_a_scope_is_bounded_by_lock_timeout(tmp_path):
    path, held, release = str(tmp_path / "ledger.json"), FORK.Event(), FORK.Event()
    first = FORK.Process(target=_hold, args=(path, SCOPE, held, release))
    first.start()
    try:
        assert held.wait(30)
        started = time.monotonic()
        with (
            pytest.raises(CdnError, match="idempotency_file %s is held by another run.*lock_timeout=0.5s" % path),
            Ledger(path, lock_timeout=0.5).reserve(SCOPE),
        ):
            pass
        assert time.monotonic() - started < 10
    finally:
        release.set()
        first.join(30)


def test_runs_of_other_scopes_do_not_wait(tmp_path):
    path, held, release = str(tmp_path / "ledger.json"), FORK.Event(), FORK.Event()
    first = FORK.Process(target=_hold, args=(path, SCOPE, held, release, URLS[:1]))
    first.start()
    try:
        assert held.wait(30)
        ledger = Ledger(path, lock_timeout=2)
        ledger.check_usable()
        with ledger.reserve(OTHER) as run:
            for number, url in enumerate(URLS):
                run.record(request("other-%d" % number, url))
        assert len(ledger.accepted(OTHER)) == 25
    finally:
        release.set()
        first.join(30)


def test_a_killed_runs_reservation_is_released_by_the_kernel(tmp_path):
    path, held, release = str(tmp_path / "ledger.json"), FORK.Event(), FORK.Event()
    first = FORK.Process(target=_hold, args=(path, SCOPE, held, release, URLS[:2]))
    first.start()
    assert held.wait(30)
    first.kill()
    first.join(30)
    with Ledger(path, lock_timeout=5).reserve(SCOPE) as run:
        assert sorted(run.accepted) == sorted(URLS[:2])


def test_threads_of_one_process_also_wait_for_a_scope(tmp_path):
    path = str(tmp_path / "ledger.json")
    with Ledger(path).reserve(SCOPE):
        with pytest.raises(CdnError, match="held by another run"), Ledger(path, lock_timeout=0.2).reserve(SCOPE):
            pass
        with Ledger(path, lock_timeout=0.2).reserve(OTHER) as run:
            run.record(request("id-1", "/a"))


def _try_reserve(path, result):
    try:
        with Ledger(path, lock_timeout=0.3).reserve(SCOPE):
            result.value = 1
    except CdnError:
        result.value = 2


def test_closing_another_handle_of_the_lock_file_keeps_the_reservation(tmp_path):
    """POSIX locks belong to the process and closing any descriptor of the file drops them: one descriptor is shared."""
    path = str(tmp_path / "ledger.json")
    with Ledger(path).reserve(SCOPE):
        Ledger(path).check_usable()  # opens and closes the lock file in this process
        with Ledger(path).reserve(OTHER) as run:
            run.record(request("id-1", "/a"))
        result = FORK.Value("i", 0)
        child = FORK.Process(target=_try_reserve, args=(path, result))
        child.start()
        child.join(30)
        assert result.value == 2, "another process must still find the scope held"


def _hold_append_lock(lock_path, held, release):
    with open(lock_path, "r+b") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX, 1, 0)
        held.set()
        release.wait(60)


def test_a_stuck_append_lock_is_a_clear_error_within_lock_timeout(tmp_path):
    """Finding: flock had no timeout, so a stuck run hung every other run for ever."""
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path), lock_timeout=0.5)
    ledger.check_usable()
    with ledger.reserve(SCOPE) as run:
        held, release = FORK.Event(), FORK.Event()
        other = FORK.Process(target=_hold_append_lock, args=(str(path) + ".lock", held, release))
        other.start()
        try:
            assert held.wait(30)
            with pytest.raises(CdnError, match="could not record purge request id-1 .*which the provider accepted.*held by another run"):
                run.record(request("id-1", "/a"))
            with pytest.raises(CdnError, match="held by another run"):
                ledger.check_usable()
        finally:
            release.set()
            other.join(30)
        run.record(request("id-2", "/b"))
    assert ledger.accepted(SCOPE) == {"/b": "id-2"}
