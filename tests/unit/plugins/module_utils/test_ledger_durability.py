"""The ledger is a journal: each accepted request is on disk when record() returns, whatever kills the run after."""

import datetime
import json
import multiprocessing
import os
import signal
import threading
import time

import pytest

from ansible_collections.cdnops.cdn.plugins.module_utils import _ledger
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import Ledger, account_fingerprint

SCOPE = Ledger.scope("imagekit", "https://ik.imagekit.io/demo", "release-1", account_fingerprint(("k",)), "https://api.imagekit.io")
FORK = multiprocessing.get_context("fork")
OTHER = Ledger.scope("imagekit", "https://ik.imagekit.io/demo", "release-2", account_fingerprint(("k",)), "https://api.imagekit.io")


def request(request_id, *paths):
    return {"request_id": request_id, "paths": list(paths), "maybe_accepted_twice": False}


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _record_forever(path, done, started):
    """A run of many purge requests of 200 keys each; done counts the records that returned."""
    with Ledger(path).reserve(SCOPE) as run:
        started.set()
        number = 0
        while True:
            run.record(request("id-%d" % number, *("/r%d/%d" % (number, key) for key in range(200))))
            number += 1
            done.value = number


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_run_killed_mid_way_keeps_every_request_recorded_before(tmp_path, signal_number):
    """Finding: the ledger was written at the end only, so a run killed after 100 accepted requests left nothing."""
    path = str(tmp_path / "ledger.json")
    for attempt in range(3):
        done, started = FORK.Value("i", 0), FORK.Event()
        child = FORK.Process(target=_record_forever, args=(path, done, started))
        child.start()
        assert started.wait(30)
        deadline = time.monotonic() + 30
        while done.value < 100 + attempt * 7 and time.monotonic() < deadline:
            time.sleep(0.001)
        os.kill(child.pid, signal_number)
        child.join(30)
        assert child.exitcode is not None
        returned = done.value
        ledger = Ledger(path)
        ledger.check_usable()  # a torn last line is no error
        accepted = ledger.accepted(SCOPE)
        numbers = {int(key.split("/")[1][1:]) for key in accepted}
        # Every request whose record() returned is there: at most the one in flight is missing.
        assert set(range(returned)) <= numbers <= set(range(returned + 2))
    with ledger.reserve(SCOPE) as run:  # the next run appends after cutting the torn line off
        run.record(request("id-last", "/last"))
    assert all(isinstance(item, dict) for item in lines(tmp_path / "ledger.json"))
    assert ledger.accepted(SCOPE)["/last"] == "id-last"


def test_a_torn_last_line_is_ignored_and_cut_by_the_next_writer(tmp_path):
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path))
    with ledger.reserve(SCOPE) as run:
        run.record(request("id-1", "/a"))
    whole = path.read_bytes()
    torn = whole.splitlines(keepends=True)[-1][:-9]
    with open(path, "ab") as handle:
        handle.write(torn.replace(b"/a", b"/t"))
    ledger.check_usable()
    assert ledger.accepted(SCOPE) == {"/a": "id-1"}
    with ledger.reserve(SCOPE) as run:
        run.record(request("id-2", "/b"))
    assert path.read_bytes().startswith(whole)
    assert [item.get("paths") for item in lines(path)][-1] == ["/b"]
    assert ledger.accepted(SCOPE) == {"/a": "id-1", "/b": "id-2"}


def test_a_malformed_line_that_is_not_the_last_is_an_error(tmp_path):
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path))
    with ledger.reserve(SCOPE) as run:
        run.record(request("id-1", "/a"))
    content = path.read_text().splitlines(keepends=True)
    content.insert(2, '{"scope": "x", "paths": "not a list"}\n')
    path.write_text("".join(content))
    with pytest.raises(CdnError, match=r"idempotency_file %s has a malformed line 3" % path):
        ledger.check_usable()


def test_records_are_appended_never_rewriting_the_file(tmp_path):
    """Finding: the ledger was one document rewritten whole; 5 releases of 100,000 paths must not be, per request."""
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path))
    with ledger.reserve(Ledger.scope("imagekit", "e", "release-0", "a", "u")) as run:
        for number in range(200):
            run.record(request("id-%d" % number, *("/release-0/%d/%d" % (number, key) for key in range(100))))
    before = path.read_bytes()
    inode = os.stat(path).st_ino
    with ledger.reserve(SCOPE) as run:
        for number in range(50):
            size = os.stat(path).st_size
            run.record(request("id-%d" % number, "/new/%d" % number))
            assert os.stat(path).st_ino == inode, "appended to the same file"
            assert 0 < os.stat(path).st_size - size < 400, "one short line per request: on disk at once, nothing rewritten"
    assert path.read_bytes().startswith(before)


def test_64_threads_record_into_one_run(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"))
    errors = []
    with ledger.reserve(SCOPE) as run:

        def worker(thread):
            try:
                for number in range(30):
                    run.record(request("id-%d-%d" % (thread, number), "/t%d/%d" % (thread, number)))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(thread,)) for thread in range(64)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(ledger.accepted(SCOPE)) == 64 * 30
    assert len([item for item in lines(tmp_path / "ledger.json") if "paths" in item]) == 64 * 30


