"""Helpers shared by the packaging tests (a plain module: conftest.py is not importable by name)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from cases import environment_prefixes

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def galaxy_metadata():
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))


def clean_env(**extra):
    """The environment minus anything that could point Ansible or Python at the source tree."""
    # And every provider's credential variables, by the prefixes of the case files' ENV (AWS_ covers AWS_PROFILE too).
    dropped = ("ANSIBLE_", "PYTHON", "VIRTUAL_ENV", *environment_prefixes())
    env = {name: value for name, value in os.environ.items() if not name.startswith(dropped)}
    env.update(ANSIBLE_NOCOLOR="1", PATH=str(BIN) + os.pathsep + env.get("PATH", ""))
    env.update(extra)
    return env


def isolated_env(collections, tmp_path, **extra):
    """clean_env where Ansible sees only the collections under `collections`, with its own home and temp, and a
    HOME of its own (no ~/.aws or ~/.edgerc of the machine: only what the test gives)."""
    return clean_env(
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        HOME=str(tmp_path / "home"),
        **extra,
    )


def run(command, cwd, env=None, timeout=300, stdin=None):
    completed = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env or clean_env(), input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert completed.returncode == 0, "%s failed (%d):\n%s\n%s" % (" ".join(map(str, command)), completed.returncode, completed.stdout, completed.stderr)
    return completed


# --- AWX: the credential types of docs/awx.md, the registry of the built collection, the AWX-side tools ---------

AWX_GUIDE = ROOT / "docs" / "awx.md"
CREDENTIAL_TYPE_PREFIX = "cdnops.cdn "
# The tools of the packaging venv (requirements-packaging.txt, made by scripts/packaging_tests.sh), else the main venv's.
TOOL_DIRS = (ROOT / ".venvs" / "packaging" / "bin", BIN)

REGISTRY_DUMP = r"""
import json
import re
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import ADAPTERS

print(json.dumps({
    adapter.name: {
        "environment": list(adapter.environment_variables()),
        "credentials": [option.name for option in adapter.credential_options()],
        "options": {option.name: {"env": list(option.env), "no_log": option.no_log, "required": option.required} for option in adapter.options},
        "base_url_env": list(adapter.base_url_env),
    }
    for adapter in ADAPTERS
}))
"""


def credential_types(text=None):
    """The credential types of docs/awx.md: every yaml block with inputs and injectors, by provider (from its name)."""
    text = AWX_GUIDE.read_text(encoding="utf-8") if text is None else text
    types = {}
    for block in re.findall(r"^```yaml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "inputs" in data and "injectors" in data:
            assert str(data.get("name", "")).startswith(CREDENTIAL_TYPE_PREFIX), "credential type named %r, not %r..." % (
                data.get("name"),
                CREDENTIAL_TYPE_PREFIX,
            )
            provider = data["name"][len(CREDENTIAL_TYPE_PREFIX) :].split()[0]
            types.setdefault(provider, []).append(data)
    return types


def registry(collections):
    """What the adapters of the collection installed under collections declare (ADAPTERS, from a clean interpreter)."""
    env = {"PYTHONPATH": str(collections), "PATH": "/usr/bin:/bin"}
    return json.loads(run([sys.executable, "-c", REGISTRY_DUMP], cwd=collections, env=env).stdout)


def tool(name):
    """An AWX-side tool (ansible-runner, ansible-navigator) from the packaging venv, else from the main venv."""
    for directory in TOOL_DIRS:
        if (directory / name).exists():
            return directory / name
    raise AssertionError("%s not found in %s: run scripts/packaging_tests.sh (requirements-packaging.txt)" % (name, " or ".join(map(str, TOOL_DIRS))))


class _Tower:
    """AWX's `tower` namespace of injector templates: tower.filename, or tower.filename.<name> for several files."""


def render_injectors(credential_type, values, private_data_dir):
    """The environment a credential of this type injects into a job, rendered as AWX renders it.

    AWX renders each injector with Jinja in an immutable sandbox; inputs without a value are left out of the
    namespace (so they render empty); file templates are written under <private_data_dir>/env and named by
    tower.filename (one file) or tower.filename.<name> (template.<name>).
    """
    # jinja2 comes with ansible-core; imported here so that only the AWX tests need it.
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # pylint: disable=import-outside-toplevel

    sandbox = ImmutableSandboxedEnvironment()
    namespace = {key: value for key, value in values.items() if value not in (None, "")}
    tower = _Tower()
    namespace["tower"] = tower
    injectors = credential_type["injectors"]
    env_dir = Path(private_data_dir) / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    for label, template in injectors.get("file", {}).items():
        path = env_dir / ("cred-%s-%s" % (re.sub(r"\W+", "-", credential_type["name"]), label))
        path.write_text(sandbox.from_string(template).render(**namespace), encoding="utf-8")
        path.chmod(0o600)
        if "." not in label:
            tower.filename = str(path)
        else:
            if not hasattr(tower, "filename"):
                tower.filename = _Tower()
            setattr(tower.filename, label.split(".", 1)[1], str(path))
    return {name: sandbox.from_string(template).render(**namespace) for name, template in injectors.get("env", {}).items()}
