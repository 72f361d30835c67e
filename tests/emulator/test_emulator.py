"""Tests of the CDN provider emulator, run as a real subprocess and driven over real HTTP."""

import base64
import concurrent.futures
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests

EMULATOR = Path(__file__).resolve().parent / "cdn_emulator.py"
TIMEOUT = 10

IK_KEY = "private_emulator_imagekit_key"
IK_ENDPOINT = "https://ik.imagekit.io/demo"
IK_HELP = "For support kindly contact us at support@imagekit.io ."
IM_KEY = "emulator_imagemash_key"
FC_KEY = "emulator_5centscdn_key"
GP_HEADERS = {
    "X-Auth-ClientId": "11111111-2222-4333-8444-555555555555",
    "X-Auth-LibraryId": "66666666-7777-4888-8999-000000000000",
    "X-Auth-ApiKey": "emulator_gotipath_key",
}
GP_DIST = "292e5d7f-a8b9-41a0-bdf0-e70347709c6f"
LINE_RE = re.compile(r"cdn-emulator listening on (https?)://127\.0\.0\.1:(\d+)")


class Emulator:
    """A running emulator subprocess and small helpers for its control API."""

    def __init__(self, proc, port, line, scheme="http"):
        self.proc = proc
        self.port = port
        self.line = line
        self.base = f"{scheme}://127.0.0.1:{port}"

    def url(self, path):
        return self.base + path

    def config(self, **patch):
        response = requests.post(self.url("/_emulator/config"), json=patch, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    def log(self, provider=None):
        params = {"provider": provider} if provider else None
        return requests.get(self.url("/_emulator/requests"), params=params, timeout=TIMEOUT).json()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()


def start_emulator(directory, *args):
    port_file = Path(directory) / "port"
    command = [sys.executable, str(EMULATOR), "--port", "0", "--port-file", str(port_file), *args]
    # Not a with-block: the process outlives this function; Emulator.stop() reaps it.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with
    deadline = time.monotonic() + 15
    while not port_file.exists():
        if proc.poll() is not None:
            pytest.fail(f"emulator exited with {proc.returncode}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("emulator did not write its port file in time")
        time.sleep(0.02)
    line = proc.stdout.readline().rstrip("\n")
    match = LINE_RE.fullmatch(line)
    assert match, line
    port = int(port_file.read_text(encoding="utf-8"))
    assert int(match.group(2)) == port
    return Emulator(proc, port, line, match.group(1))


@pytest.fixture(name="emulator", scope="session")
def fixture_emulator(tmp_path_factory):
    emu = start_emulator(tmp_path_factory.mktemp("emulator"))
    yield emu
    assert emu.stop() == 0


@pytest.fixture(name="_reset", autouse=True)
def fixture_reset(emulator):
    response = requests.post(emulator.url("/_emulator/reset"), timeout=TIMEOUT)
    assert response.json() == {"ok": True}


# --------------------------------------------------------------------------- request helpers


def ik_purge(emu, url, key=IK_KEY, password="", **kwargs):
    auth = None if key is None else (key, password)
    timeout = kwargs.pop("timeout", TIMEOUT)
    return requests.post(emu.url("/v1/files/purge"), json={"url": url}, auth=auth, timeout=timeout, **kwargs)


def ik_status(emu, request_id, key=IK_KEY):
    return requests.get(emu.url(f"/v1/files/purge/{request_id}"), auth=(key, ""), timeout=TIMEOUT)


def im_post(emu, path, body=None, key=IM_KEY, **kwargs):
    headers = {} if key is None else {"apikey": key}
    timeout = kwargs.pop("timeout", TIMEOUT)
    return requests.post(emu.url(path), json=body, headers=headers, timeout=timeout, **kwargs)


def im_purge(emu, paths, **kwargs):
    return im_post(emu, "/v1/storage/purgeCache", {"paths": paths}, **kwargs)


def fc_purge(emu, *, zone=42, zone_type="http", files=None, query="", key=FC_KEY, data=None):
    headers = {} if key is None else {"X-API-Key": key}
    if files is not None:
        data = {"files": files}
    url = emu.url(f"/v2/zones/{zone_type}/pull/{zone}/purge{query}")
    if isinstance(data, (dict, list)):
        return requests.post(url, json=data, headers=headers, timeout=TIMEOUT)
    return requests.post(url, data=data, headers=headers, timeout=TIMEOUT)


def gp_purge(emu, body, dist=GP_DIST, headers=None, data=None):
    url = emu.url(f"/v1/distributions/{dist}/purges")
    headers = GP_HEADERS if headers is None else headers
    if data is not None:
        return requests.post(url, data=data, headers=headers, timeout=TIMEOUT)
    return requests.post(url, json=body, headers=headers, timeout=TIMEOUT)


def valid_purge(emu, provider, **kwargs):
    """One request that each provider accepts, used by the quota and fault tests."""
    if provider == "imagekit":
        return ik_purge(emu, f"{IK_ENDPOINT}/img/logo.png", **kwargs)
    if provider == "imagemash":
        return im_purge(emu, ["/logo.png"], **kwargs)
    if provider == "5centscdn":
        return fc_purge(emu, files=["/logo.png"])
    return gp_purge(emu, {"type": "url", "paths": ["/logo.png"]})


ERROR_KEYS = {
    "imagekit": {"message", "help"},
    "imagemash": {"msg", "details"},
    "5centscdn": {"result", "message"},
    "gotipath": {"message"},
}


# --------------------------------------------------------------------------- general


def test_health_unknown_path_and_log(emulator):
    assert requests.get(emulator.url("/_emulator/health"), timeout=TIMEOUT).json() == {"ok": True}
    response = requests.get(emulator.url("/v9/nothing?x=1"), timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
    # A known path with the wrong method is not a provider endpoint either.
    assert requests.get(emulator.url("/v1/storage/purgeCache"), timeout=TIMEOUT).status_code == 404
    log = emulator.log()
    assert [(e["provider"], e["path"], e["status"], e["query"]) for e in log] == [
        ("unknown", "/v9/nothing", 404, {"x": "1"}),
        ("unknown", "/v1/storage/purgeCache", 404, {}),
    ]
    assert [e["seq"] for e in log] == [1, 2]


def test_log_entry_has_every_field(emulator):
    before = time.time()
    assert fc_purge(emulator, files=["/a.mp4"], query="?delete=false").status_code == 200
    (entry,) = emulator.log()
    assert entry["seq"] == 1
    assert before <= entry["time"] <= time.time()
    assert entry["provider"] == "5centscdn"
    assert entry["method"] == "POST"
    assert entry["path"] == "/v2/zones/http/pull/42/purge"
    assert entry["query"] == {"delete": "false"}
    assert entry["headers"]["X-API-Key"] == FC_KEY
    assert entry["body"] == {"files": ["/a.mp4"]}
    assert entry["body_text"] == '{"files": ["/a.mp4"]}'
    assert entry["status"] == 200
    assert entry["fault"] is None
    assert entry["accepted"] is True
    assert entry["kind"] == "purge"
    assert entry["request_id"] is None
    assert entry["purged"] == ["/a.mp4"]
    assert entry["purge_all"] is False
    assert entry["delete"] is False
    assert entry["purge_type"] is None


def test_requests_filter_by_provider(emulator):
    valid_purge(emulator, "imagekit")
    valid_purge(emulator, "gotipath")
    assert [e["provider"] for e in emulator.log()] == ["imagekit", "gotipath"]
    assert [e["provider"] for e in emulator.log("gotipath")] == ["gotipath"]


def test_config_rejects_unknown_key_and_bad_value(emulator):
    response = requests.post(emulator.url("/_emulator/config"), json={"bogus_key": 1}, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "bogus_key" in response.json()["message"]
    response = requests.post(emulator.url("/_emulator/config"), json={"fault_rate": 2}, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "fault_rate" in response.json()["message"]
    response = requests.post(emulator.url("/_emulator/config"), json={"faults": ["teapot"]}, timeout=TIMEOUT)
    assert response.status_code == 400
    config = requests.get(emulator.url("/_emulator/config"), timeout=TIMEOUT).json()
    assert config["fault_rate"] == 0
    assert config["faults"] == ["429", "500", "502", "503", "drop"]


def test_config_credentials_merge_and_reset(emulator):
    emulator.config(credentials={"imagekit": {"private_key": "new_key"}}, latency_ms=1)
    assert valid_purge(emulator, "imagekit").status_code == 401
    assert ik_purge(emulator, f"{IK_ENDPOINT}/a.jpg", key="new_key").status_code == 201
    # Other providers' credentials are untouched by the merge.
    assert valid_purge(emulator, "gotipath").status_code == 200
    assert requests.post(emulator.url("/_emulator/reset"), timeout=TIMEOUT).status_code == 200
    assert emulator.log() == []
    config = requests.get(emulator.url("/_emulator/config"), timeout=TIMEOUT).json()
    assert config["credentials"]["imagekit"]["private_key"] == IK_KEY
    assert config["latency_ms"] == 0
    assert valid_purge(emulator, "imagekit").status_code == 201


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


def test_control_complete_marks_pending_done(emulator):
    emulator.config(imagekit_complete_after=600, imagemash_complete_after=600)
    request_id = ik_purge(emulator, f"{IK_ENDPOINT}/a.jpg").json()["requestId"]
    assert im_purge(emulator, ["/logo.png"]).status_code == 200
    assert ik_status(emulator, request_id).json() == {"status": "Pending"}
    response = requests.post(emulator.url("/_emulator/complete"), timeout=TIMEOUT)
    assert response.json() == {"ok": True, "completed": 2}
    assert ik_status(emulator, request_id).json() == {"status": "Completed"}
    assert im_post(emulator, "/v1/storage/getPurgeList").json()[0]["status"] == "Completed"


# --------------------------------------------------------------------------- ImageMash


def _assert_rl_headers(response):
    assert int(response.headers["rl-remain"]) >= 0
    assert int(response.headers["rl-ttl"]) >= 0


@pytest.mark.parametrize("key", [None, "wrong"])
def test_imagemash_auth(emulator, key):
    response = im_purge(emulator, ["/logo.png"], key=key)
    assert response.status_code == 401
    assert response.json() == {"msg": "Unauthorized", "details": "Invalid or missing apikey header."}
    _assert_rl_headers(response)


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
    _assert_rl_headers(response)


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
    _assert_rl_headers(response)
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


# --------------------------------------------------------------------------- 5centsCDN


@pytest.mark.parametrize("key", [None, "wrong"])
def test_5centscdn_auth(emulator, key):
    response = fc_purge(emulator, files=["/a.mp4"], key=key)
    assert response.status_code == 401
    assert response.json() == {"result": "error", "message": "Invalid API key"}


def test_5centscdn_purge_files_delete_defaults_true(emulator):
    response = fc_purge(emulator, files=["/videos/file.mp4", "/images/logo.png"])
    assert response.status_code == 200
    assert response.json() == {"result": "success", "message": "Zone Purged"}
    entry = emulator.log()[0]
    assert (entry["delete"], entry["purge_all"], entry["purged"]) == (
        True,
        False,
        ["/videos/file.mp4", "/images/logo.png"],
    )


def test_5centscdn_delete_false_and_invalid(emulator):
    assert fc_purge(emulator, files=["/a.mp4"], query="?delete=false").status_code == 200
    assert fc_purge(emulator, files=["/a.mp4"], query="?delete=true").status_code == 200
    response = fc_purge(emulator, files=["/a.mp4"], query="?delete=yes")
    assert response.status_code == 400
    assert response.json()["result"] == "error"
    assert [e["delete"] for e in emulator.log()[:2]] == [False, True]


@pytest.mark.parametrize("data", [None, b"", {}])
def test_5centscdn_empty_body_purges_zone(emulator, data):
    response = fc_purge(emulator, zone=7, zone_type="vod", data=data)
    assert response.status_code == 200
    entry = emulator.log()[0]
    assert entry["headers"].get("Content-Length", "0") in ("0", "2")
    assert (entry["accepted"], entry["purge_all"], entry["purged"]) == (True, True, [])


@pytest.mark.parametrize(("zone_type", "zone"), [("http", 43), ("http", "abc"), ("http", 7), ("vod", 42), ("http", -42)])
def test_5centscdn_unknown_zone(emulator, zone_type, zone):
    response = fc_purge(emulator, zone=zone, zone_type=zone_type, files=["/a.mp4"])
    assert response.status_code == 404
    assert response.json() == {"result": "error", "message": "Zone not found"}


@pytest.mark.parametrize("data", [{"files": []}, {"files": "/a.mp4"}, {"files": ["a.mp4"]}, {"files": ["/a\n.mp4"]}, b"{x"])
def test_5centscdn_bad_body(emulator, data):
    response = fc_purge(emulator, data=data)
    assert response.status_code == 400
    assert response.json()["result"] == "error"
    assert emulator.log()[0]["accepted"] is False


# --------------------------------------------------------------------------- Gotipath


@pytest.mark.parametrize("header", ["X-Auth-ClientId", "X-Auth-LibraryId", "X-Auth-ApiKey"])
def test_gotipath_auth(emulator, header):
    missing = {k: v for k, v in GP_HEADERS.items() if k != header}
    wrong = dict(GP_HEADERS, **{header: "wrong"})
    for headers in (missing, wrong):
        response = gp_purge(emulator, {"type": "all", "paths": []}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize("dist", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"])
def test_gotipath_unknown_distribution(emulator, dist):
    response = gp_purge(emulator, {"type": "all", "paths": []}, dist=dist)
    assert response.status_code == 404
    assert response.json() == {"message": "Distribution not found"}


@pytest.mark.parametrize("data", [b"{oops", b"", b"[]"])
def test_gotipath_bad_request(emulator, data):
    response = gp_purge(emulator, None, data=data)
    assert response.status_code == 400
    assert response.json() == {"message": "Bad Request"}


@pytest.mark.parametrize(
    ("body", "purge_all"),
    [
        ({"type": "all", "paths": []}, True),
        ({"type": "url", "paths": ["/img/logo.png", "/a.js?v=2"]}, False),
        ({"type": "pattern", "paths": ["/img/*", "*.css"]}, False),
    ],
)
def test_gotipath_purge(emulator, body, purge_all):
    response = gp_purge(emulator, body)
    assert response.status_code == 200
    assert response.json() == {}
    entry = emulator.log()[0]
    assert (entry["purge_type"], entry["purge_all"], entry["purged"]) == (body["type"], purge_all, body["paths"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"paths": ["/a.jpg"]}, "type"),
        ({"type": "file", "paths": ["/a.jpg"]}, "type"),
        ({"type": "url"}, "paths"),
        ({"type": "url", "paths": []}, "paths"),
        ({"type": "url", "paths": ["a.jpg"]}, "paths.0"),
        ({"type": "url", "paths": ["/ok.jpg", "https://cdn.example.com/a.jpg"]}, "paths.1"),
        ({"type": "url", "paths": ["//cdn.example.com/a.jpg"]}, "paths.0"),
        ({"type": "url", "paths": ["/img/*"]}, "paths.0"),
        ({"type": "url", "paths": [f"/{i}.jpg" for i in range(101)]}, "paths"),
        ({"type": "pattern", "paths": []}, "paths"),
        ({"type": "pattern", "paths": [f"/{i}/*" for i in range(11)]}, "paths"),
        ({"type": "pattern", "paths": ["img/*"]}, "paths.0"),
        ({"type": "all", "paths": ["/a.jpg"]}, "paths"),
        ({"type": "all"}, "paths"),
    ],
)
def test_gotipath_validation_422(emulator, body, field):
    response = gp_purge(emulator, body)
    assert response.status_code == 422
    payload = response.json()
    assert isinstance(payload["message"], str) and payload["message"]
    assert field in payload["errors"]
    assert all(isinstance(messages, list) for messages in payload["errors"].values())


def test_gotipath_limits_accept_maximum(emulator):
    assert gp_purge(emulator, {"type": "url", "paths": [f"/{i}.jpg" for i in range(100)]}).status_code == 200
    assert gp_purge(emulator, {"type": "pattern", "paths": [f"/{i}/*" for i in range(10)]}).status_code == 200


# --------------------------------------------------------------------------- quota


QUOTA_BODIES = {
    "imagekit": {"message": "Purge request limit exceeded for this month.", "help": IK_HELP},
    "5centscdn": {"result": "error", "message": "Quota exceeded"},
    "gotipath": {"message": "Quota exceeded"},
}


@pytest.mark.parametrize("provider", ["imagekit", "imagemash", "5centscdn", "gotipath"])
def test_quota_then_reset(emulator, provider):
    emulator.config(quota={provider: 1})
    assert valid_purge(emulator, provider).status_code < 300
    response = valid_purge(emulator, provider)
    assert response.status_code == 403
    if provider == "imagemash":
        assert response.json()["msg"] == "Quota exceeded"
        _assert_rl_headers(response)
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


@pytest.mark.parametrize("provider", ["imagekit", "imagemash", "5centscdn", "gotipath"])
@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_fail_next_5xx_not_processed(emulator, provider, kind):
    emulator.config(fail_next=[kind])
    response = valid_purge(emulator, provider)
    assert response.status_code == int(kind)
    assert set(response.json()) == ERROR_KEYS[provider]
    (entry,) = emulator.log()
    assert (entry["fault"], entry["accepted"], entry["purged"], entry["request_id"]) == (kind, False, [], None)
    if provider == "imagemash":
        _assert_rl_headers(response)
        assert im_post(emulator, "/v1/storage/getPurgeList").json() == []


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


# --------------------------------------------------------------------------- latency and connections


def test_latency_requests_overlap(emulator):
    emulator.config(latency_ms=200)

    def one(index):
        started = time.monotonic()
        response = ik_purge(emulator, f"{IK_ENDPOINT}/img/{index}.png")
        return response.status_code, time.monotonic() - started

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(8)))
    elapsed = time.monotonic() - started
    assert [status for status, _duration in results] == [201] * 8
    assert all(duration >= 0.2 for _status, duration in results)
    assert elapsed < 1.2
    assert len(emulator.log()) == 8


def test_keep_alive_reuses_one_connection(emulator):
    with requests.Session() as session:
        session.auth = (IK_KEY, "")
        statuses = []
        for index in range(5):
            response = session.post(emulator.url("/v1/files/purge"), json={"url": f"{IK_ENDPOINT}/{index}.png"}, timeout=TIMEOUT)
            assert response.headers.get("Connection", "").lower() != "close"
            statuses.append(response.status_code)
        statuses.append(session.get(emulator.url("/v1/files/purge/ffffffffffffffffffffffff"), timeout=TIMEOUT).status_code)
    assert statuses == [201] * 5 + [404]
    log = emulator.log()
    assert len(log) == 6
    assert len({e["connection"] for e in log}) == 1
    valid_purge(emulator, "imagekit")  # a fresh connection outside the session
    assert emulator.log()[-1]["connection"] != log[0]["connection"]


# --------------------------------------------------------------------------- CLI, TLS, SDK


def test_cli_flags_config_and_sigint(tmp_path):
    emu = start_emulator(
        tmp_path,
        "--latency-ms",
        "5",
        "--fault-rate",
        "0.25",
        "--faults",
        "500,drop_after",
        "--imagekit-complete-after",
        "2.5",
        "--imagemash-complete-after",
        "0",
        "--config",
        '{"imagemash_id_format": "object", "quota": {"gotipath": 3}, "latency_ms": 99}',
    )
    try:
        config = requests.get(emu.url("/_emulator/config"), timeout=TIMEOUT).json()
        assert config["latency_ms"] == 5  # an explicit flag beats --config
        assert (config["fault_rate"], config["faults"]) == (0.25, ["500", "drop_after"])
        assert (config["imagekit_complete_after"], config["imagemash_complete_after"]) == (2.5, 0)
        assert (config["imagemash_id_format"], config["quota"]) == ("object", {"gotipath": 3})
    finally:
        assert emu.stop(signal.SIGINT) == 0


def test_cli_rejects_unknown_config_key(tmp_path):
    port_file = tmp_path / "port"
    command = [
        sys.executable,
        str(EMULATOR),
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--config",
        '{"no_such_key": 1}',
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "no_such_key" in result.stderr
    assert not port_file.exists()


def test_tls_mode(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    emu = start_emulator(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert emu.line.startswith("cdn-emulator listening on https://127.0.0.1:")
        assert requests.get(emu.url("/_emulator/health"), verify=str(cert), timeout=TIMEOUT).json() == {"ok": True}
        with requests.Session() as session:
            session.auth = (IK_KEY, "")
            for _index in range(2):
                # verify per request: REQUESTS_CA_BUNDLE in the environment would override session.verify.
                response = session.post(emu.url("/v1/files/purge"), json={"url": f"{IK_ENDPOINT}/a.jpg"}, verify=str(cert), timeout=TIMEOUT)
                assert response.status_code == 201
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emu.url("/_emulator/health"), timeout=TIMEOUT)  # self-signed: refused by default
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{emu.port}/_emulator/health", timeout=TIMEOUT)
        log = requests.get(emu.url("/_emulator/requests"), verify=str(cert), timeout=TIMEOUT).json()
        assert [e["status"] for e in log] == [201, 201]
        assert log[0]["connection"] == log[1]["connection"]
    finally:
        assert emu.stop() == 0


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
