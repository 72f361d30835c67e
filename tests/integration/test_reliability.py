"""Faults survived and nothing lost: cdn_purge through real ansible-playbook runs against a faulty emulator.

Every registered provider runs through every test, from its case file (tests/support/cases) and what its adapter
declares (one URL per request sent concurrently, or batches). Every assertion is read from the emulator's request
log, which sees what really reached the "provider":
- with 30 % of requests failing at random, every path is accepted, and a path is accepted more than once
  only where a failure left the client unable to know whether the first try was accepted (the emulator's
  `drop_after`: processed, then the connection closed; `slow`: processed, answered after the timeout);
- Retry-After (as seconds and as an HTTP date) and, without it, the providers' own rate-limit headers (a time to
  live, a reset time) are honoured, retries stop at `retries` and the failure names the last error;
- a quota running out part-way loses nothing: the rerun with the same idempotency_key sends exactly the
  remaining paths, and every path is accepted exactly once across both runs;
- parallel runs on one ledger file leave it valid, with every accepted path recorded.
"""

import collections
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cases import CASES

from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS as ADAPTERS

PROVIDERS = tuple(CASES)
# One URL per purge request, sent `concurrency` at a time; the others send batches, one request at a time.
CONCURRENT = tuple(provider for provider in PROVIDERS if ADAPTERS[provider].concurrent)
BATCHED = tuple(provider for provider in PROVIDERS if not ADAPTERS[provider].concurrent)
ALL_FAULTS = ["429", "429_rl", "500", "502", "503", "drop", "drop_after", "slow"]
# The emulator processed and accepted the request, but the client never saw the answer.
ACCEPTED_ANSWER_LOST = {"drop_after", "slow"}
# The client sent the request and saw no answer: it cannot tell whether the provider acted on it.
ANSWER_LOST = {"drop", "drop_after", "slow"}
NOT_PROCESSED = {"429", "429_rl", "500", "502", "503", "drop"}
# Generous, so that a loaded CI machine does not time out on answers the emulator gives at once.
TIMEOUT = 1.5
RETRY_AFTER = 1
FAULTY = {
    "fault_rate": 0.3,
    "faults": ALL_FAULTS,
    "retry_after": RETRY_AFTER,
    "rl_ttl": RETRY_AFTER,
    # Longer than the task's timeout: the client gives up on the answer while the emulator has accepted.
    "slow_seconds": TIMEOUT + 1.0,
    # Before the random faults: a Retry-After given as an HTTP date (the random ones give seconds).
    "fail_next": [{"kind": "429", "retry_after_format": "http-date"}],
}


def purge_task(ansible, provider, name="purge", ignore_errors=False, **options):
    return {"name": name, "cdnops.cdn.cdn_purge": ansible.options(provider, **options), "register": "result", "ignore_errors": ignore_errors}


def make_paths(provider, count, word="file"):
    """count distinct valid paths for provider (none a prefix of another)."""
    return [CASES[provider].PATH_TEMPLATE % ("%s-%04d" % (word, number)) for number in range(count)]


def sent_paths(provider, paths):
    """How the emulator logs paths once purged."""
    return [CASES[provider].sent(path) for path in paths]


def names_to_sent(provider, paths):
    """How results name paths -> how the emulator logs them."""
    return {CASES[provider].named(path): CASES[provider].sent(path) for path in paths}


def entry_paths(entry):
    """The paths one logged purge request carried, whatever the provider's request shape, accepted or not."""
    return CASES[entry["provider"]].requested(entry)


