# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared HTTP layer: one requests.Session per run, retries through urllib3 Retry.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import inspect
import ipaddress
import json
import threading
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import MAX_PROVIDER_MESSAGE, CdnError, error_words, redact

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import MaxRetryError, ProtocolError, ReadTimeoutError
    from urllib3.util.retry import Retry

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    Retry = object  # type: ignore[misc,assignment] # keeps the class below importable; the module fails with missing_required_lib
    ProtocolError = ReadTimeoutError = None  # type: ignore[misc,assignment]

RETRY_STATUSES = (429, 500, 502, 503, 504)
LOST_ANSWER_ERRORS = tuple(error for error in (ReadTimeoutError, ProtocolError) if error is not None)
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 30.0
BACKOFF_JITTER = 0.5
# A Retry-After (or a provider's own reset header) beyond this is cut short: better a clear failure than a silent hour-long hang.
RETRY_AFTER_MAX = 300.0
LOOPBACK_NAMES = ("localhost",)


class RequestCounter:
    """Counts HTTP requests actually sent, retries included (shared by threads), and, per thread, the
    answers lost in the current exchange after a request went out (so the server may have acted on it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exchange = threading.local()
        self.value = 0

    def add(self, count: int = 1) -> None:
        with self._lock:
            self.value += count

    def start_exchange(self) -> None:
        self._exchange.lost_answers = 0

    def answer_lost(self) -> None:
        self._exchange.lost_answers = self.lost_answers + 1

    @property
    def lost_answers(self) -> int:
        return getattr(self._exchange, "lost_answers", 0)


class CountingRetry(Retry):
    """urllib3 Retry that counts each retry it allows and, on 429 without Retry-After, asks the provider's
    own rate-limit header (the adapter's retry_after hook)."""

    def __init__(self, *args, counter=None, rate_limit_wait=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.counter = counter
        self.rate_limit_wait = rate_limit_wait

    def new(self, **kwargs):
        retry = super().new(**kwargs)
        retry.counter = self.counter
        retry.rate_limit_wait = self.rate_limit_wait
        return retry

    def increment(self, *args, **kwargs):
        # A read error means the request went out and its answer was lost: the server may have acted on it.
        if self.counter is not None and isinstance(kwargs.get("error"), LOST_ANSWER_ERRORS):
            self.counter.answer_lost()
        retry = super().increment(*args, **kwargs)  # raises MaxRetryError when none is left
        if self.counter is not None:
            self.counter.add()
        return retry

    def get_retry_after(self, response):
        retry_after = super().get_retry_after(response)
        if retry_after is None and response.status == 429 and self.rate_limit_wait is not None:
            retry_after = self.rate_limit_wait(response.headers)
            if retry_after is not None:
                retry_after = max(0.0, retry_after)
        if retry_after is not None:
            retry_after = min(retry_after, RETRY_AFTER_MAX)
        return retry_after


def _retry_policy(retries: int, counter: RequestCounter, rate_limit_wait: Callable[[Any], float | None] | None = None) -> CountingRetry:
    params = inspect.signature(Retry.__init__).parameters
    kwargs = dict(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=retries,
        allowed_methods=None,  # purges are POSTs; a lost answer is retried and the result says so
        status_forcelist=RETRY_STATUSES,
        backoff_factor=BACKOFF_FACTOR,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    # urllib3 1.26 has neither; jitter and the cap are refinements, not correctness.
    if "backoff_jitter" in params:
        kwargs["backoff_jitter"] = BACKOFF_JITTER
    if "backoff_max" in params:
        kwargs["backoff_max"] = BACKOFF_MAX
    return CountingRetry(counter=counter, rate_limit_wait=rate_limit_wait, **kwargs)


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(option: str, value: str) -> str:
    """An API base URL: https anywhere, plain http only to this machine; no credentials or query."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise CdnError("%s=%r is not a valid URL: %s" % (option, value, exc)) from None
    if parts.scheme not in ("http", "https") or not host:
        raise CdnError("%s=%r must be an absolute http:// or https:// URL" % (option, value))
    if parts.username or parts.password:
        raise CdnError("%s must not carry credentials in the URL; use the credential options" % option)
    if parts.query or parts.fragment:
        raise CdnError("%s=%r must not have a query string or fragment" % (option, value))
    if parts.scheme == "http" and not is_loopback_host(host):
        raise CdnError(
            "%s=%r uses plain http:// to a non-loopback host; only https:// is allowed there "
            "(http:// is accepted for 127.0.0.0/8, ::1 and localhost)" % (option, value)
        )
    return value.rstrip("/")


def provider_error_message(response: Any, secrets: tuple[str, ...] = (), read_words: Callable[[Any], list[str]] = error_words) -> str:
    """The provider's own words from an error response, as the adapter's error_words hook reads its body."""
    text = response.text or ""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if body is not None:
        words = read_words(body)
        text = " - ".join(words) if words else text
    # Redact before cutting: a cut through a secret would leave its first part behind.
    text = redact(" ".join(text.split()), secrets)
    if len(text) > MAX_PROVIDER_MESSAGE:
        text = text[:MAX_PROVIDER_MESSAGE] + "..."
    return text


def _describe_transport_error(exc: BaseException) -> str:
    reason = exc
    if exc.args and isinstance(exc.args[0], MaxRetryError):
        reason = exc.args[0].reason or exc.args[0]
    text = str(reason)
    # urllib3 puts object reprs first ("<urllib3.connection.HTTPConnection object at 0x..>: ...").
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    return "%s: %s" % (type(reason).__name__, text)


class ApiClient:
    """One provider's API: base URL, fixed headers and auth, timeout, retries, request counting.

    hooks is the adapter: its name, retry_after(headers) and error_words(body) are all this layer knows of it.
    """

    def __init__(
        self,
        hooks: Any,
        base_url: str,
        headers: dict[str, str] | None = None,
        auth: Any = None,
        timeout: float = 30.0,
        retries: int = 5,
        validate_certs: bool = True,
        pool_size: int = 10,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.provider = hooks.name
        self.hooks = hooks
        self.base_url = base_url
        self.timeout = timeout
        self.retries = retries
        self.secrets = tuple(s for s in secrets if s)
        self.counter = RequestCounter()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=_retry_policy(retries, self.counter, hooks.retry_after))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(headers or {})
        self.session.auth = auth
        if urlsplit(base_url).scheme == "http":
            # Plain http is allowed only to this machine: never through a proxy from the environment (in clear text).
            self.session.trust_env = False
        self.validate_certs = validate_certs

    def error_message(self, response: Any) -> str:
        """The provider's own words from response, redacted and bounded."""
        return provider_error_message(response, self.secrets, self.hooks.error_words)

    @property
    def requests_sent(self) -> int:
        return self.counter.value

    @property
    def lost_answers(self) -> int:
        """In this thread's last request: how often an answer was lost after the request went out."""
        return self.counter.lost_answers

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, what: str, ok: tuple[int, ...] = (200, 201, 202, 204), **kwargs: Any) -> Any:
        """Send one API call (retried per policy); return the response or raise CdnError."""
        url = self.base_url + path
        self.counter.add()
        self.counter.start_exchange()
        try:
            # verify per request: a session-level value loses to REQUESTS_CA_BUNDLE in the environment.
            # No redirects: requests would carry the custom credential headers (apikey, X-API-Key, X-Auth-*) to the new URL.
            response = self.session.request(method, url, timeout=self.timeout, verify=self.validate_certs, allow_redirects=False, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise CdnError(
                "%s: %s failed: TLS error talking to %s: %s (validate_certs=false skips verification; use it only "
                "for a trusted test endpoint)" % (self.provider, what, self.base_url, redact(_describe_transport_error(exc), self.secrets)),
                provider=self.provider,
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise CdnError(
                "%s: %s failed after %d retries: could not get an answer from %s: %s"
                % (self.provider, what, self.retries, self.base_url, redact(_describe_transport_error(exc), self.secrets)),
                provider=self.provider,
            ) from None
        except requests.exceptions.RequestException as exc:
            raise CdnError(
                "%s: %s failed: %s" % (self.provider, what, redact(_describe_transport_error(exc), self.secrets)),
                provider=self.provider,
            ) from None
        if response.status_code not in ok:
            message = self.error_message(response)
            retried = " after %d retries" % self.retries if response.status_code in RETRY_STATUSES else ""
            raise CdnError(
                "%s: %s failed%s: HTTP %d %s: %s" % (self.provider, what, retried, response.status_code, response.reason or "", message),
                provider=self.provider,
                http_status=response.status_code,
                provider_message=message,
            )
        return response
