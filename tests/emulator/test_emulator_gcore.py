"""The emulated Gcore CDN purge API: URL, pattern and purge-all bodies, APIKey auth, the purge history with its
filters and pages, statuses In progress -> Successful (or Failed), the per-resource rate limits (429 with or without
Retry-After, or the 400 "exceeded the URL quota"), quota and faults, and the official SDK (gcore) against it."""

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from emulator_kit import TIMEOUT

KEY = "4242$emulatorgcoretoken0123456789abcdef"
RESOURCE = 220748
CNAME = "cdn.example.com"
AUTH = {"Authorization": "APIKey " + KEY}


def purge(emulator, body, resource=RESOURCE, headers=None, **kwargs):
    sent = dict(AUTH) if headers is None else headers
    if "data" in kwargs:
        return requests.post(emulator.url(f"/cdn/resources/{resource}/purge"), headers=sent, timeout=TIMEOUT, **kwargs)
    return requests.post(emulator.url(f"/cdn/resources/{resource}/purge"), json=body, headers=sent, timeout=TIMEOUT, **kwargs)


def history(emulator, headers=None, **params):
    return requests.get(emulator.url("/cdn/purge_statuses"), params=params, headers=AUTH if headers is None else headers, timeout=TIMEOUT)


def assert_error(response, status, words=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    if words is not None:
        assert words in body["message"]
    return body


def last(emulator):
    return emulator.log("gcore")[-1]


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "headers, words",
    [
        ({}, "not provided"),
        ({"Authorization": "APIKey 4242$wrong"}, "Invalid"),
        ({"Authorization": "Bearer " + KEY}, "Invalid"),
        ({"Authorization": KEY}, "Invalid"),
    ],
)
def test_missing_or_wrong_api_key(emulator, headers, words):
    assert_error(purge(emulator, {"urls": ["/a.png"]}, headers=headers), 401, words)
    assert_error(history(emulator, headers=headers), 401, words)
    assert not any(entry["accepted"] for entry in emulator.log("gcore"))


def test_the_scheme_is_case_insensitive(emulator):
    assert purge(emulator, {"urls": ["/a.png"]}, headers={"Authorization": "apikey " + KEY}).status_code == 201


# --------------------------------------------------------------------------- purge bodies


def test_url_purge_is_201_without_a_body_and_logged(emulator):
    response = purge(emulator, {"urls": ["/img/a.png", "/css/site.css?v=2"]})
    assert response.status_code == 201 and response.content == b""
    entry = last(emulator)
    assert entry["accepted"] is True and entry["purge_kind"] == "url" and entry["purged"] == ["/img/a.png", "/css/site.css?v=2"]
    assert entry["request_id"] == "1000001" and entry["purge_all"] is False


def test_pattern_purge_and_purge_all(emulator):
    assert purge(emulator, {"paths": ["/images/*", "/css"]}).status_code == 201
    assert last(emulator)["purge_kind"] == "pattern" and last(emulator)["purged"] == ["/images/*", "/css"]
    assert purge(emulator, {"paths": []}).status_code == 201
    entry = last(emulator)
    assert entry["purge_kind"] == "all" and entry["purge_all"] is True and entry["purged"] == []


@pytest.mark.parametrize(
    "body, words",
    [
        ({"urls": ["https://cdn.example.com/a.png"]}, "without scheme or host"),
        ({"urls": ["//cdn.example.com/a.png"]}, "without scheme or host"),
        ({"urls": ["a.png"]}, "starting with /"),
        ({"urls": ["/img/*"]}, "no wildcard"),
        ({"urls": ["/a b.png"]}, "space"),
        ({"urls": []}, "non-empty"),
        ({"urls": ["/%d.png" % index for index in range(101)]}, "At most 100 URLs"),
        ({"paths": ["/%d/*" % index for index in range(11)]}, "At most 10 patterns"),
        ({"paths": ["/img/*.png"]}, "only at the end"),
        ({"paths": "/img/*"}, "array"),
        ({"urls": ["/a.png"], "paths": ["/b/*"]}, "exactly one"),
        ({}, "exactly one"),
        ({"files": ["/a.png"]}, "exactly one"),
        ([], "JSON object"),
    ],
)
def test_bad_bodies_are_refused(emulator, body, words):
    assert_error(purge(emulator, body), 400, words)
    assert last(emulator)["accepted"] is False


