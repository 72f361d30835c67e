"""Cloudflare: files, prefixes, tags, hosts in batches (30 by default), purge everything; synchronous."""

NAME = "cloudflare"
SITE = "https://www.example.com"
TARGET = {"zone_id": "023e105f4ecef8ad9ca31a8372d0c353", "url_endpoint": SITE}
CREDENTIALS = {"api_key": "emulator_cloudflare_token"}
ENV = {"CLOUDFLARE_API_TOKEN": "emulator_cloudflare_token"}
WRONG = {"api_key": "wrong_cloudflare_token"}
# The legacy global key and its e-mail (X-Auth-Key + X-Auth-Email).
GLOBAL_KEY = {"api_key": "emulator_cloudflare_global_key", "email": "ops@example.com"}
ITEMS = {"paths": ["/img/a.png", SITE + "/css/site.css?v=2"], "tags": ["release-42", "product-7"], "hosts": ["images.example.com"]}
SENT = {"paths": [SITE + "/img/a.png", SITE + "/css/site.css?v=2"], "tags": ["release-42", "product-7"], "hosts": ["images.example.com"]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = SENT["paths"]
PREFIX = (["/img/*", "/img/a.png", "/other.png"], "www.example.com/img/", SITE + "/img/a.png")
INVALID = [
    ("paths", "/img/*.png", "Cloudflare has no wildcards in files"),
    ("paths", "https://other.example.org/a.png", "does not lie under url_endpoint"),
    ("tags", "a,b", "without spaces or commas"),
    ("hosts", "not_a_host", "is not a host name"),
]
PURGE_ALL = True
QUOTA = ([f"/q{index}.png" for index in range(5)], 2, 1)
EMULATOR_FIELDS = {"api_key": "api_token"}
# The legacy global key: api_key is read from CLOUDFLARE_API_KEY when email is set.
OTHER_CREDENTIALS = {
    "global_key": (GLOBAL_KEY, {"api_key": "CLOUDFLARE_API_KEY", "email": "CLOUDFLARE_EMAIL"}, {"api_key": "global_key", "email": "email"}),
}
DENIED = 403
UNCONFIRMED = "with success false"
PATH_TEMPLATE = "/img/%s.png"
COMPLETE_AFTER = None
ENDPOINT = r"/client/v4/zones/[0-9a-f]{32}/purge_cache"
INVALID_TARGET = [
    ("zone_id", "../../../v1/files/purge", "must be a Cloudflare zone id"),
    ("url_endpoint", "javascript:alert(1)", "url_endpoint="),
]
_BODY_KEYS = ("files", "prefixes", "tags", "hosts")


def sent(path):
    """How the emulator logs a relative path once purged."""
    return SITE + path


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    items = next((body[key] for key in _BODY_KEYS if isinstance(body.get(key), list)), [])
    return [item["url"] if isinstance(item, dict) else item for item in items]


def logged(name):
    """How the emulator logs an item the module's results call name."""
    for label in ("tag:", "host:"):
        if name.startswith(label):
            return name[len(label) :]
    if name.endswith("*"):
        # A prefix: host and path without the scheme or the *.
        return name.split("://", 1)[1][:-1]
    return name
