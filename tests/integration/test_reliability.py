"""Faults survived and nothing lost: cdn_purge through real ansible-playbook runs against a faulty emulator.

Every assertion is read from the emulator's request log, which sees what really reached the "provider":
- with 30 % of requests failing at random, every path is accepted, and a path is accepted more than once
  only where a failure left the client unable to know whether the first try was accepted (the emulator's
  `drop_after`: processed, then the connection closed; `slow`: processed, answered after the timeout);
- Retry-After and ImageMash's rl-ttl are honoured, retries stop at `retries` and the failure names the
  last error;
- a quota running out part-way loses nothing: the rerun with the same idempotency_key sends exactly the
  remaining paths, and every path is accepted exactly once across both runs;
- parallel runs on one ledger file leave it valid, with every accepted path recorded.
"""

import collections
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

EP = "https://ik.imagekit.io/demo"
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
}
BATCH_PATHS = {
    "imagemash": "/img/big/file-%04d.png",
    "5centscdn": "/videos/file-%04d.mp4",
    "gotipath": "/assets/file-%04d.js",
}


def purge_task(ansible, provider, name="purge", ignore_errors=False, **options):
    return {"name": name, "cdnops.cdn.cdn_purge": ansible.options(provider, **options), "register": "result", "ignore_errors": ignore_errors}


def entry_paths(entry):
    """The paths one logged purge request carried, whatever the provider's body shape."""
    body = entry["body"] or {}
    if "url" in body:
        return [body["url"]]
    return list(body.get("paths") or body.get("files") or [])


def sent_paths(provider, paths):
    return [EP + path for path in paths] if provider == "imagekit" else list(paths)


def read_ledger(path, provider, key):
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    (entry,) = [entry for entry in data["entries"].values() if entry["provider"] == provider and entry["idempotency_key"] == key]
    return entry["paths"]


def check_survived(emulator, provider, expected, result):
    """The log shows every expected path accepted, extra acceptances only after a lost answer, Retry-After honoured."""
    log = emulator.log(provider)
    purges = [entry for entry in log if entry["kind"] == "purge"]
    assert len(purges) == len(log), "only purge requests were expected"
    assert result["api_requests"] == len(log), "api_requests must count every request the provider saw"

    faults = collections.Counter(entry["fault"] for entry in log)
    answered = collections.defaultdict(list)  # path -> accepted entries whose answer the client read
    doubled = collections.defaultdict(list)  # path -> accepted entries whose answer was lost
    for entry in purges:
        if entry["fault"] in NOT_PROCESSED:
            assert not entry["accepted"], entry
        for path in entry_paths(entry) if entry["accepted"] else []:
            (doubled if entry["fault"] in ACCEPTED_ANSWER_LOST else answered)[path].append(entry)
    assert sorted(answered) == sorted(expected), "every path accepted, with an answer the client read"
    # Accepted more than once only where the first acceptance's answer was lost.
    assert {path: len(entries) for path, entries in answered.items() if len(entries) != 1} == {}
    assert set(doubled) <= set(expected)

    # The ids the module reports are those of the acceptances whose answers it read.
    for purge_request in result["purge_requests"]:
        (entry,) = {id(answered[path][0]): answered[path][0] for path in purge_request["paths"]}.values()
        assert purge_request["request_id"] == entry["request_id"]
        assert sorted(purge_request["paths"]) == sorted(entry_paths(entry))

    # Retry-After (and ImageMash's rl-ttl) is waited out before the same request is sent again.
    retried_after = []
    for index, entry in enumerate(log):
        if entry["fault"] not in ("429", "429_rl"):
            continue
        again = next(later for later in log[index + 1 :] if entry_paths(later) == entry_paths(entry))
        retried_after.append(again["time"] - entry["time"])
    assert retried_after and min(retried_after) >= RETRY_AFTER - 0.2, retried_after
    return faults, doubled


def test_imagekit_200_urls_survive_30_percent_random_faults(ansible, emulator):
    emulator.configure(seed=6, **FAULTY)
    paths = ["/img/big/file-%03d.png" % number for number in range(200)]
    options = dict(paths=paths, retries=10, timeout=TIMEOUT, concurrency=8, idempotency_key="faults", idempotency_file=ansible.ledger)
    run = ansible.playbook([purge_task(ansible, "imagekit", **options)])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert result["changed"] is True and len(result["purge_requests"]) == 200
    faults, doubled = check_survived(emulator, "imagekit", sent_paths("imagekit", paths), result)
    # The run really met every kind of fault, and some paths really were accepted twice.
    assert set(ALL_FAULTS) <= set(faults), faults
    assert doubled
    recorded = read_ledger(ansible.ledger, "imagekit", "faults")
    assert recorded == {item["paths"][0]: item["request_id"] for item in result["purge_requests"]}


