# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare: batched purges of files, prefixes, tags and hosts, or everything, per zone; synchronous.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    ALL,
    HOST,
    PREFIX,
    REQUEST_ID,
    TAG,
    URL,
    Kind,
    Option,
    PlannedItem,
    Provider,
    credential,
    shown,
)
from ansible_collections.cdnops.cdn.plugins.module_utils._site_urls import URL_ENDPOINT_DESCRIPTION, absolute_url, check_url_endpoint

_ZONE_ID = re.compile(r"^[0-9a-f]{32}\Z")
_TAG = re.compile(r"^[\x21-\x7e]{1,1024}\Z")
MAX_PREFIX_SEPARATORS = 31
# Our kinds, as the purge_cache body names them.
BODY_KEY = {URL: "files", PREFIX: "prefixes", TAG: "tags", HOST: "hosts"}
API_KEY_ENV = "CLOUDFLARE_API_TOKEN"
GLOBAL_KEY_ENV = "CLOUDFLARE_API_KEY"


EMAIL = credential("email", "Only with a legacy global API key: the account's e-mail address (header C(X-Auth-Email)).", "CLOUDFLARE_EMAIL", required=False)


class Cloudflare(Provider):
    name = "cloudflare"
    title = "Cloudflare"
    default_api_base_url = "https://api.cloudflare.com"
    options = (
        Option("zone_id", "Required. The zone id: 32 hexadecimal characters (the dashboard's zone overview shows it).", required=True),
        Option("url_endpoint", URL_ENDPOINT_DESCRIPTION),
        credential(
            "api_key",
            "An API token with the permission Zone > Cache Purge, sent as a Bearer token. With C(email), the legacy global API key "
            "(from E(CLOUDFLARE_API_KEY) when omitted).",
            API_KEY_ENV,
            GLOBAL_KEY_ENV,
            aliases=("api_token",),
        ),
        EMAIL,
    )
    # The vendor's pages disagree (30, 100, 500 files): 30 is safe on every plan; batch_size raises it.
    kinds = {URL: Kind(30, 500), PREFIX: Kind(30, 100), TAG: Kind(30, 100), HOST: Kind(30, 100), ALL: Kind()}
    synchronous = True

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        self.zone_id = params["zone_id"]
        if not _ZONE_ID.match(self.zone_id):
            raise CdnError("zone_id=%s must be a Cloudflare zone id: 32 lowercase hexadecimal characters" % shown(self.zone_id), provider=self.name)
        self.url_endpoint = check_url_endpoint(self.name, params.get("url_endpoint"))

    def target_id(self) -> str:
        return self.zone_id

    def credential_value(self, option: Option) -> str | None:
        # With an e-mail, api_key is the legacy global key, whose variable is not the token's.
        if option.name == "api_key" and self.params.get("api_key") is None:
            env = GLOBAL_KEY_ENV if self.credential_value(EMAIL) else API_KEY_ENV
            return super().credential_value(Option("api_key", option.description, env=(env,), no_log=True))
        return super().credential_value(option)

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        headers = {"Accept": "application/json"}
        if credentials.get("email"):
            headers.update({"X-Auth-Email": credentials["email"], "X-Auth-Key": credentials["api_key"]})
        else:
            headers["Authorization"] = "Bearer %s" % credentials["api_key"]
        return headers, None

    def plan_path(self, path: str) -> PlannedItem:
        url = absolute_url(self.name, path, self.url_endpoint)
        if "*" not in url:
            return PlannedItem(url, URL)
        if url.count("*") > 1 or not url.endswith("*"):
            raise self.invalid_path(path, "Cloudflare has no wildcards in files; a single trailing * asks for a prefix purge")
        parts = urlsplit(url[:-1])
        if parts.query or "?" in url or "#" in url:
            raise self.invalid_path(path, "a Cloudflare prefix has no query string or fragment")
        if parts.path.count("/") > MAX_PREFIX_SEPARATORS:
            raise self.invalid_path(path, "a Cloudflare prefix has at most %d path separators (/)" % MAX_PREFIX_SEPARATORS)
        # Cloudflare wants host and path without the scheme: https://www.example.com/img/* → www.example.com/img/
        return PlannedItem("%s%s" % (parts.netloc, parts.path), PREFIX, prefix=url[:-1], key=url)

    def plan_tag(self, tag: str) -> PlannedItem:
        if not _TAG.match(tag) or "," in tag:
            raise CdnError(
                "tag %s is not valid for cloudflare: at most 1024 printable ASCII characters, without spaces or commas" % shown(tag), provider=self.name
            )
        return PlannedItem(tag, TAG)

    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        body: dict[str, Any] = {"purge_everything": True} if kind == ALL else {BODY_KEY[kind]: values}
        what = "purge of everything in zone %s" % self.zone_id if kind == ALL else "purge of %d %s" % (len(values), BODY_KEY[kind])
        response = client.request("POST", "/client/v4/zones/%s/purge_cache" % self.zone_id, what, json=body)
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        # success: false is a failure even on HTTP 200.
        if not isinstance(envelope, dict) or envelope.get("success") is not True:
            message = client.error_message(response)
            raise CdnError(
                "%s: %s failed: HTTP %d with success false: %s" % (self.name, what, response.status_code, message),
                provider=self.name,
                http_status=response.status_code,
                provider_message=message,
            )
        result = envelope.get("result")
        request_id = result.get("id") if isinstance(result, dict) else None
        return request_id if isinstance(request_id, str) and REQUEST_ID.match(request_id) else None

    def error_words(self, body: Any) -> list[str]:
        errors = body.get("errors") if isinstance(body, dict) else None
        if not isinstance(errors, list) or not errors:
            return super().error_words(body)
        words = []
        for error in errors:
            if isinstance(error, dict):
                chain = [link.get("message") for link in error.get("error_chain") or [] if isinstance(link, dict) and link.get("message")]
                words.append("%s (code %s)%s" % (error.get("message"), error.get("code"), "".join(": %s" % link for link in chain)))
        return words
