"""Shared by the emulator's tests: the launcher (checks the announced line and the exit status), the default
credentials and targets (tests/emulator/README.md), one request helper per provider and valid_purge().

The emulator runs as a subprocess and is driven over real HTTP only: nothing here imports the emulator.
"""

import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

EMULATOR = Path(__file__).resolve().parent / "cdn_emulator.py"
TIMEOUT = 10
LINE_RE = re.compile(r"cdn-emulator listening on (https?)://127\.0\.0\.1:(\d+)")
PROVIDERS = ("imagekit", "imagemash", "5centscdn", "gotipath", "cloudflare", "fastly", "bunny", "gcore", "akamai", "cloudfront")

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
CF_TOKEN = "emulator_cloudflare_token"
CF_EMAIL = "ops@example.com"
CF_GLOBAL_KEY = "emulator_cloudflare_global_key"
CF_ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
FY_TOKEN = "emulator_fastly_token"
FY_SERVICE = "SU1Z0isxPaozGVKXdv0eY"
FY_HOST = "www.example.com"
CLOUDFRONT_KEYS = ("AKIAEMULATORCLOUDFRONT", "emulatorCloudFrontSecret/0123456789+abcdefXYZ")
AK_CREDENTIALS = {
    "client_token": "akab-emulatorclienttoken-00000000",
    "client_secret": "EmulatorAkamaiClientSecret0123456789abcdef=",
    "access_token": "akab-emulatoraccesstoken-00000000",
}

ERROR_KEYS = {
    "imagekit": {"message", "help"},
    "imagemash": {"msg", "details"},
    "5centscdn": {"result", "message"},
    "gotipath": {"message"},
    "cloudflare": {"success", "errors", "messages", "result"},
    "fastly": {"msg", "detail"},
    "bunny": {"ErrorKey", "Field", "Message"},
    "gcore": {"message"},
    "akamai": {"supportId", "title", "httpStatus", "detail", "describedBy"},
    # XML: the fields of <ErrorResponse><Error>.
    "cloudfront": {"Type", "Code", "Message"},
}


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


def cf_purge(emu, body=None, *, zone=CF_ZONE, token=CF_TOKEN, headers=None, data=None, method="POST", **kwargs):
    """Cloudflare purge_cache; token=None sends no Authorization header (headers= adds or replaces headers)."""
    sent = {} if token is None else {"Authorization": f"Bearer {token}"}
    sent.update(headers or {})
    url = emu.url(f"/client/v4/zones/{zone}/purge_cache")
    timeout = kwargs.pop("timeout", TIMEOUT)
    if data is not None:
        return requests.request(method, url, data=data, headers=sent, timeout=timeout, **kwargs)
    return requests.request(method, url, json=body, headers=sent, timeout=timeout, **kwargs)


def fy_post(emu, path, *, token=FY_TOKEN, headers=None, **kwargs):
    """A Fastly API POST; token=None sends no Fastly-Key."""
    sent = {} if token is None else {"Fastly-Key": token}
    sent.update(headers or {})
    timeout = kwargs.pop("timeout", TIMEOUT)
    return requests.post(emu.url(path), headers=sent, timeout=timeout, **kwargs)


def ak_session(secret=AK_CREDENTIALS["client_secret"]):
    """A requests session signing with EdgeGrid (edgegrid-python), as Akamai's own clients do."""
    from akamai.edgegrid import EdgeGridAuth  # pylint: disable=import-outside-toplevel

    session = requests.Session()
    session.auth = EdgeGridAuth(client_token=AK_CREDENTIALS["client_token"], client_secret=secret, access_token=AK_CREDENTIALS["access_token"])
    return session


def ak_purge(emu, objects, path="/ccu/v3/delete/url/production", session=None, **kwargs):
    timeout = kwargs.pop("timeout", TIMEOUT)
    return (session or ak_session()).post(emu.url(path), json={"objects": objects}, timeout=timeout, **kwargs)


def cloudfront_purge(emu, paths, reference=None, **kwargs):
    """A CreateInvalidation signed with SigV4 by botocore (a new CallerReference each time unless given)."""
    from botocore.auth import SigV4Auth  # pylint: disable=import-outside-toplevel
    from botocore.awsrequest import AWSRequest  # pylint: disable=import-outside-toplevel
    from botocore.credentials import Credentials  # pylint: disable=import-outside-toplevel

    items = "".join("<Path>%s</Path>" % path for path in paths)
    body = (
        '<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>%d</Quantity><Items>%s</Items></Paths>'
        "<CallerReference>%s</CallerReference></InvalidationBatch>" % (len(paths), items, reference or uuid.uuid4().hex)
    ).encode()
    url = emu.url("/2020-05-31/distribution/E2QWRUHAPOMQZL/invalidation")
    signed = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/xml"})
    SigV4Auth(Credentials(*CLOUDFRONT_KEYS), "cloudfront", "us-east-1").add_auth(signed)
    timeout = kwargs.pop("timeout", TIMEOUT)
    return requests.post(url, data=body, headers=dict(signed.headers.items()), timeout=timeout, **kwargs)


def valid_purge(emu, provider, **kwargs):
    """One request that each provider accepts, used by the quota and fault tests."""
    if provider == "imagekit":
        return ik_purge(emu, f"{IK_ENDPOINT}/img/logo.png", **kwargs)
    if provider == "imagemash":
        return im_purge(emu, ["/logo.png"], **kwargs)
    if provider == "5centscdn":
        return fc_purge(emu, files=["/logo.png"])
    if provider == "cloudflare":
        return cf_purge(emu, {"files": ["https://www.example.com/logo.png"]}, **kwargs)
    if provider == "fastly":
        return fy_post(emu, f"/purge/{FY_HOST}/logo.png", **kwargs)
    if provider == "bunny":
        params = {"url": "https://www.example.com/logo.png", "async": "false"}
        return requests.post(emu.url("/purge"), params=params, headers={"AccessKey": "emulator_bunny_access_key"}, timeout=TIMEOUT)
    if provider == "cloudfront":
        return cloudfront_purge(emu, ["/logo.png"], **kwargs)
    if provider == "akamai":
        return ak_purge(emu, ["https://www.example.com/logo.png"], **kwargs)
    if provider == "gcore":
        headers = {"Authorization": "APIKey 4242$emulatorgcoretoken0123456789abcdef"}
        return requests.post(emu.url("/cdn/resources/220748/purge"), json={"urls": ["/logo.png"]}, headers=headers, timeout=TIMEOUT)
    return gp_purge(emu, {"type": "url", "paths": ["/logo.png"]})


def assert_rl_headers(response):
    """ImageMash's rate-limit headers, present on every answer."""
    assert int(response.headers["rl-remain"]) >= 0
    assert int(response.headers["rl-ttl"]) >= 0
