"""Strict local emulator of the ImageKit, ImageMash, 5centsCDN and Gotipath purge APIs.

Standard library only, so that tests and CI can start it wherever Python 3.10+ runs.
See README.md next to this file for the CLI, the control API and the default credentials.
"""

import argparse
import base64
import binascii
import contextlib
import copy
import email.utils
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import ssl
import string
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PROVIDERS = ("imagekit", "imagemash", "5centscdn", "gotipath")
FAULT_KINDS = ("429", "429_rl", "500", "502", "503", "drop", "drop_after", "slow")
# "none" lets a fail_next sequence leave a request untouched, e.g. ["none", "500"].
FAIL_NEXT_KINDS = FAULT_KINDS + ("none",)
FAULT_OVERRIDES = ("retry_after", "retry_after_format", "rl_ttl", "slow_seconds")
CREDENTIAL_FIELDS = {
    "imagekit": ("private_key",),
    "imagemash": ("apikey",),
    "5centscdn": ("api_key",),
    "gotipath": ("client_id", "library_id", "api_key"),
}
GOTIPATH_AUTH = (("X-Auth-ClientId", "client_id"), ("X-Auth-LibraryId", "library_id"), ("X-Auth-ApiKey", "api_key"))
IMAGEKIT_HELP = "For support kindly contact us at support@imagekit.io ."
IMAGEKIT_INVALID_URL = "The URL is not valid for cache purging."
FAULT_TEXT = {429: "Too many requests", 500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}
MAX_BODY = 16 * 1024 * 1024
EXTENSION_RE = re.compile(r"\.[A-Za-z0-9]+$")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ID_ALPHABET = string.ascii_uppercase + string.digits

DEFAULT_CONFIG = {
    "credentials": {
        "imagekit": {"private_key": "private_emulator_imagekit_key"},
        "imagemash": {"apikey": "emulator_imagemash_key"},
        "5centscdn": {"api_key": "emulator_5centscdn_key"},
        "gotipath": {
            "client_id": "11111111-2222-4333-8444-555555555555",
            "library_id": "66666666-7777-4888-8999-000000000000",
            "api_key": "emulator_gotipath_key",
        },
    },
    "imagekit_url_endpoints": ["https://ik.imagekit.io/demo"],
    "imagemash_domains": ["john.imagemash.io"],
    "5centscdn_zones": {"http": [42], "vod": [7]},
    "gotipath_distributions": ["292e5d7f-a8b9-41a0-bdf0-e70347709c6f"],
    "imagekit_complete_after": 1.0,
    "imagemash_complete_after": 1.0,
    "imagemash_rate_limit": 10000,
    "imagemash_rate_window": 60.0,
    "imagemash_id_format": "text",
    "quota": {},
    "latency_ms": 0.0,
    "fault_rate": 0.0,
    "faults": ["429", "500", "502", "503", "drop"],
    "seed": None,
    "retry_after": 1,
    "retry_after_format": "seconds",
    "rl_ttl": 1,
    "slow_seconds": 5.0,
    "fail_next": [],
}


# --------------------------------------------------------------------------- config validation


class ConfigError(ValueError):
    """A config key or value the emulator refuses."""


def _number(key, value, lo=0.0, hi=None, integer=False, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(f"config key '{key}' must be a number")
    if integer and not float(value).is_integer():
        raise ConfigError(f"config key '{key}' must be an integer")
    if value < lo or (hi is not None and value > hi) or (positive and value <= 0):
        raise ConfigError(f"config key '{key}' is out of range: {value!r}")
    return int(value) if integer else float(value)


def _choice(key, value, choices):
    if value not in choices:
        raise ConfigError(f"config key '{key}' must be one of {', '.join(choices)}")
    return value


def _str_list(key, value):
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"config key '{key}' must be a list of non-empty strings")
    return list(value)


def _fault_kind(key, value, kinds):
    kind = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if kind not in kinds:
        raise ConfigError(f"config key '{key}': unknown fault kind {value!r} (known: {', '.join(kinds)})")
    return kind


