"""ImageMash: POST /v1/storage/purgeCache (paths are prefixes) and POST /v1/storage/getPurgeList, header apikey.

Every answer carries rl-remain and rl-ttl; past imagemash_rate_limit requests per window, 429.
"""

import math
import secrets
import string
import threading
import time
from datetime import datetime, timezone

from core.api import EXTENSION_RE, RateWindow, Reply, choice, has_control, number, same_secret, str_list

NAME = "imagemash"
CREDENTIALS = {"apikey": "emulator_imagemash_key"}
ID_ALPHABET = string.ascii_uppercase + string.digits
CONFIG = {
    "imagemash_domains": (["john.imagemash.io"], lambda k, v, _c: str_list(k, v)),
    "imagemash_complete_after": (1.0, lambda k, v, _c: number(k, v)),
    "imagemash_rate_limit": (10000, lambda k, v, _c: number(k, v, integer=True)),
    "imagemash_rate_window": (60.0, lambda k, v, _c: number(k, v, positive=True)),
    "imagemash_id_format": ("text", lambda k, v, _c: choice(k, v, ("text", "json_string", "object"))),
}
CLI_FLAGS = (("--imagemash-complete-after", "imagemash_complete_after", float, "seconds until Completed (default 1.0)"),)


def iso_millis(epoch):
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class State:
    """The purge list (status comes only from it) and the rate-limit window."""

    def __init__(self):
        self.lock = threading.Lock()
        self.purges = []
        self.window = RateWindow()

    def add(self, record):
        with self.lock:
            self.purges.append(record)

    def listing(self, complete_after):
        with self.lock:
            now = time.time()
            return [
                {
                    "createdAt": iso_millis(record["created"]),
                    "requestId": record["requestId"],
                    "status": "Completed" if record["completed"] or now - record["created"] >= complete_after else "InProgress",
                    "paths": list(record["paths"]),
                }
                for record in reversed(self.purges)
            ]

    def complete(self):
        with self.lock:
            count = sum(not record["completed"] for record in self.purges)
            for record in self.purges:
                record["completed"] = True
            return count

    def config_changed(self, keys):
        if keys & {"imagemash_rate_limit", "imagemash_rate_window"}:
            self.window.reset()


def _ttl(reset_at):
    return max(1, math.ceil(reset_at - time.time()))


def error_body(_status, message):
    return {"msg": message, "details": "Emulated fault."}


def error(status, msg, details):
    return Reply(status, {"msg": msg, "details": details})


def rate_limit_headers(_store, _config, fault):
    return {"rl-remain": "0", "rl-ttl": str(fault["rl_ttl"])}


def answer_headers(store, config):
    remain, reset_at = store.window.peek(config["imagemash_rate_limit"], config["imagemash_rate_window"])
    return {"rl-remain": str(remain), "rl-ttl": str(_ttl(reset_at))}


def path_problem(path):
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


def handle(call):
    cfg = call.config
    allowed, remain, reset_at = call.store.window.take(cfg["imagemash_rate_limit"], cfg["imagemash_rate_window"])
    ttl = _ttl(reset_at)
    reply = _handle(call, allowed, ttl)
    reply.headers.update({"rl-remain": str(remain), "rl-ttl": str(ttl)})
    return reply


def _handle(call, allowed, ttl):
    cfg = call.config
    if not allowed:
        limit, window = cfg["imagemash_rate_limit"], cfg["imagemash_rate_window"]
        return error(429, "Too many requests", f"{limit} requests per {window:g}s; retry in {ttl}s.")
    if not same_secret(call.headers.get("apikey"), call.credentials["apikey"]):
        return error(401, "Unauthorized", "Invalid or missing apikey header.")
    if call.entry["kind"] == "list":
        return Reply(200, call.store.listing(cfg["imagemash_complete_after"]))
    ok, data = call.json()
    if not ok or not isinstance(data, dict):
        return error(400, "Invalid request", "The request body must be a JSON object.")
    paths = data.get("paths")
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        return error(400, "Invalid request", "'paths' must be a non-empty array of strings.")
    call.log(purge_kind="prefix")  # every ImageMash path is a prefix
    if "domain" in data:
        domain = data["domain"]
        if not isinstance(domain, str) or domain not in cfg["imagemash_domains"]:
            return error(400, "Invalid domain", f"Domain {domain!r} is not configured for this account.")
    for path in paths:
        problem = path_problem(path)
        if problem:
            return error(400, "Invalid path", problem)
    if not call.use_quota():
        return error(403, "Quota exceeded", "The purge request quota of this account is used up.")
    request_id = "I" + "".join(secrets.choice(ID_ALPHABET) for _index in range(secrets.choice((12, 13))))
    call.store.add({"requestId": request_id, "paths": list(paths), "domain": data.get("domain"), "completed": False, "created": time.time()})
    call.accepted(request_id, paths)
    id_format = cfg["imagemash_id_format"]
    if id_format == "json_string":
        return Reply(200, request_id)
    if id_format == "object":
        return Reply(200, {"requestId": request_id})
    return Reply(200, raw=request_id.encode("ascii"), content_type="text/plain; charset=utf-8")


ROUTES = (
    ("POST", r"/v1/storage/purgeCache", "purge", handle),
    ("POST", r"/v1/storage/getPurgeList", "list", handle),
)
