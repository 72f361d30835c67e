# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon CloudFront: invalidations of paths, wildcard paths and cache tags per distribution, signed with AWS SigV4.

Internal use only: this file is not part of the collection's public API and may change without notice.

botocore resolves the credentials (options, AWS_* variables, or its default chain) and signs every try of every
request (SigV4Auth, service cloudfront, region us-east-1): no home-made signer. Each batch carries a CallerReference
derived from idempotency_key and its paths (random per batch without a key, the same for every resend of the batch),
so CloudFront itself returns the invalidation already made to a batch resent after a lost answer.
TooManyInvalidationsInProgress is waited out (the distribution's in-progress invalidations polled every
poll_interval, within wait_timeout counted from the first purge) and the batch resent.
"""

from __future__ import annotations

import hashlib
import re
import time
import traceback
import uuid
import xml.etree.ElementTree as ET  # noqa: N817 - the stdlib's usual short name
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError, bounded
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    ALL,
    COMPLETED,
    PENDING,
    PREFIX,
    STATUS_PER_ID,
    TAG,
    URL,
    Kind,
    Option,
    PlannedItem,
    Provider,
    credential,
    shown,
)
from ansible_collections.cdnops.cdn.plugins.module_utils._site_urls import has_scheme

try:
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.exceptions import BotoCoreError

    HAS_BOTOCORE = True
    BOTOCORE_IMPORT_ERROR = None
except ImportError:
    HAS_BOTOCORE = False
    BOTOCORE_IMPORT_ERROR = traceback.format_exc()
    BotoCoreError = Exception  # never raised without botocore

try:
    from requests.auth import AuthBase
except ImportError:  # the modules fail with missing_required_lib("requests") first
    AuthBase = object  # type: ignore[misc,assignment]

API = "/2020-05-31/distribution/%s/invalidation"
NAMESPACE = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
SERVICE, REGION = "cloudfront", "us-east-1"
MAX_PATHS = 3000
# At most 15 wildcard paths may be in progress per distribution: a bigger batch could never be accepted.
MAX_WILDCARDS = 15
MAX_PATH_LENGTH = 4000
# ListInvalidations: one page of the newest invalidations answers cdn_purge_status without ids.
LIST_PAGE = 100
_DISTRIBUTION_ID = re.compile(r"^[A-Z][A-Z0-9]{5,31}\Z")
_INVALIDATION_ID = re.compile(r"^[A-Z0-9]{5,64}\Z")
_TAG = re.compile(r"^[\x21-\x7e]{1,1024}\Z")
# RFC 1738's unsafe characters (CloudFront: encode only these and non-ASCII); % stays when it starts an escape.
# ~ is left alone: RFC 3986 made it unreserved, and CloudFront invalidates the path as the viewer requests it.
_UNSAFE = set(' <>"#{}|\\^[]`')
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# CloudFront's words for a reused CallerReference (real answers use InvalidArgument, the API model the other code).
_REFERENCE_REUSED = re.compile(r"caller reference that was used", re.IGNORECASE)
_WORDS = re.compile(r"^([A-Z][A-Za-z]+): (.*)\Z", re.DOTALL)
STATUS_WORDS = {"inprogress": PENDING, "completed": COMPLETED}

ACCESS_KEY = credential(
    "access_key",
    "The access key id of an IAM user or role allowed cloudfront:CreateInvalidation, cloudfront:GetInvalidation and "
    "cloudfront:ListInvalidations. With none of C(access_key), C(secret_key), C(profile) and no E(AWS_ACCESS_KEY_ID), botocore's "
    "default credential chain is used (config files, SSO, container and instance roles).",
    "AWS_ACCESS_KEY_ID",
    aliases=("aws_access_key_id", "aws_access_key"),
)
SECRET_KEY = credential(
    "secret_key", "The secret access key that goes with C(access_key).", "AWS_SECRET_ACCESS_KEY", aliases=("aws_secret_access_key", "aws_secret_key")
)
SESSION_TOKEN = credential(
    "session_token",
    "The session token of temporary credentials (sent as C(X-Amz-Security-Token)); E(AWS_SECURITY_TOKEN) is what AWX's Amazon Web Services credential sets.",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    required=False,
    aliases=("aws_session_token",),
)
# A profile name is no secret: logged, but read from AWS_PROFILE like the CLI does (this adapter reads it).
PROFILE = Option(
    "profile", "A profile of the AWS config files whose credentials are used when no key pair is given.", env=("AWS_PROFILE",), aliases=("aws_profile",)
)


def missing_botocore() -> CdnError:
    return CdnError("%s (%s)" % (missing_required_lib("botocore"), "provider cloudfront signs its requests with it"), provider="cloudfront")


def _xml(text: Any) -> ET.Element | None:
    """The root of an XML answer, or None. Answers come from CloudFront (or what api_base_url points at): parsed
    with the stdlib, which expands no external entities."""
    try:
        return ET.fromstring(text)
    except (ET.ParseError, TypeError, ValueError):
        return None


def _find(element: ET.Element | None, path: str) -> ET.Element | None:
    """path (slash-separated local names) under element, whatever the namespace."""
    for name in path.split("/") if element is not None else ():
        element = next((child for child in element if child.tag.rsplit("}", 1)[-1] == name), None) if element is not None else None
    return element


def _text(element: ET.Element | None, path: str) -> str | None:
    found = _find(element, path)
    return found.text.strip() if found is not None and found.text else None


def error_code(text: Any) -> tuple[str | None, str | None]:
    """(Code, Message) of an ErrorResponse body."""
    root = _xml(text)
    if root is None or root.tag.rsplit("}", 1)[-1] != "ErrorResponse":
        return None, None
    return _text(root, "Error/Code"), _text(root, "Error/Message")


def refusal_words(exc: CdnError) -> tuple[str | None, str | None]:
    """(Code, Message) of the HTTP layer's failure: its provider_message is CloudFront's XML body (redacted and
    bounded), or already "Code: Message" where the layer reads the body through error_words."""
    if exc.http_status is None or not exc.provider_message:
        return None, None
    code, message = error_code(exc.provider_message)
    if code is None:
        match = _WORDS.match(exc.provider_message)
        code, message = (match.group(1), match.group(2)) if match else (None, None)
    return code, message


def invalidation_batch(paths: list[str], reference: str) -> bytes:
    """The CreateInvalidation body."""
    root = ET.Element("InvalidationBatch", xmlns=NAMESPACE)
    listed = ET.SubElement(root, "Paths")
    ET.SubElement(listed, "Quantity").text = str(len(paths))
    items = ET.SubElement(listed, "Items")
    for path in paths:
        ET.SubElement(items, "Path").text = path
    ET.SubElement(root, "CallerReference").text = reference
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")


def encode_path(path: str) -> str:
    """path as CloudFront wants it: non-ASCII and unsafe characters percent-encoded, nothing else touched."""
    out = []
    for index, char in enumerate(path):
        if char == "%" and _ESCAPE.match(path, index):
            out.append(char)
        elif char == "%" or char in _UNSAFE or ord(char) > 0x7E:
            out.extend("%%%02X" % byte for byte in char.encode("utf-8"))
        else:
            out.append(char)
    return "".join(out)


class SigV4(AuthBase):
    """requests auth: every try (retries included) signed anew by botocore's SigV4Auth for CloudFront."""

    def __init__(self, credentials: Any) -> None:
        self.signer = SigV4Auth(credentials, SERVICE, REGION)

    def __call__(self, request: Any) -> Any:
        body = request.body or b""
        # Only the headers a proxy cannot change are signed (Host, X-Amz-*, Content-Type): Connection and
        # Accept-Encoding may be rewritten on the way.
        headers = {name: value for name, value in request.headers.items() if name.lower() == "content-type"}
        signed = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        self.signer.add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        return request