def test_malformed_json(emulator):
    assert_error(purge(emulator, None, data="{urls", headers=dict(AUTH, **{"Content-Type": "application/json"})), 400, "JSON object")


def test_100_urls_and_10_patterns_are_the_maximum(emulator):
    assert purge(emulator, {"urls": ["/%d.png" % index for index in range(100)]}).status_code == 201
    assert purge(emulator, {"paths": ["/%d/*" % index for index in range(10)]}).status_code == 201


@pytest.mark.parametrize("resource", [1, "abc", "220748x"])
def test_unknown_resource(emulator, resource):
    assert_error(purge(emulator, {"urls": ["/a.png"]}, resource=resource), 404, "not found")


# --------------------------------------------------------------------------- the purge history


def test_history_lists_purges_with_status_in_progress_then_successful(emulator):
    emulator.config(gcore_complete_after=0.5)
    purge(emulator, {"urls": ["/a.png"]})
    purge(emulator, {"paths": ["/img/*"]})
    listed = history(emulator).json()
    assert isinstance(listed, list) and [entry["purge_id"] for entry in listed] == [1000001, 1000002]
    first = listed[0]
    assert set(first) == {"purge_id", "status", "resource", "payload", "created", "purge_type"}
    assert first["status"] == "In progress" and first["resource"] == {"id": RESOURCE, "cname": CNAME}
    assert first["payload"] == {"urls": ["/a.png"]} and first["purge_type"] == "purge_by_url"
    assert listed[1]["payload"] == {"paths": ["/img/*"]} and listed[1]["purge_type"] == "purge_by_pattern"
    created = datetime.strptime(first["created"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - created).total_seconds()) < 5
    time.sleep(0.6)
    assert {entry["status"] for entry in history(emulator).json()} == {"Successful"}
    assert last(emulator)["kind"] == "status"


def test_complete_and_failed_purges(emulator):
    emulator.config(gcore_complete_after=600, gcore_failed_purges=1)
    purge(emulator, {"urls": ["/a.png"]})
    purge(emulator, {"urls": ["/b.png"]})
    assert [entry["status"] for entry in history(emulator).json()] == ["In progress", "In progress"]
    assert requests.post(emulator.url("/_emulator/complete"), timeout=TIMEOUT).json()["completed"] >= 2
    assert [entry["status"] for entry in history(emulator).json()] == ["Failed", "Successful"]
    assert emulator.config()["gcore_failed_purges"] == 0


def test_history_filters(emulator):
    emulator.config(gcore_resources={str(RESOURCE): CNAME, "9": "other.example.com"}, gcore_complete_after=600)
    purge(emulator, {"urls": ["/a.png"]})
    purge(emulator, {"paths": []}, resource=9)
    purge(emulator, {"paths": ["/img/*"]})

    def ids(**params):
        return [entry["purge_id"] for entry in history(emulator, **params).json()]

    assert ids(cname="other.example.com") == [1000002]
    assert ids(purge_type="purge_by_pattern") == [1000003]
    assert ids(purge_type="purge_all") == [1000002]
    now = datetime.now(timezone.utc)
    assert ids(from_created=iso(now - timedelta(minutes=1))) == [1000001, 1000002, 1000003]
    assert ids(from_created=iso(now + timedelta(minutes=1))) == []
    assert ids(to_created=iso(now - timedelta(minutes=1))) == []
    assert ids(status="In progress") == [1000001, 1000002, 1000003] and ids(status="Successful") == []


