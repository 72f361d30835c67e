import http.server
import json
import threading

import pytest
from urllib3.response import HTTPResponse

from ansible_collections.cdnops.cdn.plugins.module_utils import _http
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError, redact
from ansible_collections.cdnops.cdn.plugins.module_utils._http import (
    ApiClient,
    RateLimitRetry,
    provider_error_message,
    validate_base_url,
)
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for


@pytest.mark.parametrize(
    "url",
    ["https://api.imagekit.io", "http://127.0.0.1:8080", "http://127.9.9.9", "http://localhost:1/", "http://[::1]:9000"],
)
def test_base_url_accepted(url):
    assert validate_base_url("api_base_url", url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://api.imagekit.io", "plain http:// to a non-loopback host"),
        ("http://10.0.0.1", "plain http:// to a non-loopback host"),
        ("ftp://127.0.0.1", "absolute http:// or https:// URL"),
        ("api.imagekit.io", "absolute http:// or https:// URL"),
        ("https://user:pw@api.imagekit.io", "must not carry credentials"),
        ("https://api.imagekit.io/?a=1", "query string"),
        ("https://api.imagekit.io:99999", "not a valid URL"),
    ],
)
def test_base_url_refused(url, words):
    with pytest.raises(CdnError, match=words):
        validate_base_url("api_base_url", url)


def response(status, body=b"", headers=None):
    return HTTPResponse(body=body, headers=headers or {}, status=status, preload_content=False)


def test_retry_after_seconds_and_rl_ttl(make_params):
    imagemash = provider_for(make_params("imagemash"))
    retry = RateLimitRetry(total=3, status_forcelist=(429,), rate_limit_wait=imagemash.retry_after)
    assert retry.get_retry_after(response(429, headers={"Retry-After": "2"})) == 2
    assert retry.get_retry_after(response(429, headers={"rl-ttl": "7"})) == 7
    assert retry.get_retry_after(response(503, headers={"rl-ttl": "7"})) is None
    assert retry.get_retry_after(response(429, headers={"Retry-After": "99999"})) == _http.RETRY_AFTER_MAX


def test_retry_after_wins_over_the_providers_default_and_pace_spreads_it(make_params):
    """A provider's hook is its own header or its documented default (Gcore's 60 s window): used only without
    Retry-After. pace then spreads every 429's wait, once per answer."""
    gcore = provider_for(make_params("gcore"))
    retry = RateLimitRetry(total=3, status_forcelist=(429,), rate_limit_wait=gcore.retry_after)
    assert retry.get_retry_after(response(429, headers={"Retry-After": "1"})) == 1
    assert retry.get_retry_after(response(429)) == 60.0
    paced = []

    def pace(wait):
        paced.append(wait)
        return wait + 0.5 * len(paced)

    retry = RateLimitRetry(total=3, status_forcelist=(429,), rate_limit_wait=gcore.retry_after, pace=pace)
    answer = response(429, headers={"Retry-After": "1"})
    assert retry.get_retry_after(answer) == 1.5 and retry.get_retry_after(answer) == 1.5
    assert retry.new().get_retry_after(response(429)) == 61.0 and paced == [1, 60.0]


def test_retry_policy_keeps_its_rate_limit_hook_and_retries_posts():
    def hook(_headers):  # a stand-in for an adapter's retry_after
        return 7.0

    policy = _http._retry_policy(4, hook)
    assert policy.allowed_methods is None and policy.total == 4
    assert set(policy.status_forcelist) == {429, 500, 502, 503, 504}
    again = policy.increment(method="POST", url="/", response=response(503))
    assert again.rate_limit_wait is hook and again.total == 3
    assert again.get_retry_after(response(429)) == 7.0


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"message": "Your account cannot be authenticated.", "help": "x"}, "Your account cannot be authenticated."),
        ({"msg": "Invalid path", "details": "Path '/logo' is bad"}, "Invalid path - Path '/logo' is bad"),
        ({"result": "error", "message": "Zone not found"}, "Zone not found"),
        ({"message": "bad", "errors": {"paths": ["too many"]}}, 'bad - {"paths": ["too many"]}'),
    ],
)
def test_provider_error_message(body, expected):
    resp = _requests_response(400, json.dumps(body))
    assert provider_error_message(resp) == expected


def test_provider_error_message_redacts_and_truncates():
    resp = _requests_response(500, "echo X-API-Key: sekrit-key-123 " + "z" * 900)
    text = provider_error_message(resp, secrets=("sekrit-key-123",))
    assert "sekrit-key-123" not in text and "********" in text and text.endswith("...")
    assert redact("a sekrit-key-123 b", ["sekrit-key-123", None]) == "a ******** b"


