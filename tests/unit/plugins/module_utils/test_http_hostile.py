"""ApiClient against a deliberately broken server on 127.0.0.1 (tests/support/hostile_server.py): answers lost
while their body is read, dripped answers, the deadline, huge bodies and gzip bombs, malformed Retry-After, counting.

Symbols new to _http are read from the module inside each test, so that every test fails on its own against older code.
"""

import http.server
import resource
import threading
import time

import pytest
from hostile_server import HostileServer

from ansible_collections.cdnops.cdn.plugins.module_utils import _http
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import ApiClient
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for

BODY_LOST = ["reset_mid_body", "short_body", "bad_chunk", "bad_gzip"]


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(_http, "BACKOFF_FACTOR", 0.01)


@pytest.fixture
def serve():
    servers = []

    def start(*script, lifetime=60.0):
        server = HostileServer(list(script), lifetime=lifetime).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def client_for(make_params):
    clients = []

    def make(server, provider="gotipath", **kwargs):
        client = ApiClient(provider_for(make_params(provider)), server.url, **dict({"timeout": 5.0, "retries": 2}, **kwargs))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def purge(client):
    return client.request("POST", "/v1/purges", "url purge of 1 paths", json={"paths": ["/a.html"]})


def max_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- an answer lost while its body is read ---------------------------------------------------------------------------
@pytest.mark.parametrize("behaviour", BODY_LOST)
def test_a_body_lost_after_the_status_line_is_a_lost_answer_and_is_retried(serve, client_for, behaviour):
    server = serve(behaviour, "ok")
    client = client_for(server)
    assert purge(client).json()["requestId"] == "hostile-1"
    assert client.requests_sent == 2 == len(server.requests)
    assert client.lost_answers == 1, "the first try went out and its answer was lost: the purge may have run twice"


@pytest.mark.parametrize("behaviour", BODY_LOST)
def test_a_body_lost_every_time_fails_after_the_retries_as_lost(serve, client_for, behaviour):
    server = serve(behaviour)
    client = client_for(server, retries=1)
    with pytest.raises(CdnError) as caught:
        purge(client)
    assert "failed after 1 retries: could not get an answer from %s: ProtocolError" % server.url in caught.value.message
    assert client.requests_sent == 2 == len(server.requests)
    assert client.lost_answers == 2


@pytest.mark.parametrize("behaviour", ["ok", "ok_gzip", "ok_chunked"])
def test_good_bodies_are_read_plain_gzip_or_chunked(serve, client_for, behaviour):
    client = client_for(serve(behaviour))
    response = purge(client)
    assert response.status_code == 201 and response.json()["requestId"] == "hostile-1" and response.content.startswith(b"{")
    assert client.requests_sent == 1 and client.lost_answers == 0


# --- hangs: a try is bounded from connect to the last body byte, and the deadline bounds everything -------------------
@pytest.mark.parametrize("behaviour", ["drip_headers", "drip_body"])
def test_a_dripping_server_cannot_hold_a_try_past_its_timeout(serve, client_for, behaviour):
    server = serve((behaviour, {"interval": 0.2, "max_seconds": 30}))
    client = client_for(server, timeout=1.0, retries=1)
    start = time.monotonic()
    with pytest.raises(CdnError) as caught:
        purge(client)
    elapsed = time.monotonic() - start
    # Before: each byte reset the socket timeout, so one try lasted as long as the server dripped (here 20-30 s).
    assert elapsed < 6, elapsed
    assert "Read timed out" in caught.value.message and "after 1 retries" in caught.value.message
    assert client.requests_sent == 2 and client.lost_answers == 2


