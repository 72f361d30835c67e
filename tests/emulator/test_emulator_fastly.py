"""The emulated Fastly purge API: URL, surrogate-key, bulk and purge_all purges, Fastly-Key and token scopes,
soft purge, Fastly-RateLimit-* headers and faults, and the official SDK (fastly>=5) against it."""

import re
import time

import pytest
from emulator_kit import FY_HOST, FY_SERVICE, FY_TOKEN, fy_post

ID_RE = re.compile(r"\d{5}-\d{10}-\d{7}")
SOFT = {"Fastly-Soft-Purge": "1"}
PATHS = {
    "url": f"/purge/{FY_HOST}/img/logo.png",
    "key": f"/service/{FY_SERVICE}/purge/product-42",
    "bulk": f"/service/{FY_SERVICE}/purge",
    "all": f"/service/{FY_SERVICE}/purge_all",
}


def bulk(emulator, keys=None, header=None, **kwargs):
    headers = {"Surrogate-Key": header} if header is not None else {}
    headers.update(kwargs.pop("headers", {}))
    body = None if keys is None else {"surrogate_keys": keys}
    return fy_post(emulator, PATHS["bulk"], json=body, headers=headers, **kwargs)


def assert_error(response, status, msg=None):
    assert response.status_code == status, response.text
    payload = response.json()
    assert set(payload) == {"msg", "detail"} and all(isinstance(v, str) and v for v in payload.values())
    if msg is not None:
        assert payload["msg"] == msg
    return payload


def assert_rate_headers(response):
    assert int(response.headers["Fastly-RateLimit-Remaining"]) >= 0
    assert abs(int(response.headers["Fastly-RateLimit-Reset"]) - time.time()) < 2 * 3600


def last(emulator):
    return emulator.log("fastly")[-1]


# --------------------------------------------------------------------------- auth and scopes


@pytest.mark.parametrize("endpoint", list(PATHS))
@pytest.mark.parametrize("token", [None, "wrong"])
def test_missing_or_wrong_key(emulator, endpoint, token):
    response = fy_post(emulator, PATHS[endpoint], token=token, headers={"Surrogate-Key": "a"})
    assert_error(response, 401, "Provided credentials are missing or invalid")
    assert_rate_headers(response)
    assert last(emulator)["accepted"] is False


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (["purge_select"], {"url", "key", "bulk"}),
        (["purge_all"], {"all"}),
        (["global"], {"url", "key", "bulk", "all"}),
        (["global:read"], set()),
        ([], set()),
    ],
)
def test_token_scopes(emulator, scopes, allowed):
    emulator.config(fastly_token_scopes=scopes)
    for endpoint, path in PATHS.items():
        response = fy_post(emulator, path, headers={"Surrogate-Key": "a"})
        if endpoint in allowed:
            assert response.status_code == 200, (endpoint, response.text)
        else:
            payload = assert_error(response, 403, "Forbidden")
            assert ("purge_all" if endpoint == "all" else "purge_select") in payload["detail"]


# --------------------------------------------------------------------------- URL purge


def test_url_purge(emulator):
    response = fy_post(emulator, PATHS["url"])
    assert response.status_code == 200
    payload = response.json()
    assert set(payload) == {"status", "id"} and payload["status"] == "ok" and ID_RE.fullmatch(payload["id"])
    entry = last(emulator)
    assert (entry["accepted"], entry["kind"], entry["purge_kind"], entry["soft"], entry["purge_all"]) == (True, "purge", "url", False, False)
    assert (entry["purged"], entry["request_id"]) == ([f"{FY_HOST}/img/logo.png"], payload["id"])
    assert_rate_headers(response)


def test_url_purge_keeps_the_query_and_soft(emulator):
    assert fy_post(emulator, f"/purge/{FY_HOST}/a.css?v=2&x=1", headers=SOFT).status_code == 200
    entry = last(emulator)
    assert (entry["purged"], entry["soft"]) == ([f"{FY_HOST}/a.css?v=2&x=1"], True)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/purge/https://{FY_HOST}/a.png", 400),
        (f"/purge/http:/{FY_HOST}/a.png", 400),
        (f"/purge/{FY_HOST}", 400),
        (f"/purge/{FY_HOST}/img/*", 400),
        ("/purge/bad_host!/a.png", 400),
        ("/purge/other.example.org/a.png", 404),
    ],
)
def test_url_purge_refused(emulator, path, status):
    payload = assert_error(fy_post(emulator, path), status)
    if path.endswith("*"):
        assert "surrogate key" in payload["detail"]
    if status == 404:
        assert payload["msg"] == "Record not found"
    assert last(emulator)["accepted"] is False


