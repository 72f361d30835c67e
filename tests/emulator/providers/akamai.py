"""Akamai Fast Purge v3: POST /ccu/v3/{invalidate|delete}/{url|cpcode|tag}/{production|staging} with {"objects": [...]}
(absolute URLs, or {"hostname": ..., "objects": ["/path"]}; CP codes as integers; cache tags), answered
201 {"httpStatus", "detail", "estimatedSeconds", "purgeId", "supportId"}. There is no status API.

Every request must carry an EdgeGrid EG1-HMAC-SHA256 signature made with the API client's credentials: the handler
recomputes it by EdgeGrid's published algorithm with the standard library (the emulator stays stdlib-only; its tests
sign with edgegrid-python, so the two are checked against each other) and answers 401 to a bad signature, a stale
timestamp, a wrong client or access token, and a nonce it has seen before (a replay: every
retry must be signed anew). Bodies above 50,000 bytes get 413; one bad object fails the whole request (400); a URL
whose host is not in akamai_hostnames, or a CP code not in akamai_cp_codes, is outside the client's grant (403).
Errors are application/api-problem+json {"supportId", "title", "httpStatus", "detail", "describedBy"}.

Config: akamai_hostnames (["www.example.com"]) and akamai_cp_codes ([12345]), the client's grant;
akamai_estimated_seconds (1; Akamai says about 5), the answers' estimate; akamai_clock_skew (120 s). Default
credentials: CREDENTIALS below. Faults: 429 carries X-Ratelimit-Limit, -Limit-Per-Second, -Remaining: 0 and
X-Ratelimit-Seconds-To-Refresh-Limit: <rl_ttl>, plus Retry-After for kind 429 (not 429_rl). Log: purge_kind
url | cpcode | tag, action invalidate | delete, network, purged the objects (URLs absolute).

Choices where Akamai documents nothing: the 401 details (Invalid authorization header / client_token /
access_token / timestamp, The signature does not match, Replayed request); the clock skew allowed; a signature
over http or https is accepted (a handler does not know the scheme); a 413 is answered after authentication; the
403 words for an unauthorized ARL or CP code; the quota refusal (403, no supportId so that tests can compare it);
nonces are kept until reset; no real token buckets (429 comes from faults only).
"""

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from calendar import timegm
from urllib.parse import urlsplit

from core.api import ConfigError, Reply, has_control, is_hostname, number, same_secret, str_list

NAME = "akamai"
CREDENTIALS = {
    "client_token": "akab-emulatorclienttoken-00000000",
    "client_secret": "EmulatorAkamaiClientSecret0123456789abcdef=",
    "access_token": "akab-emulatoraccesstoken-00000000",
}
MAX_BODY = 50000
DESCRIBED_BY = "https://techdocs.akamai.com/purge-cache/reference/"
TAG_RE = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}")
AUTH_RE = re.compile(r"EG1-HMAC-SHA256 client_token=([^;]*);access_token=([^;]*);timestamp=([^;]*);nonce=([^;]*);signature=([^;]*)")
TIMESTAMP_RE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2}):(\d{2}):(\d{2})\+0000")


def _cp_codes(key, value, _current):
    if not isinstance(value, list) or not all(isinstance(code, int) and not isinstance(code, bool) and code > 0 for code in value):
        raise ConfigError(f"config key '{key}' must be a list of positive integers (CP codes)")
    return list(value)


CONFIG = {
    # The API client's grant: the hosts (ARLs) and CP codes it may purge.
    "akamai_hostnames": (["www.example.com"], lambda k, v, _c: [host.lower() for host in str_list(k, v, r"[A-Za-z0-9.-]+", "host names")]),
    "akamai_cp_codes": ([12345], _cp_codes),
    # What the 201 answer estimates; small by default so tests that wait on it are quick (Akamai says about 5).
    "akamai_estimated_seconds": (1, lambda k, v, _c: number(k, v, hi=86400, integer=True)),
    # How far the request's timestamp may be from the emulator's clock.
    "akamai_clock_skew": (120.0, lambda k, v, _c: number(k, v, positive=True)),
}
LOG_FIELDS = {"action": None, "network": None}


