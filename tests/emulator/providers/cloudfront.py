"""Amazon CloudFront invalidations: POST/GET /2020-05-31/distribution/{id}/invalidation[/{inv_id}], XML in and out.

Every request must be signed with AWS SigV4 for service cloudfront in us-east-1 by one of the configured key pairs
(the session pair also needs its X-Amz-Security-Token); the signature is recomputed here from the specification
(stdlib only; the tests sign with botocore and boto3): a missing or wrong signature is a 403, as on AWS. An invalidation reads InProgress
until cloudfront_complete_after seconds have passed, then Completed. CallerReference: the same reference with the
same paths answers the invalidation already made (201, logged replayed: true), with other paths it is an
InvalidArgument. At most 3000 paths a batch (BatchTooLarge, 413); at most 3000 file paths and 15 wildcard paths in
progress per distribution (TooManyInvalidationsInProgress, 400). cloudfront_throttle_next answers the next N requests
400 Throttling (not processed); cloudfront_denied_actions answers 403 AccessDenied for the actions listed.
Errors are <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
"""

import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import quote
from xml.sax.saxutils import escape

from core.api import ConfigError, Reply, number, same_secret, str_list

NAME = "cloudfront"
CREDENTIALS = {
    "access_key_id": "AKIAEMULATORCLOUDFRONT",
    "secret_access_key": "emulatorCloudFrontSecret/0123456789+abcdefXYZ",
    # Temporary credentials: this second pair is accepted only with its session token.
    "session_access_key_id": "ASIAEMULATORCLOUDFRONT",
    "session_secret_access_key": "emulatorCloudFrontSessionSecret/9876543210+zyx",
    "session_token": "emulatorCloudFrontSessionToken0123456789abcdefghijklmnopqrstuvwxyz",
}
NAMESPACE = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
SERVICE, REGION = "cloudfront", "us-east-1"
MAX_PATHS = 3000
MAX_PATH_LENGTH = 4000
ACTIONS = ("CreateInvalidation", "GetInvalidation", "ListInvalidations")
LIST_QUERY = ("Marker", "MaxItems")
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})"
)
_DATE = re.compile(r"\d{8}T\d{6}Z")
_DISTRIBUTION = r"[A-Z][A-Z0-9]{5,31}"
# Characters a path must carry percent-encoded (RFC 1738's unsafe ones, controls, non-ASCII); % only as an escape.
_UNSAFE = re.compile(r'[\x00-\x20<>"{}|\\^\[\]`\x7f-\U0010ffff]|%(?![0-9A-Fa-f]{2})')
ERROR_CONTENT_TYPE = "text/xml"
LOG_FIELDS = {"caller_reference": None, "replayed": None}


def _actions(key, value, _current):
    listed = str_list(key, value) if value else []
    if not set(listed) <= set(ACTIONS):
        raise ConfigError(f"config key '{key}' must list actions among {', '.join(ACTIONS)}")
    return listed


CONFIG = {
    "cloudfront_distributions": (["E2QWRUHAPOMQZL"], lambda k, v, _c: str_list(k, v, _DISTRIBUTION, "distribution ids (uppercase letters and digits)")),
    "cloudfront_complete_after": (2.0, lambda k, v, _c: number(k, v)),
    "cloudfront_max_in_progress_files": (3000, lambda k, v, _c: number(k, v, lo=1, integer=True)),
    "cloudfront_max_in_progress_wildcards": (15, lambda k, v, _c: number(k, v, lo=1, integer=True)),
    # The next N requests get 400 Throttling "Rate exceeded" (not processed).
    "cloudfront_throttle_next": (0, lambda k, v, _c: number(k, v, integer=True)),
    "cloudfront_denied_actions": ([], _actions),
}
CLI_FLAGS = (("--cloudfront-complete-after", "cloudfront_complete_after", float, "seconds until a CloudFront invalidation reads Completed"),)


def now_text(epoch):
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


