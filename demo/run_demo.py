"""make demo: start the provider emulator, run demo/demo.yml against it, stop the emulator."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMULATOR = ROOT / "tests" / "emulator" / "cdn_emulator.py"

# The emulator's default credentials, given the way users give theirs: environment variables.
CREDENTIALS = {
    "IMAGEKIT_PRIVATE_KEY": "private_emulator_imagekit_key",
    "IMAGEMASH_API_KEY": "emulator_imagemash_key",
    "FIVECENTSCDN_API_KEY": "emulator_5centscdn_key",
    "GOTIPATH_API_KEY": "emulator_gotipath_key",
    "GOTIPATH_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
    "GOTIPATH_LIBRARY_ID": "66666666-7777-4888-8999-000000000000",
}


def main():
    with tempfile.TemporaryDirectory(prefix="cdn-demo-") as workdir:
        port_file = Path(workdir) / "port"
        emulator = subprocess.Popen(  # noqa: S603 - our own emulator
            [sys.executable, str(EMULATOR), "--port-file", str(port_file), "--latency-ms", "20"],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 15
            while not port_file.exists():
                if emulator.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the provider emulator did not start")
                time.sleep(0.05)
            url = "http://127.0.0.1:%s" % port_file.read_text(encoding="utf-8").strip()
            print("provider emulator listening on %s" % url, flush=True)
            env = dict(os.environ, **CREDENTIALS)
            env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / "build" / "collections"))
            inventory = Path(workdir) / "inventory.ini"
            inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
            command = ["ansible-playbook", "-i", str(inventory), str(ROOT / "demo" / "demo.yml"), "-e", "emulator_url=%s" % url]
            return subprocess.call(command, env=env)
        finally:
            emulator.terminate()
            emulator.wait(10)
            print("provider emulator stopped")


if __name__ == "__main__":
    sys.exit(main())
