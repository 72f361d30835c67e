"""The idempotency ledger: what it records, under which scope, and how it reads what older versions wrote."""

import datetime
import hashlib
import hmac
import json
import multiprocessing
import os
import stat

import pytest

from ansible_collections.cdnops.cdn.plugins.module_utils import _ledger
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import PURGE_ALL, Ledger, account_fingerprint

EP = "https://ik.imagekit.io/demo"
API = "https://api.imagekit.io"
ACCOUNT = account_fingerprint(("private_key_1",))
SCOPE = Ledger.scope("imagekit", EP, "release-1", ACCOUNT, API)
FORK = multiprocessing.get_context("fork")


def request(request_id, *paths, twice=False):
    return {"request_id": request_id, "paths": list(paths), "maybe_accepted_twice": twice}


def record(ledger, scope, *purge_requests):
    with ledger.reserve(scope) as run:
        for purge_request in purge_requests:
            run.record(purge_request)


def test_round_trip_and_private_file(tmp_path):
    ledger = Ledger(str(tmp_path / "sub" / "ledger.json"))
    assert ledger.accepted(SCOPE) == {}
    record(ledger, SCOPE, request("id-1", "/a", "/b"))
    record(ledger, SCOPE, request(None, "/c"))
    assert ledger.accepted(SCOPE) == {"/a": "id-1", "/b": "id-1", "/c": None}
    assert ledger.accepted(Ledger.scope("imagekit", EP, "release-2", ACCOUNT, API)) == {}
    assert stat.S_IMODE(os.stat(ledger.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "sub").st_mode) == 0o700
    assert [name for name in os.listdir(tmp_path / "sub") if name.endswith(".tmp")] == []