class State:
    """Invalidations per distribution, newest last."""

    def __init__(self):
        self.lock = threading.Lock()
        self.invalidations = {}

    def complete(self):
        with self.lock:
            pending = [record for records in self.invalidations.values() for record in records if not record["done"]]
            for record in pending:
                record["done"] = True
            return len(pending)

    def records(self, distribution, complete_after):
        """Every invalidation of the distribution with its status now, oldest first."""
        now = time.time()
        with self.lock:
            records = [dict(record) for record in self.invalidations.get(distribution, [])]
        for record in records:
            record["status"] = "Completed" if record["done"] or now - record["created"] >= complete_after else "InProgress"
        return records

    def create(self, call, distribution, paths, reference):
        """(record, replayed, error reply): the CallerReference rule, the in-progress limits, then a new invalidation."""
        cfg = call.config
        with self.lock:
            records = self.invalidations.setdefault(distribution, [])
            earlier = next((record for record in records if record["reference"] == reference), None)
            if earlier is not None:
                if sorted(earlier["paths"]) == sorted(paths):
                    return earlier, True, None
                return (
                    None,
                    False,
                    error(
                        400,
                        "InvalidArgument",
                        "Your request contains a caller reference that was used for a previous invalidation batch for the same distribution.",
                    ),
                )
            now = time.time()
            busy = [path for record in records if not record["done"] and now - record["created"] < cfg["cloudfront_complete_after"] for path in record["paths"]]
            wildcards = sum(path.endswith("*") for path in paths)
            if (
                sum(path.endswith("*") for path in busy) + wildcards > cfg["cloudfront_max_in_progress_wildcards"]
                or len(busy) - sum(path.endswith("*") for path in busy) + len(paths) - wildcards > cfg["cloudfront_max_in_progress_files"]
            ):
                return (
                    None,
                    False,
                    error(
                        400,
                        "TooManyInvalidationsInProgress",
                        "Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.",
                    ),
                )
            if not call.use_quota():
                return None, False, error(403, "AccessDenied", "The invalidation quota of this account is used up.")
            record = {"id": "I" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _position in range(13)), "paths": list(paths)}
            record.update(reference=reference, created=now, done=False)
            records.append(record)
            return record, False, None


