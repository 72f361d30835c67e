"""Gcore CDN: POST /cdn/resources/{resource_id}/purge and GET /cdn/purge_statuses (the account's purge history).

Auth header Authorization: APIKey <permanent token>. A purge body has exactly one of {"urls": [...]} (paths with
query, no scheme or host, no *, at most 100), {"paths": [...]} (patterns, * only at the end, at most 10) or
{"paths": []} (everything) and is answered 201 with an empty body: its id is found in the purge history, where it
reads "In progress" until gcore_complete_after seconds have passed, then "Successful" (or "Failed" for the next
gcore_failed_purges purges). Rate limits per resource and kind in a fixed window of gcore_rate_window seconds
(default: URL purges 2, pattern purges 1, purge all 1 a minute); past them 429 "exceeded the request quota" with
Retry-After (gcore_retry_after: false leaves it out), or, with gcore_rate_limit_status 400, Gcore's 400 "exceeded the
URL quota" for URL purges. Errors are {"message": ...}. Choices where the vendor documents nothing are listed in
README.md.
"""

import math
import threading
import time
from datetime import datetime, timezone

from core.api import ConfigError, RateWindow, Reply, has_control, is_hostname, number, same_secret

NAME = "gcore"
# Permanent API tokens carry a $ between the token id and its secret.
CREDENTIALS = {"api_key": "4242$emulatorgcoretoken0123456789abcdef"}
MAX_URLS = 100
MAX_PATTERNS = 10
KINDS = ("url", "pattern", "all")
PURGE_TYPE = {"url": "purge_by_url", "pattern": "purge_by_pattern", "all": "purge_all"}
STATUSES = ("In progress", "Successful", "Failed")
QUERY = ("cname", "from_created", "to_created", "purge_type", "status", "limit", "offset")
FIRST_PURGE_ID = 1000001


def _resources(key, value, _current):
    if not isinstance(value, dict) or not all(isinstance(rid, str) and rid.isdigit() and rid.isascii() for rid in value):
        raise ConfigError(f"config key '{key}' must map resource ids (digits) to their CNAMEs")
    if not all(isinstance(cname, str) and is_hostname(cname) for cname in value.values()):
        raise ConfigError(f"config key '{key}' must map resource ids to host names (the resource's CNAME)")
    return {rid: cname.lower() for rid, cname in value.items()}


def _limits(key, value, current):
    if not isinstance(value, dict) or not set(value) <= set(KINDS):
        raise ConfigError(f"config key '{key}' must be an object with keys among {', '.join(KINDS)}")
    merged = dict(current or {})
    for kind, limit in value.items():
        merged[kind] = number(f"{key}.{kind}", limit, lo=1, integer=True)
    return merged


def _status(key, value, _current):
    if value not in (429, 400) or isinstance(value, bool):
        raise ConfigError(f"config key '{key}' must be 429 or 400")
    return value


def _flag(key, value, _current):
    if not isinstance(value, bool):
        raise ConfigError(f"config key '{key}' must be true or false")
    return value


CONFIG = {
    "gcore_resources": ({"220748": "cdn.example.com"}, _resources),
    "gcore_rate_window": (60.0, lambda k, v, _c: number(k, v, positive=True)),
    "gcore_rate_limits": ({"url": 2, "pattern": 1, "all": 1}, _limits),
    "gcore_retry_after": (True, _flag),
    "gcore_rate_limit_status": (429, _status),
    "gcore_complete_after": (2.0, lambda k, v, _c: number(k, v)),
    # The next N accepted purges end "Failed" instead of "Successful".
    "gcore_failed_purges": (0, lambda k, v, _c: number(k, v, integer=True)),
}


