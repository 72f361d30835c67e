"""make demo: start the provider emulator, run demo/demo.yml against it, stop the emulator."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The one place the demo reaches into the tests: tests/support holds the emulator launcher and its default
# credentials (emulator_support). pytest puts that folder on its pythonpath; this script does it here.
sys.path.insert(0, str(ROOT / "tests" / "support"))

from cases import CASES  # noqa: E402
from emulator_support import EmulatorStartError, start_emulator  # noqa: E402


def main():
    with tempfile.TemporaryDirectory(prefix="cdn-demo-") as workdir:
        try:
            emulator = start_emulator(workdir, "--latency-ms", "20")
        except EmulatorStartError:
            sys.exit("the provider emulator did not start")
        try:
            print("provider emulator listening on %s" % emulator.url, flush=True)
            env = dict(os.environ)
            # The emulator's default credentials, given the way users give theirs: environment variables.
            for case in CASES.values():
                env.update(case.ENV)
            env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / "build" / "collections"))
            inventory = Path(workdir) / "inventory.ini"
            inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
            command = ["ansible-playbook", "-i", str(inventory), str(ROOT / "demo" / "demo.yml"), "-e", "emulator_url=%s" % emulator.url]
            return subprocess.call(command, env=env)
        finally:
            emulator.stop()
            print("provider emulator stopped")


if __name__ == "__main__":
    sys.exit(main())