class CloudFront(Provider):
    name = "cloudfront"
    title = "Amazon CloudFront"
    default_api_base_url = "https://cloudfront.amazonaws.com"
    options = (
        Option("distribution_id", "Required. The distribution id, like V(E2QWRUHAPOMQZL) (uppercase letters and digits).", required=True),
        ACCESS_KEY,
        SECRET_KEY,
        SESSION_TOKEN,
        PROFILE,
    )
    kinds = {URL: Kind(MAX_PATHS, MAX_PATHS), PREFIX: Kind(MAX_WILDCARDS, MAX_WILDCARDS), TAG: Kind(MAX_PATHS, MAX_PATHS), ALL: Kind()}
    status_model = STATUS_PER_ID
    lists_recent_purges = True
    status_words = {"InProgress": PENDING, "Completed": COMPLETED}
    # A batch resent after a lost answer carries the same CallerReference: CloudFront answers with the invalidation it
    # already made, so nothing is accepted twice (the runner reports no maybe_accepted_twice).
    idempotent_purges = True
    # Invalidations take 1-15 minutes, sometimes 40: botocore's 10-minute waiter gives up too soon.
    default_wait_timeout = 1800
    default_poll_interval = 20.0

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        distribution = params["distribution_id"]
        if not isinstance(distribution, str) or not _DISTRIBUTION_ID.match(distribution):
            raise CdnError(
                "distribution_id=%s must be a CloudFront distribution id: an uppercase letter, then 5 to 31 uppercase letters and "
                "digits, like E2QWRUHAPOMQZL" % shown(distribution),
                provider=self.name,
            )
        self.distribution_id: str = distribution
        self.credentials: Any = None
        self.resolved: dict[str, str] | None = None
        # Set by the first purge: every wait for room among the in-progress invalidations ends before it.
        self.deadline: float | None = None
        # Batch content -> its CallerReference without a key: the same for every resend of the batch.
        self.references: dict[tuple[str, ...], str] = {}

    def target_id(self) -> str:
        return self.distribution_id

    # --- credentials ---------------------------------------------------------------------------------------------
    def credential_values(self) -> dict[str, str]:
        """The key pair (and token) from options or AWS_* variables, else botocore's chain (with profile); resolved once
        per run (the runner asks before planning and again for the session: the chain may ask an instance role)."""
        if not HAS_BOTOCORE:
            raise missing_botocore()
        if self.resolved is not None:
            return dict(self.resolved)
        values: dict[str, str] = {}
        for option in (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN):
            value = self.credential_value(option)
            if value:
                values[option.name] = self.checked_credential("option %s" % option.name, value)
        if ("access_key" in values) != ("secret_key" in values):
            given, missing = ("access_key", "secret_key") if "access_key" in values else ("secret_key", "access_key")
            raise CdnError(
                "option %s is given (or its AWS_* variable) but %s is not: give both, or neither to use botocore's credential chain" % (given, missing),
                provider=self.name,
            )
        if "access_key" in values:
            self.credentials = Credentials(values["access_key"], values["secret_key"], values.get("session_token"))
        else:
            self.credentials = self._chain()
            values = {"access_key": self.credentials.access_key, "secret_key": self.credentials.secret_key}
            if self.credentials.token:
                values["session_token"] = self.credentials.token
        self.secrets = tuple(values.values())
        self.resolved = dict(values)
        return values

    def _chain(self) -> Any:
        profile = self.params.get("profile") or self.credential_value(PROFILE)
        try:
            found = botocore.session.Session(profile=profile or None).get_credentials()
            frozen = found.get_frozen_credentials() if found is not None else None
        except BotoCoreError as exc:
            # ProfileNotFound, a broken config file, a failed SSO or role refresh: botocore's words name it.
            raise CdnError("%s: botocore could not resolve AWS credentials: %s" % (self.name, bounded(str(exc), ())), provider=self.name) from None
        if frozen is None or not frozen.access_key or not frozen.secret_key:
            raise CdnError(
                "no AWS credentials for provider cloudfront: give access_key and secret_key (or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, with session_token / AWS_SESSION_TOKEN for temporary credentials), or a profile "
                "(profile / AWS_PROFILE), or set up botocore's default chain (config files, SSO, container or instance role)%s"
                % (" (profile %s found nothing)" % shown(profile) if profile else ""),
                provider=self.name,
            )
        return frozen

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        if self.credentials is None:
            self.credential_values()
        return {"Accept": "application/xml"}, SigV4(self.credentials)

    # --- planning ------------------------------------------------------------------------------------------------
    def plan_path(self, path: str) -> PlannedItem:
        if has_scheme(path):
            raise self.invalid_path(path, "CloudFront invalidates paths of the distribution: give the path without scheme or host, like /img/a.png")
        if not path.startswith("/"):
            raise self.invalid_path(path, "must start with / (a path of the distribution, like /img/a.png)")
        if "*" in path[:-1]:
            raise self.invalid_path(path, "CloudFront takes * only as the last character of a path (a wildcard path, like /images/*)")
        value = encode_path(path)
        if len(value) > MAX_PATH_LENGTH:
            raise self.invalid_path(path, "CloudFront takes at most %d characters per path (%d once encoded)" % (MAX_PATH_LENGTH, len(value)))
        if value.endswith("*"):
            return PlannedItem(value, PREFIX, prefix=value[:-1])
        return PlannedItem(value, URL)

    def plan_tag(self, tag: str) -> PlannedItem:
        if not _TAG.match(tag) or tag.startswith("#") or "*" in tag:
            raise CdnError(
                "tag %s is not valid for cloudfront: 1 to 1024 printable ASCII characters without spaces, * or a leading # "
                "(the module sends it as #tag)" % shown(tag),
                provider=self.name,
            )
        return PlannedItem("#" + tag, TAG, key="tag:" + tag)

    # --- requests ------------------------------------------------------------------------------------------------
    def caller_reference(self, kind: str, paths: list[str]) -> str:
        """Derived from idempotency_key and the batch's content: a rerun resends the same batch under the same
        reference (CloudFront answers with the invalidation it made), new paths get a new one. Without a key: random
        per batch, kept for every resend of that batch."""
        content = (kind, *sorted(paths))
        key = self.params.get("idempotency_key")
        if key is None:
            return self.references.setdefault(content, "cdnops-" + uuid.uuid4().hex)
        digest = hashlib.sha256("\n".join((key, self.distribution_id, *content)).encode("utf-8")).hexdigest()
        return "cdnops-%s" % digest[:48]

    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        paths = ["/*"] if kind == ALL else list(values)
        what = "invalidation of everything (/*) in distribution %s" % self.distribution_id if kind == ALL else "invalidation of %d paths" % len(paths)
        body = invalidation_batch(paths, self.caller_reference(kind, paths))
        if self.deadline is None:
            self.deadline = time.monotonic() + self.params["wait_timeout"]
        while True:
            # Every refusal is a 4xx the HTTP layer raises (Throttling retried first, by the throttled hook); only
            # TooManyInvalidationsInProgress is waited out here.
            try:
                response = client.request("POST", API % self.distribution_id, what, ok=(200, 201), data=body, headers={"Content-Type": "application/xml"})
                break
            except CdnError as exc:
                code, message = refusal_words(exc)
                if code != "TooManyInvalidationsInProgress":
                    raise self.refusal(exc, what, code, message) from None
                self.wait_for_room(client, message, what)
        root = _xml(response.content)
        request_id = _text(root, "Id")
        if request_id is None or not _INVALIDATION_ID.match(request_id):
            raise self.no_usable_id(response, what, "invalidation Id")
        return request_id

    def refusal(self, exc: CdnError, what: str, code: str | None, message: str | None) -> CdnError:
        """The HTTP layer's failure, told in CloudFront's words (Code: Message) with what to do about it."""
        if code is None or exc.http_status is None:
            return exc
        advice = ""
        if code == "InvalidationBatchAlreadyExists" or (code == "InvalidArgument" and _REFERENCE_REUSED.search(message or "")):
            advice = (
                "; its CallerReference (derived from idempotency_key and the batch's paths) was used before for other paths: "
                "use a new idempotency_key, or leave it out"
            )
        elif code == "NoSuchDistribution":
            advice = "; check distribution_id (the CloudFront console lists distribution ids)"
        elif code == "AccessDenied":
            advice = "; the credentials need cloudfront:CreateInvalidation, cloudfront:GetInvalidation and cloudfront:ListInvalidations"
        elif code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "MissingAuthenticationToken"):
            advice = "; check the credentials: secret_key must go with access_key, temporary credentials need their session_token, and they expire"
        elif code == "BatchTooLarge":
            advice = "; CloudFront takes at most %d paths per invalidation" % MAX_PATHS
        words = "%s: %s" % (code, message or "")
        # Throttling and 5xx keep the HTTP layer's message, which says how often they were retried.
        text = exc.message if code == "Throttling" or exc.http_status >= 500 else "%s: %s failed: HTTP %d: %s" % (self.name, what, exc.http_status, words)
        return CdnError(text + advice, provider=self.name, http_status=exc.http_status, provider_message=words, details=exc.details)

    def wait_for_room(self, client: Any, message: str | None, what: str) -> None:
        """Poll the distribution's in-progress invalidations until one listed now is done, then return (to resend)."""
        interval = self.params["poll_interval"]
        busy = self.in_progress(client)
        while True:
            deadline = self.deadline if self.deadline is not None else time.monotonic()
            if time.monotonic() + interval > deadline:
                raise CdnError(
                    "%s: %s was refused: TooManyInvalidationsInProgress (%s); waiting for the %d invalidations in progress of "
                    "distribution %s (%s) would pass wait_timeout=%ss. CloudFront allows 3000 file paths and 15 wildcard paths "
                    "in progress per distribution: raise wait_timeout, or purge fewer wildcard paths"
                    % (
                        self.name,
                        what,
                        message or "",
                        len(busy),
                        self.distribution_id,
                        ", ".join(sorted(busy)[:10]),
                        self.params["wait_timeout"],
                    ),
                    provider=self.name,
                    http_status=400,
                    provider_message="TooManyInvalidationsInProgress",
                )
            time.sleep(interval)
            now = self.in_progress(client)
            if not busy or not busy <= now:
                return

    def in_progress(self, client: Any) -> set[str]:
        return {entry["request_id"] for entry in self.purge_list(client) if self.contract_status(entry["status"]) == PENDING}

    # --- status --------------------------------------------------------------------------------------------------
    def check_request_id(self, request_id: Any) -> None:
        super().check_request_id(request_id)
        if not _INVALIDATION_ID.match(request_id):
            raise CdnError(
                "request_id %s is not a valid cloudfront invalidation id (5 to 64 uppercase letters and digits)" % shown(request_id), provider=self.name
            )

    def contract_status(self, provider_status: Any) -> str | None:
        # moto answers COMPLETED, CloudFront Completed: compared without case.
        return STATUS_WORDS.get(provider_status.casefold()) if isinstance(provider_status, str) else None

    def statuses(self, client: Any, request_ids: list[str], concurrency: int = 1) -> dict[str, str]:
        def one(request_id: str) -> str:
            response = client.request("GET", (API % self.distribution_id) + "/" + request_id, "reading invalidation %s" % request_id)
            root = _xml(response.content)
            status = _text(root, "Status")
            if status is None:
                raise CdnError("%s: the answer for invalidation %s has no Status (HTTP %d)" % (self.name, request_id, response.status_code), provider=self.name)
            return status

        if concurrency <= 1 or len(request_ids) <= 1:
            return {request_id: one(request_id) for request_id in request_ids}
        with ThreadPoolExecutor(max_workers=min(concurrency, len(request_ids))) as pool:
            return dict(zip(request_ids, pool.map(one, request_ids), strict=True))

    def purge_list(self, client: Any) -> list[dict[str, Any]]:
        """The newest invalidations of the distribution (one page of ListInvalidations); paths are not listed there."""
        response = client.request(
            "GET", API % self.distribution_id, "listing the invalidations of distribution %s" % self.distribution_id, params={"MaxItems": LIST_PAGE}
        )
        root = _xml(response.content)
        items = _find(root, "Items")
        if root is None or (items is None and _text(root, "Quantity") not in ("0", None)):
            raise CdnError("%s: the invalidation list is not CloudFront's XML (HTTP %d)" % (self.name, response.status_code), provider=self.name)
        entries = []
        for summary in items if items is not None else ():
            request_id = _text(summary, "Id")
            if request_id and _INVALIDATION_ID.match(request_id):
                entries.append({"request_id": request_id, "created_at": _text(summary, "CreateTime"), "status": _text(summary, "Status"), "paths": None})
        return entries

    def statuses_from_list(self, entries: list[dict[str, Any]], request_ids: list[str] | None) -> dict[str, str]:
        listed = {entry["request_id"]: entry["status"] for entry in entries}
        if request_ids is None:
            return listed
        return {request_id: listed[request_id] for request_id in request_ids if request_id in listed}

    # --- hooks of the shared HTTP layer --------------------------------------------------------------------------
    def throttled(self, response: Any) -> bool:
        # CloudFront throttles with 400 Throttling ("Rate exceeded"), without Retry-After: backed off like a 429.
        return response.status_code == 400 and error_code(response.content)[0] == "Throttling"

    def error_words(self, body: Any) -> list[str]:
        if isinstance(body, (str, bytes)):
            code, message = error_code(body)
            return ["%s: %s" % (code, message)] if code else []
        return super().error_words(body)
