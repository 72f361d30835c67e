"""Packaging fixtures: the collection tarball as `ansible-galaxy collection build` makes it, and the emulator.

Nothing here imports from tests/integration: these tests check the built artifact, not the source tree.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from pkg_support import BIN, EMULATOR, ROOT, galaxy_metadata, run


@pytest.fixture(scope="session")
def tarball(tmp_path_factory):
    """The collection built from the working tree, the way a release is built."""
    output = tmp_path_factory.mktemp("dist")
    run([BIN / "ansible-galaxy", "collection", "build", "--output-path", output, ROOT], cwd=output)
    meta = galaxy_metadata()
    path = output / ("%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"]))
    assert path.is_file(), sorted(os.listdir(output))
    return path


@pytest.fixture(scope="session")
def installed(tarball, tmp_path_factory):
    """The tarball installed into an empty collections directory; returns that directory."""
    target = tmp_path_factory.mktemp("installed") / "collections"
    target.mkdir()
    run([BIN / "ansible-galaxy", "collection", "install", tarball, "-p", target], cwd=target)
    return target


class Emulator:
    def __init__(self, process, url):
        self.process = process
        self.url = url

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """The provider emulator (tests/emulator) on a free loopback port, as tests/integration starts it."""
    port_file = tmp_path_factory.mktemp("emulator") / "port"
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, str(EMULATOR), "--port", "0", "--port-file", str(port_file), "--imagekit-complete-after", "0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the emulator did not start")
        time.sleep(0.02)
    emulator = Emulator(process, "http://127.0.0.1:%s" % port_file.read_text(encoding="utf-8").strip())
    yield emulator
    emulator.stop()