def test_url_purge_for_a_configured_domain(emulator):
    emulator.config(fastly_services={"AbC123": ["cdn.example.org", "WWW.Example.NET"]})
    assert fy_post(emulator, "/purge/cdn.example.org/a.png").status_code == 200
    assert fy_post(emulator, "/purge/www.example.net/a.png").status_code == 200
    assert fy_post(emulator, PATHS["url"]).status_code == 404


# --------------------------------------------------------------------------- surrogate keys


def test_key_purge_and_soft(emulator):
    response = fy_post(emulator, PATHS["key"])
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and ID_RE.fullmatch(response.json()["id"])
    assert fy_post(emulator, PATHS["key"], headers=SOFT).status_code == 200
    log = emulator.log("fastly")
    assert [(e["purge_kind"], e["purged"], e["soft"]) for e in log] == [("key", ["product-42"], False), ("key", ["product-42"], True)]
    assert log[0]["request_id"] == response.json()["id"]


@pytest.mark.parametrize("endpoint", ["key", "bulk", "all"])
def test_unknown_service(emulator, endpoint):
    path = PATHS[endpoint].replace(FY_SERVICE, "NoSuchService1")
    assert_error(fy_post(emulator, path, headers={"Surrogate-Key": "a"}), 404, "Record not found")


def test_key_in_the_path_is_percent_decoded(emulator):
    assert fy_post(emulator, f"/service/{FY_SERVICE}/purge/team%2Fproduct%3A42").status_code == 200
    assert fy_post(emulator, f"/service/{FY_SERVICE}/purge/team/product:42").status_code == 200
    assert [e["purged"] for e in emulator.log()] == [["team/product:42"]] * 2
    assert_error(fy_post(emulator, f"/service/{FY_SERVICE}/purge/two%20words"), 400)


def test_bad_key(emulator):
    assert_error(fy_post(emulator, f"/service/{FY_SERVICE}/purge/" + "k" * 1025), 400)
    assert fy_post(emulator, f"/service/{FY_SERVICE}/purge/" + "k" * 1024).status_code == 200


def test_bulk_by_body_and_by_header(emulator):
    response = bulk(emulator, keys=["k1", "k2"])
    assert response.status_code == 200
    assert set(response.json()) == {"k1", "k2"} and all(ID_RE.fullmatch(v) for v in response.json().values())
    assert bulk(emulator, header="k3 k4  k5", headers=SOFT).status_code == 200
    log = emulator.log("fastly")
    assert [(e["purge_kind"], e["purged"], e["soft"]) for e in log] == [("key", ["k1", "k2"], False), ("key", ["k3", "k4", "k5"], True)]


def test_bulk_at_most_256_keys(emulator):
    assert bulk(emulator, keys=[f"k{i}" for i in range(256)]).status_code == 200
    payload = assert_error(bulk(emulator, keys=[f"k{i}" for i in range(257)]), 400)
    assert "256" in payload["detail"]
    assert_error(bulk(emulator, header=" ".join(f"k{i}" for i in range(257))), 400)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"keys": []}, {"header": ""}, {"keys": ["a"], "header": "b"}, {"keys": "a b"}, {"keys": [1]}, {"keys": ["tab\tkey"]}, {"data": b"{x"}],
)
def test_bulk_refused(emulator, kwargs):
    assert_error(bulk(emulator, **kwargs), 400)
    assert last(emulator)["accepted"] is False


# --------------------------------------------------------------------------- purge_all, soft, rate limit


def test_purge_all(emulator):
    response = fy_post(emulator, PATHS["all"])
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    entry = last(emulator)
    assert (entry["purge_kind"], entry["purge_all"], entry["purged"], entry["soft"], entry["accepted"]) == ("all", True, [], False, True)


def test_purge_all_is_never_soft(emulator):
    payload = assert_error(fy_post(emulator, PATHS["all"], headers=SOFT), 400)
    assert "Soft purge" in payload["detail"]
    assert last(emulator)["accepted"] is False


