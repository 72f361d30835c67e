# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""5centsCDN: batches of exact files per pull zone, synchronous, no request id and no status API."""

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import provider_error_message
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import PlannedPath, Provider

ZONE_TYPES = ("http", "vod")


class FiveCentsCdn(Provider):
    name = "5centscdn"
    default_api_base_url = "https://api.5centscdn.com"
    target_options = ("zone_id", "zone_type")
    required_target_options = ("zone_id",)
    credentials = (("api_key", "FIVECENTSCDN_API_KEY"),)
    synchronous = True
    supports_purge_all = True
    supports_soft_purge = True
    default_batch_size = 100

    def __init__(self, params):
        super().__init__(params)
        self.zone_id = params["zone_id"]
        self.zone_type = params.get("zone_type") or "http"
        if isinstance(self.zone_id, bool) or not isinstance(self.zone_id, int) or self.zone_id < 1:
            raise CdnError("zone_id=%r must be a positive integer (the 5centsCDN zone id)" % (self.zone_id,), provider=self.name)
        if self.zone_type not in ZONE_TYPES:
            raise CdnError("zone_type=%r must be one of %s" % (self.zone_type, ", ".join(ZONE_TYPES)), provider=self.name)
        self.delete = "false" if params.get("soft_purge") else "true"

    def target_id(self):
        return "%s/%d" % (self.zone_type, self.zone_id)

    def client_settings(self, credentials):
        return {"X-API-Key": credentials["api_key"], "Accept": "application/json"}, None

    def plan_path(self, path):
        if not path.startswith("/"):
            raise self.invalid_path(path, "must start with / (a file path in the zone, without the domain)")
        if "*" in path:
            raise self.invalid_path(path, "5centsCDN has no prefix or wildcard purge; list the files, or use purge_all")
        return PlannedPath(path)

    def _purge_url(self):
        return "/v2/zones/%s/pull/%d/purge" % (self.zone_type, self.zone_id)

    def _send(self, client, what, body):
        response = client.request("POST", self._purge_url(), what, params={"delete": self.delete}, json=body)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or answer.get("result") != "success":
            raise CdnError(
                "%s: %s: the API did not confirm it (HTTP %d): %s" % (self.name, what, response.status_code, provider_error_message(response, self.secrets)),
                provider=self.name,
                http_status=response.status_code,
            )

    def purge(self, client, kind, paths):
        self._send(client, "purge of %d files in %s zone %d" % (len(paths), self.zone_type, self.zone_id), {"files": paths})
        return

    def purge_everything(self, client):
        # The vendor purges the whole zone when the body carries no files at all.
        self._send(client, "purge of the whole %s zone %d" % (self.zone_type, self.zone_id), None)