def test_a_limit_makes_a_page_with_the_count(emulator):
    emulator.config(gcore_rate_limits={"url": 100, "pattern": 100})
    for index in range(5):
        assert purge(emulator, {"paths": [f"/d{index}/*"]} if index % 2 else {"urls": [f"/{index}.png"]}).status_code == 201
    page = history(emulator, limit=2, offset=3).json()
    assert page["count"] == 5 and [entry["purge_id"] for entry in page["results"]] == [1000004, 1000005]
    assert history(emulator, limit=2, offset=10).json() == {"count": 5, "results": []}
    assert [entry["purge_id"] for entry in history(emulator, offset=4).json()] == [1000005]


@pytest.mark.parametrize(
    "params, words",
    [
        ({"from_created": "yesterday"}, "from_created"),
        ({"to_created": "2021-13-01T00:00:00Z"}, "to_created"),
        ({"purge_type": "purge_by_tag"}, "purge_type"),
        ({"status": "Done"}, "status"),
        ({"limit": "-1"}, "limit"),
        ({"offset": "x"}, "offset"),
        ({"resource_id": "1"}, "Unknown query parameter"),
    ],
)
def test_bad_history_queries(emulator, params, words):
    assert_error(history(emulator, **params), 400, words)


# --------------------------------------------------------------------------- rate limits


def test_url_purges_two_a_window_per_resource_then_429_with_retry_after(emulator):
    emulator.config(gcore_rate_window=1.5, gcore_resources={str(RESOURCE): CNAME, "9": "other.example.com"})
    assert [purge(emulator, {"urls": [f"/{index}.png"]}).status_code for index in range(2)] == [201, 201]
    refused = purge(emulator, {"urls": ["/2.png"]})
    assert_error(refused, 429, "exceeded the request quota")
    assert refused.headers["Retry-After"] in ("1", "2")
    assert last(emulator)["accepted"] is False and last(emulator)["purge_kind"] == "url"
    # Other kinds and other resources have their own windows.
    assert purge(emulator, {"paths": ["/img/*"]}).status_code == 201
    assert purge(emulator, {"paths": ["/css/*"]}).status_code == 429
    assert purge(emulator, {"paths": []}).status_code == 201
    assert purge(emulator, {"paths": []}).status_code == 429
    assert purge(emulator, {"urls": ["/2.png"]}, resource=9).status_code == 201
    time.sleep(float(refused.headers["Retry-After"]))
    assert purge(emulator, {"urls": ["/2.png"]}).status_code == 201


def test_the_default_window_is_a_minute(emulator):
    assert [purge(emulator, {"urls": [f"/{index}.png"]}).status_code for index in range(2)] == [201, 201]
    refused = purge(emulator, {"urls": ["/2.png"]})
    assert refused.status_code == 429 and 55 <= int(refused.headers["Retry-After"]) <= 60


def test_429_without_retry_after(emulator):
    emulator.config(gcore_retry_after=False)
    purge(emulator, {"paths": ["/img/*"]})
    refused = purge(emulator, {"paths": ["/img/*"]})
    assert refused.status_code == 429 and "Retry-After" not in refused.headers


def test_the_400_url_quota_form(emulator):
    emulator.config(gcore_rate_limit_status=400, gcore_rate_limits={"url": 1})
    assert purge(emulator, {"urls": ["/a.png"]}).status_code == 201
    refused = purge(emulator, {"urls": ["/b.png"]})
    body = assert_error(refused, 400, "exceeded the URL quota")
    assert "Retry-After" in refused.headers and body["exception_class"] == "URLQuotaExceeded"
    # Pattern purges keep the 429.
    purge(emulator, {"paths": ["/img/*"]})
    assert purge(emulator, {"paths": ["/img/*"]}).status_code == 429


def test_invalid_bodies_do_not_count_against_the_window(emulator):
    emulator.config(gcore_rate_limits={"url": 1})
    assert purge(emulator, {"urls": ["bad"]}).status_code == 400
    assert purge(emulator, {"urls": ["/a.png"]}).status_code == 201


# --------------------------------------------------------------------------- quota, faults, config


def test_quota_is_a_non_retryable_403(emulator):
    emulator.config(quota={"gcore": 1})
    assert purge(emulator, {"urls": ["/a.png"]}).status_code == 201
    refused = purge(emulator, {"paths": ["/img/*"]})
    assert_error(refused, 403, "quota")
    assert "Retry-After" not in refused.headers


