"""Bunny and Gcore: their requests, answers, credentials and item rules; Gcore's purge-history lookup, status reading
and rate-limit loop. The client is a recording fake that keeps the real client's `ok` contract; time is a fake clock."""

import email.utils
import json
import threading
import time
import time as real_time
import types

import pytest
import requests

from ansible_collections.cdnops.cdn.plugins.module_utils import _provider_gcore
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import RequestCounter
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for
from ansible_collections.cdnops.cdn.plugins.module_utils._planner import plan_purge
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS, provider_option_spec

SITE = "https://www.example.com"
RESOURCE = 220748
GCORE_KEY = "4242$emulatorgcoretoken0123456789abcdef"


def answer(status=200, body=None, headers=None, text=None):
    response = requests.Response()
    response.status_code = status
    response._content = (text if text is not None else "" if body is None else json.dumps(body)).encode()
    response.headers.update(headers or {})
    return response


class Client:
    """Answers in order (an answer may be a function of the request); like ApiClient.request, a status outside
    `ok` raises CdnError. Counts requests and, per answer, answers lost (lost=N) for maybe_accepted_twice."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []
        self.counter = RequestCounter()

    def request(self, method, path, what, ok=(200, 201, 202, 204), **kwargs):
        self.counter.add()
        self.calls.append((method, path, dict(kwargs, ok=ok)))
        response = self.answers.pop(0)
        if callable(response):
            response = response(method, path, kwargs)
        for _index in range(getattr(response, "lost", 0)):
            self.counter.answer_lost()
        if response.status_code not in ok:
            raise CdnError(
                "%s failed: HTTP %d: %s" % (what, response.status_code, response.text), http_status=response.status_code, provider_message=response.text
            )
        return response

    @property
    def lost_answers(self):
        return self.counter.lost_answers

    def start_exchange(self):
        # As ApiClient: the runner starts one per purge request; the requests of that purge count together.
        self.counter.start_exchange()

    @staticmethod
    def error_message(response):
        return response.text


class Clock:
    """time for the gcore adapter: wall and monotonic clocks that only sleep() moves."""

    def __init__(self):
        self.now = 1_800_000_000.0
        self.mono = 1000.0
        self.sleeps = []

    def time(self):
        return self.now

    def monotonic(self):
        return self.mono

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        self.mono += seconds

    strftime = staticmethod(real_time.strftime)
    gmtime = staticmethod(real_time.gmtime)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(_provider_gcore, "time", fake)
    return fake


def plan(adapter, **items):
    result = plan_purge(adapter, {option: items.get(option, []) for option in ("paths", "tags", "hosts", "cp_codes")}, items.get("batch_size"), 1000)
    return [(batch.kind, batch.values) for batch in result.batches], result


def test_both_declare_integer_ids_that_merge_with_every_other_provider():
    spec = provider_option_spec()
    assert spec["pull_zone_id"] == {"type": "int", "no_log": False} and spec["resource_id"] == {"type": "int", "no_log": False}
    assert PROVIDERS["bunny"].synchronous and PROVIDERS["bunny"].concurrent and not PROVIDERS["gcore"].synchronous
    assert PROVIDERS["gcore"].status_model == "per_id" and PROVIDERS["gcore"].default_wait_timeout == 300
    assert PROVIDERS["gcore"].waits_out_rate_limits is True and not getattr(PROVIDERS["bunny"], "waits_out_rate_limits", False)


# =========================================================================== Bunny


def test_bunny_urls_and_prefixes_one_per_request_url_encoded_in_the_query(make_params):
    adapter = provider_for(make_params("bunny"))
    batches, result = plan(adapter, paths=["/a.png", SITE + "/css/site.css?v=2&x=1", "/img/*", "/img/b.png"])
    assert batches == [("url", [SITE + "/a.png"]), ("url", [SITE + "/css/site.css?v=2&x=1"]), ("prefix", [SITE + "/img/*"])]
    assert result.skipped == [{"path": SITE + "/img/b.png", "reason": "covered_by_prefix", "covered_by": SITE + "/img/*"}]
    client = Client(answer(200), answer(200))
    assert adapter.purge(client, "url", [SITE + "/css/site.css?v=2&x=1"]) is None
    assert adapter.purge(client, "prefix", [SITE + "/img/*"]) is None
    assert [call[:2] for call in client.calls] == [
        ("POST", "/purge?url=https%3A%2F%2Fwww.example.com%2Fcss%2Fsite.css%3Fv%3D2%26x%3D1&async=false"),
        ("POST", "/purge?url=https%3A%2F%2Fwww.example.com%2Fimg%2F%2A&async=false"),
    ]
    assert "json" not in client.calls[0][2]


def test_bunny_tags_one_per_request_and_the_whole_pull_zone(make_params):
    adapter = provider_for(make_params("bunny"))
    batches, result = plan(adapter, tags=["release-42", "product-7"])
    assert batches == [("tag", ["release-42"]), ("tag", ["product-7"])] and result.paths == ["tag:release-42", "tag:product-7"]
    client = Client(answer(204), answer(204))
    assert adapter.purge(client, "tag", ["release-42"]) is None
    assert adapter.purge(client, "all", []) is None
    assert client.calls == [
        ("POST", "/pullzone/12345/purgeCache", {"json": {"CacheTag": "release-42"}, "ok": (200, 201, 202, 204)}),
        ("POST", "/pullzone/12345/purgeCache", {"ok": (200, 201, 202, 204)}),
    ]


@pytest.mark.parametrize(
    "path, words",
    [
        ("/img/*.png", "one * only at the end"),
        ("/img/**", "one * only at the end"),
        ("/search?q=*", "has no query string"),
        ("/search/*?q=a", "has no query string"),
        ("/a.png#top", "a fragment"),
        ("https://other.example.org/a.png", "does not lie under url_endpoint"),
    ],
)
def test_bunny_path_rules(make_params, path, words):
    with pytest.raises(CdnError, match="nothing was sent") as caught:
        plan(provider_for(make_params("bunny")), paths=[path])
    assert words in caught.value.message


@pytest.mark.parametrize("tag", ["a,b", "clé", "x" * 1025])
def test_bunny_tag_rules(make_params, tag):
    with pytest.raises(CdnError, match="without spaces or commas"):
        plan(provider_for(make_params("bunny")), tags=[tag])


def test_bunny_batch_size_above_one_is_refused(make_params):
    with pytest.raises(CdnError, match="batch_size=2 is above bunny's documented maximum of 1"):
        plan(provider_for(make_params("bunny")), paths=["/a.png"], batch_size=2)


def test_bunny_relative_paths_need_url_endpoint(make_params):
    adapter = provider_for(make_params("bunny", url_endpoint=None))
    with pytest.raises(CdnError, match="bunny needs absolute URLs; a relative path needs url_endpoint"):
        plan(adapter, paths=["/a.png"])
    assert plan(adapter, paths=["http://cdn.example.net/a.png"])[0] == [("url", ["http://cdn.example.net/a.png"])]
    assert adapter.target_id() == "12345"
    assert provider_for(make_params("bunny", pull_zone_id=None)).target_id() == SITE


@pytest.mark.parametrize("items", [{"tags": ["t"]}, {"purge_all": True}])
def test_bunny_pull_zone_id_is_required_for_tags_and_purge_all_only(make_params, items):
    with pytest.raises(CdnError, match="option pull_zone_id is required for provider bunny to purge tags \\(cache tags\\) or purge_all"):
        provider_for(make_params("bunny", pull_zone_id=None, **items))
    assert plan(provider_for(make_params("bunny", pull_zone_id=None)), paths=["/a.png"])[0] == [("url", [SITE + "/a.png"])]


@pytest.mark.parametrize("value", [0, -3, True, "12a"])
def test_bunny_pull_zone_id_must_be_a_positive_integer(make_params, value):
    with pytest.raises(CdnError, match="must be a Bunny pull zone id"):
        provider_for(make_params("bunny", pull_zone_id=value))


def test_bunny_access_key_from_option_or_environment(make_params, monkeypatch):
    monkeypatch.delenv("BUNNYNET_API_KEY", raising=False)
    adapter = provider_for(make_params("bunny", api_key="key-1"))
    assert adapter.client_settings(adapter.credential_values()) == ({"AccessKey": "key-1", "Accept": "application/json"}, None)
    with pytest.raises(CdnError, match="environment variable BUNNYNET_API_KEY"):
        provider_for(make_params("bunny", api_key=None)).credential_values()
    monkeypatch.setenv("BUNNYNET_API_KEY", "env-key")
    assert provider_for(make_params("bunny", api_key=None)).credential_values() == {"api_key": "env-key"}


def test_bunny_paces_refused_requests_by_the_buckets_refill_slots(make_params, monkeypatch):
    from ansible_collections.cdnops.cdn.plugins.module_utils import _provider_bunny

    monkeypatch.setattr(_provider_bunny, "time", types.SimpleNamespace(monotonic=lambda: 100.0))
    adapter = provider_for(make_params("bunny"))
    # Nothing sent yet: as exact URLs. Each refused request waits for its own token: 5 a second.
    assert [adapter.pace(0.0) for _index in range(3)] == [pytest.approx(0.2), pytest.approx(0.4), pytest.approx(0.6)]
    adapter.purge(Client(answer(200)), "prefix", [SITE + "/img/*"])
    # Prefixes have their own bucket: 0.5 a second.
    assert [adapter.pace(0.0) for _index in range(2)] == [pytest.approx(2.0), pytest.approx(4.0)]
    seen = []
    # The hook is asked in the thread that sends: each thread has its own kind.
    thread = threading.Thread(target=lambda: (adapter.purge(Client(answer(200)), "url", [SITE + "/a.png"]), seen.append(adapter.pace(0.0))))
    thread.start()
    thread.join()
    assert seen == [pytest.approx(0.8)] and adapter.pace(0.0) == pytest.approx(6.0)
    # Slots in the past are not owed: later refusals start from now.
    monkeypatch.setattr(_provider_bunny, "time", types.SimpleNamespace(monotonic=lambda: 200.0))
    assert adapter.pace(0.0) == pytest.approx(2.0)
    adapter.purge(Client(answer(204)), "tag", ["t"])
    assert adapter.pace(0.0) == pytest.approx(0.2)
    # A Retry-After longer than the slot is waited whole (and the slot is still taken).
    assert adapter.pace(1.0) == 1.0 and adapter.pace(0.0) == pytest.approx(0.6)
    # Bunny has no rate-limit header of its own: without Retry-After the HTTP layer asks pace(0).
    assert adapter.retry_after({}) is None


def test_bunny_error_words_and_no_status_api(make_params):
    adapter = provider_for(make_params("bunny"))
    body = {"ErrorKey": "pullzone.not_found", "Field": "id", "Message": "The requested Pull Zone was not found"}
    assert adapter.error_words(body) == ["The requested Pull Zone was not found (error pullzone.not_found, field id)"]
    assert adapter.error_words({"Message": "Denied"}) == ["Denied"]
    assert adapter.error_words({"message": "other"}) == ["other"]
    with pytest.raises(CdnError, match="purges synchronously and has no purge status API"):
        adapter.statuses(Client(), ["1"])


# =========================================================================== Gcore


def entry(purge_id, payload, created, purge_type="purge_by_url", status="In progress", resource=RESOURCE):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + ".%03dZ" % int(created % 1 * 1000)
    return {
        "purge_id": purge_id,
        "status": status,
        "resource": {"id": resource, "cname": "cdn.example.com"},
        "payload": payload,
        "created": stamp,
        "purge_type": purge_type,
    }


def page(*entries, count=None):
    return answer(200, {"count": len(entries) if count is None else count, "results": list(entries)})


def test_gcore_request_shapes_and_the_id_from_the_history(make_params, clock):
    adapter = provider_for(make_params("gcore"))
    batches, _result = plan(adapter, paths=["/img/*", "/a.png", "/css/site.css?v=2", "/img/x.png"])
    assert batches == [("url", ["/a.png", "/css/site.css?v=2"]), ("prefix", ["/img/*"])]
    sent = clock.now
    client = Client(
        answer(201),
        page(entry(7, {"urls": ["/css/site.css?v=2", "/a.png"]}, sent + 0.2)),
        answer(201),
        page(entry(8, {"paths": ["/img/*"]}, sent + 0.4, "purge_by_pattern")),
        answer(201),
        answer(200, [entry(9, {"paths": []}, sent + 0.5, "purge_all")]),
    )
    assert adapter.purge(client, "url", ["/a.png", "/css/site.css?v=2"]) == "7"
    assert adapter.purge(client, "prefix", ["/img/*"]) == "8"
    assert adapter.purge(client, "all", []) == "9"
    posts = [call for call in client.calls if call[0] == "POST"]
    assert [(path, kwargs["json"]) for _method, path, kwargs in posts] == [
        ("/cdn/resources/220748/purge", {"urls": ["/a.png", "/css/site.css?v=2"]}),
        ("/cdn/resources/220748/purge", {"paths": ["/img/*"]}),
        ("/cdn/resources/220748/purge", {"paths": []}),
    ]
    # 400 and 429 come back to the adapter: the rate-limit loop reads them.
    assert all(set(kwargs["ok"]) >= {201, 400, 429} for _method, _path, kwargs in posts)
    lookups = [call for call in client.calls if call[0] == "GET"]
    assert {path for _method, path, _kwargs in lookups} == {"/cdn/purge_statuses"}
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sent - 60))
    assert [kwargs["params"] for _method, _path, kwargs in lookups] == [
        {"from_created": since, "purge_type": purge_type, "limit": 100, "offset": 0} for purge_type in ("purge_by_url", "purge_by_pattern", "purge_all")
    ]
    assert adapter.sent_at == {"7": sent, "8": sent, "9": sent}


def test_gcore_lookup_takes_the_newest_unclaimed_purge_of_this_resource_type_and_payload(make_params, clock):
    adapter = provider_for(make_params("gcore"))
    sent = clock.now
    mine = {"urls": ["/a.png"]}
    history = page(
        entry(1, mine, sent - 300),  # older than the clock skew allows
        entry(2, mine, sent + 1, resource=99),  # another resource
        entry(3, {"urls": ["/a.png", "/b.png"]}, sent + 1),  # another payload
        entry(4, {"paths": ["/a.png"]}, sent + 1, "purge_by_pattern"),  # another type
        entry(5, mine, sent - 10),  # within the skew: a candidate, but older
        entry(6, mine, sent + 2),  # the newest
        {"purge_id": "../x", "resource": {"id": RESOURCE}, "payload": mine, "purge_type": "purge_by_url", "created": "x"},
        "not an entry",
    )
    client = Client(answer(201), history, answer(201), history)
    assert adapter.purge(client, "url", ["/a.png"]) == "6"
    # The same purge again: the one already claimed is not taken twice.
    assert adapter.purge(client, "url", ["/a.png"]) == "5"


def test_gcore_lookup_retries_while_the_history_lags_then_fails_clearly(make_params, clock):
    adapter = provider_for(make_params("gcore"))
    sent = clock.now
    client = Client(answer(201), page(), page(entry(11, {"urls": ["/a.png"]}, sent)))
    assert adapter.purge(client, "url", ["/a.png"]) == "11" and clock.sleeps == [1.0]
    client = Client(answer(201), page(), page(), page())
    with pytest.raises(CdnError, match="was accepted \\(HTTP 201\\) but does not appear in Gcore's purge history"):
        adapter.purge(client, "url", ["/b.png"])
    assert len(client.calls) == 4
    with pytest.raises(CdnError, match="Gcore's purge history is not a JSON list"):
        adapter.purge(Client(answer(201), answer(200, {"purges": []})), "url", ["/c.png"])


def test_gcore_lookup_reads_the_newest_pages_first(make_params, clock):
    adapter = provider_for(make_params("gcore"))
    sent = clock.now
    older = [entry(100 + index, {"urls": ["/x%d.png" % index]}, sent) for index in range(100)]
    client = Client(answer(201), page(*older, count=250), page(entry(500, {"urls": ["/a.png"]}, sent + 1), count=250))
    assert adapter.purge(client, "url", ["/a.png"]) == "500"
    assert client.calls[2][2]["params"]["offset"] == 150 and client.calls[2][2]["params"]["limit"] == 100


def test_gcore_rate_limit_is_waited_out_per_retry_after_then_resent(make_params, clock):
    adapter = provider_for(make_params("gcore", retries=0))
    sent = clock.now
    client = Client(
        answer(429, {"message": "You have exceeded the request quota"}, {"Retry-After": "7"}),
        answer(429, {"message": "You have exceeded the request quota"}),  # no Retry-After: the documented minute
        answer(400, {"message": "You have exceeded the URL quota. Try again later."}, {"Retry-After": email.utils.formatdate(sent + 7 + 60 + 12, usegmt=True)}),
        answer(429, {"message": "quota"}, {"Retry-After": "0"}),  # never a busy loop
        answer(201),
        lambda _method, _path, _kwargs: page(entry(21, {"urls": ["/a.png"]}, clock.now)),
    )
    assert adapter.purge(client, "url", ["/a.png"]) == "21"
    assert [call[0] for call in client.calls] == ["POST"] * 5 + ["GET"]
    assert clock.sleeps == [7.0, 60.0, pytest.approx(12.0, abs=1), 1.0]
    assert adapter.rate_limit_waits == clock.sleeps


def test_gcore_other_400s_fail_at_once(make_params, clock):
    adapter = provider_for(make_params("gcore"))
    client = Client(answer(400, {"message": "Invalid URL", "errors": {"urls": ["bad"]}}))
    with pytest.raises(CdnError, match="HTTP 400 .*Invalid URL") as caught:
        adapter.purge(client, "url", ["/a.png"])
    assert caught.value.http_status == 400 and clock.sleeps == [] and len(client.calls) == 1


def test_gcore_rate_limit_waits_stay_within_wait_timeout_from_the_first_purge(make_params, clock):
    adapter = provider_for(make_params("gcore", wait_timeout=100))
    refused = answer(429, {"message": "You have exceeded the request quota"}, {"Retry-After": "60"})
    client = Client(answer(201), page(entry(1, {"urls": ["/a.png"]}, clock.now)), refused, answer(201))
    client.answers.append(lambda _method, _path, _kwargs: page(entry(2, {"urls": ["/b.png"]}, clock.now)))
    assert adapter.purge(client, "url", ["/a.png"]) == "1"
    assert adapter.purge(client, "url", ["/b.png"]) == "2" and clock.sleeps == [60.0]
    client.answers[:] = [refused]
    with pytest.raises(CdnError) as caught:
        adapter.purge(client, "url", ["/c.png"])
    # 60 s waited, 60 more would end 120 s after the first purge: fail now, without sleeping.
    assert caught.value.http_status == 429 and clock.sleeps == [60.0]
    assert "waiting 60s more would pass wait_timeout=100s (1 rate-limit waits of 60s in all so far)" in caught.value.message
    assert "N/200 minutes" in caught.value.message and caught.value.provider_message


def test_gcore_wait_timeout_zero_fails_at_the_first_refusal(make_params, clock):
    adapter = provider_for(make_params("gcore", wait_timeout=0))
    with pytest.raises(CdnError, match="would pass wait_timeout=0s"):
        adapter.purge(Client(answer(429, {"message": "quota"}, {"Retry-After": "1"})), "prefix", ["/img/*"])
    assert clock.sleeps == []


def test_gcore_keeps_the_purges_lost_answers_for_maybe_accepted_twice(make_params, clock):
    adapter = provider_for(make_params("gcore"))
    lost = answer(201)
    lost.lost = 1
    client = Client(lost, page(entry(3, {"urls": ["/a.png"]}, clock.now)))
    adapter.purge(client, "url", ["/a.png"])
    assert client.lost_answers == 1
    client = Client(answer(201), page(entry(4, {"urls": ["/b.png"]}, clock.now)))
    adapter.purge(client, "url", ["/b.png"])
    assert client.lost_answers == 0


def test_gcore_an_answer_lost_before_a_rate_limit_resend_still_counts(make_params, clock):
    """Lost, retried into a 429, waited out, resent: the resend is a new exchange, the lost answer is not forgotten."""
    adapter = provider_for(make_params("gcore"))
    refused = answer(429, {"message": "quota"}, {"Retry-After": "1"})
    refused.lost = 1
    client = Client(refused, answer(201), page(entry(5, {"urls": ["/c.png"]}, clock.now)))
    adapter.purge(client, "url", ["/c.png"])
    assert client.lost_answers == 1
    # And when the resend fails, the runner still sees the lost answer (paths_uncertain).
    client = Client(refused, answer(403, {"message": "forbidden"}))
    with pytest.raises(CdnError):
        adapter.purge(client, "url", ["/d.png"])
    assert client.lost_answers == 1


@pytest.mark.parametrize(
    "path, words",
    [
        ("https://cdn.example.com/a.png", "without scheme or host"),
        ("a.png", "must start with /"),
        ("/img/*.png", "one * only at the end"),
        ("/search/*?q=a", "a Gcore pattern has no query string"),
        ("/a.png#top", "a fragment"),
    ],
)
def test_gcore_path_rules(make_params, path, words):
    with pytest.raises(CdnError, match="nothing was sent") as caught:
        plan(provider_for(make_params("gcore")), paths=[path])
    assert words in caught.value.message


def test_gcore_batches_100_urls_and_10_patterns(make_params):
    adapter = provider_for(make_params("gcore"))
    batches, _result = plan(adapter, paths=["/f%d.png" % index for index in range(250)] + ["/d%d/*" % index for index in range(25)])
    assert [(kind, len(values)) for kind, values in batches] == [("url", 100), ("url", 100), ("url", 50), ("prefix", 10), ("prefix", 10), ("prefix", 5)]
    assert [len(values) for _kind, values in plan(adapter, paths=["/f%d.png" % index for index in range(30)], batch_size=20)[0]] == [20, 10]
    with pytest.raises(CdnError, match="batch_size=101 is above gcore's documented maximum of 100"):
        plan(adapter, paths=["/a.png"], batch_size=101)
    with pytest.raises(CdnError, match="tags is not supported by provider gcore"):
        plan(adapter, tags=["t"])


def test_gcore_credentials_and_resource_id(make_params, monkeypatch):
    monkeypatch.delenv("GCORE_API_KEY", raising=False)
    adapter = provider_for(make_params("gcore"))
    assert adapter.client_settings(adapter.credential_values()) == ({"Authorization": "APIKey " + GCORE_KEY, "Accept": "application/json"}, None)
    assert adapter.secrets == (GCORE_KEY,) and adapter.target_id() == "220748"
    with pytest.raises(CdnError, match="environment variable GCORE_API_KEY"):
        provider_for(make_params("gcore", api_key=None)).credential_values()
    monkeypatch.setenv("GCORE_API_KEY", "99$env")
    assert provider_for(make_params("gcore", api_key=None)).credential_values() == {"api_key": "99$env"}
    with pytest.raises(CdnError, match="option resource_id is required for provider gcore"):
        provider_for(make_params("gcore", resource_id=None))
    for value in (0, -1, True):
        with pytest.raises(CdnError, match="must be a Gcore CDN resource id"):
            provider_for(make_params("gcore", resource_id=value))
    with pytest.raises(CdnError, match="option url_endpoint is not used by provider gcore"):
        provider_for(make_params("gcore", url_endpoint=SITE))


def test_gcore_statuses_one_listing_for_many_ids(make_params, clock):
    adapter = provider_for(make_params("gcore"))
    adapter.sent_at.update({"7": clock.now - 5, "8": clock.now})
    listing = page(entry(7, {}, clock.now, status="Successful"), entry(8, {}, clock.now), entry(9, {}, clock.now, status="Failed"))
    client = Client(listing)
    assert adapter.statuses(client, ["8", "7"]) == {"8": "In progress", "7": "Successful"}
    assert len(client.calls) == 1 and client.calls[0][2]["params"]["from_created"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now - 65))
    # Ids of another run: no from_created, the newest pages first.
    client = Client(page(entry(1, {}, clock.now), count=301), page(entry(300, {}, clock.now, status="Successful"), count=301))
    assert adapter.statuses(client, ["300"]) == {"300": "Successful"}
    assert "from_created" not in client.calls[0][2]["params"] and client.calls[1][2]["params"]["offset"] == 201
    with pytest.raises(CdnError, match="purge ids not in Gcore's purge history: 42") as caught:
        adapter.statuses(Client(page(entry(7, {}, clock.now))), ["7", "42"])
    assert caught.value.details == {"missing_request_ids": ["42"]}


def test_gcore_status_words_and_a_failed_purge(make_params):
    adapter = provider_for(make_params("gcore"))
    assert adapter.contract_status("In progress") == "Pending" and adapter.contract_status("Successful") == "Completed"
    adapter.check_status_words({"1": "In progress", "2": "Successful"})
    with pytest.raises(CdnError, match="Gcore reports 1 purge requests of resource 220748 as Failed: 2; their paths may still be cached") as caught:
        adapter.check_status_words({"1": "Successful", "2": "Failed"})
    assert caught.value.details == {"failed_request_ids": ["2"]} and caught.value.provider_message == "Failed"
    with pytest.raises(CdnError, match="status this module does not know .*'Status report disabled'"):
        adapter.check_status_words({"3": "Status report disabled"})


@pytest.mark.parametrize("request_id", ["abc", "12a", "../1", "1/2", ""])
def test_gcore_request_ids_are_purge_ids(make_params, request_id):
    with pytest.raises(CdnError, match="is not a valid gcore"):
        provider_for(make_params("gcore")).check_request_id(request_id)


def test_gcore_hooks(make_params):
    adapter = provider_for(make_params("gcore"))
    assert adapter.retry_after({}) == 60.0
    assert adapter.error_words({"message": "Resource not found", "exception_class": "NotFound", "errors": {"x": 1}}) == ["Resource not found"]
    assert adapter.error_words({"errors": {"urls": ["bad"]}}) == ['{"urls": ["bad"]}']


@pytest.mark.parametrize(
    "value, seconds",
    [("7", 7.0), ("0", 0.0), ("2.5", 2.5), ("", None), ("soon", None), ("-3", None), (None, None)],
)
def test_gcore_retry_after_values(value, seconds):
    assert _provider_gcore.retry_after_seconds(value) == seconds


def test_gcore_time_parsing():
    assert _provider_gcore.parse_time("2021-06-14T00:00:00Z") == 1623628800.0
    assert _provider_gcore.parse_time("2021-06-14T00:00:00.250Z") == 1623628800.25
    assert _provider_gcore.parse_time("2021-06-14T02:00:00+02:00") == 1623628800.0
    assert _provider_gcore.parse_time("2021-06-14 00:00:00") == 1623628800.0
    assert _provider_gcore.parse_time("yesterday") is None and _provider_gcore.parse_time(5) is None
    assert _provider_gcore.iso_utc(1623628800.9) == "2021-06-14T00:00:00Z"
