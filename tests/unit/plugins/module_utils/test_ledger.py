import json
import multiprocessing
import os
import stat

import pytest

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import PURGE_ALL, Ledger

SCOPE = Ledger.scope("imagekit", "https://ik.imagekit.io/demo", "release-1")


def record(ledger, paths, request_id):
    ledger.record(SCOPE, "imagekit", "https://ik.imagekit.io/demo", "release-1", [{"request_id": request_id, "paths": paths}])


def test_round_trip_and_private_file(tmp_path):
    ledger = Ledger(str(tmp_path / "sub" / "ledger.json"))
    assert ledger.accepted(SCOPE) == {}
    record(ledger, ["/a", "/b"], "id-1")
    record(ledger, ["/c"], None)
    assert ledger.accepted(SCOPE) == {"/a": "id-1", "/b": "id-1", "/c": None}
    assert ledger.accepted(Ledger.scope("imagekit", "https://ik.imagekit.io/demo", "release-2")) == {}
    assert stat.S_IMODE(os.stat(ledger.path).st_mode) == 0o600
    assert [name for name in os.listdir(tmp_path / "sub") if name.endswith(".tmp")] == []


def test_purge_all_is_recorded_under_its_marker(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"))
    ledger.record(SCOPE, "5centscdn", "http/42", "k", [{"request_id": None, "paths": []}])
    assert ledger.accepted(SCOPE) == {PURGE_ALL: None}


@pytest.mark.parametrize("content", ["{not json", "[]", '{"entries": []}'])
def test_unreadable_ledger_is_a_clear_error(tmp_path, content):
    path = tmp_path / "ledger.json"
    path.write_text(content)
    with pytest.raises(CdnError, match="idempotency_file %s" % path):
        Ledger(str(path)).accepted(SCOPE)


def _writer(path, worker):
    ledger = Ledger(path)
    for number in range(40):
        record(ledger, ["/w%d/%d" % (worker, number)], "id-%d-%d" % (worker, number))


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "ledger.json")
    workers = [multiprocessing.Process(target=_writer, args=(path, worker)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    with open(path, encoding="utf-8") as handle:
        paths = json.load(handle)["entries"][SCOPE]["paths"]
    assert len(paths) == 160