@pytest.mark.parametrize("fault", ["429", "503"])
def test_faults_use_gcores_error_shape(emulator, fault):
    emulator.config(fail_next=[fault])
    assert_error(purge(emulator, {"urls": ["/a.png"]}), int(fault))
    assert last(emulator)["fault"] == fault


@pytest.mark.parametrize(
    "patch",
    [
        {"gcore_resources": {"x": "cdn.example.com"}},
        {"gcore_resources": {"1": "not a host"}},
        {"gcore_rate_window": 0},
        {"gcore_rate_limits": {"url": 0}},
        {"gcore_rate_limits": {"tag": 1}},
        {"gcore_retry_after": 1},
        {"gcore_rate_limit_status": 500},
        {"gcore_complete_after": -1},
        {"gcore_failed_purges": 1.5},
    ],
)
def test_bad_config_is_refused(emulator, patch):
    response = requests.post(emulator.url("/_emulator/config"), json=patch, timeout=TIMEOUT)
    assert response.status_code == 400 and next(iter(patch)) in response.json()["message"]


def test_defaults_are_described(emulator):
    described = requests.get(emulator.url("/_emulator/providers"), timeout=TIMEOUT).json()["gcore"]
    assert described["credentials"] == {"api_key": KEY}
    assert described["config"] == {
        "gcore_resources": {str(RESOURCE): CNAME},
        "gcore_rate_window": 60.0,
        "gcore_rate_limits": {"url": 2, "pattern": 1, "all": 1},
        "gcore_retry_after": True,
        "gcore_rate_limit_status": 429,
        "gcore_complete_after": 2.0,
        "gcore_failed_purges": 0,
    }


# --------------------------------------------------------------------------- the official SDK


def test_gcore_sdk_against_emulator(emulator):
    gcore = pytest.importorskip("gcore", reason="the gcore SDK (requirements-dev.txt) is not installed")
    client = gcore.Gcore(api_key=KEY, base_url=emulator.base, max_retries=0)
    assert client.cdn.cdn_resources.purge(RESOURCE, urls=["/img/a.png", "/s.css?v=2"]) is None
    assert client.cdn.cdn_resources.purge(RESOURCE, paths=["/images/*"]) is None
    assert client.cdn.cdn_resources.purge(RESOURCE, paths=[]) is None
    sent = [entry for entry in emulator.log("gcore") if entry["kind"] == "purge"]
    assert [entry["body"] for entry in sent] == [{"urls": ["/img/a.png", "/s.css?v=2"]}, {"paths": ["/images/*"]}, {"paths": []}]
    assert all(entry["accepted"] and entry["headers"]["Authorization"] == "APIKey " + KEY for entry in sent)
    # The SDK pages the history with limit and offset, and reads the {"count", "results"} page.
    page = client.cdn.list_purge_statuses(purge_type="purge_by_url", from_created=iso(datetime.now(timezone.utc) - timedelta(minutes=1)), limit=10)
    (entry,) = page.results
    assert page.count == 1 and entry.purge_id == 1000001 and entry.status == "In progress" and entry.resource.id == RESOURCE
    assert entry.payload == {"urls": ["/img/a.png", "/s.css?v=2"]} and entry.purge_type == "purge_by_url"
    assert [item.purge_id for item in client.cdn.list_purge_statuses(limit=2)] == [1000001, 1000002, 1000003]
    with pytest.raises(gcore.RateLimitError):
        client.cdn.cdn_resources.purge(RESOURCE, paths=["/css/*"])
    with pytest.raises(gcore.BadRequestError):
        client.cdn.cdn_resources.purge(RESOURCE, urls=["https://cdn.example.com/a.png"])
    with pytest.raises(gcore.NotFoundError):
        client.cdn.cdn_resources.purge(1, urls=["/a.png"])
    with pytest.raises(gcore.AuthenticationError):
        gcore.Gcore(api_key="1$wrong", base_url=emulator.base, max_retries=0).cdn.cdn_resources.purge(RESOURCE, urls=["/a.png"])
