# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Akamai Fast Purge v3: URLs, cache tags or CP codes, one object type per request, batches sized by their encoded
body; EdgeGrid signing by edgegrid-python; no status API (waiting means waiting the estimatedSeconds Akamai gives).

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import configparser
import json
import math
import os
import re
import traceback
from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    ALL,
    CP_CODE,
    KINDS,
    REQUEST_ID,
    STATUS_NONE,
    TAG,
    URL,
    Accepted,
    Batch,
    Kind,
    Option,
    PlannedItem,
    Provider,
    credential,
    shown,
)
from ansible_collections.cdnops.cdn.plugins.module_utils._site_urls import URL_ENDPOINT_DESCRIPTION, absolute_url, check_url_endpoint, validate_base_url

try:
    from akamai.edgegrid import EdgeGridAuth, EdgeRc

    HAS_EDGEGRID = True
    EDGEGRID_IMPORT_ERROR = None
except ImportError:
    HAS_EDGEGRID = False
    EDGEGRID_IMPORT_ERROR = traceback.format_exc()

# Akamai refuses a body above 50,000 bytes with 413: requests are cut by their encoded size, not by a count.
MAX_BODY_BYTES = 50000
BY_SIZE = "as many as fit in a %d-byte request body" % MAX_BODY_BYTES
NETWORKS = ("production", "staging")
DEFAULT_NETWORK = "production"
DEFAULT_EDGERC = "~/.edgerc"
DEFAULT_SECTION = "default"
TOKENS = ("client_token", "client_secret", "access_token")
# The URL path word of each kind: /ccu/v3/{action}/{object type}/{network}.
OBJECT_TYPE = {URL: "url", TAG: "tag", CP_CODE: "cpcode"}
# 429 without Retry-After: Akamai's own headers (one per token bucket: requests, objects), else its documented 5 s.
REFRESH_HEADER = "x-ratelimit-seconds-to-refresh-limit"
DEFAULT_RATE_LIMIT_WAIT = 5.0
# An estimate beyond a day is not an estimate of a purge: the answer is not what this module knows.
MAX_ESTIMATED_SECONDS = 86400
# Akamai's cache tag rules: at most 128 characters, RFC 7230 token characters (no space, comma, colon, slash...).
_TAG = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}\Z")
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?\Z")
# Akamai CP codes are positive integers (seven digits today); the bound keeps a typo from being sent.
MAX_CP_CODE = 2**31 - 1

NO_STATUS_API = (
    "provider akamai has no purge status API: Fast Purge v3 only answers each purge with an estimate (estimatedSeconds, "
    "typically about 5 s). Use cdn_purge with wait: true, which waits the largest estimate of the purge requests it sent"
)


def encoded(values: list[Any]) -> bytes:
    """The body of a purge request as it is sent (and as its size is counted)."""
    return json.dumps({"objects": values}).encode("utf-8")


