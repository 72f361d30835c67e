"""Scale-out: an execution environment (AWX / Automation Platform) built with the collection.

No container engine here, so the image is not built; what is checked is everything ansible-builder does before
the engine runs: `ansible-builder create` makes a valid build context from an EE definition (format 3) that
installs the built tarball, the context's own galaxy step installs the collection, and the introspection the
image build runs finds the collection's Python (requirements.txt) and system (bindep.txt) dependencies.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from pkg_support import BIN, ROOT, clean_env, run

BUILDER_VENV = ROOT / ".venvs" / "packaging"
# The Python requirements an execution environment installs for the collection (meta/execution-environment.yml).
EE_PYTHON = "meta/ee-requirements.txt"


def requirement_lines(path):
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


@pytest.fixture(scope="module")
def builder():
    """ansible-builder from its own venv (scripts/packaging_tests.sh creates it from requirements-packaging.txt)."""
    path = os.environ.get("ANSIBLE_BUILDER") or str(BUILDER_VENV / "bin" / "ansible-builder")
    if not os.path.exists(path):
        path = shutil.which("ansible-builder")
    if not path:
        pytest.fail("ansible-builder not found: run scripts/packaging_tests.sh, which installs it into .venvs/packaging")
    return Path(path)


def introspect(python, script, folder):
    completed = subprocess.run([str(python), str(script), "introspect", str(folder)], capture_output=True, text=True, check=False, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # The output is a YAML document after an optional header line.
    return yaml.safe_load(completed.stdout[completed.stdout.index("---") :])


def optional_libraries():
    """The per-provider optional libraries requirements.txt names in its comments (`#   provider: requirement`)."""
    found = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#\s+([a-z0-9]+):\s+(\S+)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def ee_python_lines():
    """What an image installs for the collection: meta/ee-requirements.txt with its -r include resolved."""
    lines = []
    for line in requirement_lines(ROOT / EE_PYTHON):
        if line.startswith("-r "):
            lines.extend(requirement_lines((ROOT / EE_PYTHON).parent / line.split(None, 1)[1]))
        else:
            lines.append(line)
    return lines


def ee_definition(tarball, tmp_path, base_image, python=None):
    """An execution-environment definition (format 3) that installs the built tarball, written next to a copy of it."""
    shutil.copy(tarball, tmp_path / tarball.name)
    interpreter = "  python_interpreter:\n    package_system: %s\n    python_path: %s\n" % (Path(python).name, python) if python else ""
    definition = tmp_path / "execution-environment.yml"
    definition.write_text(
        "---\nversion: 3\nimages:\n  base_image:\n    name: %s\ndependencies:\n%s" % (base_image, interpreter)
        + textwrap.dedent(
            """\
              ansible_core:
                package_pip: ansible-core>=2.16
              ansible_runner:
                package_pip: ansible-runner
              galaxy:
                collections:
                  - name: collections/{tarball}
                    type: file
            additional_build_files:
              - src: {tarball}
                dest: collections
            """
        ).format(tarball=tarball.name),
        encoding="utf-8",
    )
    return definition


def test_collection_declares_its_dependencies():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert meta["version"] == 1
    assert meta["dependencies"] == {"python": EE_PYTHON, "system": "bindep.txt"}
    assert any(line.startswith("requests") for line in requirement_lines(ROOT / "requirements.txt"))
    assert requirement_lines(ROOT / "bindep.txt"), "bindep.txt lists no package"
    # An image serves every provider: all of requirements.txt, and every provider's optional library.
    libraries = optional_libraries()
    assert {"cloudfront", "akamai"} <= set(libraries), libraries
    python = ee_python_lines()
    assert set(requirement_lines(ROOT / "requirements.txt")) <= set(python), python
    assert set(libraries.values()) <= set(python), "%s must install %s" % (EE_PYTHON, sorted(set(libraries.values()) - set(python)))


def test_builder_context_installs_and_introspects_the_collection(builder, tarball, tmp_path):
    definition = ee_definition(tarball, tmp_path, "registry.example.invalid/ee-minimal-rhel9:latest")
    context = tmp_path / "context"
    run([builder, "create", "--file", definition, "--context", context, "--output-filename", "Containerfile"], cwd=tmp_path)

    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    build = context / "_build"
    assert (build / "collections" / tarball.name).read_bytes() == tarball.read_bytes()
    requirements = yaml.safe_load((build / "requirements.yml").read_text(encoding="utf-8"))
    assert requirements["collections"] == [{"name": "collections/" + tarball.name, "type": "file"}]
    assert "ansible-galaxy collection install" in containerfile and "-r requirements.yml" in containerfile
    assert "introspect.py introspect" in containerfile
    assert "install-from-bindep" in containerfile
    assert "ansible-core>=2.16" in containerfile and "ansible-runner" in containerfile

    # The galaxy stage: COPY _build /build; WORKDIR /build; ansible-galaxy collection install -r requirements.yml.
    collections = tmp_path / "usr-share-ansible-collections"
    run([BIN / "ansible-galaxy", "collection", "install", "-r", "requirements.yml", "--collections-path", collections], cwd=build)
    assert (collections / "ansible_collections" / "cdnops" / "cdn" / "meta" / "execution-environment.yml").is_file()

    # The builder stage runs the context's introspect.py on what the galaxy stage installed: every provider's library.
    expected_python = ee_python_lines()
    assert {"botocore", "edgegrid-python"} <= {re.split(r"[<>=!~ \[;]", line, maxsplit=1)[0] for line in expected_python}, expected_python
    expected_system = requirement_lines(ROOT / "bindep.txt")
    builder_python = builder.parent / "python"
    data = introspect(builder_python if builder_python.exists() else sys.executable, build / "scripts" / "introspect.py", collections)
    python = [line.split("#", 1)[0].strip() for line in data["python"]]
    system = [line.split("#", 1)[0].strip() for line in data["system"]]
    assert python == expected_python, data
    assert system == expected_system, data
    assert all("from collection cdnops.cdn" in line for line in data["python"] + data["system"]), data

    # And ansible-builder's own view of the installed collection says the same.
    output = run([builder, "introspect", collections], cwd=tmp_path, env=clean_env()).stdout
    for line in expected_python + expected_system:
        assert line in output, output


def container_engine():
    for name in ("podman", "docker"):
        path = shutil.which(name)
        if path and subprocess.run([path, "info"], capture_output=True, check=False, timeout=60).returncode == 0:
            return name
    return None


def test_builder_builds_an_image_with_every_provider_library(builder, tarball, tmp_path):
    """The image itself, where a container engine runs: the EE of docs/awx.md imports every provider's library."""
    engine = container_engine()
    if engine is None:
        pytest.skip(
            "no container engine (podman or docker) runs on this machine: the image is not built; the build context and its introspection are tested above"
        )
    definition = ee_definition(tarball, tmp_path, "quay.io/centos/centos:stream9", python="/usr/bin/python3.11")
    tag = "localhost/cdnops-cdn-ee-test:latest"
    run([builder, "build", "--container-runtime", engine, "--file", definition, "--context", tmp_path / "context", "--tag", tag], cwd=tmp_path, timeout=1800)
    check = "import botocore, akamai.edgegrid, requests, ansible_runner; print('ok')"
    output = run([engine, "run", "--rm", tag, "/usr/bin/python3.11", "-c", check], cwd=tmp_path, timeout=300).stdout
    assert output.strip() == "ok", output
    listing = run([engine, "run", "--rm", tag, "ansible-galaxy", "collection", "list", "cdnops.cdn"], cwd=tmp_path, timeout=300).stdout
    assert "cdnops.cdn" in listing, listing
