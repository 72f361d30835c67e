"""Cloudflare: POST (legacy DELETE) /client/v4/zones/{zone_id}/purge_cache, in Cloudflare's JSON envelope.

Body: exactly one of files, prefixes, tags, hosts, purge_everything. Auth: Authorization: Bearer <token>, or
the legacy X-Auth-Email + X-Auth-Key. Error codes the vendor does not document are our choice (README.md).
"""

import re
import secrets
from urllib.parse import urlsplit

from core.api import ConfigError, Reply, has_control, is_hostname, number, retry_after_value, same_secret, str_list

NAME = "cloudflare"
CREDENTIALS = {"api_token": "emulator_cloudflare_token", "email": "ops@example.com", "global_key": "emulator_cloudflare_global_key"}
ZONE_RE = re.compile(r"[0-9a-f]{32}")
LIST_KINDS = ("files", "prefixes", "tags", "hosts")
FIELDS = LIST_KINDS + ("purge_everything",)
MAX_PREFIX_SEPARATORS = 31
MAX_TAG_LENGTH = 1024


def _max_items(key, value, current):
    if not isinstance(value, dict) or not set(value) <= set(LIST_KINDS):
        raise ConfigError(f"config key '{key}' must be an object with keys among {', '.join(LIST_KINDS)}")
    merged = dict(current or {})
    for kind, limit in value.items():
        merged[kind] = number(f"{key}.{kind}", limit, lo=1, integer=True)
    return merged


CONFIG = {
    "cloudflare_zones": (["023e105f4ecef8ad9ca31a8372d0c353"], lambda k, v, _c: str_list(k, v, ZONE_RE.pattern, "zone ids (32 lowercase hex)")),
    "cloudflare_max_items": ({"files": 500, "prefixes": 100, "tags": 100, "hosts": 100}, _max_items),
    # The next N otherwise valid purges are answered HTTP 200 with success: false (not purged).
    "cloudflare_http200_failures": (0, lambda k, v, _c: number(k, v, integer=True)),
}


def envelope(status, code, message, chain=()):
    error = {"code": code, "message": message}
    if chain:
        error["error_chain"] = [{"code": chain_code, "message": text} for chain_code, text in chain]
    return Reply(status, {"success": False, "errors": [error], "messages": [], "result": None})


def error_body(status, message):
    # 971 is Cloudflare's throttling code; 10001 for an emulated server error is our choice.
    return {"success": False, "errors": [{"code": 971 if status == 429 else 10001, "message": message}], "messages": [], "result": None}


def rate_limit_headers(_store, _config, fault):
    return {
        "Retry-After": retry_after_value(fault),
        "X-RateLimit-Limit": "1200",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(fault["retry_after"]),
    }


def _bad_headers(code, message):
    return envelope(400, 6003, "Invalid request headers", [(code, message)])


def _malformed(value):
    return not value or has_control(value) or any(ch.isspace() for ch in value)