@pytest.mark.parametrize("provider", sorted(BATCH_PATHS))
def test_2000_paths_survive_30_percent_random_faults(ansible, emulator, provider):
    # Gotipath gets its Retry-After as an HTTP date; the others as seconds.
    emulator.configure(seed=11, retry_after_format="http-date" if provider == "gotipath" else "seconds", **FAULTY)
    paths = [BATCH_PATHS[provider] % number for number in range(2000)]
    # 50 paths a request: 40 purge requests, enough to meet most kinds of fault.
    run = ansible.playbook([purge_task(ansible, provider, paths=paths, batch_size=50, retries=10, timeout=TIMEOUT)])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert len(result["purge_requests"]) == 40
    faults, _doubled = check_survived(emulator, provider, paths, result)
    assert len(set(faults) & set(ALL_FAULTS)) >= 5, faults


def test_result_says_which_purge_requests_may_have_been_accepted_twice(ansible, emulator):
    """The contract: "accepted twice only where the failure left it unknown whether the first try was accepted ... the
    result says which" (maybe_accepted_twice, paths_uncertain)."""
    # Two Gotipath purges that fail after 2 retries (fail_next comes before any random fault), then random faults.
    emulator.configure(
        fail_next=["drop_after", "drop_after", "503", "500", "503", "502"],
        seed=3,
        fault_rate=0.4,
        faults=["drop", "drop_after", "slow", "500", "429"],
        retry_after=0,
        rl_ttl=0,
        slow_seconds=TIMEOUT + 0.5,
    )
    imagekit = ["/img/big/file-%02d.png" % number for number in range(30)]
    imagemash = ["/img/big/file-%04d.png" % number for number in range(120)]
    tasks = [
        purge_task(ansible, "gotipath", name="lost", paths=["/lost.html"], retries=2, timeout=TIMEOUT, ignore_errors=True),
        purge_task(ansible, "gotipath", name="answered", paths=["/answered.html"], retries=2, timeout=TIMEOUT, ignore_errors=True),
        purge_task(ansible, "imagekit", name="imagekit", paths=imagekit, retries=10, timeout=TIMEOUT),
        purge_task(ansible, "imagemash", name="imagemash", paths=imagemash, batch_size=10, retries=10, timeout=TIMEOUT),
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output
    # A failed purge whose answer was lost may have been accepted (here it was, twice): the failure says so.
    assert [entry["purged"] for entry in emulator.purges("gotipath")] == [["/lost.html"], ["/lost.html"]]
    assert run.task("lost")["paths_uncertain"] == ["/lost.html"] and run.task("lost")["paths_remaining"] == ["/lost.html"]
    assert run.task("answered")["paths_uncertain"] == [] and "HTTP 502" in run.task("answered")["msg"]
    for provider in ("imagekit", "imagemash"):
        log = emulator.log(provider)
        maybe = []
        for purge_request in run.task(provider)["purge_requests"]:
            tries = [entry for entry in log if sorted(entry_paths(entry)) == sorted(purge_request["paths"])]
            lost = any(entry["fault"] in ANSWER_LOST for entry in tries)
            # True exactly when an answer was lost after the request went out (the client cannot tell drop from
            # drop_after), false when every failed try was answered (429, 5xx).
            assert purge_request["maybe_accepted_twice"] is lost, (purge_request, [entry["fault"] for entry in tries])
            if sum(entry["accepted"] for entry in tries) > 1:
                maybe.append(purge_request)
        assert all(purge_request["maybe_accepted_twice"] for purge_request in maybe)
        assert maybe, "the faults should have caused at least one double acceptance for %s" % provider


def test_retries_stop_at_the_limit_and_the_failure_names_the_last_error(ansible, emulator):
    # fail_next is consumed in order by the next requests; each task gets exactly retries + 1 = 3 of them.
    sequences = {
        "429": ["drop", "slow", {"kind": "429", "retry_after": 0}],
        "timeout": ["429_rl", "503", "slow"],
        "dropped": ["500", "429_rl", "drop"],
        "502": ["drop_after", "500", "502"],
    }
    emulator.configure(fail_next=[fault for sequence in sequences.values() for fault in sequence], rl_ttl=0, retry_after=0, slow_seconds=TIMEOUT + 0.5)
    tasks = [
        purge_task(ansible, "imagemash", name=name, paths=["/img/big/%s.png" % name], retries=2, timeout=TIMEOUT, ignore_errors=True) for name in sequences
    ]
    tasks.append(purge_task(ansible, "imagemash", name="after", paths=["/img/big/after.png"], retries=2))
    run = ansible.playbook(tasks)
    log = emulator.log("imagemash")
    kinds = [entry["fault"] for entry in log]
    expected = [fault if isinstance(fault, str) else fault["kind"] for sequence in sequences.values() for fault in sequence]
    # Exactly retries + 1 tries per task; the last task finds the emulator healthy again.
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
        assert result["paths_remaining"] == ["/img/big/%s.png" % name] and result["paths_purged"] == []
    assert "Remote end closed connection without response" in run.task("dropped")["msg"]
    assert "Read timed out" in run.task("timeout")["msg"]
    # Tries whose answer was lost (slow, drop_after) were accepted: the provider has these although the task failed.
    assert [entry["purged"] for entry in log if entry["accepted"]] == [["/img/big/%s.png" % name] for name in ("429", "timeout", "502", "after")]
    assert run.task("after")["changed"] is True and not run.task("after").get("msg")


QUOTA_CASES = {
    # provider: (paths, batch_size, quota in purge requests)
    "imagekit": (["/img/big/file-%03d.png" % number for number in range(150)], None, 60),
    "imagemash": ([BATCH_PATHS["imagemash"] % number for number in range(2000)], 100, 7),
    "5centscdn": ([BATCH_PATHS["5centscdn"] % number for number in range(2000)], 100, 7),
    "gotipath": ([BATCH_PATHS["gotipath"] % number for number in range(2000)], 100, 7),
}


@pytest.mark.parametrize("provider", sorted(QUOTA_CASES))
def test_quota_exhausted_part_way_loses_nothing_and_the_rerun_sends_only_the_rest(ansible, emulator, provider):
    paths, batch_size, quota = QUOTA_CASES[provider]
    expected = sent_paths(provider, paths)
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
    assert 1 <= len(refused) <= (concurrency if provider == "imagekit" else 1)
    assert len(log) == quota + len(refused)
    # What the provider accepted is exactly paths_purged (and the ledger), the rest exactly paths_remaining.
    assert sorted(failed["paths_purged"]) == sorted(accepted)
    assert sorted(failed["paths_purged"] + failed["paths_remaining"]) == sorted(expected)
    assert sorted(read_ledger(ansible.ledger, provider, "deploy-42")) == sorted(accepted)
    assert sorted(item for purge_request in failed["purge_requests"] for item in purge_request["paths"]) == sorted(accepted)

    emulator.reset_quota()
    emulator.configure(quota={})
    second = ansible.playbook([purge_task(ansible, provider, **options)])
    assert second.rc == 0, second.output
    resumed = second.task("purge")
    assert sorted(resumed["paths"]) == sorted(failed["paths_remaining"])
    assert sorted(item["path"] for item in resumed["skipped_paths"] if item["reason"] == "already_accepted") == sorted(accepted)
    # Across both runs every path was accepted exactly once.
    counts = collections.Counter(emulator.purged_paths(provider))
    assert sorted(counts) == sorted(expected) and set(counts.values()) == {1}
    assert sorted(read_ledger(ansible.ledger, provider, "deploy-42")) == sorted(expected)


def test_parallel_playbooks_on_one_ledger_keep_every_accepted_path(ansible, emulator):
    """Two ansible-playbook runs started together, each on 5 hosts at once (forks): 10 writers per task, one ledger scope.

    The forks start every host's module together, so the writes really meet: without the ledger's lock some are lost.
    """
    emulator.configure(latency_ms=20)
    runs, hosts, tasks_per_run = 2, 5, 3
    inventory = ansible.workdir / "hosts.ini"
    inventory.write_text(
        "".join("host%d ansible_connection=local ansible_python_interpreter=%s\n" % (host, sys.executable) for host in range(hosts)), encoding="utf-8"
    )
    processes = []
    for run in range(runs):
        tasks = [
            purge_task(
                ansible,
                "imagemash",
                name="purge-%d" % task,
                paths=["/img/big/run%d-{{ inventory_hostname }}-task%d-%d.png" % (run, task, number) for number in range(3)],
                idempotency_key="shared",
                idempotency_file=ansible.ledger,
            )
            for task in range(tasks_per_run)
        ]
        playbook = ansible.workdir / ("parallel-%d.yml" % run)
        playbook.write_text(yaml.safe_dump([{"name": "p", "hosts": "all", "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
        env = dict(ansible.env, CDN_TEST_RESULT_FILE=str(ansible.workdir / ("parallel-%d.json" % run)))
        command = ["ansible-playbook", "-i", str(inventory), "--forks", str(hosts), str(playbook)]
        # Waited for below.
        output = dict(stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        process = subprocess.Popen(command, cwd=ansible.workdir, env=env, **output)  # pylint: disable=consider-using-with
        processes.append(process)
    for process in processes:
        output = process.communicate(timeout=300)[0]
        assert process.returncode == 0, output
    ledger = Path(ansible.ledger)
    json.loads(ledger.read_text(encoding="utf-8"))  # valid JSON
    recorded = read_ledger(ledger, "imagemash", "shared")
    accepted = {path: entry["request_id"] for entry in emulator.purges("imagemash") for path in entry["purged"]}
    assert len(accepted) == runs * hosts * tasks_per_run * 3
    assert recorded == accepted
    assert not list(ledger.parent.glob(".ledger-*.tmp")), "no temporary file left behind"
