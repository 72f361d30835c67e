"""Everything mutable in the emulator: config, request log, quota counters, faults and the providers' stores."""

import copy
import random
import threading

from core.config import FAULT_OVERRIDES


class EmulatorState:
    """Behind one lock: config, request log, quota counters, fault draws. Provider stores lock themselves."""

    def __init__(self, registry, config, startup_config):
        self.registry = registry
        self.config_spec = config
        self.lock = threading.Lock()
        self.startup_config = copy.deepcopy(startup_config)
        self._connections = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.config = copy.deepcopy(self.startup_config)
            self.log = []
            self.stores = self.registry.make_stores()
            self.quota_used = dict.fromkeys(self.registry.names, 0)
            self.rng = random.Random(self.config["seed"])

    def next_connection_id(self):
        with self.lock:
            self._connections += 1
            return self._connections

    def snapshot(self):
        with self.lock:
            return copy.deepcopy(self.config)

    def update_config(self, patch):
        with self.lock:
            self.config = self.config_spec.merge(self.config, patch)
            if "quota" in patch:
                self.quota_used = dict.fromkeys(self.registry.names, 0)
            if "seed" in patch:
                self.rng = random.Random(self.config["seed"])
            config = copy.deepcopy(self.config)
            stores = dict(self.stores)
        touched = {}
        for key in patch:
            if key in self.registry.config:
                touched.setdefault(self.registry.config[key][0].NAME, set()).add(key)
        for name, keys in touched.items():
            if hasattr(stores[name], "config_changed"):
                stores[name].config_changed(keys)
        return config

    def reset_quota(self):
        with self.lock:
            self.quota_used = dict.fromkeys(self.registry.names, 0)

    def requests(self, provider=None):
        with self.lock:
            return [copy.deepcopy(e) for e in self.log if provider is None or e["provider"] == provider]

    def append_log(self, entry):
        with self.lock:
            entry["seq"] = len(self.log) + 1
            self.log.append(entry)

    def next_fault(self):
        """The fault for the next provider request: queued fail_next first, then a random draw."""
        with self.lock:
            cfg = self.config
            if cfg["fail_next"]:
                fault = cfg["fail_next"].pop(0)
            elif cfg["fault_rate"] > 0 and self.rng.random() < cfg["fault_rate"]:
                fault = {"kind": self.rng.choice(cfg["faults"])}
            else:
                return None
            if fault["kind"] == "none":
                return None
            return {name: fault.get(name, cfg[name]) for name in FAULT_OVERRIDES} | {"kind": fault["kind"]}

    def use_quota(self, provider):
        """Count one accepted purge unless the provider's quota is used up (then False)."""
        with self.lock:
            limit = self.config["quota"].get(provider)
            if limit is not None and self.quota_used[provider] >= limit:
                return False
            self.quota_used[provider] += 1
            return True

    def consume(self, key):
        """Decrement the integer config key when positive: True if it was (a provider's 'next N' switch)."""
        with self.lock:
            if self.config[key] > 0:
                self.config[key] -= 1
                return True
            return False

    def store(self, provider):
        with self.lock:
            return self.stores[provider]

    def complete_all(self):
        with self.lock:
            stores = list(self.stores.values())
        return sum(store.complete() for store in stores if hasattr(store, "complete"))
