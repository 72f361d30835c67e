"""The emulated ImageKit API: auth, URL rules, status, and the official SDK (imagekitio v5) against it."""

import base64
import re
import time

import pytest
import requests
from emulator_kit import (
    IK_ENDPOINT,
    IK_HELP,
    IK_KEY,
    TIMEOUT,
    ik_purge,
    ik_status,
)

# --------------------------------------------------------------------------- ImageKit


def test_imagekit_missing_auth(emulator):
    response = ik_purge(emulator, f"{IK_ENDPOINT}/a.jpg", key=None)
    assert response.status_code == 401
    assert response.json() == {"message": "Your request does not contain private API key.", "help": IK_HELP}


def test_imagekit_wrong_key(emulator):
    response = ik_purge(emulator, f"{IK_ENDPOINT}/a.jpg", key="wrong")
    assert response.status_code == 401
    assert response.json() == {"message": "Your account cannot be authenticated.", "help": IK_HELP}
    response = requests.post(
        emulator.url("/v1/files/purge"),
        json={"url": f"{IK_ENDPOINT}/a.jpg"},
        headers={"Authorization": "Bearer x"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 401


@pytest.mark.parametrize("password", ["", "any-dummy-password"])
def test_imagekit_purge_accepted_password_ignored(emulator, password):
    url = f"{IK_ENDPOINT}/images/logo.png"
    response = ik_purge(emulator, url, password=password)
    assert response.status_code == 201
    request_id = response.json()["requestId"]
    assert re.fullmatch(r"[0-9a-f]{24}", request_id)
    (entry,) = emulator.log("imagekit")
    assert entry["accepted"] is True
    assert entry["request_id"] == request_id
    assert entry["purged"] == [url]
    assert entry["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{IK_KEY}:{password}".encode()).decode()


def test_imagekit_body_validation(emulator):
    url = emulator.url("/v1/files/purge")
    response = requests.post(url, json={"path": "/a.jpg"}, auth=(IK_KEY, ""), timeout=TIMEOUT)
    assert response.status_code == 400
    assert response.json() == {"message": "Missing parameter url", "help": IK_HELP}
    response = requests.post(url, json={"url": 5}, auth=(IK_KEY, ""), timeout=TIMEOUT)
    assert response.status_code == 400
    response = requests.post(url, data="{not json", auth=(IK_KEY, ""), timeout=TIMEOUT)
    assert response.status_code == 400
    assert set(response.json()) == {"message", "help"}
    assert not any(e["accepted"] for e in emulator.log())


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        (f"{IK_ENDPOINT}/logo.png", True),
        (f"{IK_ENDPOINT}/images/upload*", True),
        (f"{IK_ENDPOINT}/images*", False),
        (f"{IK_ENDPOINT}/images/*", False),
        (f"{IK_ENDPOINT}/sample.jpg*", True),
        (f"{IK_ENDPOINT}/abcdefghijklmn*", True),  # prefix of exactly 15 characters
        (f"{IK_ENDPOINT}/abcdefghijklm*", False),  # 14 characters
        (f"{IK_ENDPOINT}/media/catalog/*", False),
        (f"{IK_ENDPOINT}/media/catalog/product/cache*", False),
        (f"{IK_ENDPOINT}/s/files/1/*", False),
        (f"{IK_ENDPOINT}/folder/*/sample.jpg", False),
        (f"{IK_ENDPOINT}/images/upload**", False),
        (f"{IK_ENDPOINT}/a*/images/upload*", False),
        ("https://ik.imagekit.io/other/logo.png", False),
        ("https://ik.imagekit.io/demo2/logo.png", False),
        ("/logo.png", False),
        ("ftp://ik.imagekit.io/demo/logo.png", False),
    ],
)
def test_imagekit_url_rules(emulator, url, accepted):
    response = ik_purge(emulator, url)
    if accepted:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 400
        assert response.json() == {"message": "The URL is not valid for cache purging.", "help": IK_HELP}


def test_imagekit_status_pending_then_completed(emulator):
    emulator.config(imagekit_complete_after=0.3)
    request_id = ik_purge(emulator, f"{IK_ENDPOINT}/a.jpg").json()["requestId"]
    response = ik_status(emulator, request_id)
    assert response.status_code == 200
    assert response.json() == {"status": "Pending"}
    time.sleep(0.4)
    assert ik_status(emulator, request_id).json() == {"status": "Completed"}
    assert [e["kind"] for e in emulator.log()] == ["purge", "status", "status"]


def test_imagekit_status_unknown_id_and_auth(emulator):
    response = ik_status(emulator, "0123456789abcdef01234567")
    assert response.status_code == 404
    assert response.json() == {"message": "No request found for this requestId.", "help": IK_HELP}
    assert ik_status(emulator, "0123456789abcdef01234567", key="wrong").status_code == 401


def test_imagekitio_sdk_v5_against_emulator(emulator, monkeypatch):
    imagekitio = pytest.importorskip("imagekitio")
    emulator.config(imagekit_complete_after=600)
    monkeypatch.setenv("IMAGEKIT_PRIVATE_KEY", IK_KEY)
    monkeypatch.delenv("OPTIONAL_IMAGEKIT_IGNORES_THIS", raising=False)
    client = imagekitio.ImageKit(base_url=emulator.base, max_retries=0)  # key from the environment
    url = f"{IK_ENDPOINT}/sdk/images/hero.jpg"
    created = client.cache.invalidation.create(url=url)
    assert re.fullmatch(r"[0-9a-f]{24}", created.request_id)
    assert client.cache.invalidation.get(created.request_id).status == "Pending"
    requests.post(emulator.url("/_emulator/complete"), timeout=TIMEOUT)
    explicit = imagekitio.ImageKit(private_key=IK_KEY, base_url=emulator.base, max_retries=0)
    assert explicit.cache.invalidation.get(created.request_id).status == "Completed"
    with pytest.raises(imagekitio.BadRequestError):
        explicit.cache.invalidation.create(url=f"{IK_ENDPOINT}/images*")
    wrong = imagekitio.ImageKit(private_key="wrong", base_url=emulator.base, max_retries=0)
    with pytest.raises(imagekitio.AuthenticationError):
        wrong.cache.invalidation.get(created.request_id)

    purge, status = emulator.log()[:2]
    assert (purge["method"], purge["path"], purge["body"], purge["status"]) == (
        "POST",
        "/v1/files/purge",
        {"url": url},
        201,
    )
    assert (status["method"], status["path"], status["status"]) == ("GET", f"/v1/files/purge/{created.request_id}", 200)
    for entry in (purge, status):
        scheme, _sep, token = entry["headers"]["Authorization"].partition(" ")
        user, _sep, password = base64.b64decode(token).decode().partition(":")
        assert (scheme, user) == ("Basic", IK_KEY)
        assert password  # the SDK's non-empty dummy password, which the emulator must ignore
        assert entry["headers"]["X-Stainless-Lang"] == "python"
        assert entry["headers"]["User-Agent"].startswith("ImageKit/Python 5.")
