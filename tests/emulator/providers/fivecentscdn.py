"""5centsCDN: POST /v2/zones/{http|vod}/pull/{zoneid}/purge[?delete=true|false], header X-API-Key.

A body {"files": [...]} purges those files; no body (or no "files") purges the whole zone. Synchronous.
"""

import re

from core.api import ConfigError, Reply, has_control, same_secret

NAME = "5centscdn"
CREDENTIALS = {"api_key": "emulator_5centscdn_key"}
LOG_FIELDS = {"delete": None}


def _zones(key, value, _current):
    if not isinstance(value, dict) or not set(value) <= {"http", "vod"}:
        raise ConfigError(f"config key '{key}' must be an object with keys 'http' and/or 'vod'")
    zones = {"http": [], "vod": []}
    for zone_type, ids in value.items():
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ConfigError(f"config key '{key}.{zone_type}' must be a list of integers")
        zones[zone_type] = list(ids)
    return zones


CONFIG = {"5centscdn_zones": ({"http": [42], "vod": [7]}, _zones)}


def error_body(_status, message):
    return {"result": "error", "message": message}


def error(status, message):
    return Reply(status, error_body(status, message))


def purge(call):
    if not same_secret(call.headers.get("X-API-Key"), call.credentials["api_key"]):
        return error(401, "Invalid API key")
    zone_type, zone_id = call.params
    if not re.fullmatch(r"[0-9]+", zone_id) or int(zone_id) not in call.config["5centscdn_zones"][zone_type]:
        return error(404, "Zone not found")
    values = [value for name, value in call.query_pairs if name == "delete"]
    if len(values) > 1 or (values and values[0] not in ("true", "false")):
        return error(400, "Query parameter 'delete' must be 'true' or 'false'.")
    delete = not values or values[0] == "true"
    call.log(delete=delete)
    files = None
    if call.body.strip():
        ok, data = call.json()
        if not ok or not isinstance(data, dict):
            return error(400, "Request body must be a JSON object.")
        if "files" in data:
            files = data["files"]
            if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
                return error(400, "'files' must be a non-empty array of strings.")
            for name in files:
                if not name.startswith("/") or has_control(name):
                    return error(400, f"Invalid file path '{name}': must start with '/' and be printable.")
    call.log(purge_kind="all" if files is None else "url")
    if not call.use_quota():
        return error(403, "Quota exceeded")
    call.accepted(None, files or [], purge_all=files is None)
    return Reply(200, {"result": "success", "message": "Zone Purged"})


ROUTES = (("POST", r"/v2/zones/(http|vod)/pull/([^/]+)/purge", "purge", purge),)