def test_the_deadline_cuts_a_try_short_and_no_retry_starts_after_it(serve, client_for):
    server = serve(("drip_body", {"interval": 0.2, "max_seconds": 30}))
    client = client_for(server, timeout=10.0, retries=5)
    client.set_deadline(time.monotonic() + 1.5, "wait_timeout=1s")
    start = time.monotonic()
    with pytest.raises(CdnError) as caught:
        purge(client)
    assert time.monotonic() - start < 4
    assert "before the deadline (wait_timeout=1s)" in caught.value.message and "Read timed out" in caught.value.message
    assert client.requests_sent == 1 == len(server.requests) and client.lost_answers == 1


def test_no_backoff_or_retry_after_wait_goes_past_the_deadline(serve, client_for):
    server = serve(("status", {"status": 503, "reason": "Service Unavailable", "headers": {"Retry-After": "30"}}))
    client = client_for(server, retries=5)
    client.set_deadline(time.monotonic() + 5, "wait_timeout=5s")
    start = time.monotonic()
    with pytest.raises(CdnError) as caught:
        purge(client)
    # The server asks for 30 s: more than is left, so the client gives up now instead of sleeping into the deadline.
    assert time.monotonic() - start < 3, "no 30 s sleep"
    assert caught.value.http_status == 503 and "no retry fits before the deadline (wait_timeout=5s)" in caught.value.message
    assert client.requests_sent == 1 and client.lost_answers == 0


def test_nothing_is_sent_once_the_deadline_has_passed(serve, client_for):
    server = serve("ok")
    client = client_for(server)
    client.set_deadline(time.monotonic() - 1)
    with pytest.raises(CdnError, match="the deadline had passed before try 1"):
        purge(client)
    assert client.requests_sent == 0 and server.requests == []
    client.set_deadline(None)
    assert purge(client).status_code == 201


# --- memory: bodies are streamed with a cap counted after decompression ----------------------------------------------
@pytest.mark.parametrize(
    "behaviour",
    [("huge_body", {"size": 200 * 1024 * 1024}), ("huge_body", {"size": 200 * 1024 * 1024, "chunked": True}), ("bomb", {"mebibytes": 1024})],
    ids=["content-length", "chunked", "gzip-bomb"],
)
def test_an_answer_over_the_size_limit_is_a_clear_error_and_is_not_read_whole(serve, client_for, behaviour):
    client = client_for(serve(behaviour), retries=3)
    before = max_rss_mib()
    with pytest.raises(CdnError) as caught:
        purge(client)
    # Before: 200 MB bodies were read whole (hundreds of MB of RSS), a 1 MB gzip bomb inflated to 1 GiB (2-3 GB).
    assert max_rss_mib() - before < 64
    assert caught.value.message == (
        "gotipath: url purge of 1 paths failed: the answer (HTTP 201) is larger than 4 MiB, the limit for one API answer; it was not read"
    )
    assert caught.value.http_status == 201
    # Answered, not retried (it would only be as large again), and its outcome unknown: a lost answer.
    assert client.requests_sent == 1 and client.lost_answers == 1


def test_a_listing_may_ask_for_the_larger_limit(serve, client_for):
    client = client_for(serve(("huge_body", {"size": 10 * 1024 * 1024}), ("huge_body", {"size": 10 * 1024 * 1024})))
    with pytest.raises(CdnError, match="larger than 4 MiB"):
        purge(client)
    response = client.request("POST", "/v1/storage/getPurgeList", "listing purge requests", max_body=_http.MAX_LIST_BODY_BYTES)
    assert len(response.content) == 10 * 1024 * 1024


def test_an_error_answer_with_a_huge_body_keeps_its_status_and_first_words(serve, client_for):
    server = serve(("status", {"status": 400, "reason": "Bad Request", "body": "no such zone " + "z" * (50 * 1024 * 1024)}))
    client = client_for(server)
    with pytest.raises(CdnError) as caught:
        purge(client)
    assert caught.value.http_status == 400 and caught.value.provider_message.startswith("no such zone zzz")
    assert len(caught.value.provider_message) <= 503 and client.requests_sent == 1


