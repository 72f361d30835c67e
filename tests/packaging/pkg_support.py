"""Helpers shared by the packaging tests (a plain module: conftest.py is not importable by name)."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def galaxy_metadata():
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))


def clean_env(**extra):
    """The environment minus anything that could point Ansible or Python at the source tree."""
    dropped = ("ANSIBLE_", "PYTHON", "VIRTUAL_ENV", "IMAGEKIT_", "IMAGEMASH_", "FIVECENTSCDN_", "GOTIPATH_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(dropped)}
    env.update(ANSIBLE_NOCOLOR="1", PATH=str(BIN) + os.pathsep + env.get("PATH", ""))
    env.update(extra)
    return env


def run(command, cwd, env=None, timeout=300):
    completed = subprocess.run([str(part) for part in command], cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout, check=False)
    assert completed.returncode == 0, "%s failed (%d):\n%s\n%s" % (" ".join(map(str, command)), completed.returncode, completed.stdout, completed.stderr)
    return completed
