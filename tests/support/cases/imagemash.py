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


def sent(path):
    """How the emulator logs a relative path once purged."""
    return path


def named(path):
    """How the module's results name a relative path."""
    return sent(path)
