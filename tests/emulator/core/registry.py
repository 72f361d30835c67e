"""The provider handlers the emulator serves, checked once at start-up.

A handler module (providers/<name>.py) defines:

  NAME          the provider name (`provider` in the request log, the key in `credentials` and `quota`)
  CREDENTIALS   {field: default secret}: the credential fields the provider accepts and their defaults
  ROUTES        ((method, path regex, log kind, function), ...): function(call: Call) -> Reply
  error_body(status, message) -> the JSON payload of an emulated fault (429, 5xx) in the vendor's error shape

and may define:

  CONFIG        {key: (default, check)}: its own config keys, each starting with NAME + "_";
                check(key, value, current) returns the normalised value or raises ConfigError
  CLI_FLAGS     ((flag, config key, type, help), ...): command-line shortcuts for its config keys
  LOG_FIELDS    {field: default}: extra request-log fields (present in every entry)
  State         a class: the provider's mutable state, made afresh on reset; may define
                complete() -> int (its part of POST /_emulator/complete) and
                config_changed(keys) (called when a config patch touches its keys)
  rate_limit_headers(store, config, fault) -> headers of the vendor's own rate-limit answer: sent with
                fault `429` (besides Retry-After) and alone with fault `429_rl`; without it `429_rl` is a
                plain `429`
  answer_headers(store, config) -> headers every answer of the provider carries (added where the
                route function or the fault did not set them)
"""

import re

CORE_LOG_FIELDS = (
    "seq",
    "time",
    "provider",
    "method",
    "path",
    "query",
    "headers",
    "body",
    "body_text",
    "status",
    "fault",
    "accepted",
    "kind",
    "request_id",
    "purged",
    "purge_all",
    "purge_kind",
    "connection",
)
REQUIRED = ("NAME", "CREDENTIALS", "ROUTES", "error_body")


class Registry:
    def __init__(self, modules):
        self.modules = {}
        self.routes = []
        self.config = {}
        self.log_fields = {}
        for module in modules:
            self._add(module)

    def _add(self, module):
        missing = [attr for attr in REQUIRED if not hasattr(module, attr)]
        if missing:
            raise RuntimeError(f"provider module {module.__name__} lacks {', '.join(missing)}")
        name = module.NAME
        if name in self.modules or name == "unknown":
            raise RuntimeError(f"provider name {name!r} is used twice or reserved")
        self.modules[name] = module
        for key, (default, check) in getattr(module, "CONFIG", {}).items():
            if not key.startswith(name + "_") or key in self.config:
                raise RuntimeError(f"config key {key!r} of {name} must start with '{name}_' and be unique")
            self.config[key] = (module, default, check)
        for field_name, default in getattr(module, "LOG_FIELDS", {}).items():
            if field_name in CORE_LOG_FIELDS or field_name in self.log_fields:
                raise RuntimeError(f"log field {field_name!r} of {name} clashes")
            self.log_fields[field_name] = default
        for method, pattern, kind, function in module.ROUTES:
            self.routes.append((method, re.compile(pattern), module, kind, function))

    @property
    def names(self):
        return tuple(self.modules)

    def find_route(self, method, path):
        """(module, log kind, function, regex groups) of the route serving the request, or None."""
        for route_method, pattern, module, kind, function in self.routes:
            match = pattern.fullmatch(path)
            if match and method == route_method:
                return module, kind, function, match.groups()
        return None

    def make_stores(self):
        return {name: module.State() if hasattr(module, "State") else None for name, module in self.modules.items()}

    def describe(self):
        """Every provider's default credentials, own config keys with defaults, and routes."""
        return {
            name: {
                "credentials": dict(module.CREDENTIALS),
                "config": {key: default for key, (default, _check) in getattr(module, "CONFIG", {}).items()},
                "routes": [{"method": method, "path": pattern, "kind": kind} for method, pattern, kind, _function in module.ROUTES],
            }
            for name, module in self.modules.items()
        }
