"""ImageKit: one URL per request, wildcards by ImageKit's rules, status per id."""

NAME = "imagekit"
EP = "https://ik.imagekit.io/demo"
TARGET = {"url_endpoint": EP}
CREDENTIALS = {"api_key": "private_emulator_imagekit_key"}
ENV = {"IMAGEKIT_PRIVATE_KEY": "private_emulator_imagekit_key"}
WRONG = {"api_key": "private_wrong_imagekit_key"}
ITEMS = {"paths": ["/img/big/a.png", "/img/big/b.png"]}
SENT = {"paths": [EP + "/img/big/a.png", EP + "/img/big/b.png"]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = SENT["paths"]
PREFIX = (["/img/big/*", "/img/big/a.png", "/other.png"], EP + "/img/big/*", EP + "/img/big/a.png")
INVALID = [
    ("paths", "/images*", "a wildcard * is allowed once, at the end"),
    ("paths", "/media/catalog/*", "never accepts a wildcard under media/catalog/"),
    ("paths", "img/a.png", "must start with /"),
]
PURGE_ALL = False
QUOTA = ([f"/img/big/q{index}.png" for index in range(5)], None, 2)
EMULATOR_FIELDS = {"api_key": "private_key"}
OTHER_CREDENTIALS = {}
DENIED = 401
UNCONFIRMED = "carries no valid requestId"
PATH_TEMPLATE = "/img/big/%s.png"
COMPLETE_AFTER = "imagekit_complete_after"
ENDPOINT = r"/v1/files/purge(/[^/]+)?"
INVALID_TARGET = [("url_endpoint", "javascript:alert(1)", "url_endpoint=")]


def sent(path):
    """How the emulator logs a relative path once purged."""
    return EP + path


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    return [body["url"]] if "url" in body else []


def logged(name):
    """How the emulator logs an item the module's results call name."""
    return name
