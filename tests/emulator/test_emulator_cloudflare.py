"""The emulated Cloudflare purge_cache API: auth, zones, the body rules, limits, the envelope, the HTTP 200
failure switch, rate-limit faults, and the official SDK (cloudflare>=4) against it."""

import re

import pytest
import requests
from emulator_kit import CF_EMAIL, CF_GLOBAL_KEY, CF_TOKEN, CF_ZONE, TIMEOUT, cf_purge

URL = "https://www.example.com/img/logo.png"
ID_RE = re.compile(r"[0-9a-f]{32}")


def assert_error(response, status, code, *, chain=None, naming=None):
    assert response.status_code == status, response.text
    payload = response.json()
    assert set(payload) == {"success", "errors", "messages", "result"}
    assert (payload["success"], payload["messages"], payload["result"]) == (False, [], None)
    (error,) = payload["errors"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if chain is not None:
        assert [link["code"] for link in error["error_chain"]] == [chain]
    if naming is not None:
        assert repr(naming) in error["message"] or naming in error["message"]
    return error


def accepted_entry(emulator):
    entry = emulator.log("cloudflare")[-1]
    assert entry["accepted"] is True
    return entry


# --------------------------------------------------------------------------- auth and zones


def test_bearer_token_purge_and_envelope(emulator):
    response = cf_purge(emulator, {"files": [URL]})
    assert response.status_code == 200
    payload = response.json()
    assert set(payload) == {"success", "errors", "messages", "result"}
    assert (payload["success"], payload["errors"], payload["messages"]) == (True, [], [])
    assert set(payload["result"]) == {"id"} and ID_RE.fullmatch(payload["result"]["id"])
    entry = accepted_entry(emulator)
    assert (entry["provider"], entry["kind"], entry["purge_kind"], entry["purged"], entry["purge_all"]) == ("cloudflare", "purge", "files", [URL], False)
    assert entry["request_id"] == payload["result"]["id"]
    assert cf_purge(emulator, {"files": [URL]}).json()["result"]["id"] != payload["result"]["id"]  # new per purge


def test_legacy_global_key_and_delete_method(emulator):
    legacy = {"X-Auth-Email": CF_EMAIL, "X-Auth-Key": CF_GLOBAL_KEY}
    assert cf_purge(emulator, {"tags": ["a"]}, token=None, headers=legacy).status_code == 200
    assert cf_purge(emulator, {"tags": ["b"]}, method="DELETE").status_code == 200
    assert [(e["method"], e["accepted"]) for e in emulator.log()] == [("POST", True), ("DELETE", True)]


@pytest.mark.parametrize(
    ("token", "headers", "status", "code", "chain"),
    [
        (None, {}, 400, 6003, 9106),
        (None, {"Authorization": "Basic Zm9vOmJhcg=="}, 400, 6003, 6111),
        (None, {"Authorization": "Bearer "}, 400, 6003, 6111),
        (None, {"Authorization": "Bearer two words"}, 400, 6003, 6111),
        ("wrong", {}, 403, 10000, None),
        (None, {"X-Auth-Email": CF_EMAIL}, 400, 6003, 6103),
        (None, {"X-Auth-Key": CF_GLOBAL_KEY}, 400, 6003, 6102),
        (None, {"X-Auth-Email": "not-an-email", "X-Auth-Key": CF_GLOBAL_KEY}, 400, 6003, 6102),
        (None, {"X-Auth-Email": CF_EMAIL, "X-Auth-Key": "wrong"}, 403, 10000, None),
        (None, {"X-Auth-Email": "other@example.com", "X-Auth-Key": CF_GLOBAL_KEY}, 403, 10000, None),
        # A Bearer token wins over the legacy headers.
        ("wrong", {"X-Auth-Email": CF_EMAIL, "X-Auth-Key": CF_GLOBAL_KEY}, 403, 10000, None),
    ],
)
def test_bad_auth(emulator, token, headers, status, code, chain):
    error = assert_error(cf_purge(emulator, {"files": [URL]}, token=token, headers=headers), status, code, chain=chain)
    if code == 6003:
        assert error["message"] == "Invalid request headers"
    if code == 10000:
        assert error["message"] == "Authentication error"
    assert emulator.log()[-1]["accepted"] is False


def test_credentials_can_be_changed(emulator):
    emulator.config(credentials={"cloudflare": {"api_token": "rotated"}})
    assert cf_purge(emulator, {"files": [URL]}).status_code == 403
    assert cf_purge(emulator, {"files": [URL]}, token="rotated").status_code == 200


@pytest.mark.parametrize("zone", ["abc", CF_ZONE.upper(), CF_ZONE[:-1], CF_ZONE + "0"])
def test_malformed_zone_is_unroutable_before_auth(emulator, zone):
    error = assert_error(cf_purge(emulator, {"files": [URL]}, zone=zone, token=None), 400, 7003)
    assert error["message"] == f"Could not route to /zones/{zone}/purge_cache, perhaps your object identifier is invalid?"


def test_unknown_zone_and_configured_zones(emulator):
    other = "0" * 32
    assert_error(cf_purge(emulator, {"files": [URL]}, zone=other, token=None), 400, 6003)  # well-formed: auth first
    assert_error(cf_purge(emulator, {"files": [URL]}, zone=other), 400, 7003)
    emulator.config(cloudflare_zones=[other])
    assert cf_purge(emulator, {"files": [URL]}, zone=other).status_code == 200
    assert_error(cf_purge(emulator, {"files": [URL]}), 400, 7003)


# --------------------------------------------------------------------------- body rules


@pytest.mark.parametrize(
    ("body", "data", "code"),
    [
        ({}, None, 1012),
        (None, b"", 1012),
        ([URL], None, 1012),
        ({"files": [URL], "tags": ["a"]}, None, 1012),
        ({"files": [URL], "purge_everything": True}, None, 1012),
        ({"files": [URL], "zone": CF_ZONE}, None, 1012),
        ({"urls": [URL]}, None, 1012),
        (None, b"{not json", 6007),
        ({"purge_everything": False}, None, 1013),
        ({"purge_everything": "true"}, None, 1013),
        ({"files": []}, None, 1013),
        ({"tags": "a"}, None, 1013),
        ({"hosts": None}, None, 1013),
    ],
)
def test_body_shape(emulator, body, data, code):
    assert_error(cf_purge(emulator, body, data=data), 400, code)
    assert emulator.log()[-1]["accepted"] is False


def test_purge_everything(emulator):
    assert cf_purge(emulator, {"purge_everything": True}).status_code == 200
    entry = accepted_entry(emulator)
    assert (entry["purge_kind"], entry["purge_all"], entry["purged"]) == ("everything", True, [])


FILES_OK = [
    "https://www.example.com/img/logo.png",
    "http://www.example.com/a.css?v=2",
    {"url": "https://www.example.com/m.jpg", "headers": {"CF-Device-Type": "mobile", "Accept-Language": "de"}},
    {"url": "https://www.example.com/plain.jpg"},
]
FILES_BAD = [
    "/img/logo.png",
    "www.example.com/img/logo.png",
    "ftp://www.example.com/a.png",
    "https://www.example.com/img/*",
    "https://www.example.com/a b.png",
    "https://exa_mple!/a.png",
    5,
    {"headers": {"A": "b"}},
    {"url": URL, "method": "GET"},
    {"url": URL, "headers": {"A": 1}},
]


def test_files_accepted_and_logged_as_url_strings(emulator):
    assert cf_purge(emulator, {"files": FILES_OK}).status_code == 200
    assert accepted_entry(emulator)["purged"] == [item if isinstance(item, str) else item["url"] for item in FILES_OK]


@pytest.mark.parametrize("item", FILES_BAD)
def test_files_refused_naming_the_item(emulator, item):
    name = item["url"] if isinstance(item, dict) and "url" in item else item
    assert_error(cf_purge(emulator, {"files": [URL, item]}), 400, 1015, naming=name if isinstance(name, str) else None)


@pytest.mark.parametrize(
    ("kind", "item", "ok"),
    [
        ("prefixes", "www.example.com/img/", True),
        ("prefixes", "www.example.com", True),
        ("prefixes", "www.example.com" + "/a" * 31, True),
        ("prefixes", "www.example.com" + "/a" * 32, False),
        ("prefixes", "https://www.example.com/img/", False),
        ("prefixes", "www.example.com/img?x=1", False),
        ("prefixes", "www.example.com/img#top", False),
        ("prefixes", "www.example.com/img/*", False),
        ("prefixes", "/img/", False),
        ("prefixes", "www.example.com/a b", False),
        ("tags", "product-42", True),
        ("tags", "a" * 1024, True),
        ("tags", "a" * 1025, False),
        ("tags", "two words", False),
        ("tags", "caf\u00e9", False),
        ("tags", "tab\there", False),
        ("tags", "", False),
        ("hosts", "www.example.com", True),
        ("hosts", "images.example.com", True),
        ("hosts", "https://www.example.com", False),
        ("hosts", "www.example.com/img", False),
        ("hosts", "www.example.com:8443", False),
        ("hosts", "", False),
    ],
)
def test_item_rules(emulator, kind, item, ok):
    response = cf_purge(emulator, {kind: [item]})
    if ok:
        assert response.status_code == 200, response.text
        entry = accepted_entry(emulator)
        assert (entry["purge_kind"], entry["purged"]) == (kind, [item])
    else:
        assert_error(response, 400, 1015, naming=item if item else None)


@pytest.mark.parametrize(("kind", "limit"), [("files", 500), ("prefixes", 100), ("tags", 100), ("hosts", 100)])
def test_default_limits(emulator, kind, limit):
    def items(count):
        make = {
            "files": lambda i: f"https://www.example.com/{i}.png",
            "prefixes": lambda i: f"www.example.com/{i}/",
            "tags": lambda i: f"tag-{i}",
            "hosts": lambda i: f"h{i}.example.com",
        }[kind]
        return [make(i) for i in range(count)]

    assert cf_purge(emulator, {kind: items(limit)}).status_code == 200
    error = assert_error(cf_purge(emulator, {kind: items(limit + 1)}), 400, 1014)
    assert str(limit) in error["message"] and str(limit + 1) in error["message"]


def test_free_plan_limit_of_30(emulator):
    emulator.config(cloudflare_max_items={"files": 30, "prefixes": 30, "tags": 30, "hosts": 30})
    assert cf_purge(emulator, {"tags": [f"t{i}" for i in range(30)]}).status_code == 200
    assert_error(cf_purge(emulator, {"files": [f"https://www.example.com/{i}" for i in range(31)]}), 400, 1014)


# --------------------------------------------------------------------------- HTTP 200 failures, faults


def test_http200_failures_are_not_purges(emulator):
    emulator.config(cloudflare_http200_failures=2)
    assert_error(cf_purge(emulator, {"tags": ["x y"]}), 400, 1015)  # an invalid request does not use the switch
    for _index in range(2):
        error = assert_error(cf_purge(emulator, {"tags": ["a"]}), 200, 1100)
        assert "not processed" in error["message"]
    assert requests.get(emulator.url("/_emulator/config"), timeout=TIMEOUT).json()["cloudflare_http200_failures"] == 0
    assert cf_purge(emulator, {"tags": ["a"]}).json()["success"] is True
    assert [(e["status"], e["accepted"]) for e in emulator.log()] == [(400, False), (200, False), (200, False), (200, True)]


def test_429_faults_carry_retry_after_and_rate_limit_headers(emulator):
    emulator.config(fail_next=[{"kind": "429", "retry_after": 7}, {"kind": "429_rl", "retry_after": 9}])
    for seconds in ("7", "9"):
        response = cf_purge(emulator, {"tags": ["a"]})
        assert_error(response, 429, 971)
        assert response.headers["Retry-After"] == seconds
        assert (response.headers["X-RateLimit-Remaining"], response.headers["X-RateLimit-Reset"]) == ("0", seconds)
        assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert not any(e["accepted"] for e in emulator.log())


def test_5xx_fault_uses_the_envelope(emulator):
    emulator.config(fail_next=["503"])
    assert_error(cf_purge(emulator, {"tags": ["a"]}), 503, 10001)


# --------------------------------------------------------------------------- the official SDK


def test_cloudflare_sdk_against_emulator(emulator):
    cloudflare = pytest.importorskip("cloudflare", reason="the cloudflare SDK (requirements-dev.txt) is not installed")
    base = emulator.url("/client/v4")
    client = cloudflare.Cloudflare(api_token=CF_TOKEN, base_url=base, max_retries=0)
    calls = [
        ({"files": [URL, {"url": "https://www.example.com/m.jpg", "headers": {"CF-Device-Type": "mobile"}}]}, "files"),
        ({"prefixes": ["www.example.com/img/"]}, "prefixes"),
        ({"tags": ["product-42", "catalog"]}, "tags"),
        ({"hosts": ["www.example.com"]}, "hosts"),
        ({"purge_everything": True}, "everything"),
    ]
    ids = [client.cache.purge(zone_id=CF_ZONE, **kwargs).id for kwargs, _kind in calls]
    legacy = cloudflare.Cloudflare(api_email=CF_EMAIL, api_key=CF_GLOBAL_KEY, base_url=base, max_retries=0)
    ids.append(legacy.cache.purge(zone_id=CF_ZONE, tags=["legacy"]).id)
    log = emulator.log("cloudflare")
    assert [e["request_id"] for e in log] == ids and all(ID_RE.fullmatch(i) for i in ids)
    assert [e["purge_kind"] for e in log] == [kind for _kwargs, kind in calls] + ["tags"]
    assert log[0]["purged"] == [URL, "https://www.example.com/m.jpg"]
    assert log[2]["purged"] == ["product-42", "catalog"]
    assert log[4]["purge_all"] is True
    assert all(e["path"] == f"/client/v4/zones/{CF_ZONE}/purge_cache" and e["method"] == "POST" for e in log)
    assert log[0]["headers"]["Authorization"] == f"Bearer {CF_TOKEN}"
    assert log[-1]["headers"]["X-Auth-Key"] == CF_GLOBAL_KEY

    wrong = cloudflare.Cloudflare(api_token="wrong", base_url=base, max_retries=0)
    with pytest.raises(cloudflare.PermissionDeniedError) as denied:  # HTTP 403, code 10000
        wrong.cache.purge(zone_id=CF_ZONE, files=[URL])
    assert denied.value.status_code == 403 and "10000" in str(denied.value)
    with pytest.raises(cloudflare.BadRequestError):
        client.cache.purge(zone_id="0" * 32, files=[URL])
    with pytest.raises(cloudflare.BadRequestError):
        client.cache.purge(zone_id=CF_ZONE, files=["https://www.example.com/*"])
    # HTTP 200 with success false: the SDK does not raise, it returns no result. A client must check success.
    emulator.config(cloudflare_http200_failures=1)
    assert client.cache.purge(zone_id=CF_ZONE, tags=["x"]) is None
    assert emulator.log()[-1]["accepted"] is False
