"""Bunny (bunny.net): POST /purge?url=<URL-encoded absolute URL>[&async=false] (one URL; a trailing * purges a prefix)
and POST /pullzone/{id}/purgeCache (no body: the whole pull zone; {"CacheTag": "<tag>"}: one tag).

Auth header AccessKey (the account API key). Errors are {"ErrorKey", "Field", "Message"}. URL and prefix purges
draw from the account's token buckets (bunny_url_bucket, bunny_prefix_bucket; default the documented burst 120 at
5/s and burst 20 at 0.5/s); an empty bucket answers 429 with Retry-After (bunny_retry_after: false leaves it out).
Choices where the vendor documents nothing are listed in README.md.
"""

import math
import re
import threading
import time
from urllib.parse import unquote, urlsplit

from core.api import ConfigError, Reply, has_control, is_hostname, number, same_secret, str_list

NAME = "bunny"
CREDENTIALS = {"api_key": "emulator_bunny_access_key"}
MAX_TAG_LENGTH = 1024
# A URL-encoded query value: unreserved characters and %XX escapes only (a raw :, /, ?, & or = is not encoded).
ENCODED_RE = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+")
BUCKETS = ("url", "prefix")


def _zones(key, value, _current):
    if not isinstance(value, dict) or not all(isinstance(zone, str) and zone.isdigit() and zone.isascii() for zone in value):
        raise ConfigError(f"config key '{key}' must map pull zone ids (digits) to lists of host names")
    return {zone: [host.lower() for host in str_list(f"{key}.{zone}", hosts, r"[A-Za-z0-9.-]+", "host names")] for zone, hosts in value.items()}


def _bucket(key, value, current):
    if not isinstance(value, dict) or not set(value) <= {"burst", "rate"}:
        raise ConfigError(f"config key '{key}' must be an object with 'burst' (requests) and 'rate' (requests a second)")
    merged = dict(current or {})
    if "burst" in value:
        merged["burst"] = number(f"{key}.burst", value["burst"], lo=1, integer=True)
    if "rate" in value:
        merged["rate"] = number(f"{key}.rate", value["rate"], positive=True)
    return merged


def _flag(key, value, _current):
    if not isinstance(value, bool):
        raise ConfigError(f"config key '{key}' must be true or false")
    return value


CONFIG = {
    "bunny_pull_zones": ({"12345": ["www.example.com"]}, _zones),
    "bunny_url_bucket": ({"burst": 120, "rate": 5.0}, _bucket),
    "bunny_prefix_bucket": ({"burst": 20, "rate": 0.5}, _bucket),
    "bunny_retry_after": (True, _flag),
}


class Bucket:
    """A token bucket: `burst` tokens at most, refilled at `rate` a second; one token a request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tokens = None
        self.stamp = 0.0

    def take(self, burst, rate):
        """(allowed, seconds until a token is there)."""
        with self.lock:
            now = time.monotonic()
            self.tokens = burst if self.tokens is None else min(burst, self.tokens + (now - self.stamp) * rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True, 0.0
            return False, (1 - self.tokens) / rate


class State:
    """The account's token buckets."""

    def __init__(self):
        self.buckets = {kind: Bucket() for kind in BUCKETS}

    def config_changed(self, keys):
        for kind in BUCKETS:
            if f"bunny_{kind}_bucket" in keys:
                self.buckets[kind] = Bucket()


def error(status, key, field, message):
    return Reply(status, {"ErrorKey": key, "Field": field, "Message": message})


def error_body(status, message):
    return {"ErrorKey": "too_many_requests" if status == 429 else "server_error", "Field": "", "Message": message}


def authenticate(call):
    if same_secret(call.headers.get("AccessKey"), call.credentials["api_key"]):
        return None
    return error(401, "unauthorized", "AccessKey", "Authorization has been denied for this request.")


def quota_refusal():
    return error(403, "purge.quota_exceeded", "", "The purge quota of this account is used up.")


