"""The emulator's quota and faults (fail_next, random, 429 styles, 5xx, drop, slow) across every provider."""

import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest
import requests
from emulator_kit import (
    ERROR_KEYS,
    IK_HELP,
    PROVIDERS,
    TIMEOUT,
    assert_rl_headers,
    ik_status,
    im_post,
    valid_purge,
)

# --------------------------------------------------------------------------- quota


AK_DESCRIBED_BY = "https://techdocs.akamai.com/purge-cache/reference/"
# Vendors' own rate limits out of the way, so that only the quota refuses (Gcore allows 2 URL purges a minute).
NO_RATE_LIMITS = {"gcore_rate_limits": {"url": 1000, "pattern": 1000, "all": 1000}}
QUOTA_BODIES = {
    "imagekit": {"message": "Purge request limit exceeded for this month.", "help": IK_HELP},
    "5centscdn": {"result": "error", "message": "Quota exceeded"},
    "gotipath": {"message": "Quota exceeded"},
    "cloudflare": {"success": False, "errors": [{"code": 1099, "message": "Purge quota exhausted for this account"}], "messages": [], "result": None},
    "fastly": {"msg": "Forbidden", "detail": "The purge quota of this account is used up."},
    "bunny": {"ErrorKey": "purge.quota_exceeded", "Field": "", "Message": "The purge quota of this account is used up."},
    "gcore": {"message": "The purge quota of this account is used up."},
    "akamai": {"title": "Forbidden", "httpStatus": 403, "detail": "The purge quota of this account is used up.", "describedBy": AK_DESCRIBED_BY + "403"},
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_quota_then_reset(emulator, provider):
    emulator.config(quota={provider: 1}, **NO_RATE_LIMITS)
    assert valid_purge(emulator, provider).status_code < 300
    response = valid_purge(emulator, provider)
    assert response.status_code == 403
    assert "Retry-After" not in response.headers  # a refusal, not a throttle
    if provider == "imagemash":
        assert response.json()["msg"] == "Quota exceeded"
        assert_rl_headers(response)
    elif provider == "cloudfront":  # XML, as CloudFront answers
        assert "<Code>AccessDenied</Code><Message>The invalidation quota of this account is used up.</Message>" in response.text
    else:
        assert response.json() == QUOTA_BODIES[provider]
    assert emulator.log()[-1]["accepted"] is False
    assert requests.post(emulator.url("/_emulator/quota/reset"), timeout=TIMEOUT).status_code == 200
    assert valid_purge(emulator, provider).status_code < 300
    assert valid_purge(emulator, provider).status_code == 403
    emulator.config(quota={provider: 2})  # a new quota starts counting afresh
    assert valid_purge(emulator, provider).status_code < 300
    assert valid_purge(emulator, provider).status_code < 300
    assert valid_purge(emulator, provider).status_code == 403


# --------------------------------------------------------------------------- faults


def test_fail_next_429_retry_after_seconds(emulator):
    emulator.config(fail_next=[{"kind": "429", "retry_after": 3}, "429"])
    response = valid_purge(emulator, "imagekit")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert set(response.json()) == ERROR_KEYS["imagekit"]
    assert valid_purge(emulator, "imagekit").headers["Retry-After"] == "1"  # config default
    assert valid_purge(emulator, "imagekit").status_code == 201
    log = emulator.log()
    assert [(e["fault"], e["accepted"], e["status"]) for e in log] == [
        ("429", False, 429),
        ("429", False, 429),
        (None, True, 201),
    ]


def test_fail_next_429_retry_after_http_date(emulator):
    emulator.config(retry_after_format="http-date", retry_after=2, fail_next=["429"])
    response = valid_purge(emulator, "gotipath")
    assert response.status_code == 429
    delay = (parsedate_to_datetime(response.headers["Retry-After"]) - datetime.now(timezone.utc)).total_seconds()
    assert 0.9 <= delay <= 3.1
    assert response.json() == {"message": "Too many requests"}


def test_fail_next_429_imagemash_headers(emulator):
    emulator.config(rl_ttl=4, fail_next=["429", "429_rl"])
    response = valid_purge(emulator, "imagemash")
    assert response.status_code == 429
    assert (response.headers["Retry-After"], response.headers["rl-ttl"], response.headers["rl-remain"]) == (
        "1",
        "4",
        "0",
    )
    response = valid_purge(emulator, "imagemash")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert (response.headers["rl-ttl"], response.headers["rl-remain"]) == ("4", "0")
    assert set(response.json()) == ERROR_KEYS["imagemash"]


def test_fail_next_429_rl_elsewhere_is_plain_429(emulator):
    emulator.config(fail_next=["429_rl"])
    response = valid_purge(emulator, "5centscdn")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert "rl-ttl" not in response.headers


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_fail_next_5xx_not_processed(emulator, provider, kind):
    emulator.config(fail_next=[kind])
    response = valid_purge(emulator, provider)
    assert response.status_code == int(kind)
    if provider == "cloudfront":  # XML: the fields of its ErrorResponse/Error
        assert response.headers["Content-Type"] == "text/xml"
        assert {child.tag.rsplit("}", 1)[-1] for child in ET.fromstring(response.content).find("{*}Error")} == ERROR_KEYS[provider]
    else:
        assert set(response.json()) == ERROR_KEYS[provider]
    (entry,) = emulator.log()
    assert (entry["fault"], entry["accepted"], entry["purged"], entry["request_id"]) == (kind, False, [], None)
    if provider == "imagemash":
        assert_rl_headers(response)
        assert im_post(emulator, "/v1/storage/getPurgeList").json() == []
    if provider == "fastly":
        assert int(response.headers["Fastly-RateLimit-Remaining"]) > 0


def test_fail_next_drop(emulator):
    emulator.config(fail_next=["drop"])
    with pytest.raises(requests.ConnectionError):
        valid_purge(emulator, "imagemash")
    (entry,) = emulator.log()
    assert (entry["fault"], entry["status"], entry["accepted"]) == ("drop", None, False)
    assert im_post(emulator, "/v1/storage/getPurgeList").json() == []


def test_fail_next_drop_after_processes_request(emulator):
    emulator.config(fail_next=["drop_after"])
    with pytest.raises(requests.ConnectionError):
        valid_purge(emulator, "imagekit")
    (entry,) = emulator.log()
    assert (entry["fault"], entry["status"], entry["accepted"]) == ("drop_after", None, True)
    # The purge really exists: its id answers the status call.
    assert ik_status(emulator, entry["request_id"]).status_code == 200


def test_fail_next_slow(emulator):
    emulator.config(slow_seconds=0.5, fail_next=["slow", {"kind": "slow", "slow_seconds": 1.5}])
    started = time.monotonic()
    assert valid_purge(emulator, "imagekit").status_code == 201
    assert time.monotonic() - started >= 0.5
    with pytest.raises(requests.exceptions.ReadTimeout):
        valid_purge(emulator, "imagekit", timeout=0.3)
    # Accepted although the client gave up waiting.
    assert [(e["fault"], e["accepted"], e["status"]) for e in emulator.log()] == [("slow", True, 201)] * 2


def test_fail_next_runs_in_order_with_none(emulator):
    emulator.config(fail_next=["500", "none", {"kind": "503"}])
    statuses = [valid_purge(emulator, "gotipath").status_code for _index in range(4)]
    assert statuses == [500, 200, 503, 200]
    assert requests.get(emulator.url("/_emulator/config"), timeout=TIMEOUT).json()["fail_next"] == []


def test_random_faults_seeded_and_control_api_spared(emulator):
    emulator.config(seed=1234, fault_rate=0.5, faults=["500", "503"])
    first = [valid_purge(emulator, "gotipath").status_code for _index in range(12)]
    assert {500, 503} & set(first) and 200 in first
    emulator.config(seed=1234)
    assert [valid_purge(emulator, "gotipath").status_code for _index in range(12)] == first
    emulator.config(fault_rate=1.0, faults=["503"])
    assert valid_purge(emulator, "imagekit").status_code == 503
    assert requests.get(emulator.url("/_emulator/health"), timeout=TIMEOUT).status_code == 200
    assert requests.get(emulator.url("/nowhere"), timeout=TIMEOUT).status_code == 404
