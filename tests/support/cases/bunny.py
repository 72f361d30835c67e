"""Bunny: one URL or prefix per request (concurrent), one cache tag per request, purge a whole pull zone; synchronous."""

NAME = "bunny"
SITE = "https://www.example.com"
TARGET = {"pull_zone_id": 12345, "url_endpoint": SITE}
CREDENTIALS = {"api_key": "emulator_bunny_access_key"}
ENV = {"BUNNYNET_API_KEY": "emulator_bunny_access_key"}
WRONG = {"api_key": "wrong_bunny_access_key"}
ITEMS = {"paths": ["/img/a.png", SITE + "/css/site.css?v=2"], "tags": ["release-42", "product-7"]}
# The emulator logs the URL as it decodes it from the url parameter, and the tag as sent.
SENT = {"paths": [SITE + "/img/a.png", SITE + "/css/site.css?v=2"], "tags": ["release-42", "product-7"]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = SENT["paths"]
PREFIX = (["/img/*", "/img/a.png", "/other.png"], SITE + "/img/*", SITE + "/img/a.png")
INVALID = [
    ("paths", "/img/*.png", "one * only at the end"),
    ("paths", "https://other.example.org/a.png", "does not lie under url_endpoint"),
    ("tags", "a,b", "without spaces or commas"),
]
PURGE_ALL = True
QUOTA = ([f"/q{index}.png" for index in range(5)], None, 2)
EMULATOR_FIELDS = {"api_key": "api_key"}
OTHER_CREDENTIALS = {}
DENIED = 401
# Bunny answers an empty 200 (URLs) or 204 (pull zone): any 2xx is its success.
UNCONFIRMED = None
PATH_TEMPLATE = "/img/%s.png"
COMPLETE_AFTER = None
# A URL purge: the URL as the emulator's log decodes it from the query, then async=false.
ENDPOINT = r"/purge\?url=(?i:https?)://[^/?#]+/.*&async=false"
INVALID_TARGET = [
    ("pull_zone_id", "../../purge", "pull_zone_id"),
    ("url_endpoint", "javascript:alert(1)", "url_endpoint="),
]


def sent(path):
    """How the emulator logs a relative path once purged."""
    return SITE + path


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    if entry["path"] == "/purge":
        url = (entry["query"] or {}).get("url")
        return [url] if url else []
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    return [body["CacheTag"]] if isinstance(body.get("CacheTag"), str) else []


def logged(name):
    """How the emulator logs an item the module's results call name."""
    return name[len("tag:") :] if name.startswith("tag:") else name