class Akamai(Provider):
    name = "akamai"
    title = "Akamai"
    # No common host: each API client has its own, from .edgerc, api_base_url or AKAMAI_HOST. This is its shape, for
    # the docs; it is never sent to: credential_values() always sets the client's own host or fails.
    default_api_base_url = "https://akab-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx.purge.akamaiapis.net"
    base_url_env = ("AKAMAI_HOST",)
    options = (
        Option(
            "network",
            "The Akamai network to purge: V(production) (the default when omitted) or V(staging).",
            choices=NETWORKS,
        ),
        Option("url_endpoint", URL_ENDPOINT_DESCRIPTION),
        Option(
            "edgerc",
            "The C(.edgerc) file with the API client's C(host), C(client_token), C(client_secret) and C(access_token); "
            "default V(~/.edgerc). Read unless the three tokens are given. C(api_base_url) overrides its C(host).",
            type="path",
            env=("AKAMAI_EDGERC",),
        ),
        Option(
            "edgerc_section",
            "The section of the C(.edgerc) file to read (default V(default)).",
            env=("AKAMAI_EDGERC_SECTION",),
        ),
        # Required: each must resolve, from the task, the environment or the .edgerc section (credential_values).
        credential(
            "client_token",
            "The API client's client token; with C(client_secret) and C(access_token) instead of an C(.edgerc) file, the "
            "host then in C(api_base_url) or E(AKAMAI_HOST).",
            "AKAMAI_CLIENT_TOKEN",
        ),
        credential("client_secret", "The API client's client secret (signs every request; never sent).", "AKAMAI_CLIENT_SECRET"),
        credential("access_token", "The API client's access token.", "AKAMAI_ACCESS_TOKEN"),
    )
    # No count limit: requests are cut at MAX_BODY_BYTES (make_batches); an explicit batch_size caps the count too.
    kinds = {URL: Kind(limit_words=BY_SIZE), TAG: Kind(limit_words=BY_SIZE), CP_CODE: Kind(limit_words=BY_SIZE)}
    # Fast Purge v3 has no status API: with wait, the runner waits the largest estimated_seconds instead of polling.
    synchronous = False
    status_model = STATUS_NONE
    supports_soft_purge = True
    kind_advice = {ALL: "Fast Purge has no purge-all: purge the site's CP codes with cp_codes"}

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        # Option has no default: None means production, as documented.
        self.network = params.get("network") or DEFAULT_NETWORK
        if self.network not in NETWORKS:
            raise CdnError("network=%s must be one of %s" % (shown(self.network), ", ".join(NETWORKS)), provider=self.name)
        self.url_endpoint = check_url_endpoint(self.name, params.get("url_endpoint"))
        base = params.get("api_base_url")
        if isinstance(base, str) and base and "://" not in base:
            # A bare host, as .edgerc writes it, means https://host. The settings are this run's own copy: the
            # common check of api_base_url (http only for loopback, no userinfo) then sees the full URL.
            params["api_base_url"] = self._host_url("api_base_url", base)
        self.action = "invalidate" if params.get("soft_purge") else "delete"

    def _host_url(self, option: str, host: str) -> str:
        if "@" in host:
            raise CdnError("%s must not carry credentials (user:password@); use the credential options" % option, provider=self.name)
        if not _HOST.match(host):
            raise CdnError(
                "%s=%s is not an API host like akab-xxxx.purge.akamaiapis.net (or an https:// URL)" % (option, shown(host)),
                provider=self.name,
            )
        return "https://" + host

    def target_id(self) -> str:
        return self.network

    # --- credentials ---------------------------------------------------------------------------------------------
    def credential_values(self) -> dict[str, str]:
        """The three tokens, from the task or the environment, or from an .edgerc section; the host from api_base_url
        (or AKAMAI_HOST with tokens) or from the .edgerc section. Every message names options, never a secret."""
        if not HAS_EDGEGRID:
            raise CdnError(missing_required_lib("edgegrid-python") + " (provider akamai signs its requests with it)", provider=self.name)
        given = [name for name in TOKENS if self.params.get(name) is not None]
        from_file = [name for name in ("edgerc", "edgerc_section") if self.params.get(name) is not None]
        if given and from_file:
            raise CdnError(
                "give either the tokens (%s) or an .edgerc file (%s) for provider akamai, not both" % (", ".join(given), ", ".join(from_file)),
                provider=self.name,
            )
        options = {option.name: option for option in self.credential_options()}
        tokens = {name: self.credential_value(options[name]) for name in TOKENS}
        if given or (not from_file and any(tokens.values())):
            values = self._tokens(tokens)
            if self.params.get("api_base_url") is None:
                host = next((os.environ[name] for name in self.base_url_env if os.environ.get(name)), None)
                if not host:
                    raise CdnError(
                        "option api_base_url is required for provider akamai with client_token, client_secret and access_token: the API "
                        "client's host (like akab-xxxx.purge.akamaiapis.net), in the task or in the environment variable AKAMAI_HOST",
                        provider=self.name,
                    )
                self.api_base_url = self._base_url("AKAMAI_HOST", host)
        else:
            values = self._from_edgerc()
        self.secrets = tuple(values[name] for name in TOKENS)
        return values

    def _tokens(self, tokens: dict[str, str | None], source: str = "") -> dict[str, str]:
        missing = [name for name in TOKENS if not tokens[name]]
        if missing and source:
            raise CdnError(
                "%s lacks %s: a section has client_token, client_secret, access_token and host" % (source, " and ".join(missing)), provider=self.name
            )
        if missing:
            raise CdnError(
                "%s %s required for provider akamai: client_token, client_secret and access_token go together (options, or the "
                "environment variables AKAMAI_CLIENT_TOKEN, AKAMAI_CLIENT_SECRET, AKAMAI_ACCESS_TOKEN)"
                % ("option" if len(missing) == 1 else "options", " and ".join(missing) + (" is" if len(missing) == 1 else " are")),
                provider=self.name,
            )
        values: dict[str, str] = {}
        for name in TOKENS:
            values[name] = self.checked_credential("%s in %s" % (name, source) if source else "option %s" % name, tokens[name] or "")
        return values

    def _from_edgerc(self) -> dict[str, str]:
        options = {option.name: option for option in self.options}
        path = os.path.expanduser(self.credential_value(options["edgerc"]) or DEFAULT_EDGERC)
        section = self.credential_value(options["edgerc_section"]) or DEFAULT_SECTION
        where = "section [%s] of the .edgerc file %s" % (section, path)
        if not os.path.isfile(path):
            raise CdnError(
                "provider akamai needs credentials: no .edgerc file at %s (option edgerc, environment variable AKAMAI_EDGERC, default "
                "~/.edgerc), and no client_token, client_secret and access_token were given" % path,
                provider=self.name,
            )
        if not os.access(path, os.R_OK):
            # ConfigParser would skip an unreadable file silently and report no sections.
            raise CdnError("the .edgerc file %s cannot be read by this user (permission denied)" % path, provider=self.name)
        try:
            edgerc = EdgeRc(path)
            found = edgerc.has_section(section)
            # raw: a % in a secret is not ConfigParser interpolation.
            entries = {name: edgerc.get(section, name, raw=True) for name in (*TOKENS, "host")} if found else {}
        except (configparser.Error, UnicodeDecodeError) as exc:
            # The parser's message may quote a line of the file (a secret): only its kind is shown.
            raise CdnError("the .edgerc file %s cannot be read: %s" % (path, type(exc).__name__), provider=self.name) from None
        if not found:
            raise CdnError(
                "the .edgerc file %s has no section [%s] (option edgerc_section, environment variable AKAMAI_EDGERC_SECTION; sections: %s)"
                % (path, section, ", ".join(sorted(edgerc.sections())) or "none"),
                provider=self.name,
            )
        values = self._tokens({name: entries[name].strip() or None for name in TOKENS}, where)
        if self.params.get("api_base_url") is None:
            host = entries["host"].strip()
            if not host:
                raise CdnError("%s lacks host (the API client's host), and api_base_url is not given" % where, provider=self.name)
            self.api_base_url = self._base_url("host in %s" % where, host)
        return values

    def _base_url(self, option: str, host: str) -> str:
        return validate_base_url(option, host if "://" in host else self._host_url(option, host))

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        # requests calls the auth for every try: each retry gets a new timestamp and nonce (Akamai refuses a replay).
        auth = EdgeGridAuth(client_token=credentials["client_token"], client_secret=credentials["client_secret"], access_token=credentials["access_token"])
        return {"Accept": "application/json", "Content-Type": "application/json"}, auth

    # --- planning ------------------------------------------------------------------------------------------------
    def plan_path(self, path: str) -> PlannedItem:
        url = absolute_url(self.name, path, self.url_endpoint)
        if "*" in url:
            raise self.invalid_path(path, "Akamai Fast Purge has no wildcards: purge a CP code (cp_codes) or cache tags (tags) instead")
        if "#" in url:
            raise self.invalid_path(path, "a fragment (#...) never reaches the CDN: leave it out")
        if len(encoded([url])) > MAX_BODY_BYTES:
            raise self.invalid_path(path, "it does not fit in one request body of at most %d bytes" % MAX_BODY_BYTES)
        return PlannedItem(url, URL)

    def plan_tag(self, tag: str) -> PlannedItem:
        if not _TAG.match(tag):
            raise CdnError(
                "tag %s is not valid for akamai: 1 to 128 letters, digits and !#$%%&'*+-.^_`|~ (no spaces, commas, colons or slashes)" % shown(tag),
                provider=self.name,
            )
        return PlannedItem(tag, TAG)

    def plan_cp_code(self, cp_code: int) -> PlannedItem:
        if isinstance(cp_code, bool) or not isinstance(cp_code, int) or not 0 < cp_code <= MAX_CP_CODE:
            raise CdnError("cp_code %s is not an Akamai CP code: a positive integer" % shown(cp_code), provider=self.name)
        return PlannedItem(cp_code, CP_CODE)

    def make_batches(self, items: list[PlannedItem], batch_size: int | None) -> list[Batch]:
        """Per kind, in KINDS order, as many items as fit in a body of MAX_BODY_BYTES (and at most batch_size when given)."""
        batches: list[Batch] = []
        for kind in KINDS:
            current: list[PlannedItem] = []
            size = len(encoded([]))
            for item in (item for item in items if item.kind == kind):
                # ", " between items, as json.dumps writes them.
                grown = size + len(json.dumps(item.value).encode("utf-8")) + (2 if current else 0)
                if current and (grown > MAX_BODY_BYTES or (batch_size is not None and len(current) >= batch_size)):
                    batches.append(Batch(kind, current))
                    current, grown = [], len(encoded([item.value]))
                current.append(item)
                size = grown
            if current:
                batches.append(Batch(kind, current))
        return batches

    # --- requests ------------------------------------------------------------------------------------------------
    def purge(self, client: Any, kind: str, values: list[Any]) -> Accepted:
        body = encoded(values)
        what = "%s of %d %s objects on %s" % (self.action, len(values), OBJECT_TYPE[kind], self.network)
        if len(body) > MAX_BODY_BYTES:  # make_batches keeps every request under it; a 413 would only say so later
            raise CdnError("%s: %s: the body is %d bytes, above Akamai's %d" % (self.name, what, len(body), MAX_BODY_BYTES), provider=self.name)
        # The body is sent as measured (data=, not json=), so its size is the one batching counted.
        response = client.request("POST", "/ccu/v3/%s/%s/%s" % (self.action, OBJECT_TYPE[kind], self.network), what, ok=(201,), data=body)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        answer = answer if isinstance(answer, dict) else {}
        purge_id = answer.get("purgeId")
        # Recorded in the ledger and shown to users: a "../" or a 10 MB id must not get that far.
        if not isinstance(purge_id, str) or not REQUEST_ID.match(purge_id):
            raise self.no_usable_id(response, what, "purgeId")
        seconds = answer.get("estimatedSeconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or not 0 <= seconds <= MAX_ESTIMATED_SECONDS:
            raise CdnError(
                "%s: %s: the answer (HTTP %d, purgeId %s) carries no valid estimatedSeconds (a number of seconds, 0 to %d); the purge "
                "was accepted but how long it takes is unknown" % (self.name, what, response.status_code, purge_id, MAX_ESTIMATED_SECONDS),
                provider=self.name,
                http_status=response.status_code,
                maybe_accepted=True,
            )
        return Accepted(purge_id, estimated_seconds=int(math.ceil(seconds)))

    def no_status_api(self) -> CdnError:
        return CdnError(NO_STATUS_API, provider=self.name)

    # --- hooks of the shared HTTP layer --------------------------------------------------------------------------
    def retry_after(self, headers: Any) -> float | None:
        """A 429: the largest X-Ratelimit-Seconds-To-Refresh-Limit* (one per bucket; the request needs every bucket
        refilled), else the 5 s Akamai's documentation asks for."""
        waits = []
        for name, value in headers.items():
            if name.lower().startswith(REFRESH_HEADER):
                try:
                    seconds = float(value)
                except (TypeError, ValueError):
                    continue
                if math.isfinite(seconds) and seconds >= 0:
                    waits.append(seconds)
        return max(waits) if waits else DEFAULT_RATE_LIMIT_WAIT

    def error_words(self, body: Any) -> list[str]:
        # application/api-problem+json: {"httpStatus", "title", "detail", "supportId", "describedBy"}
        if isinstance(body, dict) and any(isinstance(body.get(key), str) and body[key] for key in ("title", "detail")):
            words = ": ".join(body[key] for key in ("title", "detail") if isinstance(body.get(key), str) and body[key])
            if isinstance(body.get("supportId"), str) and body["supportId"]:
                words += " (supportId %s)" % body["supportId"]
            return [words]
        return super().error_words(body)