def ledger_records(path):
    """The ledger's records: [(provider, key, {item: request_id})], whatever its file format; every line must parse."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict) and "entries" in document:  # format 1: one JSON document
        return [(entry["provider"], entry["idempotency_key"], entry["paths"]) for entry in document["entries"].values()]
    assert text.endswith("\n"), "the ledger ends in a torn record"
    lines = [json.loads(line) for line in text.splitlines()]
    scopes = {line["scope"]: line["declare"] for line in lines if "declare" in line}
    records = collections.defaultdict(dict)
    for line in lines:
        if "paths" in line:
            records[line["scope"]].update(dict.fromkeys(line["paths"], line["request_id"]))
    return [(scopes[scope][0], scopes[scope][2], paths) for scope, paths in records.items()]


def read_ledger(path, provider, key):
    """{item: request_id} recorded for provider under key (one scope: one target, account and API)."""
    (paths,) = [paths for recorded, recorded_key, paths in ledger_records(path) if recorded == provider and recorded_key == key]
    return paths


def check_survived(emulator, provider, paths, result):
    """The log shows every path accepted, extra acceptances only after a lost answer, Retry-After honoured."""
    expected = sent_paths(provider, paths)
    to_sent = names_to_sent(provider, paths)
    log = emulator.log(provider)
    # Purge requests, and any status read with which a provider confirms its purges.
    purges = [entry for entry in log if entry["kind"] == "purge"]
    assert result["api_requests"] == len(log), "api_requests must count every request the provider saw"

    faults = collections.Counter(entry["fault"] for entry in log)
    answered = collections.defaultdict(list)  # path -> accepted entries whose answer the client read
    doubled = collections.defaultdict(list)  # path -> accepted entries whose answer was lost
    for entry in purges:
        if entry["fault"] in NOT_PROCESSED:
            assert not entry["accepted"], entry
        if entry["accepted"]:
            assert sorted(entry["purged"]) == sorted(entry_paths(entry)), entry
        for path in entry_paths(entry) if entry["accepted"] else []:
            (doubled if entry["fault"] in ACCEPTED_ANSWER_LOST else answered)[path].append(entry)
    assert sorted(answered) == sorted(expected), "every path accepted, with an answer the client read"
    # Accepted more than once only where the first acceptance's answer was lost.
    assert {path: len(entries) for path, entries in answered.items() if len(entries) != 1} == {}
    assert set(doubled) <= set(expected)

    # The ids the module reports are those of the acceptances whose answers it read.
    for purge_request in result["purge_requests"]:
        sent = [to_sent[path] for path in purge_request["paths"]]
        (entry,) = {id(answered[path][0]): answered[path][0] for path in sent}.values()
        assert purge_request["request_id"] == entry["request_id"]
        assert sorted(sent) == sorted(entry_paths(entry))

    # Retry-After (and the provider's own rate-limit header) is waited out before the same request is sent again.
    retried_after = []
    for index, entry in enumerate(purges):
        if entry["fault"] not in ("429", "429_rl"):
            continue
        again = next(later for later in purges[index + 1 :] if entry_paths(later) == entry_paths(entry))
        retried_after.append(again["time"] - entry["time"])
    assert retried_after and min(retried_after) >= RETRY_AFTER - 0.2, retried_after
    return faults, doubled


@pytest.mark.parametrize("provider", CONCURRENT)
def test_200_urls_survive_30_percent_random_faults(ansible, emulator, provider):
    """One URL per purge request, 8 at a time: 200 requests, enough to meet every kind of fault."""
    emulator.configure(seed=6, **FAULTY)
    paths = make_paths(provider, 200)
    options = dict(paths=paths, retries=10, timeout=TIMEOUT, concurrency=8, idempotency_key="faults", idempotency_file=ansible.ledger)
    run = ansible.playbook([purge_task(ansible, provider, **options)])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert result["changed"] is True and len(result["purge_requests"]) == 200
    faults, doubled = check_survived(emulator, provider, paths, result)
    # The run really met every kind of fault, and some paths really were accepted twice.
    assert set(ALL_FAULTS) <= set(faults), faults
    assert doubled
    recorded = read_ledger(ansible.ledger, provider, "faults")
    assert recorded == {item["paths"][0]: item["request_id"] for item in result["purge_requests"]}


@pytest.mark.parametrize("provider", BATCHED)
def test_2000_paths_survive_30_percent_random_faults(ansible, emulator, provider):
    emulator.configure(seed=11, **FAULTY)
    paths = make_paths(provider, 2000)
    # 50 paths a request: 40 purge requests, enough to meet most kinds of fault.
    run = ansible.playbook([purge_task(ansible, provider, paths=paths, batch_size=50, retries=10, timeout=TIMEOUT)])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert len(result["purge_requests"]) == 40
    faults, _doubled = check_survived(emulator, provider, paths, result)
    assert len(set(faults) & set(ALL_FAULTS)) >= 5, faults


@pytest.mark.parametrize("provider", PROVIDERS)
def test_result_says_which_purge_requests_may_have_been_accepted_twice(ansible, emulator, provider):
    """The contract: "accepted twice only where the failure left it unknown whether the first try was accepted ... the
    result says which" (maybe_accepted_twice, paths_uncertain)."""
    case = CASES[provider]
    # Two purges that fail after 2 retries (fail_next comes before any random fault), then random faults.
    emulator.configure(
        fail_next=["drop_after", "drop_after", "503", "500", "503", "502"],
        seed=3,
        fault_rate=0.4,
        faults=["drop", "drop_after", "slow", "500", "429"],
        retry_after=0,
        rl_ttl=0,
        slow_seconds=TIMEOUT + 0.5,
    )
    lost, answered = case.PATH_TEMPLATE % "lost", case.PATH_TEMPLATE % "answered"
    # One URL per request: 30 requests; batches of 10: 12 requests.
    many = make_paths(provider, 30) if provider in CONCURRENT else make_paths(provider, 120)
    batch = {} if provider in CONCURRENT else {"batch_size": 10}
    tasks = [
        purge_task(ansible, provider, name="lost", paths=[lost], retries=2, timeout=TIMEOUT, ignore_errors=True),
        purge_task(ansible, provider, name="answered", paths=[answered], retries=2, timeout=TIMEOUT, ignore_errors=True),
        purge_task(ansible, provider, name="many", paths=many, retries=10, timeout=TIMEOUT, **batch),
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output
    # A failed purge whose answer was lost may have been accepted (here it was, twice): the failure says so.
    log = emulator.log(provider)
    first_two = [entry["purged"] for entry in log if entry["accepted"] and entry_paths(entry) in ([case.sent(lost)], [case.sent(answered)])]
    assert first_two == [[case.sent(lost)]] * 2
    assert run.task("lost")["paths_uncertain"] == [case.named(lost)] and run.task("lost")["paths_remaining"] == [case.named(lost)]
    assert run.task("answered")["paths_uncertain"] == [] and "HTTP 502" in run.task("answered")["msg"]
    to_sent = names_to_sent(provider, many)
    # A provider that dedupes a resend (CloudFront's CallerReference) acts on it once however many answers were lost.
    idempotent = ADAPTERS[provider].idempotent_purges
    maybe = []
    for purge_request in run.task("many")["purge_requests"]:
        tries = [entry for entry in log if sorted(entry_paths(entry)) == sorted(to_sent[path] for path in purge_request["paths"])]
        if idempotent:
            assert purge_request["maybe_accepted_twice"] is False
            assert {entry["request_id"] for entry in tries if entry["accepted"]} == {purge_request["request_id"]}, tries
            continue
        lost_answer = any(entry["fault"] in ANSWER_LOST for entry in tries)
        # True exactly when an answer was lost after the request went out (the client cannot tell drop from
        # drop_after), false when every failed try was answered (429, 5xx).
        assert purge_request["maybe_accepted_twice"] is lost_answer, (purge_request, [entry["fault"] for entry in tries])
        if sum(entry["accepted"] for entry in tries) > 1:
            maybe.append(purge_request)
    assert all(purge_request["maybe_accepted_twice"] for purge_request in maybe)
    assert maybe or idempotent, "the faults should have caused at least one double acceptance for %s" % provider


@pytest.mark.parametrize("provider", PROVIDERS)
def test_retries_stop_at_the_limit_and_the_failure_names_the_last_error(ansible, emulator, provider):
    case = CASES[provider]
    # fail_next is consumed in order by the next requests; each task gets exactly retries + 1 = 3 of them.
    sequences = {
        "429": ["drop", "slow", {"kind": "429", "retry_after": 0}],
        "timeout": ["429_rl", "503", "slow"],
        "dropped": ["500", "429_rl", "drop"],
        "502": ["drop_after", "500", "502"],
    }
    emulator.configure(fail_next=[fault for sequence in sequences.values() for fault in sequence], rl_ttl=0, retry_after=0, slow_seconds=TIMEOUT + 0.5)
    path = {name: case.PATH_TEMPLATE % name for name in (*sequences, "after")}
    tasks = [purge_task(ansible, provider, name=name, paths=[path[name]], retries=2, timeout=TIMEOUT, ignore_errors=True) for name in sequences]
    tasks.append(purge_task(ansible, provider, name="after", paths=[path["after"]], retries=2))
    run = ansible.playbook(tasks)
    log = emulator.log(provider)
    kinds = [entry["fault"] for entry in log if entry["kind"] == "purge"]
    expected = [fault if isinstance(fault, str) else fault["kind"] for sequence in sequences.values() for fault in sequence]
    # Exactly retries + 1 tries per task; the last task finds the emulator healthy again. A provider that waits out
    # a rate limit resends after the 429 instead of failing: that resend meets the next task's first fault.
    if ADAPTERS[provider].waits_out_rate_limits:
        return
    assert kinds == expected + [None], kinds
    words = {
        "429": ("after 2 retries: HTTP 429", 429),
        "timeout": ("after 2 retries: could not get an answer from %s: ReadTimeoutError" % emulator.url, None),
        "dropped": ("after 2 retries: could not get an answer from %s: ProtocolError" % emulator.url, None),
        "502": ("after 2 retries: HTTP 502", 502),
    }
    for name, (message, status) in words.items():
        result = run.task(name)
        assert result["changed"] is False and "paths_remaining" in result, (name, result)  # a failure result
        assert message in result["msg"], result["msg"]
        assert result.get("http_status") == status
        assert result["api_requests"] == 3
        assert result["paths_remaining"] == [case.named(path[name])] and result["paths_purged"] == []
    assert "Remote end closed connection without response" in run.task("dropped")["msg"]
    assert "Read timed out" in run.task("timeout")["msg"]
    # Tries whose answer was lost (slow, drop_after) were accepted: the provider has these although the task failed.
    assert [entry["purged"] for entry in log if entry["accepted"]] == [[case.sent(path[name])] for name in ("429", "timeout", "502", "after")]
    assert run.task("after")["changed"] is True and not run.task("after").get("msg")


def quota_case(provider):
    """(paths, batch_size, quota in purge requests): one URL per request 8 at a time, or batches of 100."""
    if provider in CONCURRENT:
        return make_paths(provider, 150), None, 60
    return make_paths(provider, 2000), 100, 7


@pytest.mark.parametrize("provider", PROVIDERS)
def test_quota_exhausted_part_way_loses_nothing_and_the_rerun_sends_only_the_rest(ansible, emulator, provider):
    paths, batch_size, quota = quota_case(provider)
    expected = sent_paths(provider, paths)
    to_sent = names_to_sent(provider, paths)
    concurrency = 8
    emulator.configure(quota={provider: quota}, latency_ms=5)
    options = dict(paths=paths, idempotency_key="deploy-42", idempotency_file=ansible.ledger, concurrency=concurrency)
    if batch_size:
        options["batch_size"] = batch_size
    first = ansible.playbook([purge_task(ansible, provider, **options)])
    assert first.rc != 0
    failed = first.task("purge")
    log = emulator.log(provider)
    accepted = [path for entry in log if entry["accepted"] for path in entry["purged"]]
    refused = [entry for entry in log if entry["status"] == 403]
    requests_needed = len(paths) // (batch_size or 1)
    assert len(accepted) == quota * (batch_size or 1)
    assert "%d of %d purge requests were accepted before the failure" % (quota, requests_needed) in failed["msg"]
    assert failed["http_status"] == 403 and failed["provider_message"]
    assert failed["api_requests"] == len(log)
    # With several in flight, those already sent when the first 403 came back may be refused too; nothing new starts.
    assert 1 <= len(refused) <= (concurrency if provider in CONCURRENT else 1)
    assert len([entry for entry in log if entry["kind"] == "purge" and entry["status"] != 429]) == quota + len(refused)
    # What the provider accepted is exactly paths_purged (and the ledger), the rest exactly paths_remaining.
    assert sorted(to_sent[path] for path in failed["paths_purged"]) == sorted(accepted)
    assert sorted(failed["paths_purged"] + failed["paths_remaining"]) == sorted(to_sent)
    assert sorted(to_sent[path] for path in read_ledger(ansible.ledger, provider, "deploy-42")) == sorted(accepted)
    assert sorted(to_sent[item] for purge_request in failed["purge_requests"] for item in purge_request["paths"]) == sorted(accepted)

    emulator.reset_quota()
    emulator.configure(quota={})
    second = ansible.playbook([purge_task(ansible, provider, **options)])
    assert second.rc == 0, second.output
    resumed = second.task("purge")
    assert sorted(resumed["paths"]) == sorted(failed["paths_remaining"])
    assert sorted(to_sent[item["path"]] for item in resumed["skipped_paths"] if item["reason"] == "already_accepted") == sorted(accepted)
    # Across both runs every path was accepted exactly once.
    counts = collections.Counter(emulator.purged_paths(provider))
    assert sorted(counts) == sorted(expected) and set(counts.values()) == {1}
    assert sorted(read_ledger(ansible.ledger, provider, "deploy-42")) == sorted(to_sent)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_parallel_playbooks_on_one_ledger_keep_every_accepted_path(ansible, emulator, provider):
    """Two ansible-playbook runs started together, each on 5 hosts at once (forks): 10 writers per task, one ledger scope.

    The forks start every host's module together, so the writes really meet: without the ledger's lock some are lost.
    """
    case = CASES[provider]
    emulator.configure(latency_ms=20)
    runs, hosts, tasks_per_run = 2, 5, 3
    # The ledger alone in its directory: whatever a run leaves beside it shows.
    ledger = ansible.workdir / "ledger" / "ledger.json"
    inventory = ansible.workdir / "hosts.ini"
    inventory.write_text(
        "".join("host%d ansible_connection=local ansible_python_interpreter=%s\n" % (host, sys.executable) for host in range(hosts)), encoding="utf-8"
    )
    word = "run%d-%s-task%d-%d"
    processes = []
    for run in range(runs):
        tasks = [
            purge_task(
                ansible,
                provider,
                name="purge-%d" % task,
                paths=[case.PATH_TEMPLATE % (word % (run, "{{ inventory_hostname }}", task, number)) for number in range(3)],
                idempotency_key="shared",
                idempotency_file=str(ledger),
            )
            for task in range(tasks_per_run)
        ]
        playbook = ansible.workdir / ("parallel-%d.yml" % run)
        playbook.write_text(yaml.safe_dump([{"name": "p", "hosts": "all", "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
        env = dict(ansible.env, CDN_TEST_RESULT_FILE=str(ansible.workdir / ("parallel-%d.json" % run)))
        command = ["ansible-playbook", "-i", str(inventory), "--forks", str(hosts), str(playbook)]
        # Waited for below; each in its own session, so that a run that hangs is ended with every process it started.
        output = dict(stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        process = subprocess.Popen(command, cwd=ansible.workdir, env=env, **output)  # pylint: disable=consider-using-with
        processes.append(process)
    try:
        for process in processes:
            output = process.communicate(timeout=300)[0]
            assert process.returncode == 0, output
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    paths = [
        case.PATH_TEMPLATE % (word % (run, "host%d" % host, task, number))
        for run in range(runs)
        for host in range(hosts)
        for task in range(tasks_per_run)
        for number in range(3)
    ]
    to_named = {sent: name for name, sent in names_to_sent(provider, paths).items()}
    recorded = read_ledger(ledger, provider, "shared")  # every line valid
    accepted = {to_named[path]: entry["request_id"] for entry in emulator.purges(provider) for path in entry["purged"]}
    assert len(accepted) == len(paths) == runs * hosts * tasks_per_run * 3
    assert recorded == accepted
    assert {path.name for path in ledger.parent.iterdir()} <= {ledger.name, ledger.name + ".lock"}, "nothing else left beside the ledger"