def _credentials(key, value, current):
    if not isinstance(value, dict):
        raise ConfigError(f"config key '{key}' must be an object keyed by provider")
    # Merged per provider so a test can change one key without restating the others.
    merged = copy.deepcopy(current)
    for provider, fields in value.items():
        if provider not in CREDENTIAL_FIELDS:
            raise ConfigError(f"config key '{key}': unknown provider '{provider}'")
        if not isinstance(fields, dict):
            raise ConfigError(f"config key '{key}.{provider}' must be an object")
        for name, secret in fields.items():
            if name not in CREDENTIAL_FIELDS[provider]:
                raise ConfigError(f"config key '{key}.{provider}': unknown field '{name}'")
            if not isinstance(secret, str) or not secret:
                raise ConfigError(f"config key '{key}.{provider}.{name}' must be a non-empty string")
            merged[provider][name] = secret
    return merged


def _zones(key, value):
    if not isinstance(value, dict) or not set(value) <= {"http", "vod"}:
        raise ConfigError(f"config key '{key}' must be an object with keys 'http' and/or 'vod'")
    zones = {"http": [], "vod": []}
    for zone_type, ids in value.items():
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ConfigError(f"config key '{key}.{zone_type}' must be a list of integers")
        zones[zone_type] = list(ids)
    return zones


def _distributions(key, value):
    ids = _str_list(key, value)
    if not all(UUID_RE.fullmatch(item) for item in ids):
        raise ConfigError(f"config key '{key}' must be a list of UUIDs")
    return [item.lower() for item in ids]


def _endpoints(key, value):
    endpoints = _str_list(key, value)
    if not all(item.startswith(("http://", "https://")) for item in endpoints):
        raise ConfigError(f"config key '{key}' must be a list of http(s) URLs")
    return [item.rstrip("/") for item in endpoints]


def _quota(key, value):
    if not isinstance(value, dict):
        raise ConfigError(f"config key '{key}' must be an object mapping provider to a count")
    quota = {}
    for provider, limit in value.items():
        if provider not in PROVIDERS:
            raise ConfigError(f"config key '{key}': unknown provider '{provider}'")
        quota[provider] = None if limit is None else _number(f"{key}.{provider}", limit, integer=True)
    return quota


def _faults(key, value):
    if not isinstance(value, list) or not value:
        raise ConfigError(f"config key '{key}' must be a non-empty list of fault kinds")
    return [_fault_kind(key, item, FAULT_KINDS) for item in value]


def _fail_next(key, value):
    if not isinstance(value, list):
        raise ConfigError(f"config key '{key}' must be a list")
    items = []
    for item in value:
        if isinstance(item, dict):
            unknown = set(item) - {"kind", *FAULT_OVERRIDES}
            if unknown or "kind" not in item:
                raise ConfigError(f"config key '{key}': entries need 'kind' and may set {', '.join(FAULT_OVERRIDES)}")
            entry = {"kind": _fault_kind(key, item["kind"], FAIL_NEXT_KINDS)}
            for name in FAULT_OVERRIDES:
                if name in item:
                    entry[name] = VALIDATORS[name](f"{key}.{name}", item[name], None)
            items.append(entry)
        else:
            items.append({"kind": _fault_kind(key, item, FAIL_NEXT_KINDS)})
    return items


def _seed(key, value):
    return None if value is None else _number(key, value, lo=-(2**63), integer=True)


