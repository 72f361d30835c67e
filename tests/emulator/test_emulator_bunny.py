"""The emulated Bunny purge API: URL and prefix purges (URL-encoded absolute URL in the query), tag and pull-zone
purges, AccessKey, the account's token buckets with and without Retry-After, quota and faults."""

import time
from urllib.parse import quote

import pytest
import requests
from emulator_kit import TIMEOUT

KEY = "emulator_bunny_access_key"
ZONE = 12345
SITE = "https://www.example.com"
ERROR_KEYS = {"ErrorKey", "Field", "Message"}


def purge_url(emulator, raw, key=KEY, query="&async=false", **kwargs):
    """POST /purge?url=<raw>: raw goes into the query as given (quote it to encode)."""
    headers = {} if key is None else {"AccessKey": key}
    return requests.post(emulator.url("/purge?url=%s%s" % (raw, query)), headers=headers, timeout=TIMEOUT, **kwargs)


def encoded(url):
    return quote(url, safe="")


def purge_zone(emulator, zone=ZONE, key=KEY, **kwargs):
    headers = {} if key is None else {"AccessKey": key}
    headers.update(kwargs.pop("headers", {}))
    return requests.post(emulator.url(f"/pullzone/{zone}/purgeCache"), headers=headers, timeout=TIMEOUT, **kwargs)


def assert_error(response, status, error_key=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS and body["Message"]
    if error_key is not None:
        assert body["ErrorKey"] == error_key
    return body


def last(emulator):
    return emulator.log("bunny")[-1]


# --------------------------------------------------------------------------- auth


@pytest.mark.parametrize("key", [None, "wrong"])
def test_missing_or_wrong_access_key(emulator, key):
    assert_error(purge_url(emulator, encoded(SITE + "/a.png"), key=key), 401, "unauthorized")
    assert_error(purge_zone(emulator, key=key), 401, "unauthorized")
    assert [entry["accepted"] for entry in emulator.log("bunny")] == [False, False]


def test_bearer_or_other_headers_are_not_the_access_key(emulator):
    response = requests.post(emulator.url("/purge?url=" + encoded(SITE + "/a.png")), headers={"Authorization": "Bearer " + KEY}, timeout=TIMEOUT)
    assert_error(response, 401)


# --------------------------------------------------------------------------- URL and prefix purges


@pytest.mark.parametrize("url", [SITE + "/img/a.png", SITE + "/css/site.css?v=2&x=1", "http://www.example.com/a%20b.png", SITE + "/"])
def test_url_purge_decodes_the_encoded_url(emulator, url):
    response = purge_url(emulator, encoded(url))
    assert response.status_code == 200 and response.content == b""
    entry = last(emulator)
    assert entry["accepted"] is True and entry["purged"] == [url] and entry["purge_kind"] == "url"
    assert entry["query"] == {"url": url, "async": "false"} and entry["request_id"] is None


@pytest.mark.parametrize("query", ["", "&async=true", "&async=FALSE"])
def test_async_is_optional(emulator, query):
    assert purge_url(emulator, encoded(SITE + "/a.png"), query=query).status_code == 200


def test_trailing_star_is_a_prefix_purge(emulator):
    assert purge_url(emulator, encoded(SITE + "/img/*")).status_code == 200
    entry = last(emulator)
    assert entry["purge_kind"] == "prefix" and entry["purged"] == [SITE + "/img/*"]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (SITE + "/a.png", "must be URL-encoded"),
        ("https%3A//www.example.com/a.png", "must be URL-encoded"),
        (encoded("/a.png"), "absolute http(s) URL"),
        (encoded("ftp://www.example.com/a.png"), "absolute http(s) URL"),
        (encoded(SITE + "/img/*.png"), "only at the end"),
        (encoded(SITE + "/search?q=*"), "has no query string"),
        (encoded(SITE + "/a b.png"), "space or control character"),
        ("", "must be URL-encoded"),
    ],
)
def test_bad_urls_are_refused(emulator, raw, words):
    body = assert_error(purge_url(emulator, raw), 400)
    assert words in body["Message"] and body["Field"] == "url"
    assert last(emulator)["accepted"] is False


@pytest.mark.parametrize("query", ["&async=maybe", "&async=false&async=true", "&url=x", "&other=1"])
def test_bad_query_parameters_are_refused(emulator, query):
    assert_error(purge_url(emulator, encoded(SITE + "/a.png"), query=query), 400)


def test_missing_url_parameter(emulator):
    assert_error(requests.post(emulator.url("/purge?async=false"), headers={"AccessKey": KEY}, timeout=TIMEOUT), 400)


def test_a_host_no_pull_zone_serves_is_refused(emulator):
    assert_error(purge_url(emulator, encoded("https://other.example.org/a.png")), 400, "purge.hostname_not_found")
    emulator.config(bunny_pull_zones={"777": ["other.example.org"]})
    assert purge_url(emulator, encoded("https://other.example.org/a.png")).status_code == 200


# --------------------------------------------------------------------------- pull zone: tag and everything


def test_cache_tag_purge(emulator):
    response = purge_zone(emulator, json={"CacheTag": "release-42"})
    assert response.status_code == 204 and response.content == b""
    entry = last(emulator)
    assert entry["accepted"] is True and entry["purged"] == ["release-42"] and entry["purge_kind"] == "tag" and entry["purge_all"] is False