# --- a malformed Retry-After is as if absent -------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["soon", "-5", "5.5", "Fri, 31 Dec 99999 23:59:59 GMT", "Mon, 01 Jan 100000000000 00:00:00 GMT"])
def test_a_malformed_retry_after_falls_back_to_the_backoff(serve, client_for, value):
    server = serve(("status", {"status": 429, "reason": "Too Many Requests", "headers": {"Retry-After": value}}), "ok")
    client = client_for(server)
    start = time.monotonic()
    assert purge(client).status_code == 201
    assert time.monotonic() - start < 5 and client.requests_sent == 2 == len(server.requests)


def test_a_malformed_retry_after_falls_back_to_the_providers_own_header(serve, client_for):
    server = serve(("status", {"status": 429, "reason": "Too Many Requests", "headers": {"Retry-After": "soon", "rl-ttl": "1"}}), "ok")
    client = client_for(server, provider="imagemash")
    start = time.monotonic()
    assert purge(client).status_code == 201
    assert 0.9 < time.monotonic() - start < 5, "ImageMash's rl-ttl: 1 is waited"
    assert client.requests_sent == 2


# --- counting ---------------------------------------------------------------------------------------------------------
def test_every_try_that_went_out_is_counted_once(serve, client_for):
    script = [("status", {"status": 503}), "reset_mid_body", ("status", {"status": 429, "headers": {"Retry-After": "0"}}), "close", "bad_gzip", "ok"]
    server = serve(*script)
    client = client_for(server, retries=5)
    assert purge(client).status_code == 201
    assert client.requests_sent == 6 == len(server.requests)
    assert client.lost_answers == 3, "reset, closed without answer and bad gzip went out and lost their answers"
    # A new exchange (the runner starts one per purge request) starts from none lost.
    client.start_exchange()
    assert purge(client).status_code == 201 and client.requests_sent == 7 and client.lost_answers == 0


def test_an_exchange_counts_every_request_of_a_purge_but_no_lost_read(serve, client_for):
    """A purge resent after a rate-limit wait (Gcore) is a second request of one exchange: a lost answer of the first
    still counts. A status poll or lookup (GET) acts on nothing: its lost answer never counts."""
    server = serve("reset_mid_body", ("status", {"status": 429, "headers": {"Retry-After": "0"}}), "reset_mid_body", "ok", "ok")
    client = client_for(server, retries=1)
    client.start_exchange()
    assert client.request("POST", "/v1/purges", "purge", ok=(201, 429), json={}).status_code == 429
    assert client.request("GET", "/v1/purges/1", "lookup").status_code == 201
    assert client.lost_answers == 1 and client.requests_sent == 4
    assert purge(client).status_code == 201 and client.lost_answers == 1


# --- connections: kept alive after a whole answer, dropped after one not read to its end ------------------------------
class _KeepAlive(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: /big answers 400 with a body larger than what is read of an error answer."""

    protocol_version = "HTTP/1.1"
    ports = []

    def do_POST(self):  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.ports.append(self.client_address[1])
        status, body = (400, b'{"message": "too big"}' + b" " * (1024 * 1024)) if self.path == "/big" else (201, b'{"requestId": "k1"}')
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_connections_are_reused_after_whole_answers_and_dropped_after_cut_ones(client_for):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _KeepAlive.ports = []
    try:
        client = client_for(type("Server", (), {"url": "http://127.0.0.1:%d" % server.server_port}))
        for _request in range(3):
            assert purge(client).json() == {"requestId": "k1"}
        assert len(set(_KeepAlive.ports)) == 1, "one kept-alive connection"
        with pytest.raises(CdnError, match="HTTP 400 Bad Request: too big"):
            client.request("POST", "/big", "url purge of 1 paths")
        # The rest of that body was never read: its connection must not carry the next request.
        assert purge(client).json() == {"requestId": "k1"}
        assert client.requests_sent == 5 and client.lost_answers == 0 and len(set(_KeepAlive.ports)) == 2
    finally:
        server.shutdown()
        server.server_close()