class State:
    """The nonces already seen: a request that carries one again is a replay and is refused."""

    def __init__(self):
        self.lock = threading.Lock()
        self.nonces = set()

    def first_use(self, nonce):
        with self.lock:
            if nonce in self.nonces:
                return False
            self.nonces.add(nonce)
            return True


def support_id():
    return "17PY%d-%d" % (int(time.time() * 1000), secrets.randbelow(10**9))


def problem(status, title, detail):
    """Akamai's application/api-problem+json error."""
    payload = {"supportId": support_id(), "title": title, "httpStatus": status, "detail": detail, "describedBy": DESCRIBED_BY + str(status)}
    return Reply(status, payload, content_type="application/api-problem+json")


def error_body(status, message):
    title = "Rate Limit exceeded" if status == 429 else message
    return {"supportId": support_id(), "title": title, "httpStatus": status, "detail": message, "describedBy": DESCRIBED_BY + str(status)}


def rate_limit_headers(_store, _config, fault):
    """Akamai's 429 headers: its token buckets, and the seconds until the request bucket refills."""
    return {
        "X-Ratelimit-Limit": "100",
        "X-Ratelimit-Limit-Per-Second": "50.00",
        "X-Ratelimit-Remaining": "0",
        "X-Ratelimit-Seconds-To-Refresh-Limit": str(fault["rl_ttl"]),
    }


# EdgeGrid hashes at most this much of a POST body (edgegrid-python's max_body default; Akamai's bodies are smaller).
MAX_SIGNED_BODY = 131072