def test_a_run_sees_what_earlier_runs_accepted(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"))
    record(ledger, SCOPE, request("id-1", "/a"))
    with ledger.reserve(SCOPE) as run:
        assert run.accepted == {"/a": "id-1"}
        run.record(request("id-2", "/a", "/b"))  # a later record of a key wins
    assert ledger.accepted(SCOPE) == {"/a": "id-2", "/b": "id-2"}


def test_records_carry_scope_request_keys_time_and_the_flag(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"))
    record(ledger, SCOPE, request("id-1", "/a", twice=True), request("id-2", "/b"))
    lines = [json.loads(line) for line in (tmp_path / "ledger.json").read_text().splitlines()]
    assert lines[0]["cdn_purge_ledger"] == 2
    declared = [line for line in lines if "declare" in line]
    assert [line["declare"] for line in declared] == [["imagekit", EP, "release-1", ACCOUNT, API]]
    records = [line for line in lines if "paths" in line]
    assert [(item["scope"], item["request_id"], item["paths"], item.get("maybe_accepted_twice", False)) for item in records] == [
        (declared[0]["scope"], "id-1", ["/a"], True),
        (declared[0]["scope"], "id-2", ["/b"], False),
    ]
    assert all(item["time"].endswith("Z") for item in records)


def test_purge_all_is_recorded_under_its_marker(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"))
    scope = Ledger.scope("5centscdn", "http/42", "k", ACCOUNT, "https://api.5centscdn.com")
    record(ledger, scope, request(None))
    assert ledger.accepted(scope) == {PURGE_ALL: None}


def test_check_mode_reads_without_creating_anything(tmp_path):
    ledger = Ledger(str(tmp_path / "sub" / "ledger.json"))
    assert ledger.accepted(SCOPE) == {}
    assert not (tmp_path / "sub").exists()


@pytest.mark.parametrize("content", ["{not json", "[]", '{"entries": []}'])
def test_unreadable_ledger_is_a_clear_error(tmp_path, content):
    path = tmp_path / "ledger.json"
    path.write_text(content)
    with pytest.raises(CdnError, match="idempotency_file %s" % path):
        Ledger(str(path)).accepted(SCOPE)
    with pytest.raises(CdnError, match="idempotency_file %s" % path):
        Ledger(str(path)).check_usable()


def _writer(path, worker):
    ledger = Ledger(path)
    for number in range(40):
        record(ledger, SCOPE, request("id-%d-%d" % (worker, number), "/w%d/%d" % (worker, number)))


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "ledger.json")
    workers = [FORK.Process(target=_writer, args=(path, worker)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    assert len(Ledger(path).accepted(SCOPE)) == 160
    Ledger(path).check_usable()


# --- scope: the account and the API are part of it --------------------------------------------------------------------
def test_account_fingerprint_is_a_keyed_hash_that_hides_the_secret():
    secret = "private_key_0123456789abcdef"
    fingerprint = account_fingerprint((secret,))
    assert fingerprint == hmac.new(_ledger.FINGERPRINT_KEY, json.dumps([secret]).encode(), hashlib.sha256).hexdigest()[:16]
    assert len(fingerprint) == 16 and int(fingerprint, 16) >= 0
    assert fingerprint == account_fingerprint((secret,))
    assert fingerprint != account_fingerprint((secret + "x",))
    assert fingerprint != hashlib.sha256(secret.encode()).hexdigest()[:16], "keyed: not a plain digest of the secret"
    assert account_fingerprint(("a", "bc")) != account_fingerprint(("ab", "c"))


def test_two_accounts_with_an_empty_target_do_not_share_entries(tmp_path):
    """Finding: the scope was (provider, target, key) only, so two accounts of a provider with no target shared it."""
    ledger = Ledger(str(tmp_path / "ledger.json"))
    first = Ledger.scope("imagemash", "", "release-1", account_fingerprint(("key-of-account-a",)), "https://api.imagemash.example")
    second = Ledger.scope("imagemash", "", "release-1", account_fingerprint(("key-of-account-b",)), "https://api.imagemash.example")
    record(ledger, first, request("id-1", "/a"))
    assert ledger.accepted(first) == {"/a": "id-1"}
    assert ledger.accepted(second) == {}
    text = (tmp_path / "ledger.json").read_text()
    assert "key-of-account-a" not in text, "the ledger never holds a credential"


def test_another_api_base_url_is_another_scope(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"))
    record(ledger, SCOPE, request("id-1", "/a"))
    assert ledger.accepted(Ledger.scope("imagekit", EP, "release-1", ACCOUNT, "http://127.0.0.1:8080")) == {}


# --- format 1 ---------------------------------------------------------------------------------------------------------
def v1_entry(provider, target, key, paths, updated="2026-01-01T00:00:00+00:00"):
    return {json.dumps([provider, target, key]): {"provider": provider, "target": target, "idempotency_key": key, "paths": paths, "updated": updated}}


def write_v1(path, *entries, indent=1):
    merged = {}
    for entry in entries:
        merged.update(entry)
    path.write_text(json.dumps({"version": 1, "entries": merged}, indent=indent))


def recent(days=1):
    return (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize("indent", [1, None])
def test_a_version_1_ledger_still_counts_for_any_account_when_it_names_a_target(tmp_path, indent):
    path = tmp_path / "ledger.json"
    write_v1(path, v1_entry("imagekit", EP, "release-1", {"/a": "id-1", "/b": None}, recent()), indent=indent)
    ledger = Ledger(str(path))
    ledger.check_usable()
    for account in (ACCOUNT, account_fingerprint(("another key",))):
        assert ledger.accepted(Ledger.scope("imagekit", EP, "release-1", account, API)) == {"/a": "id-1", "/b": None}
    assert ledger.accepted(Ledger.scope("imagekit", EP, "release-2", ACCOUNT, API)) == {}


def test_a_version_1_entry_with_an_empty_target_counts_for_no_account(tmp_path):
    path = tmp_path / "ledger.json"
    write_v1(path, v1_entry("imagemash", "", "release-1", {"/a": "id-1"}, recent()))
    assert Ledger(str(path)).accepted(Ledger.scope("imagemash", "", "release-1", ACCOUNT, API)) == {}


def test_a_version_1_ledger_is_migrated_by_the_first_record_and_keeps_its_entries(tmp_path):
    path = tmp_path / "ledger.json"
    write_v1(
        path,
        v1_entry("imagekit", EP, "release-1", {"/a": "id-1"}, recent()),
        v1_entry("5centscdn", "http/42", "wipe", {PURGE_ALL: None}, recent()),
        v1_entry("imagekit", EP, "release-0", {"/old": "id-0"}, recent(_ledger.PRUNE_DAYS + 10)),
    )
    ledger = Ledger(str(path))
    record(ledger, SCOPE, request("id-2", "/b"))
    assert path.read_text().startswith('{"cdn_purge_ledger":2')
    ledger.check_usable()
    assert ledger.accepted(SCOPE) == {"/a": "id-1", "/b": "id-2"}
    assert ledger.accepted(Ledger.scope("5centscdn", "http/42", "wipe", ACCOUNT, "https://x.example")) == {PURGE_ALL: None}
    assert ledger.accepted(Ledger.scope("imagekit", EP, "release-0", ACCOUNT, API)) == {}, "pruned like any record"
    scopes = {(entry["provider"], entry["idempotency_key"], entry["account"]) for entry in ledger.entries()}
    assert scopes == {("imagekit", "release-1", None), ("imagekit", "release-1", ACCOUNT), ("5centscdn", "wipe", None)}


@pytest.mark.parametrize(
    "document",
    [
        {"version": 1, "entries": {"x": "not an entry"}},
        {"version": 1, "entries": {"x": {"provider": "imagekit", "target": EP, "idempotency_key": "k", "paths": ["/a"]}}},
        {"version": 1, "entries": {"x": {"provider": "imagekit", "target": EP, "idempotency_key": "k", "paths": {"/a": 3}}}},
        {"version": 1, "entries": {"x": {"provider": "imagekit", "target": None, "idempotency_key": "k", "paths": {}}}},
        {"version": 7, "entries": {}},
    ],
)
def test_a_version_1_ledger_of_the_wrong_shape_is_a_clear_error(tmp_path, document):
    """Finding: valid JSON of the wrong shape crashed (AttributeError), sometimes after sending."""
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(document))
    ledger = Ledger(str(path))
    with pytest.raises(CdnError, match="idempotency_file %s" % path):
        ledger.check_usable()
    with pytest.raises(CdnError, match="idempotency_file %s" % path):
        ledger.accepted(Ledger.scope("imagekit", EP, "k", ACCOUNT, API))


def test_keys_and_request_ids_are_recorded_as_text(tmp_path):
    """Whatever an adapter returns, the ledger stays readable: a number is recorded as its text."""
    ledger = Ledger(str(tmp_path / "ledger.json"))
    record(ledger, SCOPE, {"request_id": 42, "paths": [7]})
    ledger.check_usable()
    assert ledger.accepted(SCOPE) == {"7": "42"}
