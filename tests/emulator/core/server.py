"""The HTTP layer: routing to the provider handlers, faults, latency, the request log and the control API."""

import contextlib
import socket
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from core.api import Call, ConfigError, Reply, parse_json, retry_after_value
from core.registry import CORE_LOG_FIELDS

FAULT_TEXT = {429: "Too many requests", 500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}
MAX_BODY = 16 * 1024 * 1024


def fault_reply(module, store, config, fault):
    """The answer of an emulated 429 or 5xx: the provider's error shape and, for 429, its rate-limit headers."""
    kind = fault["kind"]
    status = 429 if kind.startswith("429") else int(kind)
    body = module.error_body(status, FAULT_TEXT[status])
    # A vendor whose errors are not JSON (XML, say) gives the bytes of its own error document.
    reply = Reply(status, raw=body, content_type=getattr(module, "ERROR_CONTENT_TYPE", "text/xml")) if isinstance(body, bytes) else Reply(status, body)
    own_style = getattr(module, "rate_limit_headers", None)
    if status == 429 and own_style is not None:
        reply.headers.update(own_style(store, config, fault))
    # 429_rl is the provider's own rate-limit style; a provider without one gets a plain 429.
    if kind == "429" or (kind == "429_rl" and own_style is None):
        reply.headers["Retry-After"] = retry_after_value(fault)
    return reply


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed ACK
    # (about 40 ms on Linux), a delay no real CDN API has. http.server's own switch turns it off.
    disable_nagle_algorithm = True
    server_version = "cdn-emulator/1.0"
    # Idle keep-alive connections are dropped after this many seconds.
    timeout = 300

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            # Handshake here, in the connection's own thread, so a slow client cannot stall accept().
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()
        self.connection_id = self.server.state.next_connection_id()

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)  # ValueError: malformed
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def _send(self, reply):
        body = reply.body_bytes()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, ssl.SSLError):
            # The client gave up (e.g. timed out on a slow fault): nothing left to tell it.
            self.close_connection = True

    def _drop(self):
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _new_entry(self, received, split, query_pairs, body, route):
        ok, parsed = parse_json(body) if body else (False, None)
        entry = dict.fromkeys(CORE_LOG_FIELDS)
        entry.update(self.server.registry.log_fields)
        entry.update(
            time=received,
            provider=route[0].NAME if route else "unknown",
            method=self.command,
            path=split.path,
            query=dict(query_pairs),
            headers=dict(self.headers.items()),
            body=parsed if ok else None,
            body_text=body.decode("utf-8", "replace"),
            accepted=False,
            kind=route[1] if route else None,
            purged=[],
            purge_all=False,
            connection=self.connection_id,
        )
        return entry

    def _dispatch(self):
        received = time.time()
        split = urlsplit(self.path)
        query_pairs = parse_qsl(split.query, keep_blank_values=True)
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(Reply(400, {"message": "Bad Request"}))
            return
        if split.path == "/_emulator" or split.path.startswith("/_emulator/"):
            self._send(self._control(split.path, dict(query_pairs), body))
            return
        state = self.server.state
        route = self.server.registry.find_route(self.command, split.path)
        entry = self._new_entry(received, split, query_pairs, body, route)
        if route is None:
            reply = Reply(404, {"message": "Not Found"})
            entry["status"] = reply.status
            state.append_log(entry)
            self._send(reply)
            return
        module, _kind, function, params = route
        cfg = state.snapshot()
        store = state.store(module.NAME)
        if cfg["latency_ms"]:
            time.sleep(cfg["latency_ms"] / 1000.0)
        fault = state.next_fault()
        kind = fault["kind"] if fault else None
        entry["fault"] = kind
        if kind == "drop":
            state.append_log(entry)
            self._drop()
            return
        if kind in ("429", "429_rl", "500", "502", "503"):
            reply = fault_reply(module, store, cfg, fault)
        else:
            creds = cfg["credentials"][module.NAME]
            call = Call(self.command, split.path, split.query, query_pairs, self.headers, body, params, entry, cfg, creds, store, state)
            try:
                reply = function(call)
            except Exception as exc:  # noqa: BLE001 # pylint: disable=broad-exception-caught
                # An emulator bug must show up as a visible 500, not as a dropped connection.
                print(f"cdn-emulator: internal error on {self.command} {split.path}: {exc!r}", file=sys.stderr)
                reply = Reply(500, {"message": f"emulator internal error: {exc!r}"})
        if hasattr(module, "answer_headers"):
            for name, value in module.answer_headers(store, cfg).items():
                reply.headers.setdefault(name, value)
        if kind == "drop_after":
            state.append_log(entry)
            self._drop()
            return
        entry["status"] = reply.status
        state.append_log(entry)
        if kind == "slow":
            time.sleep(fault["slow_seconds"])
        self._send(reply)

    def _control(self, path, query, body):
        state = self.server.state
        method = self.command
        reads = {
            "/_emulator/health": lambda: {"ok": True},
            "/_emulator/requests": lambda: state.requests(query.get("provider")),
            "/_emulator/config": state.snapshot,
            "/_emulator/providers": self.server.registry.describe,
        }
        actions = {
            "/_emulator/reset": lambda: state.reset() or {"ok": True},
            "/_emulator/quota/reset": lambda: state.reset_quota() or {"ok": True},
            "/_emulator/complete": lambda: {"ok": True, "completed": state.complete_all()},
        }
        if path in reads and method == "GET":
            return Reply(200, reads[path]())
        if path == "/_emulator/config" and method == "POST":
            ok, patch = parse_json(body)
            if not ok:
                return Reply(400, {"message": "config must be a JSON object"})
            try:
                return Reply(200, state.update_config(patch))
            except ConfigError as exc:
                return Reply(400, {"message": str(exc)})
        if path in actions and method == "POST":
            return Reply(200, actions[path]())
        known = path in actions or path in reads
        return Reply(405, {"message": "Method Not Allowed"}) if known else Reply(404, {"message": "Not Found"})

    # http.server's own names.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch  # noqa: N815


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Benchmarks open many connections at once; the default backlog of 5 would stall them.
    request_queue_size = 128

    def __init__(self, address, state, verbose=False, ssl_context=None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        self.registry = state.registry
        self.verbose = verbose
        self.ssl_context = ssl_context
        super().__init__(address, EmulatorHandler)

    def get_request(self):
        sock, addr = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)
