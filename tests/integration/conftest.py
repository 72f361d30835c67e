"""Integration fixtures: the provider emulator as a real process, and real ansible/ansible-playbook runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cases import CASES, environment_prefixes
from emulator_support import CREDENTIALS, ROOT, TARGETS, start_emulator

SCRUBBED_PREFIXES = ("ANSIBLE_", *environment_prefixes())


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
    for case in CASES.values():
        emulator_process.configure(**getattr(case, "EMULATOR_CONFIG", {}))
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
            # No credential from the developer's environment may reach a test: every provider's variables go.
            if name.startswith(SCRUBBED_PREFIXES):
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
