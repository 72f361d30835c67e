"""The emulated ImageMash API: apikey, path rules, id formats, the purge list, rate limit."""

import re
import time
from datetime import datetime, timezone

import pytest
from emulator_kit import assert_rl_headers, im_post, im_purge

# --------------------------------------------------------------------------- ImageMash


@pytest.mark.parametrize("key", [None, "wrong"])
def test_imagemash_auth(emulator, key):
    response = im_purge(emulator, ["/logo.png"], key=key)
    assert response.status_code == 401
    assert response.json() == {"msg": "Unauthorized", "details": "Invalid or missing apikey header."}
    assert_rl_headers(response)


def test_imagemash_purge_returns_bare_id(emulator):
    response = im_post(emulator, "/v1/storage/purgeCache", {"paths": ["/logo.png", "/img/big/my_"], "domain": "john.imagemash.io"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(r"[A-Z0-9]{13,14}", response.text)
    assert response.headers["rl-remain"] == "9999"
    assert 1 <= int(response.headers["rl-ttl"]) <= 60
    assert im_purge(emulator, ["/logo.png"]).headers["rl-remain"] == "9998"
    entry = emulator.log("imagemash")[0]
    assert entry["request_id"] == response.text
    assert entry["purged"] == ["/logo.png", "/img/big/my_"]


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("/logo.png", True),
        ("/img/big/my_", True),
        ("/img/big/", True),
        ("/abcdefghijklmn", True),  # 15 characters
        ("/logo", False),
        ("/company/", False),
        ("/logo.png/", False),
        ("/img/big", False),
        ("/abcdefghijklm", False),  # 14 characters
    ],
)
def test_imagemash_path_rules(emulator, path, accepted):
    response = im_purge(emulator, [path])
    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400
        assert response.json() == {
            "msg": "Invalid path",
            "details": f"Path '{path}' must be a complete file path, at least 15 characters long, or nested in at least two folders.",
        }


@pytest.mark.parametrize("path", ["logo.png", "/img/big/*", "/img/big/a\x01.png"])
def test_imagemash_path_syntax(emulator, path):
    response = im_purge(emulator, ["/logo.png", path])
    assert response.status_code == 400
    assert response.json()["msg"] == "Invalid path"
    assert emulator.log()[0]["accepted"] is False


@pytest.mark.parametrize(
    "body",
    [{}, {"paths": []}, {"paths": "/logo.png"}, {"paths": [1]}, {"paths": ["/logo.png"], "domain": "x.example"}],
)
def test_imagemash_request_validation(emulator, body):
    response = im_post(emulator, "/v1/storage/purgeCache", body)
    assert response.status_code == 400
    assert set(response.json()) == {"msg", "details"}
    assert_rl_headers(response)


@pytest.mark.parametrize(("id_format", "check"), [("json_string", str), ("object", dict)])
def test_imagemash_id_formats(emulator, id_format, check):
    emulator.config(imagemash_id_format=id_format)
    body = im_purge(emulator, ["/logo.png"]).json()
    assert isinstance(body, check)
    request_id = body if check is str else body["requestId"]
    assert re.fullmatch(r"[A-Z0-9]{13,14}", request_id)


def test_imagemash_purge_list(emulator):
    emulator.config(imagemash_complete_after=0.3)
    first = im_purge(emulator, ["/logo.png"]).text
    second = im_purge(emulator, ["/img/big/my_", "/eg1.png"]).text
    response = im_post(emulator, "/v1/storage/getPurgeList")
    assert response.status_code == 200
    assert_rl_headers(response)
    listing = response.json()
    assert [item["requestId"] for item in listing] == [second, first]
    assert listing[0]["paths"] == ["/img/big/my_", "/eg1.png"]
    assert {item["status"] for item in listing} == {"InProgress"}
    for item in listing:
        assert set(item) == {"createdAt", "requestId", "status", "paths"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["createdAt"])
        created = datetime.strptime(item["createdAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        assert abs(created.timestamp() - time.time()) < 5
    time.sleep(0.4)
    assert {item["status"] for item in im_post(emulator, "/v1/storage/getPurgeList").json()} == {"Completed"}
    assert emulator.log()[-1]["kind"] == "list"


def test_imagemash_rate_limit(emulator):
    emulator.config(imagemash_rate_limit=2, imagemash_rate_window=30)
    assert im_purge(emulator, ["/logo.png"]).headers["rl-remain"] == "1"
    assert im_purge(emulator, ["/logo.png"]).headers["rl-remain"] == "0"
    response = im_purge(emulator, ["/logo.png"])
    assert response.status_code == 429
    assert response.json()["msg"] == "Too many requests"
    assert response.headers["rl-remain"] == "0"
    assert 1 <= int(response.headers["rl-ttl"]) <= 30
    assert emulator.log()[-1]["accepted"] is False
