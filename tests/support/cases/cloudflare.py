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


def sent(path):
    """How the emulator logs a relative path once purged."""
    return SITE + path


def named(path):
    """How the module's results name a relative path."""
    return sent(path)