def _hmac_b64(data, key):
    return base64.b64encode(hmac.new(key.encode("utf-8"), data.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")


def edgegrid_signature(client_secret, timestamp, method, url, body, unsigned_header):
    """EG1-HMAC-SHA256: HMAC-SHA256 (key: HMAC-SHA256 of the timestamp keyed by the client secret) over method,
    scheme, host, path and query, the signed headers (none), the body's SHA-256 (POST) and the unsigned header."""
    parts = urlsplit(url)
    content_hash = ""
    if method == "POST" and body:
        content_hash = base64.b64encode(hashlib.sha256(body[:MAX_SIGNED_BODY]).digest()).decode("ascii")
    target = parts.path + ("?" + parts.query if parts.query else "")
    data = "\t".join([method, parts.scheme, parts.netloc, target, "", content_hash, unsigned_header])
    return _hmac_b64(data, _hmac_b64(timestamp, client_secret))


def _timestamp_age(text):
    match = TIMESTAMP_RE.fullmatch(text)
    if not match:
        return None
    try:
        moment = timegm(time.strptime(text, "%Y%m%dT%H:%M:%S+0000"))
    except ValueError:
        return None
    return abs(time.time() - moment)


def authenticate(call):
    """None when the EdgeGrid signature is good and its nonce new, else the 401."""
    header = call.headers.get("Authorization") or ""
    match = AUTH_RE.fullmatch(header)
    if not match:
        return problem(401, "Not authorized", "Invalid authorization header: expected EG1-HMAC-SHA256 client_token, access_token, timestamp, nonce, signature")
    client_token, access_token, timestamp, nonce, signature = match.groups()
    creds = call.credentials
    if not same_secret(client_token, creds["client_token"]):
        return problem(401, "Not authorized", "Invalid client_token")
    if not same_secret(access_token, creds["access_token"]):
        return problem(401, "Not authorized", "Invalid access_token")
    age = _timestamp_age(timestamp)
    if age is None or age > call.config["akamai_clock_skew"]:
        return problem(401, "Not authorized", "Invalid timestamp")
    unsigned = header[: header.index("signature=")]
    host = call.headers.get("Host") or ""
    target = call.path + ("?" + call.query if call.query else "")
    # A handler does not know whether it is served over TLS: the signature may name either scheme.
    expected = [
        edgegrid_signature(creds["client_secret"], timestamp, call.method, "%s://%s%s" % (scheme, host, target), call.body, unsigned)
        for scheme in ("http", "https")
    ]
    if not any(same_secret(signature, value) for value in expected):
        return problem(401, "Not authorized", "The signature does not match")
    if not call.store.first_use(nonce):
        return problem(401, "Not authorized", "Replayed request: the nonce was already used")
    return None


def _bad_url(url, hostname):
    """(absolute URL, None) or (None, why) for one object of a URL purge."""
    if not isinstance(url, str) or not url:
        return None, "must be a non-empty string"
    if has_control(url) or any(ch.isspace() for ch in url):
        return None, "contains a space or control character"
    if hostname is not None:
        if not url.startswith("/"):
            return None, "with hostname, objects are paths starting with /"
        url = "https://%s%s" % (hostname, url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not is_hostname(parts.hostname):
        return None, "is not an absolute http(s) URL"
    if "*" in url:
        return None, "wildcards are not supported"
    return url, None


def _objects(object_type, data):
    """(objects as logged, None) or (None, the 400 or 403 reply)."""
    objects = data.get("objects")
    if not isinstance(objects, list) or not objects:
        return None, problem(400, "Bad request", "objects must be a non-empty array")
    hostname = data.get("hostname")
    if set(data) - {"objects", "hostname"} or (hostname is not None and (object_type != "url" or not isinstance(hostname, str) or not is_hostname(hostname))):
        return None, problem(400, "Bad request", "the body has objects and, for URL purges only, an optional hostname")
    checked = []
    for item in objects:
        if object_type == "url":
            url, why = _bad_url(item, hostname)
            if why:
                return None, problem(400, "Bad request", f"Invalid URL object {item!r}: {why}")
            checked.append(url)
        elif object_type == "cpcode":
            if not isinstance(item, int) or isinstance(item, bool) or item <= 0:
                return None, problem(400, "Bad request", f"Invalid CP code object {item!r}: CP codes are positive integers")
            checked.append(item)
        else:
            if not isinstance(item, str) or not TAG_RE.fullmatch(item):
                return None, problem(400, "Bad request", f"Invalid cache tag object {item!r}")
            checked.append(item)
    return checked, None


def _outside_grant(object_type, objects, config):
    if object_type == "url":
        hosts = set(config["akamai_hostnames"])
        denied = [url for url in objects if urlsplit(url).hostname.lower() not in hosts]
        return problem(403, "Forbidden", "Unauthorized ARL: %s is not in this API client's grant" % ", ".join(denied[:5])) if denied else None
    if object_type == "cpcode":
        denied = [str(code) for code in objects if code not in config["akamai_cp_codes"]]
        return problem(403, "Forbidden", "CP code %s is not in this API client's grant" % ", ".join(denied[:5])) if denied else None
    return None


def purge(call):
    action, object_type, network = call.params
    call.log(action=action, network=network, purge_kind=object_type)
    denied = authenticate(call)
    if denied:
        return denied
    if len(call.body) > MAX_BODY:
        return problem(413, "Request Entity Too Large", "The request body is %d bytes; the limit is %d" % (len(call.body), MAX_BODY))
    ok, data = call.json()
    if not ok or not isinstance(data, dict):
        return problem(400, "Bad request", "The body must be a JSON object")
    objects, refusal = _objects(object_type, data)
    if refusal:
        return refusal
    refusal = _outside_grant(object_type, objects, call.config)
    if refusal:
        return refusal
    if not call.use_quota():
        return Reply(
            403,
            {"title": "Forbidden", "httpStatus": 403, "detail": "The purge quota of this account is used up.", "describedBy": DESCRIBED_BY + "403"},
            content_type="application/api-problem+json",
        )
    purge_id = "edcp-" + secrets.token_hex(11)
    call.accepted(purge_id, objects)
    seconds = call.config["akamai_estimated_seconds"]
    return Reply(201, {"httpStatus": 201, "detail": "Request accepted", "estimatedSeconds": seconds, "purgeId": purge_id, "supportId": support_id()})


ROUTES = (("POST", r"/ccu/v3/(invalidate|delete)/(url|cpcode|tag)/(production|staging)", "purge", purge),)
