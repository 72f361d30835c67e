"""Packaging fixtures: the collection tarball as `ansible-galaxy collection build` makes it, and the emulator.

Only the test helpers come from the source tree (tests/support); the collection under test is the built artifact.
"""

import os

import pytest
from emulator_support import start_emulator
from pkg_support import BIN, ROOT, galaxy_metadata, run


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


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """The provider emulator (tests/emulator) on a free loopback port."""
    emulator = start_emulator(tmp_path_factory.mktemp("emulator"), "--imagekit-complete-after", "0.2")
    yield emulator
    emulator.stop()