def _requests_response(status, text):
    import requests

    resp = requests.Response()
    resp.status_code = status
    resp._content = text.encode()
    return resp


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 then 429 (rl-ttl 0) then 200, to see the retries happen and be counted."""

    answers = []

    def do_POST(self):  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, headers = self.answers.pop(0)
        body = b'{"message": "slow down"}' if status != 200 else b'{"ok": true}'
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_client_retries_and_counts_every_request(flaky_server, monkeypatch, make_params):
    monkeypatch.setattr(_http, "BACKOFF_FACTOR", 0.01)
    _Flaky.answers = [(503, {}), (429, {"rl-ttl": "0"}), (200, {})]
    client = ApiClient(provider_for(make_params("imagemash")), "http://127.0.0.1:%d" % flaky_server.server_port, retries=3)
    assert client.request("POST", "/x", "purge", json={}).json() == {"ok": True}
    assert client.requests_sent == 3


def test_client_stops_at_retries_and_names_the_last_error(flaky_server, monkeypatch, make_params):
    monkeypatch.setattr(_http, "BACKOFF_FACTOR", 0.01)
    _Flaky.answers = [(503, {}), (502, {}), (500, {})]
    client = ApiClient(provider_for(make_params("gotipath")), "http://127.0.0.1:%d" % flaky_server.server_port, retries=2)
    with pytest.raises(CdnError) as caught:
        client.request("POST", "/x", "url purge of 1 paths")
    assert client.requests_sent == 3
    assert caught.value.http_status == 500
    assert caught.value.message == "gotipath: url purge of 1 paths failed after 2 retries: HTTP 500 Internal Server Error: slow down"


def test_client_connection_refused_is_a_clear_error(monkeypatch, make_params):
    monkeypatch.setattr(_http, "BACKOFF_FACTOR", 0.0)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    port = server.server_port
    server.server_close()
    client = ApiClient(provider_for(make_params("imagekit")), "http://127.0.0.1:%d" % port, retries=1, secrets=("k3y-value",))
    with pytest.raises(CdnError) as caught:
        client.request("GET", "/v1/files/purge/abc", "status of purge request abc")
    assert "could not get an answer from http://127.0.0.1:%d" % port in caught.value.message
    assert "Connection refused" in caught.value.message
    assert client.requests_sent == 2


class _ThrottlingHooks:
    """An adapter whose vendor answers 400 with a throttling code: the throttled hook names it."""

    name = "throttler"

    def retry_after(self, headers):
        return None

    def error_words(self, body):
        return [body.get("message", "")] if isinstance(body, dict) else []

    def throttled(self, response):
        return response.status_code == 400 and b"slow down" in response.content


def test_a_throttling_answer_named_by_the_adapter_is_retried_like_a_429(flaky_server, monkeypatch):
    monkeypatch.setattr(_http, "BACKOFF_FACTOR", 0.01)
    _Flaky.answers = [(400, {}), (400, {}), (200, {})]
    client = ApiClient(_ThrottlingHooks(), "http://127.0.0.1:%d" % flaky_server.server_port, retries=3)
    assert client.request("POST", "/x", "purge", json={}).json() == {"ok": True}
    assert client.requests_sent == 3
    # Past retries, the failure says they were used.
    _Flaky.answers = [(400, {}), (400, {})]
    client = ApiClient(_ThrottlingHooks(), "http://127.0.0.1:%d" % flaky_server.server_port, retries=1)
    with pytest.raises(CdnError, match="failed after 1 retries: HTTP 400"):
        client.request("POST", "/x", "purge", json={})
    assert client.requests_sent == 2


def test_a_429_the_caller_takes_is_left_to_it(flaky_server, monkeypatch):
    """An adapter that waits out rate limits (the vendor's window) asks for 429 among ok: one 429, no retry here."""
    monkeypatch.setattr(_http, "BACKOFF_FACTOR", 0.01)
    _Flaky.answers = [(429, {}), (200, {})]
    client = ApiClient(_ThrottlingHooks(), "http://127.0.0.1:%d" % flaky_server.server_port, retries=5)
    assert client.request("POST", "/x", "purge", ok=(200, 429), json={}).status_code == 429
    assert client.requests_sent == 1
    # Any other request of the same adapter still retries its 429s.
    _Flaky.answers = [(429, {}), (200, {})]
    assert client.request("POST", "/x", "lookup", json={}).status_code == 200
    assert client.requests_sent == 3
