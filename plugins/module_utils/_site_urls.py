# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""url_endpoint, the site base URL a relative path is joined to: one meaning for every provider that takes it.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError

URL_ENDPOINT_DESCRIPTION = (
    "The site's public base URL, for example V(https://www.example.com); relative paths are joined to it, and absolute URLs in C(paths) must lie under it."
)
LOOPBACK_NAMES = ("localhost",)
# The authority of a URL-like string, however its scheme and slashes are written (urlsplit is lenient about both).
_AUTHORITY = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?[/\\]*([^/\\?#]*)")


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def has_scheme(value: str) -> bool:
    """True for an absolute URL (scheme://...): what a provider that purges paths of its target refuses."""
    return bool(_SCHEME.match(value))


def has_userinfo(value: str) -> bool:
    """True when the URL-like value carries user:password@ (or user@) before its host."""
    match = _AUTHORITY.match(value)
    return match is not None and "@" in match.group(1)


def check_url_safety(option: str, value: str, provider: str | None = None) -> None:
    """Refuse, before any other check and without echoing the value, credentials in a URL; then any white space or
    control character (urlsplit silently drops some of them, so a trailing newline would pass its checks)."""
    if has_userinfo(value):
        raise CdnError("%s must not carry credentials (user:password@); use the credential options" % option, provider=provider)
    if any(char.isspace() or ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in value):
        raise CdnError("%s=%r must not contain white space or control characters" % (option, value), provider=provider)


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(option: str, value: str) -> str:
    """An API base URL: https anywhere, plain http only to this machine; no credentials, query or white space."""
    check_url_safety(option, value)
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise CdnError("%s=%r is not a valid URL: %s" % (option, value, exc)) from None
    if parts.scheme not in ("http", "https") or not host:
        raise CdnError("%s=%r must be an absolute http:// or https:// URL" % (option, value))
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise CdnError("%s=%r must not have a query string or fragment" % (option, value))
    if parts.scheme == "http" and not is_loopback_host(host):
        raise CdnError(
            "%s=%r uses plain http:// to a non-loopback host; only https:// is allowed there "
            "(http:// is accepted for 127.0.0.0/8, ::1 and localhost)" % (option, value)
        )
    return value.rstrip("/")


def check_url_endpoint(provider: str, endpoint: str | None, example: str = "https://www.example.com") -> str | None:
    """The endpoint without a trailing /, or None; an error names the option and the rule."""
    if endpoint is None:
        return None
    check_url_safety("url_endpoint", endpoint, provider)
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or "*" in endpoint:
        raise CdnError("url_endpoint=%r must be an absolute http(s) URL without query or wildcard, like %s" % (endpoint, example), provider=provider)
    if not _is_host(parts.hostname):
        raise CdnError("url_endpoint=%r must name a host (a host name like www.example.com, or an IP address)" % endpoint, provider=provider)
    # Every path is joined to it: a dot or empty segment here would send each purge somewhere else (/../v1/...).
    # %2e is a dot to the HTTP client, decoded after it removed dot segments: check the decoded form.
    if _ODD_SEGMENT.search(re.sub(r"%2e", ".", parts.path.rstrip("/"), flags=re.IGNORECASE)):
        raise CdnError("url_endpoint=%r must not have an empty (//) or dot (/./, /../) segment in its path" % endpoint, provider=provider)
    return endpoint.rstrip("/")


_HOSTNAME = re.compile(r"^(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z")


def _is_host(host: str | None) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOSTNAME.match(host))


# An empty or dot segment: a URL that names the same object as another, or walks out of its folder.
_ODD_SEGMENT = re.compile(r"//|/\.\.?(?=/|$|\?|#)")


def absolute_url(provider: str, path: str, endpoint: str | None) -> str:
    """path as an absolute URL: relative paths joined to endpoint; absolute ones must lie under it when it is given."""
    if path.startswith(("https://", "http://")):
        if has_userinfo(path):
            raise CdnError("an absolute URL in paths for %s must not carry credentials (user:password@)" % provider, provider=provider)
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
