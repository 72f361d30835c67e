"""What a provider handler module may use from the core: replies, the call object, config checks, helpers."""

import email.utils
import json
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

EXTENSION_RE = re.compile(r"\.[A-Za-z0-9]+$")
HOSTNAME_RE = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


class ConfigError(ValueError):
    """A config key or value the emulator refuses."""


@dataclass
class Reply:
    status: int
    payload: object = None
    headers: dict = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"

    def body_bytes(self):
        return self.raw if self.raw is not None else json.dumps(self.payload).encode("utf-8")


@dataclass
class Call:
    """One provider request as a route function sees it.

    `params` are the route regex's groups, `config` a snapshot of the whole config, `credentials` this
    provider's part of `config["credentials"]`, `store` the provider's own state object (its `State` class)
    or None. Route functions fill in the log fields of `entry` (through `accepted()` and `log()`).
    """

    method: str
    path: str
    query: str
    query_pairs: list
    headers: object
    body: bytes
    params: tuple
    entry: dict
    config: dict
    credentials: dict
    store: object
    core: object

    def use_quota(self):
        """Count one accepted purge against the provider's `quota`; False (count unchanged) when exhausted."""
        return self.core.use_quota(self.entry["provider"])

    def consume(self, key):
        """Atomically decrement the integer config key `key` of this provider when positive; True if it was."""
        return self.core.consume(key)

    def log(self, **fields):
        unknown = set(fields) - set(self.entry)
        if unknown:
            raise KeyError(f"not a request-log field: {', '.join(sorted(unknown))}")
        self.entry.update(fields)

    def accepted(self, request_id=None, purged=(), purge_all=False, **fields):
        self.log(accepted=True, request_id=request_id, purged=list(purged), purge_all=purge_all, **fields)

    def json(self):
        """(True, value) for a JSON body, else (False, None)."""
        return parse_json(self.body)


# --------------------------------------------------------------------------- config checks
# Each returns the normalised value or raises ConfigError naming the key.


def number(key, value, lo=0.0, hi=None, integer=False, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(f"config key '{key}' must be a number")
    if integer and not float(value).is_integer():
        raise ConfigError(f"config key '{key}' must be an integer")
    if value < lo or (hi is not None and value > hi) or (positive and value <= 0):
        raise ConfigError(f"config key '{key}' is out of range: {value!r}")
    return int(value) if integer else float(value)


def choice(key, value, choices):
    if value not in choices:
        raise ConfigError(f"config key '{key}' must be one of {', '.join(choices)}")
    return value


def str_list(key, value, pattern=None, what="non-empty strings"):
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"config key '{key}' must be a list of non-empty strings")
    if pattern is not None and not all(re.fullmatch(pattern, item) for item in value):
        raise ConfigError(f"config key '{key}' must be a list of {what}")
    return list(value)


def str_map(key, value):
    if not isinstance(value, dict):
        raise ConfigError(f"config key '{key}' must be an object")
    return value


# --------------------------------------------------------------------------- helpers


def parse_json(body):
    try:
        return True, json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False, None


def has_control(text):
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def same_secret(given, expected):
    return given is not None and secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def is_hostname(text):
    return HOSTNAME_RE.fullmatch(text) is not None


def retry_after_value(fault):
    """The Retry-After value of a fault: delta-seconds or an HTTP date, as the fault's config says."""
    if fault["retry_after_format"] == "http-date":
        return email.utils.formatdate(math.ceil(time.time()) + fault["retry_after"], usegmt=True)
    return str(fault["retry_after"])


class RateWindow:
    """A fixed-window request counter: at most `limit` requests per `window` seconds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.start = None
        self.count = 0

    def reset(self):
        with self.lock:
            self.start = None
            self.count = 0

    def _roll(self, now, window):
        if self.start is None or now >= self.start + window:
            self.start = now
            self.count = 0
        return self.start + window

    def take(self, limit, window):
        """Count one request: (allowed, remaining, reset epoch)."""
        with self.lock:
            reset_at = self._roll(time.time(), window)
            self.count += 1
            return self.count <= limit, max(0, limit - self.count), reset_at

    def peek(self, limit, window):
        """(remaining, reset epoch) without counting."""
        with self.lock:
            reset_at = self._roll(time.time(), window)
            return max(0, limit - self.count), reset_at
