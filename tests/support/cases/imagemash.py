"""ImageMash: every path a prefix, batches of 100, status from one purge list."""

NAME = "imagemash"
TARGET = {"domain": "john.imagemash.io"}
CREDENTIALS = {"api_key": "emulator_imagemash_key"}
ENV = {"IMAGEMASH_API_KEY": "emulator_imagemash_key"}
WRONG = {"api_key": "wrong_imagemash_key"}
ITEMS = {"paths": ["/img/big/a.png", "/img/big/b.png"]}
SENT = {"paths": ["/img/big/a.png", "/img/big/b.png"]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = SENT["paths"]
PREFIX = (["/img/big/*", "/img/big/a.png", "/other.png"], "/img/big/", "/img/big/a.png")
INVALID = [
    ("paths", "/logo", "must be a complete file path with an extension"),
    ("paths", "/img/*/a.png", "ImageMash has no wildcards"),
]
PURGE_ALL = False
QUOTA = ([f"/img/big/q{index}.png" for index in range(5)], 2, 1)
EMULATOR_FIELDS = {"api_key": "apikey"}
OTHER_CREDENTIALS = {}
DENIED = 401
UNCONFIRMED = "carries no valid requestId"
PATH_TEMPLATE = "/img/big/%s.png"
COMPLETE_AFTER = "imagemash_complete_after"
ENDPOINT = r"/v1/storage/(purgeCache|getPurgeList)"
INVALID_TARGET = [("domain", "../../v1/files/purge", "is not a host name")]


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    return list(body.get("paths") or [])


def logged(name):
    """How the emulator logs an item the module's results call name."""
    return name