def error(status, code, message, kind="Sender"):
    body = (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Reply(status, raw=body.encode("utf-8"), content_type="text/xml", headers={"x-amz-request-id": str(uuid.uuid4())})


def error_body(status, message):
    """An emulated fault in CloudFront's XML (the core sends bytes as they are)."""
    code = "Throttling" if status == 429 else "ServiceUnavailable" if status == 503 else "InternalFailure"
    return error(status, code, message, "Receiver" if status >= 500 else "Sender").raw


def xml_reply(status, text, headers=None):
    body = '<?xml version="1.0"?>\n' + text
    return Reply(status, raw=body.encode("utf-8"), content_type="text/xml", headers=dict({"x-amz-request-id": str(uuid.uuid4())}, **(headers or {})))


def invalidation_xml(record, status):
    items = "".join(f"<Path>{escape(path)}</Path>" for path in record["paths"])
    return (
        f'<Invalidation xmlns="{NAMESPACE}"><Id>{record["id"]}</Id><Status>{status}</Status><CreateTime>{now_text(record["created"])}</CreateTime>'
        f"<InvalidationBatch><Paths><Quantity>{len(record['paths'])}</Quantity><Items>{items}</Items></Paths>"
        f"<CallerReference>{escape(record['reference'])}</CallerReference></InvalidationBatch></Invalidation>"
    )


def authenticate(call, action):
    """None when the request is signed by a configured key pair for cloudfront in us-east-1, else the 403."""
    header = call.headers.get("Authorization")
    amz_date = call.headers.get("X-Amz-Date") or ""
    if not header:
        return error(403, "MissingAuthenticationToken", "Missing Authentication Token")
    match = _AUTH.fullmatch(header.strip())
    if not match or not _DATE.fullmatch(amz_date):
        return error(400, "IncompleteSignature", "Authorization header requires Credential, SignedHeaders and Signature, and X-Amz-Date is required.")
    key_id, day, region, service, signed_names, signature = match.groups()
    if region != REGION:
        return error(403, "SignatureDoesNotMatch", f"Credential should be scoped to a valid region, not '{region}'.")
    if service != SERVICE:
        return error(403, "SignatureDoesNotMatch", f"Credential should be scoped to correct service: '{SERVICE}'.")
    if day != amz_date[:8]:
        return error(403, "SignatureDoesNotMatch", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.")
    creds = call.credentials
    pairs = {
        creds["access_key_id"]: (creds["secret_access_key"], None),
        creds["session_access_key_id"]: (creds["session_secret_access_key"], creds["session_token"]),
    }
    if key_id not in pairs:
        return error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    secret, token = pairs[key_id]
    given_token = call.headers.get("X-Amz-Security-Token")
    if token is not None and not same_secret(given_token, token) or token is None and given_token is not None:
        return error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    names = signed_names.split(";")
    if "host" not in names or (given_token is not None and "x-amz-security-token" not in names) or "x-amz-date" not in names:
        return error(403, "SignatureDoesNotMatch", "The request signature must sign host, x-amz-date and x-amz-security-token.")
    if not same_secret(signature, expected_signature(call, secret, names, amz_date)):
        return error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        )
    if action in call.config["cloudfront_denied_actions"]:
        return error(
            403,
            "AccessDenied",
            f"User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: cloudfront:{action} "
            f"because no identity-based policy allows the cloudfront:{action} action",
        )
    return None


def expected_signature(call, secret, names, amz_date):
    """The SigV4 signature of the request as received, over the headers it names (AWS's documented algorithm,
    written here from the specification: the tests sign with botocore, so two implementations must agree)."""
    pairs = sorted(pair.partition("=")[::2] for pair in call.query.split("&")) if call.query else []
    canonical = "\n".join(
        (
            call.method,
            quote(call.path or "/", safe="/~"),
            "&".join("%s=%s" % pair for pair in pairs),
            "".join("%s:%s\n" % (name, " ".join(call.headers.get(name, "").split())) for name in names),
            ";".join(names),
            hashlib.sha256(call.body or b"").hexdigest(),
        )
    )
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], REGION, SERVICE)
    string_to_sign = "\n".join(("AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()))
    key = ("AWS4" + secret).encode("utf-8")
    for part in (amz_date[:8], REGION, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def gate(call, action):
    """Auth, throttling and the distribution: (distribution id, None) or (None, error reply)."""
    denied = authenticate(call, action)
    if denied:
        return None, denied
    if call.consume("cloudfront_throttle_next"):
        return None, error(400, "Throttling", "Rate exceeded")
    distribution = call.params[0]
    if distribution not in call.config["cloudfront_distributions"]:
        return None, error(404, "NoSuchDistribution", "The specified distribution does not exist.")
    return distribution, None


def local(element):
    return element.tag.rsplit("}", 1)[-1]


def child(element, name):
    return next((item for item in element if local(item) == name), None)


def parse_batch(body):
    """(paths, caller reference, None) from an InvalidationBatch, else (None, None, error reply)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None, None, error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
    if root.tag != "{%s}InvalidationBatch" % NAMESPACE:
        return None, None, error(400, "MalformedInput", f"The root element must be InvalidationBatch in the namespace {NAMESPACE}.")
    paths_element, reference_element = child(root, "Paths"), child(root, "CallerReference")
    quantity = child(paths_element, "Quantity") if paths_element is not None else None
    if reference_element is None or not (reference_element.text or "").strip() or quantity is None:
        return None, None, error(400, "MalformedInput", "InvalidationBatch needs Paths (with Quantity) and a non-empty CallerReference.")
    items = child(paths_element, "Items")
    paths = [item.text or "" for item in items if local(item) == "Path"] if items is not None else []
    if not (quantity.text or "").strip().isdigit() or int(quantity.text) != len(paths):
        return None, None, error(400, "InconsistentQuantities", "The value of Quantity and the size of Items don't match.")
    if not paths:
        return None, None, error(400, "InvalidArgument", "Your request is missing paths to invalidate.")
    if len(paths) > MAX_PATHS:
        return None, None, error(413, "BatchTooLarge", f"Invalidation batch specified is too large: at most {MAX_PATHS} paths.")
    for path in paths:
        reason = path_problem(path)
        if reason:
            return None, None, error(400, "InvalidArgument", f"Your request contains one or more invalid invalidation paths: {path!r} {reason}.")
    return paths, reference_element.text.strip(), None


def path_problem(path):
    if not path.startswith(("/", "#")):
        return "must start with / (or # for a cache tag)"
    if len(path) > MAX_PATH_LENGTH:
        return f"is longer than {MAX_PATH_LENGTH} characters"
    if "*" in path[:-1]:
        return "has * other than as its last character"
    if _UNSAFE.search(path):
        return "has a character that must be URL-encoded (non-ASCII or unsafe)"
    return None


def create(call):
    distribution, problem = gate(call, "CreateInvalidation")
    if problem:
        return problem
    paths, reference, problem = parse_batch(call.body)
    if problem:
        return problem
    call.log(purge_kind="invalidation", caller_reference=reference)
    record, replayed, problem = call.store.create(call, distribution, paths, reference)
    if problem:
        return problem
    status = call.store.records(distribution, call.config["cloudfront_complete_after"])
    current = next(item["status"] for item in status if item["id"] == record["id"])
    # Logged as items are named elsewhere: paths as sent, cache tags by name (without the # that marks them).
    purged = [path[1:] if path.startswith("#") else path for path in record["paths"]]
    call.accepted(record["id"], purged, purge_all=record["paths"] == ["/*"], purge_kind="invalidation", caller_reference=reference, replayed=replayed)
    location = f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{distribution}/invalidation/{record['id']}"
    return xml_reply(201, invalidation_xml(record, current), {"Location": location})


def get_one(call):
    distribution, problem = gate(call, "GetInvalidation")
    if problem:
        return problem
    wanted = call.params[1]
    record = next((item for item in call.store.records(distribution, call.config["cloudfront_complete_after"]) if item["id"] == wanted), None)
    if record is None:
        return error(404, "NoSuchInvalidation", "The specified invalidation does not exist.")
    call.log(request_id=wanted)
    return xml_reply(200, invalidation_xml(record, record["status"]))


def list_all(call):
    distribution, problem = gate(call, "ListInvalidations")
    if problem:
        return problem
    query = dict(call.query_pairs)
    if set(query) - set(LIST_QUERY):
        return error(400, "InvalidArgument", f"Unknown query parameter: {sorted(set(query) - set(LIST_QUERY))[0]}.")
    size = query.get("MaxItems", "100")
    if not size.isdigit() or not 1 <= int(size) <= 1000:
        return error(400, "InvalidArgument", "MaxItems must be an integer from 1 to 1000.")
    records = list(reversed(call.store.records(distribution, call.config["cloudfront_complete_after"])))
    marker = query.get("Marker", "")
    if marker:
        ids = [record["id"] for record in records]
        records = records[ids.index(marker) + 1 :] if marker in ids else []
    page, more = records[: int(size)], len(records) > int(size)
    items = "".join(
        f"<InvalidationSummary><Id>{record['id']}</Id><CreateTime>{now_text(record['created'])}</CreateTime>"
        f"<Status>{record['status']}</Status></InvalidationSummary>"
        for record in page
    )
    next_marker = f"<NextMarker>{page[-1]['id']}</NextMarker>" if more else ""
    text = (
        f'<InvalidationList xmlns="{NAMESPACE}"><Marker>{escape(marker)}</Marker>{next_marker}<MaxItems>{size}</MaxItems>'
        f"<IsTruncated>{'true' if more else 'false'}</IsTruncated><Quantity>{len(page)}</Quantity>"
        f"{'<Items>' + items + '</Items>' if page else ''}</InvalidationList>"
    )
    return xml_reply(200, text)


ROUTES = (
    ("POST", r"/2020-05-31/distribution/([^/]+)/invalidation", "purge", create),
    ("GET", r"/2020-05-31/distribution/([^/]+)/invalidation/([^/]+)", "status", get_one),
    ("GET", r"/2020-05-31/distribution/([^/]+)/invalidation", "list", list_all),
)
