"""5centsCDN: batches of files per pull zone, purge all, soft purge; synchronous."""

NAME = "5centscdn"
TARGET = {"zone_id": 42}
CREDENTIALS = {"api_key": "emulator_5centscdn_key"}
ENV = {"FIVECENTSCDN_API_KEY": "emulator_5centscdn_key"}
WRONG = {"api_key": "wrong_5centscdn_key"}
ITEMS = {"paths": ["/videos/a.mp4", "/videos/b.mp4"]}
SENT = {"paths": ["/videos/a.mp4", "/videos/b.mp4"]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = SENT["paths"]
PREFIX = None
INVALID = [
    ("paths", "/videos/*", "5centsCDN has no prefix or wildcard purge"),
    ("paths", "videos/a.mp4", "must start with /"),
]
PURGE_ALL = True
QUOTA = ([f"/videos/q{index}.mp4" for index in range(5)], 2, 1)


def sent(path):
    """How the emulator logs a relative path once purged."""
    return path


def named(path):
    """How the module's results name a relative path."""
    return sent(path)