def test_compaction_when_the_journal_has_doubled_keeps_what_counts(tmp_path, monkeypatch):
    monkeypatch.setattr(_ledger, "COMPACT_MIN_BYTES", 4000)
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path))
    with ledger.reserve(SCOPE) as run:
        run.record(request("id-0", "/a"))
    inode = os.stat(path).st_ino
    with ledger.reserve(SCOPE) as run:
        for number in range(60):
            run.record(request("id-%d" % number, "/a", "/p%d" % number))  # "/a" recorded again each time
            assert os.stat(path).st_ino == inode, "never compacted per request"
        size_before = os.stat(path).st_size
    assert os.stat(path).st_ino != inode, "compacted when the run ended"
    assert os.stat(path).st_size < size_before
    assert ledger.accepted(SCOPE) == dict({"/a": "id-59"}, **{"/p%d" % number: "id-%d" % number for number in range(60)})
    header = lines(path)[0]
    assert header["size"] == os.stat(path).st_size - len(path.read_text().splitlines(keepends=True)[0])
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    ledger.check_usable()


def test_records_older_than_prune_days_are_dropped(tmp_path):
    path = tmp_path / "ledger.json"
    now = datetime.datetime.now(datetime.timezone.utc)

    def at(days):
        return (now - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    ledger = Ledger(str(path))
    with ledger.reserve(SCOPE) as run:
        run.record(request("id-0", "/x"))
    scope_id = lines(path)[1]["scope"]
    header = {"cdn_purge_ledger": 2, "compacted": at(_ledger.PRUNE_DAYS + 5), "size": 10**6, "oldest": at(_ledger.PRUNE_DAYS + 5)}
    old = {"scope": scope_id, "request_id": "id-old", "paths": ["/old"], "time": at(_ledger.PRUNE_DAYS + 5)}
    young = {"scope": scope_id, "request_id": "id-young", "paths": ["/young"], "time": at(_ledger.PRUNE_DAYS - 5)}
    path.write_text("".join(json.dumps(item) + "\n" for item in [header, lines(path)[1], old, young]))
    assert ledger.accepted(SCOPE) == {"/old": "id-old", "/young": "id-young"}
    with ledger.reserve(SCOPE) as run:
        run.record(request("id-new", "/new"))
    assert ledger.accepted(SCOPE) == {"/young": "id-young", "/new": "id-new"}
    assert lines(path)[0]["oldest"] == young["time"]


def test_compaction_merges_a_scopes_requests_of_a_day_into_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(_ledger, "COMPACT_MIN_BYTES", 10)
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path))
    with ledger.reserve(SCOPE) as run:
        for number in range(100):
            run.record(request("id-%d" % number, "/p%d" % number))
        run.record(dict(request("id-twice", "/twice"), maybe_accepted_twice=True))
    records = [item for item in lines(path)[1:] if "declare" not in item]
    assert len(records) == 1
    assert records[0]["requests"][0] == ["id-0", ["/p0"]] and records[0]["requests"][-1] == ["id-twice", ["/twice"], True]
    assert ledger.accepted(SCOPE) == dict({"/twice": "id-twice"}, **{"/p%d" % number: "id-%d" % number for number in range(100)})
    with ledger.reserve(SCOPE) as run:  # appended records after compacted ones: the later record of a key wins
        run.record(request("id-again", "/p1"))
    assert ledger.accepted(SCOPE)["/p1"] == "id-again"
    ledger.check_usable()


def _append_other_scope(path, count, done):
    with Ledger(path).reserve(OTHER) as run:
        for number in range(count):
            run.record(request("other-%d" % number, "/other/%d" % number))
            done.value = number + 1


def test_compaction_keeps_what_other_runs_append_meanwhile(tmp_path, monkeypatch):
    """Compaction reads and rewrites without the append lock, then under it adds what was appended since."""
    path = str(tmp_path / "ledger.json")
    Ledger(path).check_usable()
    done = FORK.Value("i", 0)
    child = FORK.Process(target=_append_other_scope, args=(path, 3000, done))
    child.start()
    monkeypatch.setattr(Ledger, "_worth_compacting", lambda self, target: True)  # this process compacts at every run's end
    ledger, runs, compactions = Ledger(path), 0, 0
    while child.is_alive() or compactions < 3:
        inode = os.stat(path).st_ino if os.path.exists(path) else None
        with ledger.reserve(SCOPE) as run:
            run.record(request("id-%d" % runs, "/mine/%d" % runs))
        runs, compactions = runs + 1, compactions + (os.stat(path).st_ino != inode)
    child.join(60)
    assert child.exitcode == 0 and done.value == 3000 and compactions >= 3
    assert ledger.accepted(OTHER) == {"/other/%d" % number: "other-%d" % number for number in range(3000)}
    assert ledger.accepted(SCOPE) == {"/mine/%d" % number: "id-%d" % number for number in range(runs)}
    ledger.check_usable()
