"""Akamai Fast Purge v3: URLs, cache tags and CP codes, batched by body size, EdgeGrid-signed; no status API (wait
waits the estimatedSeconds of the answers)."""

NAME = "akamai"
SITE = "https://www.example.com"
# staging: the network must reach the request path (production is the default, covered in test_akamai.py).
TARGET = {"network": "staging", "url_endpoint": SITE}
CREDENTIALS = {
    "client_token": "akab-emulatorclienttoken-00000000",
    "client_secret": "EmulatorAkamaiClientSecret0123456789abcdef=",
    "access_token": "akab-emulatoraccesstoken-00000000",
}
ENV = {
    "AKAMAI_CLIENT_TOKEN": CREDENTIALS["client_token"],
    "AKAMAI_CLIENT_SECRET": CREDENTIALS["client_secret"],
    "AKAMAI_ACCESS_TOKEN": CREDENTIALS["access_token"],
}
# A wrong client secret: the emulator cannot verify the signature (401); the secret itself is never sent.
WRONG = {"client_secret": "WrongAkamaiClientSecret0123456789abcdef="}
ITEMS = {"paths": ["/img/a.png", SITE + "/css/site.css?v=2"], "tags": ["release-42", "product-7"], "cp_codes": [12345]}
SENT = {"paths": [SITE + "/img/a.png", SITE + "/css/site.css?v=2"], "tags": ["release-42", "product-7"], "cp_codes": [12345]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = SENT["paths"]
PREFIX = None
INVALID = [
    ("paths", "/img/*", "has no wildcards"),
    ("paths", "https://other.example.org/a.png", "does not lie under url_endpoint"),
    ("tags", "a,b", "is not valid for akamai"),
]
PURGE_ALL = False
# One request holds every path unless batch_size says otherwise: the quota tests set batch_size=1.
QUOTA = ([f"/q{index}.png" for index in range(5)], 1, 2)
EMULATOR_FIELDS = {"client_token": "client_token", "client_secret": "client_secret", "access_token": "access_token"}
# The .edgerc form needs a file: tests/integration/test_akamai.py covers it.
OTHER_CREDENTIALS = {}
DENIED = 401
# The client secret only signs (EdgeGrid's HMAC key): it never travels in a request.
SIGNING_ONLY = ("client_secret",)
# Akamai answers 201 with a purgeId: an HTTP 200 is not its success answer.
UNCONFIRMED = "failed: HTTP 200"
PATH_TEMPLATE = "/img/%s.png"
# The estimate the emulator's answers carry, which `wait` waits.
COMPLETE_AFTER = "akamai_estimated_seconds"
# A URL purge (delete; invalidate with soft_purge) on either network: `network`, a target option, names it in the path.
ENDPOINT = r"/ccu/v3/(delete|invalidate)/url/(production|staging)"
INVALID_TARGET = [
    ("network", "moon", "network"),
    ("url_endpoint", "javascript:alert(1)", "url_endpoint="),
]


def sent(path):
    """How the emulator logs a relative path once purged."""
    return SITE + path


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    objects = body.get("objects")
    if not isinstance(objects, list):
        return []
    hostname = body.get("hostname")
    return ["https://%s%s" % (hostname, item) if hostname and isinstance(item, str) else item for item in objects]


def logged(name):
    """How the emulator logs an item the module's results call name."""
    if name.startswith("tag:"):
        return name[len("tag:") :]
    if name.startswith("cp_code:"):
        return int(name[len("cp_code:") :])
    return name
