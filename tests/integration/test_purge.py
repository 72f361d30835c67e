"""cdn_purge and cdn_purge_status through real ansible-playbook and ansible runs, against the emulator."""

import json

import pytest
from cases import CASES
from emulator_support import CREDENTIALS, PROVIDERS

from ansible_collections.cdnops.cdn.plugins.module_utils._provider import STATUS_NONE
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS as ADAPTERS

PATHS = {provider: case.ITEMS["paths"] for provider, case in CASES.items()}
SENT = {provider: case.SENT["paths"] for provider, case in CASES.items()}
# How results name them (full URLs where the provider purges by URL).
NAMED = {provider: case.RESULT_PATHS for provider, case in CASES.items()}
SYNCHRONOUS = [provider for provider in PROVIDERS if ADAPTERS[provider].synchronous]
# Providers whose purge status can be read and polled. Akamai is asynchronous without one: wait waits its estimate
# (tests/integration/test_akamai.py covers that wait, its wait_timeout and its cdn_purge_status message).
WITH_STATUS = [provider for provider in PROVIDERS if ADAPTERS[provider].status_model != STATUS_NONE]
WITHOUT_STATUS = [provider for provider in PROVIDERS if provider not in WITH_STATUS]


def purge_task(ansible, provider, name="purge", **options):
    return {"name": name, "cdnops.cdn.cdn_purge": ansible.options(provider, **options), "register": "result"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_purge_through_a_playbook(ansible, emulator, provider):
    run = ansible.playbook([purge_task(ansible, provider, paths=PATHS[provider] + PATHS[provider][:1])])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert result["changed"] is True
    assert result["paths"] == NAMED[provider]
    assert result["skipped_paths"] == [{"path": NAMED[provider][0], "reason": "duplicate"}]
    assert sorted(emulator.purged_paths(provider)) == sorted(SENT[provider])
    # Every request the emulator saw is counted, nothing more.
    assert result["api_requests"] == len(emulator.log(provider))
    assert result["status"] == ("Completed" if provider in SYNCHRONOUS else "Pending")
    # Concurrent requests may reach the emulator in another order; the ids are the ones it answered.
    assert sorted(result["request_ids"]) == sorted({entry["request_id"] for entry in emulator.purges(provider) if entry["request_id"]})


@pytest.mark.parametrize("provider", PROVIDERS)
def test_adhoc_purge(ansible, emulator, provider):
    run = ansible.adhoc("cdnops.cdn.cdn_purge", ansible.options(provider, paths=PATHS[provider][:1]))
    assert run.rc == 0, run.output
    assert "localhost | CHANGED" in run.stdout
    assert run.results["localhost"]["paths"] == NAMED[provider][:1]
    assert emulator.purged_paths(provider) == SENT[provider][:1]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_check_mode_sends_nothing_and_diff_shows_the_plan(ansible, emulator, provider):
    run = ansible.playbook([purge_task(ansible, provider, paths=PATHS[provider])], "--check", "--diff")
    assert run.rc == 0, run.output
    for path in NAMED[provider]:
        assert "+%s" % path in run.stdout
    assert "changed=1" in run.stdout
    assert emulator.log() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_check_mode_returns_the_plan(ansible, emulator, provider):
    run = ansible.playbook([purge_task(ansible, provider, paths=PATHS[provider], batch_size=1)], "--check")
    result = run.task("purge")
    assert result["changed"] is True and result["api_requests"] == 0
    kind = "prefix" if provider == "imagemash" else "url"  # every ImageMash path is a prefix
    expected = [{"request_id": None, "kind": kind, "paths": [path], "status": "Pending", "maybe_accepted_twice": False} for path in NAMED[provider]]
    assert result["purge_requests"] == expected
    assert emulator.log() == []


@pytest.mark.parametrize("provider", ["5centscdn", "gotipath"])
def test_purge_all_request_shapes(ansible, emulator, provider):
    # paths: [] beside purge_all is what templates produce; it is not a conflict.
    run = ansible.playbook([purge_task(ansible, provider, purge_all=True, paths=[])])
    assert run.rc == 0, run.output
    entries = emulator.purges(provider)
    assert len(entries) == 1 and entries[0]["purge_all"] is True
    if provider == "gotipath":
        assert entries[0]["body"] == {"type": "all", "paths": []}
    else:
        assert entries[0]["body_text"] == "" and entries[0]["query"] == {"delete": "true"}
    assert run.task("purge")["status"] == "Completed"


@pytest.mark.parametrize("provider", ["imagekit", "imagemash"])
def test_purge_all_is_a_clear_error_without_a_purge_all_api(ansible, emulator, provider):
    run = ansible.playbook([purge_task(ansible, provider, purge_all=True)])
    assert run.rc != 0
    assert "purge_all is not supported by provider %s" % provider in run.task("purge")["msg"]
    assert emulator.log() == []


def test_soft_purge_on_5centscdn_and_vod_zones(ansible, emulator):
    run = ansible.playbook([purge_task(ansible, "5centscdn", zone_id=7, zone_type="vod", paths=["/a.mp4"], soft_purge=True)])
    assert run.rc == 0, run.output
    (entry,) = emulator.purges("5centscdn")
    assert entry["path"] == "/v2/zones/vod/pull/7/purge" and entry["query"] == {"delete": "false"}
    run = ansible.playbook([purge_task(ansible, "gotipath", paths=["/a"], soft_purge=True)])
    softly = ", ".join(name for name, adapter in ADAPTERS.items() if adapter.supports_soft_purge)
    assert "soft_purge is not supported by provider gotipath (only by %s)" % softly in run.task("purge")["msg"]


@pytest.mark.parametrize("provider", [provider for provider in PROVIDERS if CASES[provider].PREFIX])
def test_prefix_purge_drops_covered_paths(ansible, emulator, provider):
    paths, prefix_sent, dropped = CASES[provider].PREFIX
    sent = [prefix_sent, CASES[provider].sent(paths[-1])]
    run = ansible.playbook([purge_task(ansible, provider, paths=paths)])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert result["skipped_paths"][0]["path"] == dropped and result["skipped_paths"][0]["reason"] == "covered_by_prefix"
    assert sorted(emulator.purged_paths(provider)) == sorted(sent)
    if provider == "gotipath":
        assert sorted(entry["purge_type"] for entry in emulator.purges(provider)) == ["pattern", "url"]


@pytest.mark.parametrize("provider", WITH_STATUS)
def test_wait_until_completed(ansible, emulator, provider):
    run = ansible.playbook([purge_task(ansible, provider, paths=PATHS[provider], wait=True, poll_interval=0.2)])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert result["status"] == "Completed"
    assert all(item["status"] == "Completed" for item in result["purge_requests"])
    polls = [entry for entry in emulator.log(provider) if entry["kind"] in ("status", "list")]
    assert polls, "wait must poll the status API"
    if provider == "imagemash":
        # One purge list per poll answers for every id.
        assert len(polls) == len({entry["seq"] for entry in polls})
    assert result["api_requests"] == len(emulator.log(provider))


@pytest.mark.parametrize("provider", WITH_STATUS)
def test_wait_timeout_lists_what_is_pending(ansible, emulator, provider):
    emulator.configure(**{CASES[provider].COMPLETE_AFTER: 60})
    run = ansible.playbook([purge_task(ansible, provider, paths=PATHS[provider][:1], wait=True, wait_timeout=1, poll_interval=0.3)])
    assert run.rc != 0
    result = run.task("purge")
    (request_id,) = [entry["request_id"] for entry in emulator.purges(provider)]
    assert "still Pending after wait_timeout=1s: %s" % request_id in result["msg"]
    assert result["pending_request_ids"] == [request_id]
    assert result["purge_requests"][0]["request_id"] == request_id


@pytest.mark.parametrize("provider", WITH_STATUS)
def test_status_module_reads_and_waits(ansible, emulator, provider):
    # Pending until the play itself tells the emulator to complete: no race with a slow machine.
    emulator.configure(**{CASES[provider].COMPLETE_AFTER: 600})
    words = {status: word for word, status in ADAPTERS[provider].status_words.items()}
    status_options = ansible.options(provider, request_ids="{{ result.request_ids }}")
    tasks = [
        purge_task(ansible, provider, paths=PATHS[provider]),
        {"name": "status", "cdnops.cdn.cdn_purge_status": status_options, "register": "status"},
        {"name": "complete", "ansible.builtin.uri": {"url": emulator.url + "/_emulator/complete", "method": "POST"}},
        {"name": "wait", "cdnops.cdn.cdn_purge_status": dict(status_options, wait=True, poll_interval=0.5)},
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output
    ids = run.task("purge")["request_ids"]
    first = run.task("status")
    assert first["changed"] is False and first["status"] == "Pending"
    assert [item["request_id"] for item in first["statuses"]] == ids
    assert first["statuses"][0]["provider_status"] == words["Pending"]
    waited = run.task("wait")
    assert waited["status"] == "Completed" and waited["changed"] is False
    assert {item["provider_status"] for item in waited["statuses"]} == {words["Completed"]}
    if provider == "imagemash":
        assert [purge["request_id"] for purge in waited["purges"]] == ids
        assert waited["purges"][0]["paths"] == PATHS["imagemash"]


def test_status_lists_imagemash_purges_without_ids_in_check_mode(ansible, emulator):
    tasks = [
        purge_task(ansible, "imagemash", paths=["/img/big/a.png"]),
        purge_task(ansible, "imagemash", name="second", paths=["/img/big/b.png"]),
        {"name": "list", "cdnops.cdn.cdn_purge_status": ansible.options("imagemash"), "check_mode": True},
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output
    listed = run.task("list")
    assert len(listed["purges"]) == 2 and listed["api_requests"] == 1
    assert {purge["request_id"] for purge in listed["purges"]} == {entry["request_id"] for entry in emulator.purges()}


def no_status_api_words(provider):
    """The adapter's own message (an instance without settings: the message needs none)."""
    adapter = ADAPTERS[provider]
    return adapter.__new__(adapter).no_status_api().message


@pytest.mark.parametrize("provider", WITHOUT_STATUS)
def test_status_is_a_clear_error_for_providers_without_a_status_api(ansible, emulator, provider):
    run = ansible.adhoc("cdnops.cdn.cdn_purge_status", ansible.options(provider, request_id="abc"))
    assert run.rc != 0
    message = run.results["localhost"]["msg"]
    assert no_status_api_words(provider) in message and "no purge status API" in message
    # The contract: it says the purge is synchronous, or (asynchronous without a status API) what waits instead.
    assert ("purges synchronously" if ADAPTERS[provider].synchronous else "wait: true") in message
    assert emulator.log() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_idempotency_key_second_run_sends_nothing(ansible, emulator, provider):
    task = purge_task(ansible, provider, paths=PATHS[provider], idempotency_key="release-1", idempotency_file=ansible.ledger)
    first = ansible.playbook([task])
    assert first.rc == 0 and first.task("purge")["changed"] is True
    purges = len(emulator.purges(provider))
    second = ansible.playbook([task])
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert len(emulator.purges(provider)) == purges
    third = ansible.playbook([task])
    result = third.task("purge")
    assert result["changed"] is False and result["api_requests"] == 0
    assert {item["reason"] for item in result["skipped_paths"]} == {"already_accepted"}
    assert result["request_ids"] == first.task("purge")["request_ids"]
    # Another key purges again.
    fourth = ansible.playbook([dict(task, **{"cdnops.cdn.cdn_purge": dict(task["cdnops.cdn.cdn_purge"], idempotency_key="release-2")})])
    assert fourth.task("purge")["changed"] is True


@pytest.mark.parametrize("provider", PROVIDERS)
def test_quota_failure_part_way_then_resume(ansible, emulator, provider):
    paths = CASES[provider].QUOTA[0]
    emulator.configure(quota={provider: 2})
    options = dict(paths=paths, idempotency_key="deploy-7", idempotency_file=ansible.ledger, concurrency=1, batch_size=1)
    task = purge_task(ansible, provider, **options)
    first = ansible.playbook([task])
    assert first.rc != 0
    failed = first.task("purge")
    assert "2 of 5 purge requests were accepted before the failure" in failed["msg"]
    assert failed["http_status"] == 403 and failed["provider_message"]
    assert len(failed["paths_purged"]) == 2 and len(failed["paths_remaining"]) == 3
    assert sorted(failed["paths_purged"] + failed["paths_remaining"]) == sorted([CASES[provider].named(path) for path in paths])
    emulator.reset_quota()
    emulator.configure(quota={})
    second = ansible.playbook([task])
    assert second.rc == 0, second.output
    assert sorted(second.task("purge")["paths"]) == sorted(failed["paths_remaining"])
    # Every path accepted exactly once across both runs.
    purged = emulator.purged_paths(provider)
    assert sorted(purged) == sorted(SENT_FOR(provider, paths))


def SENT_FOR(provider, paths):  # noqa: N802 - reads like the SENT table
    return [CASES[provider].sent(path) for path in paths]


@pytest.mark.parametrize(
    "provider, option, value, rule",
    [(provider, option, value, rule) for provider, case in CASES.items() for option, value, rule in case.INVALID],
)
def test_invalid_item_is_a_clear_error_and_nothing_is_sent(ansible, emulator, provider, option, value, rule):
    items = {option: [CASES[provider].ITEMS[option][0], value]}
    run = ansible.playbook([purge_task(ansible, provider, **items)])
    assert run.rc != 0
    message = run.task("purge")["msg"]
    assert repr(value) in message and rule in message and "nothing was sent" in message
    assert emulator.log() == []
    assert "Traceback" not in run.output and "MODULE FAILURE" not in run.output


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_key_is_a_clear_error_and_never_printed(ansible, emulator, provider):
    wrong = "WRONG-%s-secret-value-4242" % provider
    # The case's WRONG names the credential to spoil (api_key for most; CloudFront's secret_key).
    options = dict(CREDENTIALS[provider], **dict.fromkeys(CASES[provider].WRONG, wrong))
    run = ansible.playbook([purge_task(ansible, provider, paths=PATHS[provider][:1], **options)], "-vvvv")
    assert run.rc != 0
    entries = emulator.log(provider)
    # The vendor's own refusal: 401, or 403 where the vendor says so (Cloudflare's "Authentication error").
    assert entries and {entry["status"] for entry in entries} <= {401, 403}
    assert "HTTP %d" % entries[0]["status"] in run.output
    assert wrong not in run.output
    # An auth failure is not retried: one request.
    assert len(entries) == 1


def test_credentials_from_environment_and_module_defaults(ansible, emulator):
    tasks = [{"name": "purge", "cdnops.cdn.cdn_purge": {"paths": ["/img/big/a.png"]}, "register": "result"}]
    defaults = {"group/cdnops.cdn.cdn": {"provider": "imagemash", "api_base_url": emulator.url, "domain": "john.imagemash.io"}}
    run = ansible.playbook(tasks, env={"IMAGEMASH_API_KEY": CREDENTIALS["imagemash"]["api_key"]}, play={"module_defaults": defaults})
    assert run.rc == 0, run.output
    assert emulator.purged_paths("imagemash") == ["/img/big/a.png"]
    missing = ansible.playbook(tasks, play={"module_defaults": defaults})
    assert "environment variable IMAGEMASH_API_KEY" in missing.task("purge")["msg"]


@pytest.mark.parametrize(
    "options, words",
    [
        ({"zone_id": 42}, "option zone_id is not used by provider imagekit"),
        ({"api_base_url": "http://api.example.com"}, "plain http:// to a non-loopback host"),
        ({"concurrency": 0}, "option concurrency=0 must be between 1 and 64"),
        ({"batch_size": 5}, "batch_size=5 is above imagekit's documented maximum of 1"),
        ({"paths": ["/a.png"], "purge_all": True}, "paths and purge_all=true are mutually exclusive"),
        ({"max_requests": 1, "paths": ["/a/b/1.png", "/a/b/2.png"]}, "needs 2 purge requests to imagekit, more than max_requests=1"),
    ],
)
def test_bad_options_fail_before_any_request(ansible, emulator, options, words):
    run = ansible.adhoc("cdnops.cdn.cdn_purge", ansible.options("imagekit", **dict({"paths": ["/a.png"]}, **options)))
    assert run.rc != 0
    assert words in run.results["localhost"]["msg"]
    assert emulator.log() == []


def test_retries_ride_out_faults_and_are_counted(ansible, emulator):
    emulator.configure(fail_next=["503", {"kind": "429", "retry_after": 0}, "drop"])
    run = ansible.playbook([purge_task(ansible, "gotipath", paths=["/a.html"])])
    assert run.rc == 0, run.output
    assert run.task("purge")["api_requests"] == 4
    assert [entry["fault"] for entry in emulator.log("gotipath")] == ["503", "429", "drop", None]


def test_retries_stop_at_the_limit_and_name_the_last_error(ansible, emulator):
    emulator.configure(fail_next=["500", "502", "503"])
    run = ansible.playbook([purge_task(ansible, "5centscdn", paths=["/a.mp4"], retries=2)])
    assert run.rc != 0
    result = run.task("purge")
    assert result["http_status"] == 503 and "after 2 retries: HTTP 503" in result["msg"]
    assert len(emulator.log("5centscdn")) == 3


def test_results_are_json_for_the_status_module(ansible, emulator):
    run = ansible.adhoc("cdnops.cdn.cdn_purge_status", ansible.options("imagekit", request_id="../../v1/files/purge"))
    assert run.rc != 0
    assert "is not a valid imagekit request id" in run.results["localhost"]["msg"]
    assert emulator.log() == []
    json.dumps(run.results)


@pytest.mark.parametrize("fault", ["drop_after", "drop", "503"])
def test_a_lost_answer_is_reported_as_maybe_accepted_twice(ansible, emulator, fault):
    emulator.configure(fail_next=[fault])
    run = ansible.playbook([purge_task(ansible, "imagemash", paths=["/img/big/a.png"])])
    assert run.rc == 0, run.output
    (purge_request,) = run.task("purge")["purge_requests"]
    accepted = emulator.purges("imagemash")
    if fault == "drop_after":
        # The first try was accepted and its answer lost; the retry was accepted again.
        assert len(accepted) == 2 and purge_request["maybe_accepted_twice"] is True
    elif fault == "drop":
        # Not accepted, but the client cannot know: it says "maybe".
        assert len(accepted) == 1 and purge_request["maybe_accepted_twice"] is True
    else:
        # The server answered 503: nothing lost, nothing doubled.
        assert len(accepted) == 1 and purge_request["maybe_accepted_twice"] is False
    assert purge_request["request_id"] == accepted[-1]["request_id"]


@pytest.mark.parametrize("provider", WITH_STATUS)
def test_rerun_under_the_key_with_wait_waits_for_the_recorded_purges(ansible, emulator, provider):
    emulator.configure(**{CASES[provider].COMPLETE_AFTER: 600})
    options = dict(paths=PATHS[provider], idempotency_key="release-9", idempotency_file=ansible.ledger, poll_interval=0.3)
    first = ansible.playbook([purge_task(ansible, provider, **options)])
    assert first.rc == 0 and first.task("purge")["status"] == "Pending"
    purges, before = len(emulator.purges(provider)), len(emulator.log(provider))
    tasks = [
        {"name": "complete", "ansible.builtin.uri": {"url": emulator.url + "/_emulator/complete", "method": "POST"}},
        purge_task(ansible, provider, wait=True, **options),
    ]
    second = ansible.playbook(tasks)
    assert second.rc == 0, second.output
    result = second.task("purge")
    assert result["changed"] is False and result["status"] == "Completed"
    assert result["request_ids"] == first.task("purge")["request_ids"]
    assert len(emulator.purges(provider)) == purges  # polled, never purged again
    polls = [entry for entry in emulator.log(provider)[before:] if entry["kind"] in ("status", "list")]
    assert polls and result["api_requests"] == len(polls)
