"""The provider emulator for tests: where it is, its default credentials and targets, starting and steering it.

Tests import it as `emulator_support` (pyproject.toml puts tests/support on pytest's pythonpath). The emulator
itself is a separate process: tests talk to it over real HTTP only.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from cases import CASES

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "tests" / "emulator" / "cdn_emulator.py"
TIMEOUT = 10

# The emulator's default credentials and targets, as module options: from the provider case files (tests/support/cases).
CREDENTIALS = {name: dict(case.CREDENTIALS) for name, case in CASES.items()}
TARGETS = {name: dict(case.TARGET) for name, case in CASES.items()}
PROVIDERS = tuple(CASES)


class EmulatorStartError(RuntimeError):
    """The emulator process did not come up."""


class Emulator:
    """A running emulator process and its control API."""

    def __init__(self, process, url):
        self.process = process
        self.url = url

    def reset(self):
        requests.post(self.url + "/_emulator/reset", timeout=TIMEOUT).raise_for_status()

    def configure(self, **config):
        response = requests.post(self.url + "/_emulator/config", json=config, timeout=TIMEOUT)
        if response.status_code != 200:
            raise AssertionError("emulator refused config %r: %s" % (config, response.text))

    def reset_quota(self):
        requests.post(self.url + "/_emulator/quota/reset", timeout=TIMEOUT).raise_for_status()

    def log(self, provider=None):
        params = {"provider": provider} if provider else None
        return requests.get(self.url + "/_emulator/requests", params=params, timeout=TIMEOUT).json()

    def purges(self, provider=None):
        """Log entries of accepted purge requests."""
        return [entry for entry in self.log(provider) if entry["kind"] == "purge" and entry["accepted"]]

    def purged_paths(self, provider=None):
        return [path for entry in self.purges(provider) for path in entry["purged"]]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_emulator(directory, *arguments, scheme="http"):
    """Start the emulator on a free loopback port; arguments are its CLI flags (tests/emulator/README.md)."""
    port_file = Path(directory) / "emulator.port"
    # Not a with-block: the process outlives this function; Emulator.stop() ends it.
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, str(EMULATOR), "--port", "0", "--port-file", str(port_file), *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise EmulatorStartError("the emulator did not start (%s)" % " ".join(arguments))
        time.sleep(0.02)
    return Emulator(process, "%s://127.0.0.1:%s" % (scheme, port_file.read_text(encoding="utf-8").strip()))
