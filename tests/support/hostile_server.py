"""A deliberately broken HTTP server on 127.0.0.1, for tests of the HTTP layer against answers a real network gives.

Stdlib only. Every request takes the next behaviour of the server's script (the last one repeats): a good answer,
or a body cut by a reset, a short Content-Length, a bad chunk or bad gzip, headers or a body dripped one byte at a
time, a huge body, a gzip bomb, a status with any reason phrase and headers. Behaviours take options; a callable
option is called with the request's headers (a dict with lower-case names), so a test can echo a credential back.

Everything is bounded: the server stops by itself after `lifetime` seconds or `max_connections` connections,
every read has a socket timeout, every drip and every large body has a byte and a time limit.

    with HostileServer(["reset_mid_body", "ok"]) as server:
        ... server.url ... server.requests ...

Run as a script (python hostile_server.py --port-file F BEHAVIOUR...) it serves until its lifetime is over.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import json
import socket
import struct
import threading
import time
import zlib
from pathlib import Path

MAX_REQUEST_HEAD = 64 * 1024
MAX_REQUEST_BODY = 1024 * 1024
SOCKET_TIMEOUT = 5.0
BLOCK = 64 * 1024

# One body every adapter reads as a success: an id under the names vendors use, and a Completed status.
OK_BODY = {"requestId": "hostile-1", "id": "hostile-1", "status": "Completed", "success": True, "result": {"id": "hostile-1"}}


@functools.lru_cache(maxsize=4)
def gzip_bomb(mebibytes):
    """One gzip member that inflates to mebibytes MiB of zeros (about 1 KiB of gzip per MiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [compressor.compress(zeros) for _mebibyte in range(mebibytes)]
    parts.append(compressor.flush())
    return b"".join(parts)


def _value(option, headers):
    return option(headers) if callable(option) else option


class _Connection:
    """One accepted connection: its request, and writing whatever the behaviour says."""

    def __init__(self, sock, server):
        self.sock = sock
        self.server = server
        self.sock.settimeout(SOCKET_TIMEOUT)

    def read_request(self):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < MAX_REQUEST_HEAD:
            data = self.sock.recv(4096)
            if not data:
                return None
            head += data
        head, _end, body = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path = (lines[0].split(" ") + ["", ""])[:2]
        headers = {}
        for line in lines[1:]:
            name, _colon, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = min(int(headers.get("content-length") or 0), MAX_REQUEST_BODY)
        while len(body) < length:
            data = self.sock.recv(min(65536, length - len(body)))
            if not data:
                break
            body += data
        return {"method": method, "path": path, "headers": headers, "body": body.decode("utf-8", "replace")}

    def send(self, data):
        self.sock.sendall(data)

    def head(self, status=201, reason="Created", headers=(), length=None):
        lines = ["HTTP/1.1 %d %s" % (status, reason), "Connection: close"]
        if length is not None:
            lines.append("Content-Length: %d" % length)
        lines.extend("%s: %s" % (name, value) for name, value in headers)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def reset(self):
        """Close with a TCP reset instead of a clean end."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def drip(self, data, interval, max_seconds):
        """data one byte at a time, interval seconds apart; gives up after max_seconds or when the client is gone."""
        end = time.monotonic() + max_seconds
        for index in range(len(data)):
            if time.monotonic() > end or self.server.stopping.is_set():
                return
            self.send(data[index : index + 1])
            time.sleep(interval)


def _json(options):
    return json.dumps(options.get("json", OK_BODY)).encode("utf-8")


# --- behaviours: each writes one answer (or none) to the connection -------------------------------------------------
def ok(conn, request, options):
    body = _json(options)
    conn.send(conn.head(options.get("status", 201), "Created", (("Content-Type", "application/json"),), len(body)) + body)


def ok_gzip(conn, request, options):
    body = gzip.compress(_json(options))
    conn.send(conn.head(201, "Created", (("Content-Type", "application/json"), ("Content-Encoding", "gzip")), len(body)) + body)


def ok_chunked(conn, request, options):
    body = _json(options)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]) if part) + b"0\r\n\r\n"
    conn.send(conn.head(201, "Created", (("Content-Type", "application/json"), ("Transfer-Encoding", "chunked"))) + chunks)


def reset_mid_body(conn, request, options):
    body = _json(options)
    conn.send(conn.head(201, "Created", (("Content-Type", "application/json"),), len(body) + 1000) + body[: len(body) // 2])
    time.sleep(0.05)
    conn.reset()


def short_body(conn, request, options):
    body = _json(options)
    conn.send(conn.head(201, "Created", (("Content-Type", "application/json"),), len(body) + 100) + body)


def bad_chunk(conn, request, options):
    body = _json(options)
    conn.send(conn.head(201, "Created", (("Content-Type", "application/json"), ("Transfer-Encoding", "chunked"))) + b"%x\r\n%s\r\nzz\r\n" % (8, body[:8]))


def bad_gzip(conn, request, options):
    body = b"\x1f\x8b\x08\x00" + b"this is not gzip at all" * 4
    conn.send(conn.head(201, "Created", (("Content-Type", "application/json"), ("Content-Encoding", "gzip")), len(body)) + body)


def drip_headers(conn, request, options):
    body = _json(options)
    conn.drip(
        conn.head(201, "Created", (("Content-Type", "application/json"),), len(body)) + body, options.get("interval", 1.0), options.get("max_seconds", 120)
    )


def drip_body(conn, request, options):
    body = _json(options)
    conn.send(conn.head(201, "Created", (("Content-Type", "application/json"),), len(body)))
    conn.drip(body, options.get("interval", 1.0), options.get("max_seconds", 120))


def huge_body(conn, request, options):
    """A 201 with size bytes of JSON-ish filler, stopped when the client goes away."""
    size = options.get("size", 200 * 1024 * 1024)
    chunked = options.get("chunked", False)
    headers = [("Content-Type", "application/json")] + ([("Transfer-Encoding", "chunked")] if chunked else [])
    conn.send(conn.head(201, "Created", headers, None if chunked else size))
    block = b" " * BLOCK
    sent = 0
    end = time.monotonic() + options.get("max_seconds", 120)
    while sent < size and time.monotonic() < end and not conn.server.stopping.is_set():
        part = block[: min(BLOCK, size - sent)]
        conn.send(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        sent += len(part)
    if chunked:
        conn.send(b"0\r\n\r\n")


def bomb(conn, request, options):
    body = gzip_bomb(options.get("mebibytes", 1024))
    conn.send(conn.head(201, "Created", (("Content-Type", "application/json"), ("Content-Encoding", "gzip")), len(body)) + body)


def status(conn, request, options):
    """Any status, reason phrase, headers and body (callables get the request headers); cut: send only so many body bytes."""
    headers = request["headers"]
    body = _value(options.get("body", json.dumps({"message": "hostile says no"})), headers).encode("utf-8")
    extra = [(name, _value(value, headers)) for name, value in options.get("headers", {}).items()]
    head = conn.head(options.get("status", 500), _value(options.get("reason", "Internal Server Error"), headers), extra, len(body))
    conn.send(head + body[: options.get("cut", len(body))])


def raw(conn, request, options):
    """Whatever bytes options["data"] says (a callable gets the request headers), then close."""
    conn.send(_value(options["data"], request["headers"]).encode("latin-1"))


def close(conn, request, options):
    """Read the request and close without a word."""


BEHAVIOURS = {
    function.__name__: function
    for function in (ok, ok_gzip, ok_chunked, reset_mid_body, short_body, bad_chunk, bad_gzip, drip_headers, drip_body, huge_body, bomb, status, raw, close)
}


class HostileServer:
    """A server on 127.0.0.1 answering request n with script[n] (the last repeats); stops by itself."""

    def __init__(self, script, lifetime=120.0, max_connections=500):
        self.script = [item if isinstance(item, tuple) else (item, {}) for item in script]
        for name, options in self.script:
            if name not in BEHAVIOURS:
                raise ValueError("unknown behaviour %r (known: %s)" % (name, ", ".join(sorted(BEHAVIOURS))))
            if name == "bomb":
                gzip_bomb(options.get("mebibytes", 1024))  # made now (seconds of CPU), not while a client waits
        self.lifetime = lifetime
        self.max_connections = max_connections
        self.requests = []
        self.errors = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(32)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._serve, name="hostile-server", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _serve(self):
        end = time.monotonic() + self.lifetime
        accepted = 0
        while accepted < self.max_connections and time.monotonic() < end and not self.stopping.is_set():
            try:
                sock, _address = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            accepted += 1
            threading.Thread(target=self._handle, args=(sock,), name="hostile-connection", daemon=True).start()
        self.stopping.set()

    def _handle(self, sock):
        conn = _Connection(sock, self)
        try:
            request = conn.read_request()
            if request is None:
                return
            with self._lock:
                name, options = self.script[min(len(self.requests), len(self.script) - 1)]
                request["behaviour"] = name
                self.requests.append(request)
            BEHAVIOURS[name](conn, request, options)
        except OSError as exc:  # the client went away: that is the point of most behaviours
            self.errors.append(repr(exc))
        finally:
            with contextlib.suppress(OSError):
                sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("behaviours", nargs="+", choices=sorted(BEHAVIOURS))
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--lifetime", type=float, default=300.0)
    arguments = parser.parse_args()
    server = HostileServer(arguments.behaviours, lifetime=arguments.lifetime).start()
    Path(arguments.port_file).write_text(str(server.port), encoding="utf-8")
    server._thread.join(arguments.lifetime + 5)


if __name__ == "__main__":
    main()