VALIDATORS = {
    "credentials": _credentials,
    "imagekit_url_endpoints": lambda k, v, _c: _endpoints(k, v),
    "imagemash_domains": lambda k, v, _c: _str_list(k, v),
    "5centscdn_zones": lambda k, v, _c: _zones(k, v),
    "gotipath_distributions": lambda k, v, _c: _distributions(k, v),
    "imagekit_complete_after": lambda k, v, _c: _number(k, v),
    "imagemash_complete_after": lambda k, v, _c: _number(k, v),
    "imagemash_rate_limit": lambda k, v, _c: _number(k, v, integer=True),
    "imagemash_rate_window": lambda k, v, _c: _number(k, v, positive=True),
    "imagemash_id_format": lambda k, v, _c: _choice(k, v, ("text", "json_string", "object")),
    "quota": lambda k, v, _c: _quota(k, v),
    "latency_ms": lambda k, v, _c: _number(k, v),
    "fault_rate": lambda k, v, _c: _number(k, v, hi=1.0),
    "faults": lambda k, v, _c: _faults(k, v),
    "seed": lambda k, v, _c: _seed(k, v),
    # Retry-After is delta-seconds (an integer) in RFC 9110, so fractions are refused.
    "retry_after": lambda k, v, _c: _number(k, v, integer=True),
    "retry_after_format": lambda k, v, _c: _choice(k, v, ("seconds", "http-date")),
    "rl_ttl": lambda k, v, _c: _number(k, v, integer=True),
    "slow_seconds": lambda k, v, _c: _number(k, v),
    "fail_next": lambda k, v, _c: _fail_next(k, v),
}


def merge_config(current, patch):
    """Return current updated with patch, validating everything before changing anything."""
    if not isinstance(patch, dict):
        raise ConfigError("config must be a JSON object")
    for key in patch:
        if key not in VALIDATORS:
            raise ConfigError(f"unknown config key '{key}'")
    merged = copy.deepcopy(current)
    for key, value in patch.items():
        merged[key] = VALIDATORS[key](key, value, current.get(key))
    return merged


# --------------------------------------------------------------------------- shared state


class EmulatorState:
    """Everything mutable: config, request log, purge records and counters, behind one lock."""

    def __init__(self, startup_config):
        self.lock = threading.Lock()
        self.startup_config = copy.deepcopy(startup_config)
        self._connections = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.config = copy.deepcopy(self.startup_config)
            self.log = []
            self.purges = {provider: [] for provider in PROVIDERS}
            self.imagekit_index = {}
            self.quota_used = dict.fromkeys(PROVIDERS, 0)
            self.rl_start = None
            self.rl_count = 0
            self.rng = random.Random(self.config["seed"])

    def next_connection_id(self):
        with self.lock:
            self._connections += 1
            return self._connections

    def snapshot(self):
        with self.lock:
            return copy.deepcopy(self.config)

    def update_config(self, patch):
        with self.lock:
            self.config = merge_config(self.config, patch)
            if "quota" in patch:
                self.quota_used = dict.fromkeys(PROVIDERS, 0)
            if "seed" in patch:
                self.rng = random.Random(self.config["seed"])
            if "imagemash_rate_limit" in patch or "imagemash_rate_window" in patch:
                self.rl_start = None
                self.rl_count = 0
            return copy.deepcopy(self.config)

    def reset_quota(self):
        with self.lock:
            self.quota_used = dict.fromkeys(PROVIDERS, 0)

    def requests(self, provider=None):
        with self.lock:
            return [copy.deepcopy(e) for e in self.log if provider is None or e["provider"] == provider]

    def append_log(self, entry):
        with self.lock:
            entry["seq"] = len(self.log) + 1
            self.log.append(entry)

    def next_fault(self):
        """The fault for the next provider request: queued fail_next first, then a random draw."""
        with self.lock:
            cfg = self.config
            if cfg["fail_next"]:
                fault = cfg["fail_next"].pop(0)
            elif cfg["fault_rate"] > 0 and self.rng.random() < cfg["fault_rate"]:
                fault = {"kind": self.rng.choice(cfg["faults"])}
            else:
                return None
            if fault["kind"] == "none":
                return None
            return {name: fault.get(name, cfg[name]) for name in FAULT_OVERRIDES} | {"kind": fault["kind"]}

    def accept_purge(self, provider, record):
        """Record an accepted purge unless it would exceed the provider's quota."""
        with self.lock:
            limit = self.config["quota"].get(provider)
            if limit is not None and self.quota_used[provider] >= limit:
                return False
            self.quota_used[provider] += 1
            self.purges[provider].append(record)
            if provider == "imagekit":
                self.imagekit_index[record["requestId"]] = record
            return True

    def imagekit_status(self, request_id):
        with self.lock:
            record = self.imagekit_index.get(request_id)
            if record is None:
                return None
            done = record["completed"] or time.time() - record["created"] >= self.config["imagekit_complete_after"]
            return "Completed" if done else "Pending"

    def imagemash_list(self):
        with self.lock:
            now = time.time()
            after = self.config["imagemash_complete_after"]
            return [
                {
                    "createdAt": iso_millis(record["created"]),
                    "requestId": record["requestId"],
                    "status": "Completed" if record["completed"] or now - record["created"] >= after else "InProgress",
                    "paths": list(record["paths"]),
                }
                for record in reversed(self.purges["imagemash"])
            ]

    def complete_all(self):
        with self.lock:
            count = 0
            for provider in ("imagekit", "imagemash"):
                for record in self.purges[provider]:
                    count += not record["completed"]
                    record["completed"] = True
            return count

    def _rl_window(self, now):
        if self.rl_start is None or now >= self.rl_start + self.config["imagemash_rate_window"]:
            self.rl_start = now
            self.rl_count = 0
        return max(1, math.ceil(self.rl_start + self.config["imagemash_rate_window"] - now))

    def imagemash_take(self):
        """Count one ImageMash request; returns (allowed, rl-remain, rl-ttl)."""
        with self.lock:
            ttl = self._rl_window(time.time())
            self.rl_count += 1
            limit = self.config["imagemash_rate_limit"]
            return self.rl_count <= limit, max(0, limit - self.rl_count), ttl

    def imagemash_peek(self):
        with self.lock:
            ttl = self._rl_window(time.time())
            return max(0, self.config["imagemash_rate_limit"] - self.rl_count), ttl


