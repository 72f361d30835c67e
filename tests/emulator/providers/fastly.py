"""Fastly: purge one URL (POST /purge/{host}/{path}), surrogate keys (one, or bulk up to 256) and purge_all.

Auth header Fastly-Key; token scopes purge_select (URLs, keys) and purge_all. Every answer carries
Fastly-RateLimit-Remaining and Fastly-RateLimit-Reset; purge_all counts against fastly_rate_limit.
"""

import math
import secrets
import time
from urllib.parse import unquote

from core.api import ConfigError, RateWindow, Reply, has_control, is_hostname, number, same_secret, str_list

NAME = "fastly"
CREDENTIALS = {"api_token": "emulator_fastly_token"}
SCOPES = ("global", "global:read", "purge_select", "purge_all")
MAX_KEYS = 256
MAX_KEY_LENGTH = 1024
LOG_FIELDS = {"soft": None}


def _services(key, value, _current):
    if not isinstance(value, dict) or not all(isinstance(sid, str) and sid.isalnum() and sid.isascii() for sid in value):
        raise ConfigError(f"config key '{key}' must map alphanumeric service ids to lists of domains")
    return {sid: [host.lower() for host in str_list(f"{key}.{sid}", hosts, r"[A-Za-z0-9.-]+", "host names")] for sid, hosts in value.items()}


def _scopes(key, value, _current):
    scopes = value if isinstance(value, list) else None
    if scopes is None or not all(scope in SCOPES for scope in scopes):
        raise ConfigError(f"config key '{key}' must be a list of scopes among {', '.join(SCOPES)}")
    return list(scopes)


CONFIG = {
    "fastly_services": ({"SU1Z0isxPaozGVKXdv0eY": ["www.example.com"]}, _services),
    "fastly_token_scopes": (["purge_select", "purge_all"], _scopes),
    "fastly_rate_limit": (1000, lambda k, v, _c: number(k, v, integer=True)),
    "fastly_rate_window": (3600.0, lambda k, v, _c: number(k, v, positive=True)),
}


class State:
    """The API rate-limit window (purge_all counts against it)."""

    def __init__(self):
        self.window = RateWindow()

    def config_changed(self, keys):
        if keys & {"fastly_rate_limit", "fastly_rate_window"}:
            self.window.reset()


def error(status, msg, detail):
    return Reply(status, {"msg": msg, "detail": detail})


def error_body(_status, message):
    return {"msg": message, "detail": "Emulated fault."}


def rate_limit_headers(_store, _config, fault):
    return {"Fastly-RateLimit-Remaining": "0", "Fastly-RateLimit-Reset": str(math.ceil(time.time()) + fault["retry_after"])}


def answer_headers(store, config):
    remaining, reset_at = store.window.peek(config["fastly_rate_limit"], config["fastly_rate_window"])
    return {"Fastly-RateLimit-Remaining": str(remaining), "Fastly-RateLimit-Reset": str(math.ceil(reset_at))}


def purge_id():
    return f"{10000 + secrets.randbelow(90000)}-{int(time.time())}-{1000000 + secrets.randbelow(9000000)}"


def check(call, scope, service_id=None):
    """The error for a bad token, a missing scope or an unknown service; None when all is well."""
    if not same_secret(call.headers.get("Fastly-Key"), call.credentials["api_token"]):
        return error(401, "Provided credentials are missing or invalid", "Send a valid API token in the Fastly-Key header.")
    scopes = call.config["fastly_token_scopes"]
    if scope not in scopes and "global" not in scopes:
        return error(403, "Forbidden", f"This API token does not have the '{scope}' scope.")
    if service_id is not None and service_id not in call.config["fastly_services"]:
        return error(404, "Record not found", f"Cannot find service '{service_id}'.")
    return None


def soft(call):
    # Fastly: "Typically set to 1, but the value is not important": the header's presence makes it soft.
    return call.headers.get("Fastly-Soft-Purge") is not None


def key_problem(key):
    if not key or len(key) > MAX_KEY_LENGTH or not all(0x21 <= ord(ch) <= 0x7E for ch in key):
        return error(400, "Bad request", f"Invalid surrogate key {key!r}: 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces.")
    return None


