"""Scale-out: an execution environment (AWX / Automation Platform) built with the collection.

No container engine here, so the image is not built; what is checked is everything ansible-builder does before
the engine runs: `ansible-builder create` makes a valid build context from an EE definition (format 3) that
installs the built tarball, the context's own galaxy step installs the collection, and the introspection the
image build runs finds the collection's Python (requirements.txt) and system (bindep.txt) dependencies.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from pkg_support import BIN, ROOT, clean_env, run

BUILDER_VENV = ROOT / ".venvs" / "packaging"


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


def test_collection_declares_its_dependencies():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert meta["version"] == 1
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    assert any(line.startswith("requests") for line in requirement_lines(ROOT / "requirements.txt"))
    assert requirement_lines(ROOT / "bindep.txt"), "bindep.txt lists no package"


def test_builder_context_installs_and_introspects_the_collection(builder, tarball, tmp_path):
    shutil.copy(tarball, tmp_path / tarball.name)
    definition = tmp_path / "execution-environment.yml"
    definition.write_text(
        textwrap.dedent(
            """\
            ---
            version: 3
            images:
              base_image:
                name: registry.example.invalid/ee-minimal-rhel9:latest
            dependencies:
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

    # The builder stage runs the context's introspect.py on what the galaxy stage installed.
    expected_python = requirement_lines(ROOT / "requirements.txt")
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