def test_rate_limit_counts_purge_all_only(emulator):
    emulator.config(fastly_rate_limit=2, fastly_rate_window=600)
    before = time.time()
    assert fy_post(emulator, PATHS["url"]).headers["Fastly-RateLimit-Remaining"] == "2"
    assert fy_post(emulator, PATHS["all"]).headers["Fastly-RateLimit-Remaining"] == "1"
    response = fy_post(emulator, PATHS["all"])
    assert response.headers["Fastly-RateLimit-Remaining"] == "0"
    assert before + 599 <= int(response.headers["Fastly-RateLimit-Reset"]) <= time.time() + 601
    response = fy_post(emulator, PATHS["all"])
    assert_error(response, 429)
    assert response.headers["Fastly-RateLimit-Remaining"] == "0" and "Retry-After" not in response.headers
    assert fy_post(emulator, PATHS["key"]).status_code == 200  # key purges are not counted
    assert [e["accepted"] for e in emulator.log()] == [True, True, True, False, True]


def test_every_answer_carries_rate_headers(emulator):
    emulator.config(fail_next=["500"])
    for response in (fy_post(emulator, PATHS["url"]), fy_post(emulator, "/purge/nowhere.example/a"), fy_post(emulator, PATHS["key"], token=None)):
        assert_rate_headers(response)


def test_429_faults(emulator):
    emulator.config(fail_next=[{"kind": "429_rl", "retry_after": 30}, {"kind": "429", "retry_after": 4}])
    response = fy_post(emulator, PATHS["url"])
    assert_error(response, 429)
    assert "Retry-After" not in response.headers
    assert response.headers["Fastly-RateLimit-Remaining"] == "0"
    assert abs(int(response.headers["Fastly-RateLimit-Reset"]) - (time.time() + 30)) <= 2
    response = fy_post(emulator, PATHS["url"])
    assert (response.status_code, response.headers["Retry-After"], response.headers["Fastly-RateLimit-Remaining"]) == (429, "4", "0")
    assert not any(e["accepted"] for e in emulator.log())


# --------------------------------------------------------------------------- the official SDK


def test_fastly_sdk_against_emulator(emulator):
    fastly = pytest.importorskip("fastly", reason="the fastly SDK (requirements-dev.txt) is not installed")
    from fastly.api.purge_api import PurgeApi  # pylint: disable=import-outside-toplevel
    from fastly.model.purge_response import PurgeResponse  # pylint: disable=import-outside-toplevel

    def api(token):
        configuration = fastly.Configuration(host=emulator.base)
        configuration.api_token = token
        return PurgeApi(fastly.ApiClient(configuration))

    purge = api(FY_TOKEN)
    single = purge.purge_single_url(f"{FY_HOST}/img/hero.jpg?w=200")
    assert single["status"] == "ok" and ID_RE.fullmatch(single["id"])
    purge.purge_single_url(f"{FY_HOST}/img/old.jpg", fastly_soft_purge=1)
    tag = purge.purge_tag(FY_SERVICE, "product-42", fastly_soft_purge=1)
    assert tag["status"] == "ok"
    by_header = purge.bulk_purge_tag(FY_SERVICE, surrogate_key="k1 k2")
    by_body = purge.bulk_purge_tag(FY_SERVICE, purge_response=PurgeResponse(surrogate_keys=["k3", "k4"]))
    assert set(by_header.to_dict()) == {"k1", "k2"} and set(by_body.to_dict()) == {"k3", "k4"}
    assert purge.purge_all(FY_SERVICE)["status"] == "ok"
    log = emulator.log("fastly")
    assert [(e["purge_kind"], e["purged"], e["soft"], e["accepted"]) for e in log] == [
        ("url", [f"{FY_HOST}/img/hero.jpg?w=200"], False, True),
        ("url", [f"{FY_HOST}/img/old.jpg"], True, True),
        ("key", ["product-42"], True, True),
        ("key", ["k1", "k2"], False, True),
        ("key", ["k3", "k4"], False, True),
        ("all", [], False, True),
    ]
    assert all(e["headers"]["Fastly-Key"] == FY_TOKEN for e in log)

    with pytest.raises(fastly.ApiException) as denied:
        api("wrong").purge_all(FY_SERVICE)
    assert denied.value.status == 401
    emulator.config(fastly_token_scopes=["purge_select"])
    with pytest.raises(fastly.ApiException) as forbidden:
        purge.purge_all(FY_SERVICE)
    assert forbidden.value.status == 403
