# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared HTTP layer: one requests.Session per run; urllib3's Retry decides retries and backoff, driven here.

Internal use only: this file is not part of the collection's public API and may change without notice.

A try runs from connect to its last body byte within `timeout` (a watchdog shuts its socket when time is up, so a
dripping server cannot hold it) and within the client's deadline, which no try, retry or wait passes. Bodies are
streamed with a size cap counted after decompression. An answer lost after the request went out (read timeout,
connection closed or reset, body cut short, bad chunk, bad gzip) counts in `lost_answers`: it may have been acted on.
"""

from __future__ import annotations

import inspect
import ssl
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError, bounded, describe_exception, provider_error_message
from ansible_collections.cdnops.cdn.plugins.module_utils._http_watchdog import CURRENT_TRY, Try, WatchedAdapter
from ansible_collections.cdnops.cdn.plugins.module_utils._site_urls import LOOPBACK_NAMES, is_loopback_host, validate_base_url

try:
    import requests
    from urllib3.exceptions import ConnectTimeoutError, InvalidHeader, MaxRetryError, ProtocolError, ReadTimeoutError, SSLError
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.util.retry import Retry

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    # Keep the classes below importable; the module fails with missing_required_lib.
    Retry = object  # type: ignore[misc,assignment]
    ConnectTimeoutError = InvalidHeader = MaxRetryError = ProtocolError = ReadTimeoutError = SSLError = Exception  # type: ignore[misc,assignment]
    Urllib3Error = Exception  # type: ignore[misc,assignment]

__all__ = ["LOOPBACK_NAMES", "ApiClient", "is_loopback_host", "provider_error_message", "validate_base_url"]

RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 30.0
BACKOFF_JITTER = 0.5
# A Retry-After (or a provider's own reset header) beyond this is cut short: better a clear failure than a silent hour-long hang.
RETRY_AFTER_MAX = 300.0
# The largest answer read, after decompression: purge and status answers are a few hundred bytes. A listing (the
# ImageMash purge list carries every purge with its paths, unpaged) gets MAX_LIST_BODY_BYTES: ask for it.
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_LIST_BODY_BYTES = 32 * 1024 * 1024
# Of an error answer only its first words are shown (MAX_PROVIDER_MESSAGE characters).
MAX_ERROR_BODY_BYTES = 64 * 1024
READ_CHUNK_BYTES = 64 * 1024
MAX_REASON = 100


class RequestCounter:
    """Counts HTTP requests actually sent, retries included (shared by threads), and, per thread, the answers lost
    in the current exchange (one purge, every request it makes) after a request that acts went out (so the server may
    have acted on it twice)."""

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


class RateLimitRetry(Retry):
    """urllib3 Retry that asks the provider's own rate-limit header (the adapter's retry_after hook) on 429 without
    a usable Retry-After. ApiClient drives it and counts every try itself."""

    def __init__(self, *args, rate_limit_wait=None, pace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rate_limit_wait = rate_limit_wait
        self.pace = pace

    def new(self, **kwargs):
        retry = super().new(**kwargs)
        retry.rate_limit_wait = self.rate_limit_wait
        retry.pace = self.pace
        return retry

    def get_retry_after(self, response):
        # Asked once per answer: the adapter's pace hook hands out slots (Bunny), which a second call would skip.
        known = getattr(response, "_cdnops_retry_after", self)
        if known is not self:
            return known
        try:
            retry_after = super().get_retry_after(response)
        except (InvalidHeader, ValueError, OverflowError):
            retry_after = None  # "soon", "-5", a date past year 9999: as if absent, not a reason to give up
        if response.status == 429:
            if retry_after is None and self.rate_limit_wait is not None:
                retry_after = self.rate_limit_wait(response.headers)
                if retry_after is not None:
                    retry_after = max(0.0, retry_after)
            if self.pace is not None:
                # Requests refused together must not all come back together: the adapter spreads them out.
                retry_after = self.pace(retry_after or 0.0)
        if retry_after is not None:
            retry_after = min(retry_after, RETRY_AFTER_MAX)
        response._cdnops_retry_after = retry_after
        return retry_after


def _retry_policy(retries: int, rate_limit_wait: Callable[[Any], float | None] | None = None, pace: Callable[[float], float] | None = None) -> RateLimitRetry:
    kwargs = dict(total=retries, connect=retries, read=retries, status=retries, other=retries, status_forcelist=RETRY_STATUSES)
    # urllib3 1.26 has neither; jitter and the cap are refinements, not correctness.
    params = inspect.signature(Retry.__init__).parameters
    kwargs.update((name, value) for name, value in (("backoff_jitter", BACKOFF_JITTER), ("backoff_max", BACKOFF_MAX)) if name in params)
    # allowed_methods=None: purges are POSTs; a lost answer is retried and the result says so.
    return RateLimitRetry(
        allowed_methods=None,
        backoff_factor=BACKOFF_FACTOR,
        raise_on_status=False,
        respect_retry_after_header=True,
        rate_limit_wait=rate_limit_wait,
        pace=pace,
        **kwargs,
    )


def _transport_reason(exc: BaseException) -> BaseException:
    """The urllib3 error behind what requests raised."""
    reason: Any = exc.args[0] if isinstance(exc, requests.exceptions.RequestException) and exc.args else exc
    if isinstance(reason, MaxRetryError):
        reason = reason.reason or reason
    return reason if isinstance(reason, BaseException) else exc


def _timed_out(url: str, seconds: float) -> BaseException:
    return ReadTimeoutError(None, url, "Read timed out: no complete answer within %gs" % seconds)  # type: ignore[arg-type]


def _is_certificate_error(error: BaseException) -> bool:
    return isinstance(error, SSLError) and any(isinstance(arg, ssl.SSLCertVerificationError) for arg in error.args)


class ApiClient:
    """One provider's API: base URL, fixed headers and auth, timeout, retries, deadline, request counting.

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
        self.deadline: float | None = None
        self.deadline_label = ""
        self.policy = _retry_policy(retries, hooks.retry_after, getattr(hooks, "pace", None))
        self.session = requests.Session()
        adapter = WatchedAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(headers or {})
        self.session.auth = auth
        if base_url.lower().startswith("http://"):
            # Plain http is allowed only to this machine: never through a proxy from the environment (in clear text).
            self.session.trust_env = False
        self.validate_certs = validate_certs

    def set_deadline(self, deadline: float | None, label: str = "") -> None:
        """No try, retry or wait of any later request goes past deadline (a time.monotonic() value; None: no deadline).

        label names it in messages, for example "wait_timeout=300s"."""
        self.deadline = deadline
        self.deadline_label = label

    def error_message(self, response: Any) -> str:
        """The provider's own words from response, redacted and bounded."""
        return provider_error_message(response, self.secrets, self.hooks.error_words)

    @property
    def requests_sent(self) -> int:
        return self.counter.value

    @property
    def lost_answers(self) -> int:
        """In this thread's exchange: how often an answer was lost after a request that acts (not a GET) went out."""
        return self.counter.lost_answers

    def start_exchange(self) -> None:
        """The runner starts one per purge request: whatever requests the adapter makes for it (a resend after a
        rate-limit wait, a lookup), the answers lost on the way are counted together."""
        self.counter.start_exchange()

    def close(self) -> None:
        self.session.close()

    def _fail(self, what: str, why: str, response: Any = None, error: BaseException | None = None) -> CdnError:
        """The failure of what: why, then the last HTTP answer or the last transport error, redacted and bounded."""
        if response is not None:
            message = self.error_message(response)
            reason = bounded(response.reason or "", self.secrets, MAX_REASON)
            return CdnError(
                "%s: %s failed%s: HTTP %d %s: %s" % (self.provider, what, why, response.status_code, reason, message),
                provider=self.provider,
                http_status=response.status_code,
                provider_message=message,
            )
        if error is not None:
            described = bounded(describe_exception(_transport_reason(error)), self.secrets)
            if isinstance(error, SSLError):
                tls = "validate_certs=false skips verification; use it only for a trusted test endpoint"
                why += ": TLS error talking to %s: %s (%s)" % (self.base_url, described, tls)
            elif isinstance(error, (Urllib3Error, OSError)):
                why += ": could not get an answer from %s: %s" % (self.base_url, described)
            else:
                why += ": " + described
        return CdnError("%s: %s failed%s" % (self.provider, what, why), provider=self.provider)

    def _deadline_words(self) -> str:
        return "the deadline%s" % (" (%s)" % self.deadline_label if self.deadline_label else "")

    def request(self, method: str, path: str, what: str, ok: tuple[int, ...] = (200, 201, 202, 204), max_body: int = MAX_BODY_BYTES, **kwargs: Any) -> Any:
        """Send one API call (retried per policy, within the deadline); return the response, its body read, or raise CdnError.

        max_body: the largest answer accepted (after decompression); MAX_LIST_BODY_BYTES for a listing."""
        url = self.base_url + path
        policy, tries = self.policy, 0
        while True:
            seconds = self.timeout if self.deadline is None else min(self.timeout, self.deadline - time.monotonic())
            if seconds <= 0:
                raise self._fail(what, ": %s had passed before try %d" % (self._deadline_words(), tries + 1))
            tries += 1
            self.counter.add()
            response, error = self._try(method, url, what, seconds, ok, max_body, kwargs)
            raw = response.raw if response is not None else None
            if raw is not None and not self._retryable(method, response, policy, ok):
                break
            try:
                policy = policy.increment(method, url, response=raw, error=error)
            except MaxRetryError:
                if raw is not None:
                    break
                raise self._fail(what, " after %d retries" % self.retries, error=error) from None
            wait = (policy.get_retry_after(raw) if raw is not None else None) or policy.get_backoff_time()
            if self.deadline is not None and time.monotonic() + wait >= self.deadline:
                why = ": no retry fits before %s (%d tries; the next would start in %.1fs)" % (self._deadline_words(), tries, wait)
                raise self._fail(what, why, response, error)
            time.sleep(wait)
        if response.status_code not in ok:
            retried = response.status_code in RETRY_STATUSES or self._throttled(response)
            raise self._fail(what, " after %d retries" % self.retries if retried else "", response)
        return response

    def _throttled(self, response: Any) -> bool:
        """A vendor's documented throttling answer other than 429 (CloudFront answers 400 Throttling), retried even
        when the caller takes its status (to read the vendor's other 400s itself)."""
        hook = getattr(self.hooks, "throttled", None)
        return response.status_code not in (200, 201, 202, 204) and hook is not None and bool(hook(response))

    def _retryable(self, method: str, response: Any, policy: RateLimitRetry, ok: tuple[int, ...]) -> bool:
        if self._throttled(response):
            return True
        if response.status_code in ok:
            # The caller takes this answer as it is: a 429 listed here is one its adapter waits out itself (Gcore's
            # window), so the retries here would each meet the same limit and use up `retries`.
            return False
        raw = response.raw
        return bool(policy.is_retry(method, raw.status, policy.get_retry_after(raw) is not None))

    def _try(self, method: str, url: str, what: str, seconds: float, ok: tuple[int, ...], max_body: int, kwargs: dict[str, Any]) -> tuple[Any, Any]:
        """One try within seconds, from connect to the last body byte: (the response, its body read, None) or (None,
        the urllib3 error to tell Retry). An answer lost after the request went out is counted in lost_answers."""
        current = Try(seconds)
        CURRENT_TRY.value = current
        try:
            try:
                # verify per request: a session-level value loses to REQUESTS_CA_BUNDLE in the environment.
                # No redirects: requests would carry the custom credential headers (apikey, X-API-Key, X-Auth-*) to the new URL.
                response = self.session.request(method, url, timeout=seconds, verify=self.validate_certs, allow_redirects=False, stream=True, **kwargs)
            except requests.exceptions.RequestException as exc:
                error = _transport_reason(exc)
                if _is_certificate_error(error) or not isinstance(error, (Urllib3Error, OSError)):
                    # Not a network accident: a retry would meet the same (a refused certificate, a URL requests cannot send).
                    raise self._fail(what, "", error=error) from None
                if isinstance(error, ConnectTimeoutError):
                    return None, error  # never sent
                return None, self._lost(method, _timed_out(url, seconds) if current.expired else error)
            try:
                lost = self._read_body(method, response, what, current, ok, max_body)
            finally:
                response.close()
            return (None, self._lost(method, lost)) if lost is not None else (response, None)
        finally:
            CURRENT_TRY.value = None
            current.finish()

    def _lost(self, method: str, error: BaseException) -> BaseException:
        if isinstance(error, (ReadTimeoutError, ProtocolError)):
            self._answer_lost(method)
        return error

    def _answer_lost(self, method: str) -> None:
        # A read (a status poll, a history lookup) acts on nothing: its lost answer cannot purge twice.
        if method not in ("GET", "HEAD"):
            self.counter.answer_lost()

    def _read_body(self, method: str, response: Any, what: str, current: Try, ok: tuple[int, ...], max_body: int) -> BaseException | None:
        """Stream the body into response (.content, .text and .json() work after): a success answer whole and at most
        max_body bytes, else the error that lost it; of an error answer its first MAX_ERROR_BODY_BYTES do."""
        success = response.status_code in ok
        limit = max_body if success else MAX_ERROR_BODY_BYTES
        chunks: list[bytes] = []
        size, complete = 0, False
        try:
            # read1 hands over what has arrived (so a body cut short keeps its first words); urllib3 1.26 has only stream.
            raw = response.raw
            reads = iter(lambda: raw.read1(READ_CHUNK_BYTES, decode_content=True), b"") if hasattr(raw, "read1") else raw.stream(READ_CHUNK_BYTES, True)
            for chunk in reads:
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
            else:
                complete = True
        except (Urllib3Error, OSError) as exc:
            if success:
                # A body cut short, a bad chunk, bad gzip, the try's time up: the answer is lost, as by a read timeout.
                if current.expired:
                    return _timed_out(response.url, current.seconds)
                return exc if isinstance(exc, (ProtocolError, ReadTimeoutError)) else ProtocolError("Connection broken: %s" % exc, exc)
        if size > limit and success:
            # Answered, but what it said cannot be known: as good as lost.
            self._answer_lost(method)
            raise CdnError(
                "%s: %s failed: the answer (HTTP %d) is larger than %d MiB, the limit for one API answer; it was not read"
                % (self.provider, what, response.status_code, limit // (1024 * 1024)),
                provider=self.provider,
                http_status=response.status_code,
            )
        response._content = b"".join(chunks)[:limit]
        # Not read to its end, the connection cannot carry another request: then close() drops it instead of pooling it.
        response._content_consumed = complete
        return None
