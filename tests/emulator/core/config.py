"""The emulator's config: the core keys, the providers' own keys (from the registry), validation and merge."""

import copy

from core.api import ConfigError, choice, number

FAULT_KINDS = ("429", "429_rl", "500", "502", "503", "drop", "drop_after", "slow")
# "none" lets a fail_next sequence leave a request untouched, e.g. ["none", "500"].
FAIL_NEXT_KINDS = FAULT_KINDS + ("none",)
FAULT_OVERRIDES = ("retry_after", "retry_after_format", "rl_ttl", "slow_seconds")

CORE_DEFAULTS = {
    "quota": {},
    "latency_ms": 0.0,
    "fault_rate": 0.0,
    "faults": ["429", "500", "502", "503", "drop"],
    "seed": None,
    "retry_after": 1,
    "retry_after_format": "seconds",
    "rl_ttl": 1,
    "slow_seconds": 5.0,
    "fail_next": [],
}


def _fault_kind(key, value, kinds):
    kind = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if kind not in kinds:
        raise ConfigError(f"config key '{key}': unknown fault kind {value!r} (known: {', '.join(kinds)})")
    return kind


def _faults(key, value, _current):
    if not isinstance(value, list) or not value:
        raise ConfigError(f"config key '{key}' must be a non-empty list of fault kinds")
    return [_fault_kind(key, item, FAULT_KINDS) for item in value]


def _seed(key, value, _current):
    return None if value is None else number(key, value, lo=-(2**63), integer=True)


CORE_CHECKS = {
    "latency_ms": lambda k, v, _c: number(k, v),
    "fault_rate": lambda k, v, _c: number(k, v, hi=1.0),
    "faults": _faults,
    "seed": _seed,
    # Retry-After is delta-seconds (an integer) in RFC 9110, so fractions are refused.
    "retry_after": lambda k, v, _c: number(k, v, integer=True),
    "retry_after_format": lambda k, v, _c: choice(k, v, ("seconds", "http-date")),
    "rl_ttl": lambda k, v, _c: number(k, v, integer=True),
    "slow_seconds": lambda k, v, _c: number(k, v),
}


def _fail_next(key, value, _current):
    if not isinstance(value, list):
        raise ConfigError(f"config key '{key}' must be a list")
    items = []
    for item in value:
        if isinstance(item, dict):
            unknown = set(item) - {"kind", *FAULT_OVERRIDES}
            if unknown or "kind" not in item:
                raise ConfigError(f"config key '{key}': entries need 'kind' and may set {', '.join(FAULT_OVERRIDES)}")
            entry = {"kind": _fault_kind(key, item["kind"], FAIL_NEXT_KINDS)}
            for name in FAULT_OVERRIDES:
                if name in item:
                    entry[name] = CORE_CHECKS[name](f"{key}.{name}", item[name], None)
            items.append(entry)
        else:
            items.append({"kind": _fault_kind(key, item, FAIL_NEXT_KINDS)})
    return items


class Config:
    """Defaults and checks of every config key: the core's and each provider's."""

    def __init__(self, registry):
        self.registry = registry
        self.checks = dict(CORE_CHECKS, fail_next=_fail_next, quota=self._quota, credentials=self._credentials)
        clash = set(self.checks) & set(registry.config)
        if clash:
            raise RuntimeError(f"provider config keys clash with core keys: {', '.join(sorted(clash))}")
        for key, (_module, _default, check) in registry.config.items():
            self.checks[key] = check

    def defaults(self):
        config = {"credentials": {name: dict(module.CREDENTIALS) for name, module in self.registry.modules.items()}}
        config.update({key: default for key, (_module, default, _check) in self.registry.config.items()})
        config.update(CORE_DEFAULTS)
        return copy.deepcopy(config)

    def merge(self, current, patch):
        """Return current updated with patch, validating everything before changing anything."""
        if not isinstance(patch, dict):
            raise ConfigError("config must be a JSON object")
        for key in patch:
            if key not in self.checks:
                raise ConfigError(f"unknown config key '{key}'")
        merged = copy.deepcopy(current)
        for key, value in patch.items():
            merged[key] = self.checks[key](key, copy.deepcopy(value), copy.deepcopy(current.get(key)))
        return merged

    def _credentials(self, key, value, current):
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}' must be an object keyed by provider")
        # Merged per provider so a test can change one key without restating the others.
        merged = copy.deepcopy(current)
        for provider, fields in value.items():
            if provider not in self.registry.modules:
                raise ConfigError(f"config key '{key}': unknown provider '{provider}'")
            if not isinstance(fields, dict):
                raise ConfigError(f"config key '{key}.{provider}' must be an object")
            for name, secret in fields.items():
                if name not in self.registry.modules[provider].CREDENTIALS:
                    raise ConfigError(f"config key '{key}.{provider}': unknown field '{name}'")
                if not isinstance(secret, str) or not secret:
                    raise ConfigError(f"config key '{key}.{provider}.{name}' must be a non-empty string")
                merged[provider][name] = secret
        return merged

    def _quota(self, key, value, _current):
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}' must be an object mapping provider to a count")
        quota = {}
        for provider, limit in value.items():
            if provider not in self.registry.modules:
                raise ConfigError(f"config key '{key}': unknown provider '{provider}'")
            quota[provider] = None if limit is None else number(f"{key}.{provider}", limit, integer=True)
        return quota
