"""Gotipath: POST /v1/distributions/{distribution_id}/purges, headers X-Auth-ClientId, X-Auth-LibraryId, X-Auth-ApiKey.

Body {"type": "url" | "pattern" | "all", "paths": [...]}; answer 200 {} (no id, no status API).
"""

import re

from core.api import Reply, has_control, same_secret, str_list

NAME = "gotipath"
CREDENTIALS = {
    "client_id": "11111111-2222-4333-8444-555555555555",
    "library_id": "66666666-7777-4888-8999-000000000000",
    "api_key": "emulator_gotipath_key",
}
AUTH_HEADERS = (("X-Auth-ClientId", "client_id"), ("X-Auth-LibraryId", "library_id"), ("X-Auth-ApiKey", "api_key"))
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Gcore's limits, on which Gotipath's API is modelled (providers.md).
LIMITS = {"url": 100, "pattern": 10}
LOG_FIELDS = {"purge_type": None}


def _distributions(key, value, _current):
    return [item.lower() for item in str_list(key, value, UUID_RE.pattern, "UUIDs")]


CONFIG = {"gotipath_distributions": (["292e5d7f-a8b9-41a0-bdf0-e70347709c6f"], _distributions)}


def error_body(_status, message):
    return {"message": message}


def invalid(errors):
    first = next(iter(errors.values()))[0]
    return Reply(422, {"message": first, "errors": errors})


def path_errors(purge_type, paths):
    errors = {}
    limit = LIMITS[purge_type]
    if not paths:
        errors["paths"] = [f"The paths field must contain at least one {purge_type}."]
    elif len(paths) > limit:
        errors["paths"] = [f"The paths field must not have more than {limit} items for type {purge_type}."]
    for index, path in enumerate(paths):
        if has_control(path):
            problem = "must not contain control characters"
        elif purge_type == "url" and (not path.startswith("/") or path.startswith("//")):
            problem = "must start with / and must not contain a scheme or host"
        elif purge_type == "url" and "*" in path:
            problem = "must not contain * (use type pattern)"
        elif purge_type == "pattern" and not path.startswith(("/", "*")):
            problem = "must start with / or *"
        else:
            continue
        errors[f"paths.{index}"] = [f"The path '{path}' {problem}."]
    return errors


def purge(call):
    for header, name in AUTH_HEADERS:
        if not same_secret(call.headers.get(header), call.credentials[name]):
            return Reply(401, {"message": "Unauthorized"})
    distribution = call.params[0]
    if not UUID_RE.fullmatch(distribution) or distribution.lower() not in call.config["gotipath_distributions"]:
        return Reply(404, {"message": "Distribution not found"})
    ok, data = call.json()
    if not ok or not isinstance(data, dict):
        return Reply(400, {"message": "Bad Request"})
    purge_type = data.get("type")
    if purge_type not in ("url", "pattern", "all"):
        return invalid({"type": ["The selected type is invalid: use url, pattern or all."]})
    call.log(purge_type=purge_type, purge_kind=purge_type)
    paths = data.get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return invalid({"paths": ["The paths field is required and must be an array of strings."]})
    if purge_type == "all":
        if paths:
            return invalid({"paths": ["The paths field must be empty when type is all."]})
    else:
        errors = path_errors(purge_type, paths)
        if errors:
            return invalid(errors)
    if not call.use_quota():
        return Reply(403, {"message": "Quota exceeded"})
    call.accepted(None, paths, purge_all=purge_type == "all")
    return Reply(200, {})


ROUTES = (("POST", r"/v1/distributions/([^/]+)/purges", "purge", purge),)
