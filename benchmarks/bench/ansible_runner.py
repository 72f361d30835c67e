# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook and ansible, run the way tests/integration/conftest.py runs them, each one measured."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from cases import environment_prefixes

from bench.config import BENCH, ENTRY, PLAYBOOKS, ROOT
from bench.measure import Run, TreeSampler


class Ansible:
    """Runs ansible-playbook and ansible the way tests/integration/conftest.py does, measured."""

    def __init__(self, workdir, bin_dir):
        self.workdir = Path(workdir)
        self.bin_dir = Path(bin_dir).resolve()
        link = self.workdir / "collections" / "ansible_collections" / "cdnops" / "cdn"
        link.parent.mkdir(parents=True)
        link.symlink_to(ROOT)
        self.collections = self.workdir / "collections"
        self.inventory = self.workdir / "inventory.ini"
        self.inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
        # No ANSIBLE_ setting and no provider credential of the caller's environment reaches the measured runs.
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", *environment_prefixes()))}
        self.env.update(
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_HOST_KEY_CHECKING="0",
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "tmp"),
            ANSIBLE_REMOTE_TMP=str(self.workdir / "remote_tmp"),
            ANSIBLE_DEPRECATION_WARNINGS="0",
            ANSIBLE_CALLBACK_PLUGINS=str(BENCH / "callback_plugins"),
            ANSIBLE_CALLBACKS_ENABLED="bench_result",
            PATH=str(self.bin_dir) + os.pathsep + os.environ.get("PATH", ""),
        )
        self.counter = 0

    def version(self):
        out = subprocess.run([str(self.bin_dir / "ansible"), "--version"], capture_output=True, text=True, env=self.env, check=False).stdout  # noqa: S603
        match = re.search(r"core ([0-9][^\]\s]*)", out)
        return match.group(1) if match else "unknown"

    def vars_file(self, name, data):
        path = self.workdir / ("%s.json" % name)
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    def playbook_command(self, playbook, vars_path):
        return [str(self.bin_dir / "ansible-playbook"), "-i", str(self.inventory), str(PLAYBOOKS / playbook), "-e", "@%s" % vars_path]

    def playbook(self, playbook, vars_path, sample=False, env=None):
        return self.measure(playbook, self.playbook_command(playbook, vars_path), sample, env)

    def ping(self, sample=False):
        command = [str(self.bin_dir / "ansible"), "localhost", "-i", str(self.inventory), "-m", "ansible.builtin.ping"]
        return self.measure("ping", command, sample)

    def measure(self, label, command, sample=False, env=None):
        self.counter += 1
        base = self.workdir / ("run%03d" % self.counter)
        files = {kind: "%s.%s" % (base, kind) for kind in ("json", "stdout", "stderr", "results")}
        environment = dict(self.env, CDN_BENCH_RESULT_FILE=files["results"])
        environment.update(env or {})
        wrapper = [sys.executable, str(ENTRY), "--_exec", files["json"], files["stdout"], files["stderr"], "--", *command]
        process = subprocess.Popen(wrapper, cwd=self.workdir, env=environment)  # noqa: S603
        sampler = None
        if sample:
            sampler = TreeSampler(process.pid)
            sampler.start()
        process.wait()
        if sampler:
            sampler.stop_event.set()
            sampler.join()
        data = json.loads(Path(files["json"]).read_text(encoding="utf-8"))
        results = json.loads(Path(files["results"]).read_text(encoding="utf-8")) if os.path.exists(files["results"]) else {}
        stdout, stderr = (Path(files[kind]).read_text(encoding="utf-8", errors="replace") for kind in ("stdout", "stderr"))
        return Run(label, data, stdout, stderr, results, sampler)