def authenticate(call):
    """None when the request carries the configured token (or legacy email + global key), else the error."""
    creds = call.credentials
    authorization = call.headers.get("Authorization")
    if authorization is not None:  # a Bearer token wins over the legacy headers
        scheme, _sep, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or _malformed(token.strip()):
            return _bad_headers(6111, "Invalid format for Authorization header")
        return None if same_secret(token.strip(), creds["api_token"]) else envelope(403, 10000, "Authentication error")
    email, key = call.headers.get("X-Auth-Email"), call.headers.get("X-Auth-Key")
    if email is None and key is None:
        return _bad_headers(9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
    if email is None or _malformed(email) or "@" not in email:
        return _bad_headers(6102, "Invalid format for X-Auth-Email header")
    if key is None or _malformed(key):
        return _bad_headers(6103, "Invalid format for X-Auth-Key header")
    if same_secret(email, creds["email"]) and same_secret(key, creds["global_key"]):
        return None
    return envelope(403, 10000, "Authentication error")


def file_problem(item):
    """(url, None) for an acceptable files item, else (text naming the item, reason)."""
    if isinstance(item, dict):
        url = item.get("url")
        if set(item) - {"url", "headers"} or not isinstance(url, str):
            return repr(item), "an object needs 'url' and may have 'headers', nothing else"
        headers = item.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            return url, "'headers' must map header names to strings"
    elif isinstance(item, str):
        url = item
    else:
        return repr(item), "must be a URL string or an object with 'url'"
    if has_control(url) or any(ch.isspace() for ch in url):
        return url, "contains a space or control character"
    if "*" in url:
        return url, "wildcards are not supported when purging by URL"
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, "unparsable URL"
    if parts.scheme not in ("http", "https") or not parts.hostname or not is_hostname(parts.hostname):
        return url, "must be an absolute http(s) URL"
    return url, None


def prefix_problem(item):
    if not isinstance(item, str) or not item:
        return "must be a non-empty string"
    if has_control(item) or any(ch.isspace() for ch in item):
        return "contains a space or control character"
    if "://" in item or item.lower().startswith(("http:", "https:")):
        return "must be host and path without a scheme"
    if "?" in item or "#" in item:
        return "must not contain '?' or '#'"
    if "*" in item:
        return "wildcards are not supported: a prefix already covers everything below it"
    if not is_hostname(item.partition("/")[0]):
        return "must start with a host name"
    if item.count("/") > MAX_PREFIX_SEPARATORS:
        return f"has more than {MAX_PREFIX_SEPARATORS} path separators"
    return None


def tag_problem(item):
    if not isinstance(item, str) or not item:
        return "must be a non-empty string"
    if len(item) > MAX_TAG_LENGTH:
        return f"is longer than {MAX_TAG_LENGTH} characters"
    if not all(0x21 <= ord(ch) <= 0x7E for ch in item):
        return "must be printable ASCII without spaces"
    return None


def host_problem(item):
    if not isinstance(item, str) or not is_hostname(item):
        return "must be a host name (no scheme, port or path)"
    return None


CHECKS = {"prefixes": prefix_problem, "tags": tag_problem, "hosts": host_problem}


def body_problem(data, limits):
    """(purge kind, items as logged, None) or (kind, None, error reply)."""
    if not isinstance(data, dict) or set(data) - set(FIELDS) or len([f for f in FIELDS if f in data]) != 1:
        return None, None, envelope(400, 1012, 'Request must contain exactly one of "files", "prefixes", "tags", "hosts" or "purge_everything"')
    (kind,) = (f for f in FIELDS if f in data)
    if kind == "purge_everything":
        if data[kind] is not True:
            return "everything", None, envelope(400, 1013, "purge_everything must be true")
        return "everything", [], None
    items = data[kind]
    if not isinstance(items, list) or not items:
        return kind, None, envelope(400, 1013, f"{kind} must be a non-empty array")
    if len(items) > limits[kind]:
        return kind, None, envelope(400, 1014, f"Too many {kind}: at most {limits[kind]} per request, got {len(items)}")
    logged = []
    for item in items:
        if kind == "files":
            name, reason = file_problem(item)
        else:
            name, reason = item, CHECKS[kind](item)
        if reason:
            return kind, None, envelope(400, 1015, f"Invalid {kind} item {name!r}: {reason}")
        logged.append(name)
    return kind, logged, None


def purge(call):
    zone_id = call.params[0]
    unroutable = envelope(400, 7003, f"Could not route to /zones/{zone_id}/purge_cache, perhaps your object identifier is invalid?")
    if not ZONE_RE.fullmatch(zone_id):  # refused by the router, before authentication
        return unroutable
    denied = authenticate(call)
    if denied:
        return denied
    if zone_id not in call.config["cloudflare_zones"]:
        return unroutable
    ok, data = call.json() if call.body.strip() else (True, {})
    if not ok:
        return envelope(400, 6007, "Malformed JSON in request body")
    kind, items, problem = body_problem(data, call.config["cloudflare_max_items"])
    call.log(purge_kind=kind)
    if problem:
        return problem
    if call.consume("cloudflare_http200_failures"):
        return envelope(200, 1100, "Purge request not processed: internal error (emulated HTTP 200 failure)")
    if not call.use_quota():
        return envelope(403, 1099, "Purge quota exhausted for this account")
    purge_id = secrets.token_hex(16)
    call.accepted(purge_id, items, purge_all=kind == "everything")
    return Reply(200, {"success": True, "errors": [], "messages": [], "result": {"id": purge_id}})


ROUTES = (
    ("POST", r"/client/v4/zones/([^/]+)/purge_cache", "purge", purge),
    ("DELETE", r"/client/v4/zones/([^/]+)/purge_cache", "purge", purge),
)
