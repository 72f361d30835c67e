"""Gcore: URL purges (100 a request) and pattern purges (10) per CDN resource, purge all; rate limits waited out;
the id found in the purge history, status read from it."""

NAME = "gcore"
TARGET = {"resource_id": 220748}
CREDENTIALS = {"api_key": "4242$emulatorgcoretoken0123456789abcdef"}
ENV = {"GCORE_API_KEY": "4242$emulatorgcoretoken0123456789abcdef"}
WRONG = {"api_key": "4242$wronggcoretoken"}
ITEMS = {"paths": ["/img/a.png", "/css/site.css?v=2"]}
SENT = {"paths": ["/img/a.png", "/css/site.css?v=2"]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = SENT["paths"]
PREFIX = (["/img/*", "/img/a.png", "/other.png"], "/img/*", "/img/a.png")
INVALID = [
    ("paths", "/img/*.png", "one * only at the end"),
    ("paths", "https://www.example.com/a.png", "without scheme or host"),
    ("paths", "/search/*?q=a", "a Gcore pattern has no query string"),
]
PURGE_ALL = True
QUOTA = ([f"/q{index}.png" for index in range(5)], 2, 1)
EMULATOR_FIELDS = {"api_key": "api_key"}
OTHER_CREDENTIALS = {}
DENIED = 401
# Gcore's 201 carries no body: what confirms a purge is finding it in the purge history.
UNCONFIRMED = "Gcore's purge history"
PATH_TEMPLATE = "/img/%s.png"
COMPLETE_AFTER = "gcore_complete_after"
# The purge, and the purge history read right after it (and to read statuses).
ENDPOINT = r"/cdn/resources/[0-9]+/purge|/cdn/purge_statuses(\?[A-Za-z0-9_=&:. -]+)?"
INVALID_TARGET = [("resource_id", "../../purge_statuses", "resource_id")]
# Proposed field (no suite reads it yet): emulator config a suite may apply after reset for speed without changing
# behaviour: Gcore's documented rate window is a minute, so tests that purge more than twice wait a minute each time.
EMULATOR_CONFIG = {"gcore_rate_window": 2.0}


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    items = body.get("urls") if isinstance(body.get("urls"), list) else body.get("paths")
    return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []


def logged(name):
    """How the emulator logs an item the module's results call name."""
    return name
