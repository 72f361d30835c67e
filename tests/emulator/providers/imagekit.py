"""ImageKit: POST /v1/files/purge (one URL, Basic auth with the private key) and GET /v1/files/purge/{requestId}."""

import base64
import binascii
import secrets
import threading
import time
from urllib.parse import urlsplit

from core.api import EXTENSION_RE, ConfigError, Reply, has_control, number, same_secret, str_list

NAME = "imagekit"
CREDENTIALS = {"private_key": "private_emulator_imagekit_key"}
HELP = "For support kindly contact us at support@imagekit.io ."
INVALID_URL = "The URL is not valid for cache purging."


def _endpoints(key, value, _current):
    endpoints = str_list(key, value)
    if not all(item.startswith(("http://", "https://")) for item in endpoints):
        raise ConfigError(f"config key '{key}' must be a list of http(s) URLs")
    return [item.rstrip("/") for item in endpoints]


CONFIG = {
    "imagekit_url_endpoints": (["https://ik.imagekit.io/demo"], _endpoints),
    "imagekit_complete_after": (1.0, lambda k, v, _c: number(k, v)),
}
CLI_FLAGS = (("--imagekit-complete-after", "imagekit_complete_after", float, "seconds until Completed (default 1.0)"),)


class State:
    """Accepted purges by request id, for the status call."""

    def __init__(self):
        self.lock = threading.Lock()
        self.index = {}

    def add(self, record):
        with self.lock:
            self.index[record["requestId"]] = record

    def status(self, request_id, complete_after):
        with self.lock:
            record = self.index.get(request_id)
            if record is None:
                return None
            done = record["completed"] or time.time() - record["created"] >= complete_after
            return "Completed" if done else "Pending"

    def complete(self):
        with self.lock:
            count = sum(not record["completed"] for record in self.index.values())
            for record in self.index.values():
                record["completed"] = True
            return count


def error_body(_status, message):
    return {"message": message, "help": HELP}


def error(status, message):
    return Reply(status, error_body(status, message))


def auth(call):
    header = call.headers.get("Authorization")
    if not header:
        return error(401, "Your request does not contain private API key.")
    scheme, _sep, token = header.strip().partition(" ")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = None
    if scheme.lower() != "basic" or decoded is None:
        return error(401, "Your account cannot be authenticated.")
    # The password is ignored: the docs send none, the official SDK sends a dummy one.
    user = decoded.partition(":")[0]
    if not user:
        return error(401, "Your request does not contain private API key.")
    if not same_secret(user, call.credentials["private_key"]):
        return error(401, "Your account cannot be authenticated.")
    return None


def url_problem(url, endpoints):
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


def purge(call):
    denied = auth(call)
    if denied:
        return denied
    ok, data = call.json()
    if not ok:
        return error(400, "Your request contains invalid JSON.")
    if not isinstance(data, dict) or not isinstance(data.get("url"), str) or not data["url"]:
        return error(400, "Missing parameter url")
    url = data["url"]
    call.log(purge_kind="prefix" if url.endswith("*") else "url")
    if url_problem(url, call.config["imagekit_url_endpoints"]):
        return error(400, INVALID_URL)
    if not call.use_quota():
        return error(403, "Purge request limit exceeded for this month.")
    request_id = secrets.token_hex(12)
    call.store.add({"requestId": request_id, "url": url, "created": time.time(), "completed": False})
    call.accepted(request_id, [url])
    return Reply(201, {"requestId": request_id})


def status(call):
    denied = auth(call)
    if denied:
        return denied
    request_id = call.params[0]
    call.log(request_id=request_id)
    answer = call.store.status(request_id, call.config["imagekit_complete_after"])
    if answer is None:
        return error(404, "No request found for this requestId.")
    return Reply(200, {"status": answer})


ROUTES = (
    ("POST", r"/v1/files/purge", "purge", purge),
    ("GET", r"/v1/files/purge/([^/]+)", "status", status),
)