def purge_url(call):
    denied = check(call, "purge_select")
    if denied:
        return denied
    target = call.params[0] + (f"?{call.query}" if call.query else "")
    host, sep, _path = call.params[0].partition("/")
    if host.lower() in ("http:", "https:"):
        return error(400, "Bad request", f"Give the URL as host/path without a scheme, not {target!r}.")
    if not sep or not is_hostname(host) or has_control(target) or " " in target:
        return error(400, "Bad request", f"Invalid URL {target!r}: expected host/path.")
    if call.params[0].endswith("*"):
        return error(400, "Bad request", "Fastly has no wildcard or prefix purge: tag the content with surrogate keys and purge by key.")
    call.log(purge_kind="url", soft=soft(call))
    if not any(host.lower() in domains for domains in call.config["fastly_services"].values()):
        return error(404, "Record not found", f"No service serves the host '{host}'.")
    if not call.use_quota():
        return error(403, "Forbidden", "The purge quota of this account is used up.")
    answer = purge_id()
    call.accepted(answer, [target], soft=soft(call))
    return Reply(200, {"status": "ok", "id": answer})


def purge_key(call):
    # The key is percent-decoded (a client may encode it); the official SDK sends it as is.
    service_id, key = call.params[0], unquote(call.params[1])
    denied = check(call, "purge_select", service_id) or key_problem(key)
    if denied:
        return denied
    call.log(purge_kind="key", soft=soft(call))
    if not call.use_quota():
        return error(403, "Forbidden", "The purge quota of this account is used up.")
    answer = purge_id()
    call.accepted(answer, [key], soft=soft(call))
    return Reply(200, {"status": "ok", "id": answer})


def bulk_keys(call):
    """(keys, None) from the Surrogate-Key header or the JSON body {"surrogate_keys": [...]}, else (None, error)."""
    header = call.headers.get("Surrogate-Key")
    from_body = None
    if call.body.strip():
        ok, data = call.json()
        if not ok or not isinstance(data, dict):
            return None, error(400, "Bad request", "The body must be a JSON object.")
        from_body = data.get("surrogate_keys")
        if from_body is not None and not (isinstance(from_body, list) and all(isinstance(key, str) for key in from_body)):
            return None, error(400, "Bad request", "surrogate_keys must be an array of strings.")
    if header is not None and from_body is not None:
        return None, error(400, "Bad request", "Send the keys in the Surrogate-Key header or in the body, not both.")
    keys = header.split() if header is not None else from_body
    if not keys:
        return None, error(400, "Bad request", 'No surrogate keys given: use the Surrogate-Key header or {"surrogate_keys": [...]}.')
    if len(keys) > MAX_KEYS:
        return None, error(400, "Bad request", f"At most {MAX_KEYS} surrogate keys per request, got {len(keys)}.")
    for key in keys:
        problem = key_problem(key)
        if problem:
            return None, problem
    return keys, None


def purge_keys(call):
    denied = check(call, "purge_select", call.params[0])
    if denied:
        return denied
    keys, problem = bulk_keys(call)
    if problem:
        return problem
    call.log(purge_kind="key", soft=soft(call))
    if not call.use_quota():
        return error(403, "Forbidden", "The purge quota of this account is used up.")
    answer = {key: purge_id() for key in keys}
    call.accepted(None, keys, soft=soft(call))
    return Reply(200, answer)


def purge_all(call):
    denied = check(call, "purge_all", call.params[0])
    if denied:
        return denied
    call.log(purge_kind="all")
    if soft(call):
        return error(400, "Bad request", "Soft purge is not supported for purge_all: Fastly purges everything hard.")
    cfg = call.config
    allowed, remaining, reset_at = call.store.window.take(cfg["fastly_rate_limit"], cfg["fastly_rate_window"])
    if not allowed:
        reply = error(429, "Too many requests", f"{cfg['fastly_rate_limit']} purge_all requests per {cfg['fastly_rate_window']:g}s.")
        reply.headers.update({"Fastly-RateLimit-Remaining": "0", "Fastly-RateLimit-Reset": str(math.ceil(reset_at))})
        return reply
    if not call.use_quota():
        return error(403, "Forbidden", "The purge quota of this account is used up.")
    call.accepted(None, [], purge_all=True, soft=False)
    return Reply(200, {"status": "ok"}, {"Fastly-RateLimit-Remaining": str(remaining), "Fastly-RateLimit-Reset": str(math.ceil(reset_at))})


ROUTES = (
    ("POST", r"/purge/(.+)", "purge", purge_url),
    ("POST", r"/service/([^/]+)/purge/(.+)", "purge", purge_key),
    ("POST", r"/service/([^/]+)/purge", "purge", purge_keys),
    ("POST", r"/service/([^/]+)/purge_all", "purge", purge_all),
)
