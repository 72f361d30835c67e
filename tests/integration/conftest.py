"""Integration fixtures: the provider emulator as a real process, and real ansible/ansible-playbook runs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "tests" / "emulator" / "cdn_emulator.py"
TIMEOUT = 10

# The emulator's default credentials (tests/emulator/README.md).
CREDENTIALS = {
    "imagekit": {"api_key": "private_emulator_imagekit_key"},
    "imagemash": {"api_key": "emulator_imagemash_key"},
    "5centscdn": {"api_key": "emulator_5centscdn_key"},
    "gotipath": {
        "api_key": "emulator_gotipath_key",
        "client_id": "11111111-2222-4333-8444-555555555555",
        "library_id": "66666666-7777-4888-8999-000000000000",
    },
}
TARGETS = {
    "imagekit": {"url_endpoint": "https://ik.imagekit.io/demo"},
    "imagemash": {"domain": "john.imagemash.io"},
    "5centscdn": {"zone_id": 42},
    "gotipath": {"distribution_id": "292e5d7f-a8b9-41a0-bdf0-e70347709c6f"},
}
PROVIDERS = tuple(TARGETS)


class Emulator:
    """The emulator process and its control API."""

    def __init__(self, process, url):
        self.process = process
        self.url = url

    def reset(self):
        requests.post(self.url + "/_emulator/reset", timeout=TIMEOUT).raise_for_status()

    def configure(self, **config):
        response = requests.post(self.url + "/_emulator/config", json=config, timeout=TIMEOUT)
        assert response.status_code == 200, response.text

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


def start_emulator(directory, *arguments):
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
            pytest.fail("the emulator did not start")
        time.sleep(0.02)
    return Emulator(process, "http://127.0.0.1:%s" % port_file.read_text(encoding="utf-8").strip())


@pytest.fixture(scope="session")
def emulator_process(tmp_path_factory):
    emulator = start_emulator(tmp_path_factory.mktemp("emulator"))
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(emulator_process):
    emulator_process.reset()
    # Short enough for tests to wait on, long enough to be seen Pending first.
    emulator_process.configure(imagekit_complete_after=0.5, imagemash_complete_after=0.5)
    return emulator_process


class Run:
    def __init__(self, completed, results):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.results = results

    @property
    def output(self):
        return self.stdout + self.stderr

    def task(self, name):
        """The localhost result of the task called name."""
        return self.results[name]


class Ansible:
    """Runs the real ansible and ansible-playbook commands against the emulator."""

    def __init__(self, workdir, emulator):
        self.workdir = workdir
        self.emulator = emulator
        collections = workdir / "collections" / "ansible_collections" / "cdnops"
        collections.mkdir(parents=True)
        (collections / "cdn").symlink_to(ROOT)
        self.inventory = workdir / "inventory.ini"
        self.inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
        self.ledger = str(workdir / "ledger.json")
        self.env = dict(os.environ)
        for name in list(self.env):
            if name.startswith(("ANSIBLE_", "IMAGEKIT_", "IMAGEMASH_", "FIVECENTSCDN_", "GOTIPATH_")):
                del self.env[name]
        self.env.update(
            ANSIBLE_COLLECTIONS_PATH=str(workdir / "collections"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_HOST_KEY_CHECKING="0",
            ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"),
            ANSIBLE_DEPRECATION_WARNINGS="0",
            ANSIBLE_CALLBACK_PLUGINS=str(Path(__file__).parent / "callback_plugins"),
            ANSIBLE_CALLBACKS_ENABLED="result_file",
            PATH=os.path.dirname(sys.executable) + os.pathsep + self.env.get("PATH", ""),
        )

    def options(self, provider, **extra):
        """Module options for provider against the emulator: target, credentials, fast retries."""
        options = {"provider": provider, "api_base_url": self.emulator.url}
        options.update(TARGETS[provider])
        options.update(CREDENTIALS[provider])
        options.update(extra)
        return options

    def playbook(self, tasks, *arguments, env=None, play=None):
        """Run a one-play playbook on localhost; tasks is a list of task dicts (each with a name)."""
        document = [dict({"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": tasks}, **(play or {}))]
        path = self.workdir / "playbook.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return self.run(["ansible-playbook", "-i", str(self.inventory), str(path), *arguments], env)

    def adhoc(self, module, args, *arguments, env=None):
        """ansible localhost -m module -a '<json>'; the result is results["localhost"]."""
        command = ["ansible", "localhost", "-i", str(self.inventory), "-m", module, "-a", json.dumps(args), *arguments]
        run = self.run(command, dict(env or {}, ANSIBLE_LOAD_CALLBACK_PLUGINS="1"))
        run.results["localhost"] = next(iter(run.results.values()), {})
        return run

    def run(self, command, env=None):
        results_file = self.workdir / "results.json"
        if results_file.exists():
            results_file.unlink()
        environment = dict(self.env, CDN_TEST_RESULT_FILE=str(results_file))
        environment.update(env or {})
        completed = subprocess.run(command, cwd=self.workdir, env=environment, capture_output=True, text=True, timeout=600, check=False)
        results = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else {}
        return Run(completed, results)


@pytest.fixture
def ansible(tmp_path, emulator):
    return Ansible(tmp_path, emulator)
