"""Rate limits met through real ansible-playbook runs against the emulator: Gcore's per-resource limits waited out
(with a window shortened from a minute to WINDOW seconds) and Bunny's token buckets ridden out."""

import math

import pytest

WINDOW = 2.0
# Gcore: 2 URL purges of up to 100 URLs per window and resource.
URLS = ["/release/%03d.png" % index for index in range(250)]


def purge_task(ansible, provider, name="purge", **options):
    return {"name": name, "cdnops.cdn.cdn_purge": ansible.options(provider, **options), "register": "result"}


def purge_posts(emulator, provider):
    return [entry for entry in emulator.log(provider) if entry["kind"] == "purge"]


def assert_each_refusal_is_one_wait_then_one_resend(log):
    """Every refused purge is followed, next in the log, by the same purge, sent again after the wait it asked for."""
    refused = 0
    for index, entry in enumerate(log):
        if entry["kind"] != "purge" or entry["accepted"]:
            continue
        refused += 1
        resend = log[index + 1]
        assert resend["kind"] == "purge" and resend["body"] == entry["body"], (entry, resend)
        waited = resend["time"] - entry["time"]
        # The emulator's Retry-After is the rest of its window rounded up to whole seconds: at least 1, at most WINDOW.
        assert 0.9 <= waited <= WINDOW + 1.0, waited
    return refused


@pytest.mark.parametrize(
    "style, retries",
    [("429", 0), ("429", 5), ("400", 5)],
    ids=["429-adapter-waits", "429-default-retries", "400-url-quota"],
)
def test_gcore_250_urls_are_paced_by_the_rate_limit_not_failed(ansible, emulator, style, retries):
    emulator.configure(gcore_rate_window=WINDOW, gcore_rate_limit_status=int(style))
    run = ansible.playbook([purge_task(ansible, "gcore", paths=URLS, retries=retries)])
    assert run.rc == 0, run.output
    result = run.task("purge")
    log = emulator.log("gcore")
    posts = purge_posts(emulator, "gcore")
    accepted = [entry for entry in posts if entry["accepted"]]
    # The minimum number of purge requests (ceil(250 / 100)), every URL accepted exactly once.
    assert len(accepted) == math.ceil(len(URLS) / 100) == 3 and len(result["purge_requests"]) == 3
    assert sorted(path for entry in accepted for path in entry["purged"]) == sorted(URLS)
    assert sorted(result["request_ids"]) == sorted(entry["request_id"] for entry in accepted)
    # Two fit the first window, the third is refused once, waits for the next window and is accepted.
    refusals = [entry for entry in posts if not entry["accepted"]]
    assert [entry["status"] for entry in refusals] == [int(style)]
    assert assert_each_refusal_is_one_wait_then_one_resend(log) == 1
    duration = accepted[-1]["time"] - posts[0]["time"]
    assert WINDOW - 0.1 <= duration <= WINDOW + 1.5, duration
    # Every request counted: 3 accepted, 1 refused, and the purge-history lookups after each accepted purge.
    assert result["api_requests"] == len(log) == len(posts) + len([entry for entry in log if entry["kind"] == "status"])
    assert result["status"] == "Pending" and result["changed"] is True
    print(
        "gcore %s retries=%d: %d URLs, %d purge requests accepted, %d refused, %d requests in all, %.2fs from the first purge to the last"
        % (style, retries, len(URLS), len(accepted), len(refusals), len(log), duration)
    )


