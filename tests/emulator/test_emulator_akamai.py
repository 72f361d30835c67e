"""The emulated Akamai Fast Purge v3 API: EdgeGrid signatures checked with edgegrid-python (bad signature, wrong
token, stale timestamp, replayed nonce: 401), the 50,000-byte body limit (413), one bad object failing the whole
request, the client's grant (403), object types per endpoint, the 201 answer, rate-limit headers and faults."""

import json

import pytest
import requests
from emulator_kit import AK_CREDENTIALS, TIMEOUT, ak_purge, ak_session

pytest.importorskip("akamai.edgegrid", reason="edgegrid-python signs the requests")

SITE = "https://www.example.com"
PROBLEM_KEYS = {"supportId", "title", "httpStatus", "detail", "describedBy"}


def assert_problem(response, status, words=""):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/api-problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS and body["httpStatus"] == status
    assert words in body["detail"], body
    return body


def last(emulator):
    return emulator.log("akamai")[-1]


# --------------------------------------------------------------------------- EdgeGrid


def test_a_request_signed_by_edgegrid_python_is_accepted(emulator):
    response = ak_purge(emulator, [SITE + "/a.png", SITE + "/b.css?v=2"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"httpStatus", "detail", "estimatedSeconds", "purgeId", "supportId"}
    assert body["httpStatus"] == 201 and body["estimatedSeconds"] == 1 and body["purgeId"].startswith("edcp-")
    entry = last(emulator)
    assert (entry["accepted"], entry["request_id"], entry["purged"]) == (True, body["purgeId"], [SITE + "/a.png", SITE + "/b.css?v=2"])
    assert (entry["action"], entry["network"], entry["purge_kind"]) == ("delete", "production", "url")


def test_every_signed_request_gets_a_new_purge_id(emulator):
    session = ak_session()
    ids = {ak_purge(emulator, [SITE + "/a.png"], session=session).json()["purgeId"] for _index in range(3)}
    assert len(ids) == 3


def test_a_bad_signature_is_401(emulator):
    body = assert_problem(ak_purge(emulator, [SITE + "/a.png"], session=ak_session("WrongSecret0123456789=")), 401, "signature does not match")
    assert body["title"] == "Not authorized"
    assert last(emulator)["accepted"] is False


def test_a_body_changed_after_signing_is_401(emulator):
    prepared = ak_session().prepare_request(requests.Request("POST", emulator.url("/ccu/v3/delete/url/production"), json={"objects": [SITE + "/a.png"]}))
    prepared.prepare_body(json.dumps({"objects": [SITE + "/other.png"]}).encode(), None)
    assert_problem(requests.Session().send(prepared, timeout=TIMEOUT), 401, "signature does not match")


def test_a_replayed_request_is_401(emulator):
    first = ak_purge(emulator, [SITE + "/a.png"])
    assert first.status_code == 201
    sent = first.request
    replay = requests.post(sent.url, data=sent.body, headers=dict(sent.headers), timeout=TIMEOUT)
    assert_problem(replay, 401, "nonce was already used")
    assert [entry["accepted"] for entry in emulator.log("akamai")] == [True, False]


def test_nonces_are_forgotten_on_reset(emulator):
    first = ak_purge(emulator, [SITE + "/a.png"])
    requests.post(emulator.url("/_emulator/reset"), timeout=TIMEOUT)
    sent = first.request
    assert requests.post(sent.url, data=sent.body, headers=dict(sent.headers), timeout=TIMEOUT).status_code == 201


@pytest.mark.parametrize(
    "header, words",
    [
        (None, "Invalid authorization header"),
        ("Bearer abc", "Invalid authorization header"),
        ("EG1-HMAC-SHA256 client_token=x;access_token=y;timestamp=z;nonce=n;signature=s", "Invalid client_token"),
    ],
)
def test_a_missing_or_malformed_authorization_is_401(emulator, header, words):
    headers = {} if header is None else {"Authorization": header}
    response = requests.post(emulator.url("/ccu/v3/delete/url/production"), json={"objects": [SITE + "/a.png"]}, headers=headers, timeout=TIMEOUT)
    assert_problem(response, 401, words)


def test_a_wrong_access_token_is_401(emulator):
    emulator.config(credentials={"akamai": {"access_token": "akab-another-access-token"}})
    assert_problem(ak_purge(emulator, [SITE + "/a.png"]), 401, "Invalid access_token")


def test_a_stale_timestamp_is_401(emulator, monkeypatch):
    from akamai.edgegrid import edgegrid  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(edgegrid, "eg_timestamp", lambda: "20200101T00:00:00+0000")
    assert_problem(ak_purge(emulator, [SITE + "/a.png"]), 401, "Invalid timestamp")


def test_other_credentials_in_the_config_are_used(emulator):
    emulator.config(credentials={"akamai": {"client_secret": "AnotherSecret0123456789="}})
    assert_problem(ak_purge(emulator, [SITE + "/a.png"]), 401, "signature does not match")
    assert ak_purge(emulator, [SITE + "/a.png"], session=ak_session("AnotherSecret0123456789=")).status_code == 201
    assert AK_CREDENTIALS["client_secret"] != "AnotherSecret0123456789="


# --------------------------------------------------------------------------- bodies and objects


def test_a_body_above_50000_bytes_is_413_and_at_the_limit_accepted(emulator):
    url = SITE + "/" + "a" * 1000 + "/%05d.png"
    objects = [url % index for index in range(60)]
    assert_problem(ak_purge(emulator, objects), 413, "the limit is 50000")
    fits = objects[:40]
    assert len(json.dumps({"objects": fits})) <= 50000
    assert ak_purge(emulator, fits).status_code == 201


def test_one_bad_object_fails_the_whole_request(emulator):
    body = assert_problem(ak_purge(emulator, [SITE + "/a.png", SITE + "/img/*"]), 400, "wildcards are not supported")
    assert "/img/*" in body["detail"]
    assert emulator.log("akamai")[-1]["accepted"] is False and emulator.log("akamai")[-1]["purged"] == []


@pytest.mark.parametrize(
    "path, objects, words",
    [
        ("/ccu/v3/delete/cpcode/production", ["12345"], "CP codes are positive integers"),
        ("/ccu/v3/delete/cpcode/production", [True], "CP codes are positive integers"),
        ("/ccu/v3/delete/tag/production", [SITE + "/a.png"], "Invalid cache tag"),
        ("/ccu/v3/delete/tag/production", ["a" * 129], "Invalid cache tag"),
        ("/ccu/v3/delete/url/production", [12345], "must be a non-empty string"),
        ("/ccu/v3/delete/url/production", ["/a.png"], "absolute http(s) URL"),
        ("/ccu/v3/delete/url/production", [], "non-empty array"),
    ],
)
def test_objects_must_be_of_the_endpoints_type(emulator, path, objects, words):
    assert_problem(ak_purge(emulator, objects, path=path), 400, words)


def test_cp_codes_and_tags_on_either_network_and_action(emulator):
    for path, objects in (("/ccu/v3/invalidate/cpcode/staging", [12345]), ("/ccu/v3/delete/tag/production", ["release-42", "a!#$%&'*+.^_`|~-z"])):
        assert ak_purge(emulator, objects, path=path).status_code == 201
        assert last(emulator)["purged"] == objects
    assert [(entry["action"], entry["network"], entry["purge_kind"]) for entry in emulator.log("akamai")] == [
        ("invalidate", "staging", "cpcode"),
        ("delete", "production", "tag"),
    ]


def test_the_hostname_form_is_logged_as_absolute_urls(emulator):
    response = ak_session().post(emulator.url("/ccu/v3/delete/url/production"), json={"hostname": "www.example.com", "objects": ["/a.png"]}, timeout=TIMEOUT)
    assert response.status_code == 201
    assert last(emulator)["purged"] == [SITE + "/a.png"]


def test_unknown_paths_are_404(emulator):
    assert ak_purge(emulator, [SITE + "/a.png"], path="/ccu/v3/delete/url/moon").status_code == 404
    assert ak_purge(emulator, [SITE + "/a.png"], path="/ccu/v2/queues/default").status_code == 404


# --------------------------------------------------------------------------- grant, estimate, rate limits


def test_an_unauthorized_arl_or_cp_code_is_403(emulator):
    assert_problem(ak_purge(emulator, [SITE + "/a.png", "https://other.example.org/a.png"]), 403, "Unauthorized ARL: https://other.example.org/a.png")
    assert_problem(ak_purge(emulator, [12345, 777], path="/ccu/v3/delete/cpcode/production"), 403, "CP code 777 is not in this API client's grant")
    emulator.config(akamai_hostnames=["other.example.org"], akamai_cp_codes=[777])
    assert ak_purge(emulator, ["https://other.example.org/a.png"]).status_code == 201
    assert ak_purge(emulator, [777], path="/ccu/v3/delete/cpcode/production").status_code == 201


def test_the_estimate_is_configurable(emulator):
    emulator.config(akamai_estimated_seconds=5)
    assert ak_purge(emulator, [SITE + "/a.png"]).json()["estimatedSeconds"] == 5
    response = requests.post(emulator.url("/_emulator/config"), json={"akamai_estimated_seconds": -1}, timeout=TIMEOUT)
    assert response.status_code == 400 and "akamai_estimated_seconds" in response.json()["message"]


def test_429_carries_akamais_rate_limit_headers(emulator):
    emulator.config(rl_ttl=3, fail_next=["429_rl", "429"])
    response = ak_purge(emulator, [SITE + "/a.png"])
    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert (response.headers["X-Ratelimit-Remaining"], response.headers["X-Ratelimit-Seconds-To-Refresh-Limit"]) == ("0", "3")
    assert response.json()["title"] == "Rate Limit exceeded"
    response = ak_purge(emulator, [SITE + "/a.png"])
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert ak_purge(emulator, [SITE + "/a.png"]).status_code == 201
