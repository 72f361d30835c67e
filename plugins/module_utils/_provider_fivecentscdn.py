# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""5centsCDN: batches of exact files per pull zone, synchronous, no request id and no status API.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import ALL, URL, Kind, Option, PlannedItem, Provider, credential, shown

ZONE_TYPES = ("http", "vod")


class FiveCentsCdn(Provider):
    name = "5centscdn"
    title = "5centsCDN"
    default_api_base_url = "https://api.5centscdn.com"
    options = (
        Option("zone_id", "Required. The pull zone id (digits; V(42) and V('42') are the same).", required=True),
        Option("zone_type", "The kind of pull zone; V(http) when omitted.", choices=ZONE_TYPES),
        credential("api_key", "The API key (header C(X-API-Key)).", "FIVECENTSCDN_API_KEY"),
    )
    # No documented maximum of files per request.
    kinds = {URL: Kind(100), ALL: Kind()}
    synchronous = True
    supports_soft_purge = True
    kind_advice = {"prefix": "list the files, or use purge_all"}

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        super().__init__(params, all_options)
        zone_id = str(params["zone_id"])
        self.zone_type = params.get("zone_type") or "http"
        if not zone_id.isascii() or not zone_id.isdigit() or int(zone_id) < 1:
            raise CdnError("zone_id=%s must be a positive integer (the 5centsCDN zone id)" % shown(params["zone_id"]), provider=self.name)
        self.zone_id = int(zone_id)
        if self.zone_type not in ZONE_TYPES:
            raise CdnError("zone_type=%s must be one of %s" % (shown(self.zone_type), ", ".join(ZONE_TYPES)), provider=self.name)
        self.delete = "false" if params.get("soft_purge") else "true"

    def target_id(self) -> str:
        return "%s/%d" % (self.zone_type, self.zone_id)

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        return {"X-API-Key": credentials["api_key"], "Accept": "application/json"}, None

    def plan_path(self, path: str) -> PlannedItem:
        if not path.startswith("/"):
            raise self.invalid_path(path, "must start with / (a file path in the zone, without the domain)")
        if "*" in path:
            raise self.invalid_path(path, "5centsCDN has no prefix or wildcard purge; list the files, or use purge_all")
        return PlannedItem(path)

    def _purge_url(self) -> str:
        return "/v2/zones/%s/pull/%d/purge" % (self.zone_type, self.zone_id)

    def _send(self, client: Any, what: str, body: Any) -> None:
        response = client.request("POST", self._purge_url(), what, params={"delete": self.delete}, json=body)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or answer.get("result") != "success":
            raise CdnError(
                "%s: %s: the API did not confirm it (HTTP %d): %s" % (self.name, what, response.status_code, client.error_message(response)),
                provider=self.name,
                http_status=response.status_code,
            )

    def purge(self, client: Any, kind: str, values: list[Any]) -> str | None:
        if kind == ALL:
            # The vendor purges the whole zone when the body carries no files at all.
            self._send(client, "purge of the whole %s zone %d" % (self.zone_type, self.zone_id), None)
        else:
            self._send(client, "purge of %d files in %s zone %d" % (len(values), self.zone_type, self.zone_id), {"files": values})
        return None  # noqa: RET501 - synchronous: the vendor answers no request id