def raw_query(query):
    """[(name, raw value)] of a query string, values left encoded."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, _sep, value = part.partition("=")
            pairs.append((name, value))
    return pairs


def url_problem(raw):
    """(decoded url, None) for an acceptable url parameter, else (None, reason)."""
    if not ENCODED_RE.fullmatch(raw):
        return None, "The url parameter must be URL-encoded (reserved characters such as : / ? & = as %XX)."
    url = unquote(raw)
    if has_control(url) or any(ch.isspace() for ch in url):
        return None, "The URL contains a space or control character."
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, "The URL cannot be parsed."
    if parts.scheme not in ("http", "https") or not parts.hostname or not is_hostname(parts.hostname):
        return None, "The URL must be an absolute http(s) URL."
    if "*" in url[:-1]:
        return None, "A wildcard * is allowed only at the end of the URL."
    if url.endswith("*") and (parts.query or "?" in url):
        return None, "A prefix purge (a URL ending in *) has no query string."
    return url, None


def rate_limited(call, kind):
    """The 429 answer when the bucket of kind is empty, else None."""
    settings = call.config[f"bunny_{kind}_bucket"]
    allowed, wait = call.store.buckets[kind].take(settings["burst"], settings["rate"])
    if allowed:
        return None
    reply = error(
        429, "too_many_requests", "", f"Too many {kind} purge requests: the limit is a burst of {settings['burst']} at {settings['rate']:g} a second."
    )
    if call.config["bunny_retry_after"]:
        reply.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return reply


def purge_url(call):
    denied = authenticate(call)
    if denied:
        return denied
    pairs = raw_query(call.query)
    names = [name for name, _value in pairs]
    unknown = sorted(set(names) - {"url", "async"})
    if unknown or names.count("url") != 1 or names.count("async") > 1:
        return error(400, "purge.invalid_request", "url", "Give exactly one url parameter (and at most one async).")
    values = dict(pairs)
    if values.get("async", "false").lower() not in ("true", "false"):
        return error(400, "purge.invalid_request", "async", "async must be true or false.")
    url, reason = url_problem(values["url"])
    if reason:
        return error(400, "purge.invalid_url", "url", reason)
    kind = "prefix" if url.endswith("*") else "url"
    call.log(purge_kind=kind)
    host = urlsplit(url).hostname.lower()
    if not any(host in hosts for hosts in call.config["bunny_pull_zones"].values()):
        return error(400, "purge.hostname_not_found", "url", f"No pull zone of this account serves the hostname '{host}'.")
    limited = rate_limited(call, kind)
    if limited:
        return limited
    if not call.use_quota():
        return quota_refusal()
    call.accepted(None, [url])
    return Reply(200, raw=b"", content_type="text/plain")


def purge_zone(call):
    denied = authenticate(call)
    if denied:
        return denied
    zone = call.params[0]
    if not zone.isdigit() or zone not in call.config["bunny_pull_zones"]:
        return error(404, "pullzone.not_found", "id", "The requested Pull Zone was not found")
    tag = None
    if call.body.strip():
        ok, data = call.json()
        if not ok or not isinstance(data, dict):
            return error(400, "pullzone.invalid_request", "body", "The body must be a JSON object.")
        if set(data) - {"CacheTag"}:
            return error(400, "pullzone.invalid_request", "body", f"Unknown fields: {', '.join(sorted(set(data) - {'CacheTag'}))}.")
        tag = data.get("CacheTag")
        if tag is not None and (not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_LENGTH or not all(0x21 <= ord(ch) <= 0x7E for ch in tag)):
            return error(
                400, "pullzone.invalid_cache_tag", "CacheTag", f"Invalid cache tag {tag!r}: 1 to {MAX_TAG_LENGTH} printable ASCII characters without spaces."
            )
    call.log(purge_kind="all" if tag is None else "tag")
    if not call.use_quota():
        return quota_refusal()
    if tag is None:
        call.accepted(None, [], purge_all=True)
    else:
        call.accepted(None, [tag])
    return Reply(204, raw=b"", content_type="text/plain")


ROUTES = (
    ("POST", r"/purge", "purge", purge_url),
    ("POST", r"/pullzone/([^/]+)/purgeCache", "purge", purge_zone),
)