def iso_millis(epoch):
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- provider logic


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
    """One provider request as the handlers see it; handlers fill in the log fields of entry."""

    headers: object
    query_pairs: list
    body: bytes
    params: tuple
    entry: dict


def parse_json(body):
    try:
        return True, json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False, None


def has_control(text):
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def same_secret(given, expected):
    return given is not None and secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def mark_accepted(call, request_id=None, purged=(), purge_all=False):
    call.entry.update(accepted=True, request_id=request_id, purged=list(purged), purge_all=purge_all)


def imagekit_error(status, message):
    return Reply(status, {"message": message, "help": IMAGEKIT_HELP})


def imagekit_auth(call, cfg):
    header = call.headers.get("Authorization")
    if not header:
        return imagekit_error(401, "Your request does not contain private API key.")
    scheme, _sep, token = header.strip().partition(" ")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = None
    if scheme.lower() != "basic" or decoded is None:
        return imagekit_error(401, "Your account cannot be authenticated.")
    # The password is ignored: the docs send none, the official SDK sends a dummy one.
    user = decoded.partition(":")[0]
    if not user:
        return imagekit_error(401, "Your request does not contain private API key.")
    if not same_secret(user, cfg["credentials"]["imagekit"]["private_key"]):
        return imagekit_error(401, "Your account cannot be authenticated.")
    return None


def imagekit_url_problem(url, endpoints):
    """None when ImageKit would accept url for purging, else a short reason (for --verbose)."""
    if has_control(url) or " " in url:
        return "control character or space"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "unparsable URL"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "not an absolute http(s) URL"
    rel = None
    for endpoint in endpoints:
        if url.startswith(endpoint + "/"):
            rel = url[len(endpoint) :]
            break
    if rel is None:
        return "not under a known URL endpoint"
    if "*" not in rel:
        return None
    if rel.count("*") > 1 or not rel.endswith("*"):
        return "wildcard not only at the end"
    prefix = rel[:-1]
    if prefix.startswith(("/media/catalog/", "/s/files/")) or prefix in ("/media/catalog", "/s/files"):
        return "wildcard refused for media/catalog and s/files"
    nested = len([segment for segment in prefix.split("/") if segment]) >= 2
    is_file = EXTENSION_RE.search(prefix.rsplit("/", 1)[-1]) is not None
    if not (nested or len(prefix) >= 15 or is_file):
        return "wildcard needs two levels, 15 characters or a file name"
    return None