@pytest.mark.parametrize("body", [None, {}])
def test_no_tag_purges_the_whole_pull_zone(emulator, body):
    response = purge_zone(emulator, json=body) if body is not None else purge_zone(emulator)
    assert response.status_code == 204
    entry = last(emulator)
    assert entry["purge_all"] is True and entry["purged"] == [] and entry["purge_kind"] == "all"


@pytest.mark.parametrize("zone", [999, "abc", "12345x"])
def test_unknown_pull_zone(emulator, zone):
    assert_error(purge_zone(emulator, zone=zone), 404, "pullzone.not_found")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"CacheTag": "a b"}},
        {"json": {"CacheTag": ""}},
        {"json": {"CacheTag": 42}},
        {"json": {"CacheTag": "x" * 1025}},
        {"json": {"CacheTag": "a", "Other": 1}},
        {"json": ["a"]},
        {"data": "{not json", "headers": {"Content-Type": "application/json"}},
    ],
)
def test_bad_pull_zone_bodies(emulator, kwargs):
    assert_error(purge_zone(emulator, **kwargs), 400)
    assert last(emulator)["accepted"] is False


# --------------------------------------------------------------------------- token buckets


def test_url_bucket_then_429_with_retry_after_then_refilled(emulator):
    emulator.config(bunny_url_bucket={"burst": 3, "rate": 2})
    assert [purge_url(emulator, encoded(SITE + f"/{index}.png")).status_code for index in range(3)] == [200, 200, 200]
    refused = purge_url(emulator, encoded(SITE + "/3.png"))
    assert_error(refused, 429, "too_many_requests")
    assert refused.headers["Retry-After"] == "1"
    assert last(emulator)["accepted"] is False
    # Prefixes have their own bucket.
    assert purge_url(emulator, encoded(SITE + "/img/*")).status_code == 200
    time.sleep(0.6)
    assert purge_url(emulator, encoded(SITE + "/3.png")).status_code == 200


def test_prefix_bucket_default_is_a_burst_of_20(emulator):
    statuses = [purge_url(emulator, encoded(SITE + f"/dir{index}/*")).status_code for index in range(21)]
    assert statuses == [200] * 20 + [429]
    assert emulator.config()["bunny_prefix_bucket"] == {"burst": 20, "rate": 0.5}


def test_429_without_retry_after(emulator):
    emulator.config(bunny_url_bucket={"burst": 1}, bunny_retry_after=False)
    assert purge_url(emulator, encoded(SITE + "/a.png")).status_code == 200
    refused = purge_url(emulator, encoded(SITE + "/b.png"))
    assert refused.status_code == 429 and "Retry-After" not in refused.headers


def test_tag_and_zone_purges_are_not_rate_limited(emulator):
    emulator.config(bunny_url_bucket={"burst": 1, "rate": 0.01}, bunny_prefix_bucket={"burst": 1, "rate": 0.01})
    assert [purge_zone(emulator, json={"CacheTag": f"t{index}"}).status_code for index in range(5)] == [204] * 5


# --------------------------------------------------------------------------- quota, faults, config


def test_quota_is_a_non_retryable_403(emulator):
    emulator.config(quota={"bunny": 1})
    assert purge_url(emulator, encoded(SITE + "/a.png")).status_code == 200
    refused = purge_url(emulator, encoded(SITE + "/b.png"))
    assert_error(refused, 403, "purge.quota_exceeded")
    assert "Retry-After" not in refused.headers
    assert_error(purge_zone(emulator), 403)


@pytest.mark.parametrize("fault", ["429", "503"])
def test_faults_use_bunnys_error_shape(emulator, fault):
    emulator.config(fail_next=[fault])
    response = purge_url(emulator, encoded(SITE + "/a.png"))
    assert_error(response, int(fault))
    assert last(emulator)["fault"] == fault and last(emulator)["accepted"] is False


@pytest.mark.parametrize(
    "patch",
    [
        {"bunny_pull_zones": {"abc": ["www.example.com"]}},
        {"bunny_pull_zones": {"1": ["bad host!"]}},
        {"bunny_url_bucket": {"burst": 0}},
        {"bunny_url_bucket": {"rate": 0}},
        {"bunny_prefix_bucket": {"size": 3}},
        {"bunny_retry_after": "no"},
    ],
)
def test_bad_config_is_refused(emulator, patch):
    response = requests.post(emulator.url("/_emulator/config"), json=patch, timeout=TIMEOUT)
    assert response.status_code == 400 and next(iter(patch)) in response.json()["message"]


def test_defaults_are_described(emulator):
    described = requests.get(emulator.url("/_emulator/providers"), timeout=TIMEOUT).json()["bunny"]
    assert described["credentials"] == {"api_key": KEY}
    assert described["config"] == {
        "bunny_pull_zones": {"12345": ["www.example.com"]},
        "bunny_url_bucket": {"burst": 120, "rate": 5.0},
        "bunny_prefix_bucket": {"burst": 20, "rate": 0.5},
        "bunny_retry_after": True,
    }
