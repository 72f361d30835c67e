# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gotipath: url and pattern purges per distribution, synchronous, no request id and no status API."""

import uuid

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import PlannedPath, Provider

# The API is modelled on Gcore's, whose limits are 100 URLs and 10 patterns per request.
MAX_URLS = 100
MAX_PATTERNS = 10


class Gotipath(Provider):
    name = "gotipath"
    default_api_base_url = "https://apistream.gotipath.com"
    target_options = ("distribution_id",)
    required_target_options = ("distribution_id",)
    credentials = (
        ("api_key", "GOTIPATH_API_KEY"),
        ("client_id", "GOTIPATH_CLIENT_ID"),
        ("library_id", "GOTIPATH_LIBRARY_ID"),
    )
    synchronous = True
    supports_purge_all = True
    default_batch_size = MAX_URLS
    max_batch_size = MAX_URLS

    def __init__(self, params):
        super().__init__(params)
        value = params["distribution_id"]
        try:
            self.distribution_id = str(uuid.UUID(value))
        except (ValueError, TypeError, AttributeError):
            raise CdnError("distribution_id=%r is not a UUID like 292e5d7f-a8b9-41a0-bdf0-e70347709c6f" % (value,), provider=self.name) from None

    def target_id(self):
        return self.distribution_id

    def client_settings(self, credentials):
        headers = {
            "X-Auth-ClientId": credentials["client_id"],
            "X-Auth-LibraryId": credentials["library_id"],
            "X-Auth-ApiKey": credentials["api_key"],
            "Accept": "application/json",
        }
        return headers, None

    def plan_path(self, path):
        if not path.startswith("/"):
            raise self.invalid_path(path, "must start with / (no scheme or domain; query strings are part of the path)")
        if "*" not in path:
            return PlannedPath(path, kind="url")
        # Only a trailing * is a plain prefix we can use to drop covered paths; others are sent as they are.
        prefix = path[:-1] if path.count("*") == 1 and path.endswith("*") else None
        return PlannedPath(path, prefix=prefix, kind="pattern")

    def make_batches(self, planned, batch_size):
        batches = []
        for kind, limit in (("url", MAX_URLS), ("pattern", MAX_PATTERNS)):
            paths = [item.path for item in planned if item.kind == kind]
            size = min(batch_size, limit)
            batches.extend((kind, paths[start : start + size]) for start in range(0, len(paths), size))
        return batches

    def _purges_url(self):
        return "/v1/distributions/%s/purges" % self.distribution_id

    def purge(self, client, kind, paths):
        what = "%s purge of %d paths" % (kind, len(paths))
        client.request("POST", self._purges_url(), what, json={"type": kind, "paths": paths})
        return

    def purge_everything(self, client):
        client.request("POST", self._purges_url(), "purge of the whole distribution", json={"type": "all", "paths": []})