def imagekit_purge(state, call, cfg):
    denied = imagekit_auth(call, cfg)
    if denied:
        return denied
    ok, data = parse_json(call.body)
    if not ok:
        return imagekit_error(400, "Your request contains invalid JSON.")
    if not isinstance(data, dict) or not isinstance(data.get("url"), str) or not data["url"]:
        return imagekit_error(400, "Missing parameter url")
    url = data["url"]
    if imagekit_url_problem(url, cfg["imagekit_url_endpoints"]):
        return imagekit_error(400, IMAGEKIT_INVALID_URL)
    request_id = secrets.token_hex(12)
    record = {"requestId": request_id, "url": url, "created": time.time(), "completed": False}
    if not state.accept_purge("imagekit", record):
        return imagekit_error(403, "Purge request limit exceeded for this month.")
    mark_accepted(call, request_id, [url])
    return Reply(201, {"requestId": request_id})


def imagekit_status(state, call, cfg):
    denied = imagekit_auth(call, cfg)
    if denied:
        return denied
    request_id = call.params[0]
    call.entry["request_id"] = request_id
    status = state.imagekit_status(request_id)
    if status is None:
        return imagekit_error(404, "No request found for this requestId.")
    return Reply(200, {"status": status})


def imagemash_error(status, msg, details):
    return Reply(status, {"msg": msg, "details": details})


def imagemash_path_problem(path):
    """None when ImageMash accepts path, else the 'details' text of its 400."""
    if not path.startswith("/"):
        return f"Path '{path}' must start with '/'."
    if has_control(path):
        return f"Path '{path}' must not contain control characters."
    if "*" in path:
        return f"Path '{path}' must not contain '*': every path is already a prefix."
    last = path.rsplit("/", 1)[1]
    is_file = bool(last) and EXTENSION_RE.search(last) is not None
    folders = len([segment for segment in path.split("/")[:-1] if segment])
    if is_file or len(path) >= 15 or folders >= 2:
        return None
    rule = "must be a complete file path, at least 15 characters long, or nested in at least two folders."
    return f"Path '{path}' {rule}"


def imagemash(state, call, cfg):
    allowed, remain, ttl = state.imagemash_take()
    reply = imagemash_inner(state, call, cfg, allowed, ttl)
    reply.headers.update({"rl-remain": str(remain), "rl-ttl": str(ttl)})
    return reply


def imagemash_inner(state, call, cfg, allowed, ttl):
    if not allowed:
        limit, window = cfg["imagemash_rate_limit"], cfg["imagemash_rate_window"]
        return imagemash_error(429, "Too many requests", f"{limit} requests per {window:g}s; retry in {ttl}s.")
    if not same_secret(call.headers.get("apikey"), cfg["credentials"]["imagemash"]["apikey"]):
        return imagemash_error(401, "Unauthorized", "Invalid or missing apikey header.")
    if call.entry["kind"] == "list":
        return Reply(200, state.imagemash_list())
    ok, data = parse_json(call.body)
    if not ok or not isinstance(data, dict):
        return imagemash_error(400, "Invalid request", "The request body must be a JSON object.")
    paths = data.get("paths")
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        return imagemash_error(400, "Invalid request", "'paths' must be a non-empty array of strings.")
    if "domain" in data:
        domain = data["domain"]
        if not isinstance(domain, str) or domain not in cfg["imagemash_domains"]:
            return imagemash_error(400, "Invalid domain", f"Domain {domain!r} is not configured for this account.")
    for path in paths:
        problem = imagemash_path_problem(path)
        if problem:
            return imagemash_error(400, "Invalid path", problem)
    request_id = "I" + "".join(secrets.choice(ID_ALPHABET) for _index in range(secrets.choice((12, 13))))
    record = {"requestId": request_id, "paths": list(paths), "domain": data.get("domain"), "completed": False}
    record["created"] = time.time()
    if not state.accept_purge("imagemash", record):
        return imagemash_error(403, "Quota exceeded", "The purge request quota of this account is used up.")
    mark_accepted(call, request_id, paths)
    id_format = cfg["imagemash_id_format"]
    if id_format == "json_string":
        return Reply(200, request_id)
    if id_format == "object":
        return Reply(200, {"requestId": request_id})
    return Reply(200, raw=request_id.encode("ascii"), content_type="text/plain; charset=utf-8")


