# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every provider adapter provides, and the path rules several vendors share."""

import os
import re

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError

# Statuses of the contract; a vendor's own word is mapped onto these.
COMPLETED = "Completed"
PENDING = "Pending"

# Every option that names a target or a credential; a provider declares which of them it uses.
TARGET_OPTIONS = ("url_endpoint", "domain", "zone_id", "zone_type", "distribution_id")
CREDENTIAL_OPTIONS = ("api_key", "client_id", "library_id")

_EXTENSION = re.compile(r"\.[A-Za-z0-9]+$")
# Request ids go into URLs: nothing that could walk to another endpoint.
# \Z, not $: $ also matches before a trailing newline, which would let "key\n" through.
REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
_CREDENTIAL = re.compile(r"^[\x21-\x7e]+\Z")


def has_extension(path):
    """True when the last segment of path names a file with an extension (/img/logo.png)."""
    last = path.rsplit("/", 1)[-1]
    return bool(last) and bool(_EXTENSION.search(last))


class PlannedPath:
    """One path as it will be sent; prefix is the string it covers when it is a prefix purge."""

    __slots__ = ("path", "prefix", "kind")

    def __init__(self, path, prefix=None, kind="url"):
        self.path = path
        self.prefix = prefix
        self.kind = kind


class Provider:
    """Base of the adapters: how a vendor's requests are built and its answers read."""

    name = None
    default_api_base_url = None
    target_options = ()
    required_target_options = ()
    # (option, environment variable) pairs; all are required and no_log.
    credentials = ()
    synchronous = False  # the purge is done when the API answers; there is no status API
    supports_purge_all = False
    supports_soft_purge = False
    supports_purge_list = False
    default_batch_size = 100
    max_batch_size = None  # the vendor's documented maximum, None where it documents none

    def __init__(self, params):
        self.params = params
        self.secrets = ()
        self.check_options(params)

    # --- options -------------------------------------------------------------------------------
    def check_options(self, params):
        used = set(self.target_options) | {option for option, _env in self.credentials}
        for option in TARGET_OPTIONS + CREDENTIAL_OPTIONS:
            if params.get(option) is not None and option not in used:
                raise CdnError(
                    "option %s is not used by provider %s (it takes %s)" % (option, self.name, ", ".join(sorted(used)) or "no target options"),
                    provider=self.name,
                )
        for option in self.required_target_options:
            if params.get(option) is None:
                raise CdnError("option %s is required for provider %s" % (option, self.name), provider=self.name)

    def credential_values(self):
        """Credentials from the options, else from the provider's environment variables."""
        values = {}
        for option, env in self.credentials:
            value = self.params.get(option)
            if value is None:
                value = os.environ.get(env)
            if not value:
                raise CdnError(
                    "option %s is required for provider %s: set it in the task, in module_defaults "
                    "(group/cdnops.cdn.cdn) or in the environment variable %s" % (option, self.name, env),
                    provider=self.name,
                )
            # Credentials travel in HTTP headers; the message names the option, never the value.
            if not _CREDENTIAL.match(value):
                raise CdnError(
                    "option %s for provider %s must be printable ASCII without spaces (letters, digits, punctuation)" % (option, self.name),
                    provider=self.name,
                )
            values[option] = value
        self.secrets = tuple(values.values())
        return values

    def target_id(self):
        """What identifies the purged target in the idempotency ledger."""
        raise NotImplementedError

    def client_settings(self, credentials):
        """(headers, auth) for the shared session."""
        raise NotImplementedError

    # --- planning ------------------------------------------------------------------------------
    def check_batch_size(self, batch_size):
        if batch_size < 1:
            raise CdnError("batch_size=%d must be at least 1" % batch_size, provider=self.name)
        if self.max_batch_size is not None and batch_size > self.max_batch_size:
            raise CdnError(
                "batch_size=%d is above %s's documented maximum of %s paths per request" % (batch_size, self.name, self.max_batch_size),
                provider=self.name,
            )

    def plan_path(self, path):
        """Validate one user path by the vendor's rules; return a PlannedPath or raise CdnError."""
        raise NotImplementedError

    def make_batches(self, planned, batch_size):
        """Split planned paths into (kind, [paths]) batches, one purge request each."""
        paths = [item.path for item in planned]
        return [("url", paths[start : start + batch_size]) for start in range(0, len(paths), batch_size)]

    # --- requests ------------------------------------------------------------------------------
    def purge(self, client, kind, paths):
        """Send one purge request; return the request id or None."""
        raise NotImplementedError

    def purge_everything(self, client):
        raise CdnError("provider %s has no purge-all API; list the paths or prefixes to purge" % self.name, provider=self.name)

    def statuses(self, client, request_ids, concurrency=1):
        """{request_id: vendor status word} for the given ids."""
        raise CdnError(
            "provider %s purges synchronously and has no purge status API: a purge it accepted is already done" % self.name,
            provider=self.name,
        )

    def check_request_id(self, request_id):
        if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
            raise CdnError(
                "request_id %r is not a valid %s request id (letters, digits, - and _, at most 128 characters)" % (request_id, self.name),
                provider=self.name,
            )

    def purge_list(self, client):
        raise CdnError("provider %s cannot list purge requests; give request_id or request_ids" % self.name, provider=self.name)

    @staticmethod
    def contract_status(provider_status):
        return COMPLETED if provider_status == COMPLETED else PENDING

    def invalid_path(self, path, rule):
        return CdnError("path %r is not valid for %s: %s" % (path, self.name, rule), provider=self.name)
