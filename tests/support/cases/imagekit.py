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


def sent(path):
    """How the emulator logs a relative path once purged."""
    return EP + path


def named(path):
    """How the module's results name a relative path."""
    return sent(path)