def fivecents_error(status, message):
    return Reply(status, {"result": "error", "message": message})


def fivecents_purge(state, call, cfg):
    if not same_secret(call.headers.get("X-API-Key"), cfg["credentials"]["5centscdn"]["api_key"]):
        return fivecents_error(401, "Invalid API key")
    zone_type, zone_id = call.params
    if not re.fullmatch(r"[0-9]+", zone_id) or int(zone_id) not in cfg["5centscdn_zones"][zone_type]:
        return fivecents_error(404, "Zone not found")
    values = [value for name, value in call.query_pairs if name == "delete"]
    if len(values) > 1 or (values and values[0] not in ("true", "false")):
        return fivecents_error(400, "Query parameter 'delete' must be 'true' or 'false'.")
    delete = not values or values[0] == "true"
    call.entry["delete"] = delete
    files = None
    if call.body.strip():
        ok, data = parse_json(call.body)
        if not ok or not isinstance(data, dict):
            return fivecents_error(400, "Request body must be a JSON object.")
        if "files" in data:
            files = data["files"]
            if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
                return fivecents_error(400, "'files' must be a non-empty array of strings.")
            for name in files:
                if not name.startswith("/") or has_control(name):
                    return fivecents_error(400, f"Invalid file path '{name}': must start with '/' and be printable.")
    record = {"zone_type": zone_type, "zone_id": int(zone_id), "delete": delete, "purge_all": files is None}
    record["files"] = files or []
    if not state.accept_purge("5centscdn", record):
        return fivecents_error(403, "Quota exceeded")
    mark_accepted(call, None, files or [], purge_all=files is None)
    return Reply(200, {"result": "success", "message": "Zone Purged"})


def gotipath_invalid(errors):
    first = next(iter(errors.values()))[0]
    return Reply(422, {"message": first, "errors": errors})


def gotipath_path_errors(purge_type, paths):
    errors = {}
    limit = {"url": 100, "pattern": 10}[purge_type]
    if not paths:
        errors["paths"] = [f"The paths field must contain at least one {purge_type}."]
    elif len(paths) > limit:
        errors["paths"] = [f"The paths field must not have more than {limit} items for type {purge_type}."]
    for index, path in enumerate(paths):
        if has_control(path):
            problem = "must not contain control characters"
        elif purge_type == "url" and (not path.startswith("/") or path.startswith("//")):
            problem = "must start with / and must not contain a scheme or host"
        elif purge_type == "url" and "*" in path:
            problem = "must not contain * (use type pattern)"
        elif purge_type == "pattern" and not path.startswith(("/", "*")):
            problem = "must start with / or *"
        else:
            continue
        errors[f"paths.{index}"] = [f"The path '{path}' {problem}."]
    return errors


def gotipath_purge(state, call, cfg):
    creds = cfg["credentials"]["gotipath"]
    for header, name in GOTIPATH_AUTH:
        if not same_secret(call.headers.get(header), creds[name]):
            return Reply(401, {"message": "Unauthorized"})
    distribution = call.params[0]
    if not UUID_RE.fullmatch(distribution) or distribution.lower() not in cfg["gotipath_distributions"]:
        return Reply(404, {"message": "Distribution not found"})
    ok, data = parse_json(call.body)
    if not ok or not isinstance(data, dict):
        return Reply(400, {"message": "Bad Request"})
    purge_type = data.get("type")
    if purge_type not in ("url", "pattern", "all"):
        return gotipath_invalid({"type": ["The selected type is invalid: use url, pattern or all."]})
    call.entry["purge_type"] = purge_type
    paths = data.get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return gotipath_invalid({"paths": ["The paths field is required and must be an array of strings."]})
    if purge_type == "all":
        if paths:
            return gotipath_invalid({"paths": ["The paths field must be empty when type is all."]})
    else:
        errors = gotipath_path_errors(purge_type, paths)
        if errors:
            return gotipath_invalid(errors)
    record = {"distribution_id": distribution.lower(), "type": purge_type, "paths": list(paths)}
    if not state.accept_purge("gotipath", record):
        return Reply(403, {"message": "Quota exceeded"})
    mark_accepted(call, None, paths, purge_all=purge_type == "all")
    return Reply(200, {})


