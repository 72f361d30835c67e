"""Gotipath: url and pattern purges per distribution, purge all; synchronous."""

NAME = "gotipath"
TARGET = {"distribution_id": "292e5d7f-a8b9-41a0-bdf0-e70347709c6f"}
CREDENTIALS = {
    "api_key": "emulator_gotipath_key",
    "client_id": "11111111-2222-4333-8444-555555555555",
    "library_id": "66666666-7777-4888-8999-000000000000",
}
ENV = {
    "GOTIPATH_API_KEY": "emulator_gotipath_key",
    "GOTIPATH_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
    "GOTIPATH_LIBRARY_ID": "66666666-7777-4888-8999-000000000000",
}
WRONG = {"api_key": "wrong_gotipath_key"}
ITEMS = {"paths": ["/index.html", "/assets/app.js?v=2"]}
SENT = {"paths": ["/index.html", "/assets/app.js?v=2"]}
# How results (paths, purge_requests[].paths) name ITEMS["paths"].
RESULT_PATHS = SENT["paths"]
PREFIX = (["/img/*", "/img/a.png", "/other.png"], "/img/*", "/img/a.png")
INVALID = [("paths", "https://cdn.example.com/a.png", "must start with /")]
PURGE_ALL = True
QUOTA = ([f"/q{index}.png" for index in range(5)], 2, 1)
EMULATOR_FIELDS = {"api_key": "api_key", "client_id": "client_id", "library_id": "library_id"}
OTHER_CREDENTIALS = {}
DENIED = 401
# Any 2xx answer is Gotipath's success (it answers {}).
UNCONFIRMED = None
PATH_TEMPLATE = "/assets/%s.js"
COMPLETE_AFTER = None
ENDPOINT = r"/v1/distributions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/purges"
INVALID_TARGET = [("distribution_id", "../../../v2/zones/http/pull/42", "is not a UUID")]


def requested(entry):
    """What a logged request asked to purge, as SENT names it, whether or not it was accepted."""
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    return list(body.get("paths") or [])


def logged(name):
    """How the emulator logs an item the module's results call name."""
    return name
