"""Fastly: one URL per request (concurrent), surrogate keys in bulk, purge all, soft purge; synchronous."""

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
    ("tags", "k" * 1025, "not a valid Fastly surrogate key"),
]
PURGE_ALL = True
QUOTA = ([f"/q{index}.png" for index in range(5)], None, 2)


def sent(path):
    """How the emulator logs a relative path once purged."""
    return "www.example.com" + path


def named(path):
    """How the module's results name a relative path."""
    return SITE + path