ROUTES = (
    ("POST", re.compile(r"/v1/files/purge"), "imagekit", "purge", imagekit_purge),
    ("GET", re.compile(r"/v1/files/purge/([^/]+)"), "imagekit", "status", imagekit_status),
    ("POST", re.compile(r"/v1/storage/purgeCache"), "imagemash", "purge", imagemash),
    ("POST", re.compile(r"/v1/storage/getPurgeList"), "imagemash", "list", imagemash),
    ("POST", re.compile(r"/v2/zones/(http|vod)/pull/([^/]+)/purge"), "5centscdn", "purge", fivecents_purge),
    ("POST", re.compile(r"/v1/distributions/([^/]+)/purges"), "gotipath", "purge", gotipath_purge),
)


def find_route(method, path):
    for route_method, pattern, provider, kind, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match and method == route_method:
            return provider, kind, handler, match.groups()
    return None


def fault_reply(state, provider, fault):
    kind = fault["kind"]
    status = 429 if kind.startswith("429") else int(kind)
    message = FAULT_TEXT[status]
    payload = {
        "imagekit": {"message": message, "help": IMAGEKIT_HELP},
        "imagemash": {"msg": message, "details": "Emulated fault."},
        "5centscdn": {"result": "error", "message": message},
        "gotipath": {"message": message},
    }[provider]
    reply = Reply(status, payload)
    # 429_rl is ImageMash's own style (rl-ttl only); elsewhere it degrades to a plain 429.
    if kind == "429" or (kind == "429_rl" and provider != "imagemash"):
        if fault["retry_after_format"] == "http-date":
            when = math.ceil(time.time()) + fault["retry_after"]
            reply.headers["Retry-After"] = email.utils.formatdate(when, usegmt=True)
        else:
            reply.headers["Retry-After"] = str(fault["retry_after"])
    if provider == "imagemash":
        remain, ttl = state.imagemash_peek()
        if status == 429:
            remain, ttl = 0, fault["rl_ttl"]
        reply.headers.update({"rl-remain": str(remain), "rl-ttl": str(ttl)})
    return reply


