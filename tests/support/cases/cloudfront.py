"""Amazon CloudFront: invalidations of up to 3000 paths (wildcard paths and #tags in the same list) per distribution,
signed with SigV4 (the emulator verifies the signature); status per invalidation id, InProgress -> Completed."""

import xml.etree.ElementTree as ET

NAME = "cloudfront"
TARGET = {"distribution_id": "E2QWRUHAPOMQZL"}
CREDENTIALS = {"access_key": "AKIAEMULATORCLOUDFRONT", "secret_key": "emulatorCloudFrontSecret/0123456789+abcdefXYZ"}
ENV = {"AWS_ACCESS_KEY_ID": "AKIAEMULATORCLOUDFRONT", "AWS_SECRET_ACCESS_KEY": "emulatorCloudFrontSecret/0123456789+abcdefXYZ"}
WRONG = {"access_key": "AKIAEMULATORCLOUDFRONT", "secret_key": "wrongCloudFrontSecret/0123456789+abcdefXYZ"}
ITEMS = {"paths": ["/img/a.png", "/css/site.css?v=2"], "tags": ["product-42", "release"]}
# The emulator logs cache tags by name (CloudFront gets them as #product-42 items in the paths list).
SENT = {"paths": ["/img/a.png", "/css/site.css?v=2"], "tags": ["product-42", "release"]}
RESULT_PATHS = SENT["paths"]
PREFIX = (["/img/*", "/img/a.png", "/other.png"], "/img/*", "/img/a.png")
INVALID = [
    ("paths", "/img/*.png", "* only as the last character"),
    ("paths", "https://www.example.com/a.png", "without scheme or host"),
    ("paths", "img/a.png", "must start with /"),
    ("tags", "#release", "a leading #"),
]
PURGE_ALL = True
QUOTA = ([f"/q{index}.png" for index in range(5)], 2, 1)
EMULATOR_FIELDS = {"access_key": "access_key_id", "secret_key": "secret_access_key"}
# Temporary credentials: a second key pair with its session token (the emulator's session_* fields).
OTHER_CREDENTIALS = {
    "session": (
        {
            "access_key": "ASIAEMULATORCLOUDFRONT",
            "secret_key": "emulatorCloudFrontSessionSecret/9876543210+zyx",
            "session_token": "emulatorCloudFrontSessionToken0123456789abcdefghijklmnopqrstuvwxyz",
        },
        {"access_key": "AWS_ACCESS_KEY_ID", "secret_key": "AWS_SECRET_ACCESS_KEY", "session_token": "AWS_SESSION_TOKEN"},
        {"access_key": "session_access_key_id", "secret_key": "session_secret_access_key", "session_token": "session_token"},
    )
}
# Proposed field (no suite reads it yet): credentials that only sign and never travel (SigV4 sends the access key id
# and the session token, never the secret key), so "the credential went out" cannot be checked on the wire for them.
SIGNING_ONLY = ("secret_key",)
# A wrong secret key: the signature does not match (SignatureDoesNotMatch).
DENIED = 403
# A 200 that is not an Invalidation carries no Id.
UNCONFIRMED = "invalidation Id"
PATH_TEMPLATE = "/img/%s.png"
COMPLETE_AFTER = "cloudfront_complete_after"
# Create and read invalidations of the distribution; the list when waiting for room among in-progress invalidations.
ENDPOINT = r"/2020-05-31/distribution/[A-Z0-9]+/invalidation(/[A-Z0-9]+)?(\?MaxItems=[0-9]+)?"
INVALID_TARGET = [("distribution_id", "../../invalidation", "distribution_id"), ("distribution_id", "e2qwruhapomqzl", "distribution_id")]
EMULATOR_CONFIG = {"cloudfront_complete_after": 0.5}


def requested(entry):
    """The paths of a logged CreateInvalidation, as sent, whether or not it was accepted."""
    try:
        root = ET.fromstring(entry["body_text"] or "")
    except ET.ParseError:
        return []
    paths = [element.text or "" for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "Path"]
    return [path[1:] if path.startswith("#") else path for path in paths]


def logged(name):
    """How the emulator logs an item the module's results call name (tags by name, without tag:)."""
    return name[len("tag:") :] if name.startswith("tag:") else name
