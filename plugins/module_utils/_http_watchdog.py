# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watchdog of one try: past its time it shuts the try's sockets, so a read blocked on a dripping server returns.

Internal use only: this file is not part of the collection's public API and may change without notice.

http.client hands a connection's socket to the response and forgets it; the connections of WatchedAdapter's pools
register their socket with the try of their thread (CURRENT_TRY) at connect and at each request.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

try:
    from requests.adapters import HTTPAdapter
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    HAS_REQUESTS = True
except ImportError:
    HAS_REQUESTS = False
    # Keep the classes below importable; the module fails with missing_required_lib.
    HTTPAdapter = HTTPConnectionPool = HTTPSConnectionPool = object  # type: ignore[misc,assignment]

# The try of this thread, while one runs (ApiClient sets it).
CURRENT_TRY = threading.local()


class Try:
    """One try's time limit: past it the watchdog shuts the try's sockets, so a blocked read returns at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[Any] = []
        self._done = False
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: Any) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired and not self._done:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()
        self._timer.cancel()


def _shut(sock: Any) -> None:
    # The plain socket's shutdown, also under TLS: it wakes a blocked read without tearing down the TLS object.
    with contextlib.suppress(OSError, TypeError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(connection: Any) -> None:
    """The socket (kept: http.client hands it to the response and forgets it) is shut if the current try runs out."""
    current = getattr(CURRENT_TRY, "value", None)
    if current is not None and connection.sock is not None:
        current.watch(connection.sock)


class _Watching:
    """A connection whose socket the current try's watchdog can shut."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _watch(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


def _watched_pool(pool: Any) -> Any:
    """pool's class with _Watching connections."""
    return type("Watched" + pool.__name__, (pool,), {"ConnectionCls": type("Watched" + pool.ConnectionCls.__name__, (_Watching, pool.ConnectionCls), {})})


class WatchedAdapter(HTTPAdapter):
    """requests' adapter with connections the try's watchdog can reach; no retries of its own (ApiClient drives Retry)."""

    pools = {"http": _watched_pool(HTTPConnectionPool), "https": _watched_pool(HTTPSConnectionPool)} if HAS_REQUESTS else {}

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self.pools

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = self.pools
        return manager