def created_text(epoch):
    """Gcore's creation time: ISO 8601 in UTC with milliseconds."""
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def parse_time(text):
    """Epoch seconds of an ISO 8601 time (Z, an offset, or none: UTC), or None."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


class State:
    """The rate windows per (resource, kind) and the account's purge history."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = {}
        self.purges = []

    def window(self, resource_id, kind):
        with self.lock:
            return self.windows.setdefault((resource_id, kind), RateWindow())

    def config_changed(self, keys):
        if keys & {"gcore_rate_window", "gcore_rate_limits"}:
            with self.lock:
                self.windows = {}

    def add(self, resource_id, cname, kind, payload, failed):
        with self.lock:
            record = {
                "purge_id": FIRST_PURGE_ID + len(self.purges),
                "resource": {"id": int(resource_id), "cname": cname},
                "payload": payload,
                "purge_type": PURGE_TYPE[kind],
                "created": time.time(),
                "failed": failed,
                "done": False,
            }
            self.purges.append(record)
            return record["purge_id"]

    def history(self, complete_after):
        """Every purge with its status now, oldest first."""
        now = time.time()
        with self.lock:
            records = [dict(record) for record in self.purges]
        for record in records:
            finished = record["done"] or now - record["created"] >= complete_after
            record["status"] = ("Failed" if record["failed"] else "Successful") if finished else "In progress"
        return records

    def complete(self):
        with self.lock:
            pending = [record for record in self.purges if not record["done"]]
            for record in pending:
                record["done"] = True
            return len(pending)


def error(status, message, **extra):
    return Reply(status, dict({"message": message}, **extra))


def error_body(status, message):
    if status == 429:
        return {"message": "You have exceeded the request quota. Try again later."}
    return {"message": message}


def authenticate(call):
    header = call.headers.get("Authorization")
    if not header:
        return error(401, "Authentication credentials were not provided.")
    scheme, _sep, token = header.strip().partition(" ")
    if scheme.lower() != "apikey" or not same_secret(token.strip(), call.credentials["api_key"]):
        return error(401, "Invalid authentication credentials.")
    return None


def url_problem(url):
    if not isinstance(url, str) or not url:
        return "must be a non-empty string"
    if has_control(url) or any(ch.isspace() for ch in url):
        return "contains a space or control character"
    if not url.startswith("/") or url.startswith("//"):
        return "must be a path starting with / without scheme or host"
    if "*" in url:
        return "a URL purge takes no wildcard: purge a pattern with paths"
    return None


def pattern_problem(pattern):
    if not isinstance(pattern, str) or not pattern:
        return "must be a non-empty string"
    if has_control(pattern) or any(ch.isspace() for ch in pattern):
        return "contains a space or control character"
    if not pattern.startswith("/") or pattern.startswith("//"):
        return "must be a path starting with / without scheme or host"
    if "*" in pattern[:-1]:
        return "the wildcard * is allowed only at the end of a pattern"
    return None


def purge_body(call):
    """(kind, payload, None) for a valid body, else (None, None, error reply)."""
    ok, data = call.json()
    if not ok or not isinstance(data, dict):
        return None, None, error(400, "The body must be a JSON object with urls or paths.")
    fields = set(data)
    if fields - {"urls", "paths"} or len(fields) != 1:
        return None, None, error(400, "Give exactly one of urls (purge by URL) or paths (purge by pattern, or [] to purge everything).")
    if "urls" in data:
        urls = data["urls"]
        if not isinstance(urls, list) or not urls:
            return None, None, error(400, "urls must be a non-empty array of paths.", errors={"urls": ["This field may not be empty."]})
        if len(urls) > MAX_URLS:
            return None, None, error(400, f"At most {MAX_URLS} URLs per purge request, got {len(urls)}.", errors={"urls": ["Too many items."]})
        for url in urls:
            reason = url_problem(url)
            if reason:
                return None, None, error(400, f"Invalid URL {url!r}: {reason}.", errors={"urls": [reason]})
        return "url", {"urls": list(urls)}, None
    paths = data["paths"]
    if not isinstance(paths, list):
        return None, None, error(400, "paths must be an array of patterns ([] purges everything).")
    if len(paths) > MAX_PATTERNS:
        return None, None, error(400, f"At most {MAX_PATTERNS} patterns per purge request, got {len(paths)}.", errors={"paths": ["Too many items."]})
    for pattern in paths:
        reason = pattern_problem(pattern)
        if reason:
            return None, None, error(400, f"Invalid pattern {pattern!r}: {reason}.", errors={"paths": [reason]})
    return ("pattern" if paths else "all"), {"paths": list(paths)}, None


