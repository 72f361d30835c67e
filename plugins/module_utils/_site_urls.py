# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""url_endpoint, the site base URL a relative path is joined to: one meaning for every provider that takes it.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError

URL_ENDPOINT_DESCRIPTION = (
    "The site's public base URL, for example V(https://www.example.com); relative paths are joined to it, and absolute URLs in C(paths) must lie under it."
)


def check_url_endpoint(provider: str, endpoint: str | None, example: str = "https://www.example.com") -> str | None:
    """The endpoint without a trailing /, or None; an error names the option and the rule."""
    if endpoint is None:
        return None
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or "*" in endpoint:
        raise CdnError("url_endpoint=%r must be an absolute http(s) URL without query or wildcard, like %s" % (endpoint, example), provider=provider)
    return endpoint.rstrip("/")


def absolute_url(provider: str, path: str, endpoint: str | None) -> str:
    """path as an absolute URL: relative paths joined to endpoint; absolute ones must lie under it when it is given."""
    if path.startswith(("https://", "http://")):
        if not urlsplit(path).hostname:
            raise CdnError("path %r is not valid for %s: an absolute URL needs a host" % (path, provider), provider=provider)
        if endpoint and not (path == endpoint or path.startswith(endpoint + "/")):
            raise CdnError("path %r is not valid for %s: it does not lie under url_endpoint %s" % (path, provider, endpoint), provider=provider)
        return path
    if not path.startswith("/"):
        raise CdnError(
            "path %r is not valid for %s: must start with / (relative to url_endpoint) or be an absolute http(s) URL" % (path, provider), provider=provider
        )
    if not endpoint:
        raise CdnError(
            "path %r is not valid for %s: %s needs absolute URLs; a relative path needs url_endpoint (the site's base URL, like "
            "https://www.example.com), or give the absolute URL" % (path, provider, provider),
            provider=provider,
        )
    return endpoint + path
