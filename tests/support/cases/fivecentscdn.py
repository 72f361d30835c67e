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
EMULATOR_FIELDS = {"api_key": "api_key"}
OTHER_CREDENTIALS = {}
DENIED = 401
UNCONFIRMED = "the API did not confirm it"
PATH_TEMPLATE = "/videos/%s.mp4"
COMPLETE_AFTER = None
# A hard purge (soft_purge sends delete=false).
ENDPOINT = r"/v2/zones/(http|vod)/pull/[1-9][0-9]*/purge\?delete=true"
INVALID_TARGET = [("zone_id", "42/../../v1/files/purge", "zone_id"), ("zone_type", "http/../../x", "zone_type")]


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    return list(body.get("files") or [])


def logged(name):
    """How the emulator logs an item the module's results call name."""
    return name