def rate_limited(call, resource_id, kind):
    """The refusal when the resource's window for kind is used up, else None."""
    cfg = call.config
    allowed, _remaining, reset_at = call.store.window(resource_id, kind).take(cfg["gcore_rate_limits"][kind], cfg["gcore_rate_window"])
    if allowed:
        return None
    if kind == "url" and cfg["gcore_rate_limit_status"] == 400:
        reply = error(400, "You have exceeded the URL quota. Try again later.", exception_class="URLQuotaExceeded")
    else:
        reply = error(429, "You have exceeded the request quota. Try again later.")
    if cfg["gcore_retry_after"]:
        reply.headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
    return reply


def purge(call):
    denied = authenticate(call)
    if denied:
        return denied
    resource_id = call.params[0]
    cname = call.config["gcore_resources"].get(resource_id) if resource_id.isdigit() else None
    if cname is None:
        return error(404, "CDN resource not found.")
    kind, payload, problem = purge_body(call)
    if problem:
        return problem
    call.log(purge_kind=kind)
    limited = rate_limited(call, resource_id, kind)
    if limited:
        return limited
    if not call.use_quota():
        return error(403, "The purge quota of this account is used up.")
    purge_id = call.store.add(resource_id, cname, kind, payload, call.consume("gcore_failed_purges"))
    call.accepted(str(purge_id), payload.get("urls") or payload["paths"], purge_all=kind == "all")
    return Reply(201, raw=b"", content_type="application/json")


def query_problem(query):
    """(filters, None) from the purge_statuses query, else (None, error reply)."""
    unknown = sorted(set(query) - set(QUERY))
    if unknown:
        return None, error(400, f"Unknown query parameter {unknown[0]!r}.")
    filters = {}
    for name in ("from_created", "to_created"):
        if name in query:
            moment = parse_time(query[name])
            if moment is None:
                return None, error(400, f"{name} must be an ISO 8601 date and time, like 2021-06-14T00:00:00Z.")
            filters[name] = moment
    if "purge_type" in query and query["purge_type"] not in PURGE_TYPE.values():
        return None, error(400, "purge_type must be one of " + ", ".join(PURGE_TYPE.values()) + ".")
    if "status" in query and query["status"] not in STATUSES:
        return None, error(400, "status must be one of " + ", ".join(STATUSES) + ".")
    for name in ("limit", "offset"):
        if name in query:
            if not query[name].isdigit():
                return None, error(400, f"{name} must be a non-negative integer.")
            filters[name] = int(query[name])
    return filters, None


def purge_statuses(call):
    denied = authenticate(call)
    if denied:
        return denied
    query = dict(call.query_pairs)
    filters, problem = query_problem(query)
    if problem:
        return problem
    selected = []
    for record in call.store.history(call.config["gcore_complete_after"]):
        if "cname" in query and record["resource"]["cname"] != query["cname"].lower():
            continue
        if "from_created" in filters and record["created"] < filters["from_created"]:
            continue
        if "to_created" in filters and record["created"] > filters["to_created"]:
            continue
        if query.get("purge_type", record["purge_type"]) != record["purge_type"] or query.get("status", record["status"]) != record["status"]:
            continue
        selected.append(
            {
                "purge_id": record["purge_id"],
                "status": record["status"],
                "resource": record["resource"],
                "payload": record["payload"],
                "created": created_text(record["created"]),
                "purge_type": record["purge_type"],
            }
        )
    offset = filters.get("offset", 0)
    limit = filters.get("limit", 0)
    if limit >= 1:
        # With a limit the answer is a page: {"count": every match, "results": [...]} (the SDK's offset page).
        return Reply(200, {"count": len(selected), "results": selected[offset : offset + limit]})
    return Reply(200, selected[offset:])


ROUTES = (
    ("POST", r"/cdn/resources/([^/]+)/purge", "purge", purge),
    ("GET", r"/cdn/purge_statuses", "status", purge_statuses),
)
