# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ImageKit: one URL per purge request, a request id, and a per-id status API.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    COMPLETED,
    PENDING,
    PREFIX,
    REQUEST_ID,
    STATUS_PER_ID,
    URL,
    Kind,
    Option,
    PlannedItem,
    Provider,
    credential,
    has_extension,
    shown,
)
from ansible_collections.cdnops.cdn.plugins.module_utils._site_urls import check_url_safety

# ImageKit refuses a wildcard under these whatever their length or depth.
_NEVER_WILDCARD = ("/media/catalog", "/s/files")
_SHARED_HOST = "ik.imagekit.io"
WILDCARD_RULE = (
    "a wildcard * is allowed once, at the end, and only when the path after the ImageKit id has at least two "
    "levels (/images/upload*), is at least 15 characters long, or is a complete file name with an extension "
    "(/sample.jpg*)"
)


class ImageKit(Provider):
    name = "imagekit"
    title = "ImageKit"
    default_api_base_url = "https://api.imagekit.io"
    options = (
        Option(
            "url_endpoint",
            "Your ImageKit URL endpoint, for example V(https://ik.imagekit.io/demo). Lets paths be relative; absolute URLs are accepted without it.",
        ),
        credential("api_key", "The private API key.", "IMAGEKIT_PRIVATE_KEY"),
    )
    # One URL per purge request, so the requests are independent and run concurrently.
    kinds = {URL: Kind(1, 1), PREFIX: Kind(1, 1)}
    concurrent = True
    status_words = {"Pending": PENDING, "Completed": COMPLETED}
    status_model = STATUS_PER_ID

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        self.url_endpoint = None
        endpoint = params.get("url_endpoint")
        if endpoint is not None:
            check_url_safety("url_endpoint", endpoint, self.name)
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                raise CdnError(
                    "url_endpoint=%s must be an absolute http(s) URL without query, like https://ik.imagekit.io/your_id" % shown(endpoint),
                    provider=self.name,
                )
            self.url_endpoint = endpoint.rstrip("/")

    def target_id(self) -> str:
        return self.url_endpoint or ""

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        # HTTP Basic with the private key as user and an empty password: base64("key:").
        return {"Accept": "application/json"}, (credentials["api_key"], "")

    def _relative_path(self, url: str) -> str:
        """The path after the endpoint (or after the ImageKit id on the shared host)."""
        endpoint = self.url_endpoint
        if endpoint and (url == endpoint or url.startswith(endpoint + "/")):
            return url[len(endpoint) :] or "/"
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.hostname == _SHARED_HOST:
            path = "/" + path.lstrip("/").partition("/")[2]
        return path

    def plan_path(self, path: str) -> PlannedItem:
        if path.startswith(("https://", "http://")):
            url = path
            if not urlsplit(url).netloc:
                raise self.invalid_path(path, "an absolute URL needs a host")
        elif path.startswith("/"):
            if not self.url_endpoint:
                raise self.invalid_path(path, "a relative path needs url_endpoint (or give the absolute URL)")
            url = self.url_endpoint + path
        else:
            raise self.invalid_path(path, "must start with / (relative to url_endpoint) or be an absolute http(s) URL")
        if "*" not in url:
            return PlannedItem(url)
        if url.count("*") > 1 or not url.endswith("*"):
            raise self.invalid_path(path, WILDCARD_RULE)
        relative = self._relative_path(url[:-1])
        if any(relative == blocked or relative.startswith(blocked + "/") for blocked in _NEVER_WILDCARD):
            raise self.invalid_path(path, "ImageKit never accepts a wildcard under media/catalog/ or s/files/")
        levels = len([segment for segment in relative.split("/") if segment])
        if not (levels >= 2 or len(relative) >= 15 or has_extension(relative)):
            raise self.invalid_path(path, WILDCARD_RULE)
        return PlannedItem(url, PREFIX, prefix=url[:-1])

    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        what = "purge of %s" % values[0]
        response = client.request("POST", "/v1/files/purge", what, json={"url": values[0]})
        try:
            request_id = response.json()["requestId"]
        except (ValueError, KeyError, TypeError):
            request_id = None
        # Recorded in the ledger and later put into status URLs: a "../" or a 10 MB id must not get that far.
        if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
            raise self.no_usable_id(response, what, "requestId")
        return request_id

    def _field(self, response: Any, field: str, what: str) -> str:
        try:
            value = response.json()[field]
        except (ValueError, KeyError, TypeError):
            value = None
        if not isinstance(value, str) or not value:
            raise CdnError(
                "%s: %s: the answer (HTTP %d) has no %s" % (self.name, what, response.status_code, field),
                provider=self.name,
                http_status=response.status_code,
            )
        return value

    def statuses(self, client: Any, request_ids: list[str], concurrency: int = 1) -> dict[str, str]:
        for request_id in request_ids:
            self.check_request_id(request_id)

        def one(request_id):
            what = "status of purge request %s" % request_id
            response = client.request("GET", "/v1/files/purge/%s" % quote(request_id, safe=""), what)
            return request_id, self._field(response, "status", what)

        if concurrency <= 1 or len(request_ids) <= 1:
            return dict(one(request_id) for request_id in request_ids)
        with ThreadPoolExecutor(max_workers=min(concurrency, len(request_ids))) as pool:
            return dict(pool.map(one, request_ids))