# --------------------------------------------------------------------------- HTTP layer


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
        route = find_route(self.command, split.path)
        ok, parsed = parse_json(body) if body else (False, None)
        entry = {
            "seq": None,
            "time": received,
            "provider": route[0] if route else "unknown",
            "method": self.command,
            "path": split.path,
            "query": dict(query_pairs),
            "headers": dict(self.headers.items()),
            "body": parsed if ok else None,
            "body_text": body.decode("utf-8", "replace"),
            "status": None,
            "fault": None,
            "accepted": False,
            "kind": route[1] if route else None,
            "request_id": None,
            "purged": [],
            "purge_all": False,
            "delete": None,
            "purge_type": None,
            "connection": self.connection_id,
        }
        state = self.server.state
        if route is None:
            reply = Reply(404, {"message": "Not Found"})
            entry["status"] = reply.status
            state.append_log(entry)
            self._send(reply)
            return
        provider, _kind, handler, params = route
        cfg = state.snapshot()
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
            reply = fault_reply(state, provider, fault)
        else:
            try:
                reply = handler(state, Call(self.headers, query_pairs, body, params, entry), cfg)
            except Exception as exc:  # noqa: BLE001 # pylint: disable=broad-exception-caught
                # An emulator bug must show up as a visible 500, not as a dropped connection.
                print(f"cdn-emulator: internal error on {self.command} {split.path}: {exc!r}", file=sys.stderr)
                reply = Reply(500, {"message": f"emulator internal error: {exc!r}"})
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
        if path == "/_emulator/health" and method == "GET":
            return Reply(200, {"ok": True})
        if path == "/_emulator/requests" and method == "GET":
            return Reply(200, state.requests(query.get("provider")))
        if path == "/_emulator/config" and method == "GET":
            return Reply(200, state.snapshot())
        if path == "/_emulator/config" and method == "POST":
            ok, patch = parse_json(body)
            if not ok:
                return Reply(400, {"message": "config must be a JSON object"})
            try:
                return Reply(200, state.update_config(patch))
            except ConfigError as exc:
                return Reply(400, {"message": str(exc)})
        actions = {
            "/_emulator/reset": lambda: state.reset() or {"ok": True},
            "/_emulator/quota/reset": lambda: state.reset_quota() or {"ok": True},
            "/_emulator/complete": lambda: {"ok": True, "completed": state.complete_all()},
        }
        if path in actions and method == "POST":
            return Reply(200, actions[path]())
        known = path in actions or path in ("/_emulator/health", "/_emulator/requests", "/_emulator/config")
        return Reply(405, {"message": "Method Not Allowed"}) if known else Reply(404, {"message": "Not Found"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Benchmarks open many connections at once; the default backlog of 5 would stall them.
    request_queue_size = 128

    def __init__(self, address, state, verbose=False, ssl_context=None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
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


# --------------------------------------------------------------------------- CLI


def load_config_arg(text):
    """--config takes inline JSON or the path of a JSON file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if os.path.isfile(text):
            with open(text, encoding="utf-8") as handle:
                return json.load(handle)
        raise


def build_parser():
    parser = argparse.ArgumentParser(description="Emulator of the ImageKit, ImageMash, 5centsCDN and Gotipath APIs.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    parser.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    parser.add_argument("--latency-ms", type=float, help="delay added to every provider response (default 0)")
    parser.add_argument("--fault-rate", type=float, help="probability 0..1 of a random fault (default 0)")
    parser.add_argument("--faults", help="comma list of fault kinds to draw from: " + ",".join(FAULT_KINDS))
    parser.add_argument("--imagekit-complete-after", type=float, help="seconds until Completed (default 1.0)")
    parser.add_argument("--imagemash-complete-after", type=float, help="seconds until Completed (default 1.0)")
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--config", help="JSON object (or path of a JSON file) of config keys")
    parser.add_argument("--verbose", action="store_true", help="log requests and errors to stderr")
    return parser


def build_startup_config(parser, args):
    config = copy.deepcopy(DEFAULT_CONFIG)
    patch = {}
    if args.config:
        try:
            patch.update(load_config_arg(args.config))
        except (OSError, ValueError, TypeError) as exc:
            parser.error(f"--config: {exc}")
    flags = {
        "latency_ms": args.latency_ms,
        "fault_rate": args.fault_rate,
        "faults": [kind.strip() for kind in args.faults.split(",") if kind.strip()] if args.faults else None,
        "imagekit_complete_after": args.imagekit_complete_after,
        "imagemash_complete_after": args.imagemash_complete_after,
    }
    patch.update({key: value for key, value in flags.items() if value is not None})
    try:
        return merge_config(config, patch)
    except ConfigError as exc:
        parser.error(str(exc))
    return None  # unreachable: parser.error exits


def write_port_file(path, port):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    config = build_startup_config(parser, args)
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    server = EmulatorServer((args.host, args.port), EmulatorState(config), args.verbose, context)

    def stop(_signum, _frame):
        # shutdown() waits for serve_forever(), which runs in this very thread: call it from another.
        threading.Thread(target=server.shutdown, daemon=True).start()

    # Installed before announcing the port, so a SIGTERM right after start still exits cleanly.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"cdn-emulator listening on {'https' if context else 'http'}://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