def test_gcore_past_wait_timeout_fails_listing_what_was_purged_and_what_remains(ansible, emulator):
    emulator.configure(gcore_rate_window=WINDOW)
    paths = ["/big/%03d.png" % index for index in range(500)]
    # The third request waits out one window (~2 s); the fifth would need a second wait, past wait_timeout=3.
    run = ansible.playbook([purge_task(ansible, "gcore", paths=paths, retries=0, wait_timeout=3)])
    assert run.rc != 0
    failed = run.task("purge")
    assert "would pass wait_timeout=3s" in failed["msg"] and "4 of 5 purge requests were accepted before the failure" in failed["msg"]
    assert failed["http_status"] == 429 and "exceeded the request quota" in failed["provider_message"]
    assert failed["paths_purged"] == paths[:400] and failed["paths_remaining"] == paths[400:] and failed["paths_uncertain"] == []
    assert len(failed["purge_requests"]) == 4 and len(failed["request_ids"]) == 4
    accepted = [entry for entry in purge_posts(emulator, "gcore") if entry["accepted"]]
    assert sorted(path for entry in accepted for path in entry["purged"]) == sorted(paths[:400])
    assert failed["api_requests"] == len(emulator.log("gcore"))


def test_gcore_without_retry_after_waits_the_documented_minute_or_fails_at_once(ansible, emulator):
    emulator.configure(gcore_rate_window=WINDOW, gcore_retry_after=False)
    paths = ["/p/%03d.png" % index for index in range(300)]
    run = ansible.playbook([purge_task(ansible, "gcore", paths=paths, retries=0, wait_timeout=30)])
    assert run.rc != 0
    failed = run.task("purge")
    # No Retry-After: the documented window (60 s), which does not fit in wait_timeout=30: no wait at all.
    assert "waiting 60s more would pass wait_timeout=30s (0 rate-limit waits" in failed["msg"]
    assert len(failed["paths_purged"]) == 200 and failed["paths_remaining"] == paths[200:]


def test_gcore_rate_limited_purge_then_wait_for_completion(ansible, emulator):
    emulator.configure(gcore_rate_window=WINDOW, gcore_complete_after=0.5)
    run = ansible.playbook([purge_task(ansible, "gcore", paths=["/w/a.png"], wait=True, poll_interval=0.2)])
    assert run.rc == 0, run.output
    # A pattern purge and purge all have their own windows: each waits its own.
    again = ansible.playbook(
        [purge_task(ansible, "gcore", name="patterns", paths=["/w%d/*" % index for index in range(20)], retries=0)]
        + [purge_task(ansible, "gcore", name="all%d" % index, purge_all=True, retries=0) for index in range(2)]
    )
    assert again.rc == 0, again.output
    assert run.task("purge")["status"] == "Completed"
    posts = purge_posts(emulator, "gcore")
    assert [entry["purge_kind"] for entry in posts if entry["accepted"]] == ["url", "pattern", "pattern", "all", "all"]
    assert [entry["purge_kind"] for entry in posts if not entry["accepted"]] == ["pattern", "all"]


@pytest.mark.parametrize("retry_after", [True, False], ids=["retry-after", "no-retry-after"])
def test_bunny_purge_that_meets_429s_finishes(ansible, emulator, retry_after):
    # A small bucket at the documented exact-URL rate: 40 URLs, 8 at a time, meet empty buckets.
    emulator.configure(bunny_url_bucket={"burst": 5, "rate": 5}, bunny_retry_after=retry_after)
    paths = ["/b/%02d.png" % index for index in range(40)]
    run = ansible.playbook([purge_task(ansible, "bunny", paths=paths)])
    assert run.rc == 0, run.output
    result = run.task("purge")
    log = emulator.log("bunny")
    refused = [entry for entry in log if entry["status"] == 429]
    assert refused, "the bucket should have run dry"
    accepted = [entry for entry in log if entry["accepted"]]
    assert sorted(path for entry in accepted for path in entry["purged"]) == sorted("https://www.example.com" + path for path in paths)
    assert result["api_requests"] == len(log) == len(accepted) + len(refused)
    assert result["status"] == "Completed" and len(result["purge_requests"]) == 40
    print("bunny retry_after=%s: 40 URLs, %d refused (429), %.2fs from first to last" % (retry_after, len(refused), accepted[-1]["time"] - log[0]["time"]))
