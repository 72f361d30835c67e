"""Fastly: one URL per request (concurrent), surrogate keys in bulk, purge all, soft purge; synchronous."""

import re
from urllib.parse import quote, unquote

NAME = "fastly"
SITE = "https://www.example.com"
TARGET = {"service_id": "SU1Z0isxPaozGVKXdv0eY", "url_endpoint": SITE}
CREDENTIALS = {"api_key": "emulator_fastly_token"}
ENV = {"FASTLY_API_TOKEN": "emulator_fastly_token"}
WRONG = {"api_key": "wrong_fastly_token"}
ITEMS = {"paths": ["/img/a.png", SITE + "/css/site.css?v=2"], "tags": ["release-42", "product-7"]}
SENT = {"paths": ["www.example.com/img/a.png", "www.example.com/css/site.css?v=2"], "tags": ["release-42", "product-7"]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = [SITE + "/img/a.png", SITE + "/css/site.css?v=2"]
PREFIX = None
INVALID = [
    ("paths", "/img/*", "purge it with tags"),
    ("paths", "https://other.example.org/a.png", "does not lie under url_endpoint"),
    ("tags", "clé-42", "not a valid Fastly surrogate key"),
]
PURGE_ALL = True
QUOTA = ([f"/q{index}.png" for index in range(5)], None, 2)
EMULATOR_FIELDS = {"api_key": "api_token"}
OTHER_CREDENTIALS = {}
DENIED = 401
UNCONFIRMED = "the API did not confirm it"
PATH_TEMPLATE = "/img/%s.png"
COMPLETE_AFTER = None
# A URL purge: /purge/<host>/<path>, the host being url_endpoint's.
ENDPOINT = r"/purge/[A-Za-z0-9.-]+/[^?#]*(\?.*)?"
INVALID_TARGET = [
    ("service_id", "../../purge_all", "must be a Fastly service id"),
    ("url_endpoint", "javascript:alert(1)", "url_endpoint="),
]


def sent(path):
    """How the emulator logs a relative path once purged."""
    return "www.example.com" + path


def named(path):
    """How the module's results name a relative path."""
    return SITE + path


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    path = entry["path"]
    if path.startswith("/purge/"):
        query = "&".join("%s=%s" % pair for pair in (entry["query"] or {}).items())
        return [path[len("/purge/") :] + ("?" + query if query else "")]
    if "/purge/" in path:
        return [unquote(path.rsplit("/purge/", 1)[1])]
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    if body.get("surrogate_keys"):
        return list(body["surrogate_keys"])
    return (entry["headers"].get("Surrogate-Key") or "").split()


def logged(name):
    """How the emulator logs an item the module's results call name."""
    if name.startswith("tag:"):
        return name[len("tag:") :]
    # host/path as it travels in the request path, normalised as the HTTP client (urllib3) sends it: what a URL path
    # cannot carry percent-encoded (RFC 3986 pchar), escapes in upper case, and where a % starts no %XX escape, every
    # % of the string encoded.
    value = quote(name.split("://", 1)[1], safe="/?:@!$&'()*+,;=%~")
    value = re.sub(r"%[0-9A-Fa-f]{2}", lambda escape: escape.group().upper(), value)
    return value.replace("%", "%25") if re.search(r"%(?![0-9A-F]{2})", value) else value
