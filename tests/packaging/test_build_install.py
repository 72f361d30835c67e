"""The release artifact: what `ansible-galaxy collection build` puts in the tarball, and that the installed
tarball works on its own: cdnops.cdn.cdn_purge by its FQCN against the emulator, with nothing from the source
tree on any path (cwd, ANSIBLE_COLLECTIONS_PATH, PYTHONPATH, sys.path scanning).
"""

import json
import sys
import tarfile
import textwrap

import requests
from pkg_support import BIN, ROOT, clean_env, galaxy_metadata, run

# Top-level entries a user of the collection gets; anything else must be in build_ignore.
ALLOWED_TOP_LEVEL = {
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "CHANGELOG.rst",
    "LICENSE",
    "COPYING",
    "requirements.txt",
    "bindep.txt",
    "changelogs",
    "docs",
    "meta",
    "plugins",
    "roles",
    "playbooks",
    "tests",
}
# Inside tests/ only what ansible-test reads from an installed collection (galaxy-importer runs it on the tarball).
ALLOWED_UNDER_TESTS = ("tests/config.yml", "tests/sanity")
ALLOWED_UNDER_TESTS_PREFIX = "tests/sanity/ignore-"
FORBIDDEN = (
    ".venv",
    ".venvs",
    ".git",
    ".ci",
    "build",
    "collections",
    "benchmarks",
    ".benchmarks",
    "demo",
    "scripts",
    "Makefile",
    "pyproject.toml",
    "requirements-dev.txt",
    "tests/integration",
    "tests/unit",
    "tests/emulator",
    "tests/packaging",
    "tests/output",
)
REQUIRED = (
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "CHANGELOG.rst",
    "requirements.txt",
    "bindep.txt",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "plugins/modules/cdn_purge.py",
    "plugins/modules/cdn_purge_status.py",
    "plugins/doc_fragments/common.py",
    "changelogs/changelog.yaml",
    "changelogs/config.yaml",
    "docs/providers.md",
    "docs/troubleshooting.md",
    "docs/docsite/extra-docs.yml",
    "docs/docsite/links.yml",
)
# Directories that are shipped whenever the source tree has them.
SHIPPED_IF_PRESENT = ("roles", "playbooks")


def members(tarball):
    with tarfile.open(tarball) as archive:
        return [member.name.removeprefix("./").rstrip("/") for member in archive.getmembers()]


def test_tarball_holds_only_what_users_need(tarball):
    names = members(tarball)
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level <= ALLOWED_TOP_LEVEL, "not for users, add to build_ignore in galaxy.yml: %s" % sorted(top_level - ALLOWED_TOP_LEVEL)
    for name in names:
        if name.startswith("tests/"):
            assert name in ALLOWED_UNDER_TESTS or name.startswith(ALLOWED_UNDER_TESTS_PREFIX), "%s must not be shipped (build_ignore in galaxy.yml)" % name
        for forbidden in FORBIDDEN:
            assert name != forbidden and not name.startswith(forbidden + "/"), "%s must not be shipped (build_ignore in galaxy.yml)" % name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
    missing = [name for name in REQUIRED if name not in names]
    assert not missing, "missing from the tarball: %s" % missing
    for directory in SHIPPED_IF_PRESENT:
        if (ROOT / directory).is_dir() and any((ROOT / directory).iterdir()):
            assert directory in top_level, "%s exists but is not in the tarball" % directory


def test_manifest_matches_galaxy_yml(tarball):
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
    meta = galaxy_metadata()
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == (meta["namespace"], meta["name"], meta["version"])
    assert manifest["license"] == meta["license"]


def test_installed_tarball_purges_by_fqcn(installed, emulator, tmp_path):
    """Install into an empty dir, run from outside the source tree, against the emulator."""
    collection = installed / "ansible_collections" / "cdnops" / "cdn"
    assert (collection / "MANIFEST.json").is_file()
    assert not (collection / "tests" / "unit").exists()
    assert ROOT not in tmp_path.parents and tmp_path != ROOT

    env = clean_env(
        ANSIBLE_COLLECTIONS_PATH=str(installed),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_DEPRECATION_WARNINGS="false",
    )

    # Ansible resolves the module to the installed copy, not to the source tree.
    doc = json.loads(run([BIN / "ansible-doc", "--json", "cdnops.cdn.cdn_purge"], cwd=tmp_path, env=env).stdout)
    filename = doc["cdnops.cdn.cdn_purge"]["doc"]["filename"]
    assert filename.startswith(str(installed)), filename

    requests.post(emulator.url + "/_emulator/reset", timeout=10).raise_for_status()
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
    results = tmp_path / "results"
    playbook = tmp_path / "purge.yml"
    playbook.write_text(
        textwrap.dedent(
            """\
            - name: Purge with the installed collection
              hosts: localhost
              gather_facts: false
              module_defaults:
                group/cdnops.cdn.cdn:
                  provider: imagekit
                  api_base_url: {url}
                  url_endpoint: https://ik.imagekit.io/demo
                  api_key: private_emulator_imagekit_key
              tasks:
                - name: Purge two files and a prefix
                  cdnops.cdn.cdn_purge:
                    paths: [/img/logo.png, /css/site.css, /img/products/*, /img/products/a.png]
                  register: purge
                - name: Wait for the purge
                  cdnops.cdn.cdn_purge_status:
                    request_ids: "{{{{ purge.request_ids }}}}"
                    wait: true
                    poll_interval: 0.2
                    wait_timeout: 30
                  register: status
                - name: Keep the results
                  ansible.builtin.copy:
                    content: "{{{{ {{'purge': purge, 'status': status}} | to_json }}}}"
                    dest: {results}
                    mode: "0600"
            """
        ).format(url=emulator.url, results=results),
        encoding="utf-8",
    )
    run([BIN / "ansible-playbook", "-i", inventory, playbook], cwd=tmp_path, env=env)

    data = json.loads(results.read_text(encoding="utf-8"))
    purge, status = data["purge"], data["status"]
    assert purge["changed"] is True
    assert purge["provider"] == "imagekit"
    assert sorted(purge["paths"]) == [
        "https://ik.imagekit.io/demo/css/site.css",
        "https://ik.imagekit.io/demo/img/logo.png",
        "https://ik.imagekit.io/demo/img/products/*",
    ]
    assert purge["skipped_paths"] == [
        {"path": "https://ik.imagekit.io/demo/img/products/a.png", "reason": "covered_by_prefix", "covered_by": "https://ik.imagekit.io/demo/img/products/*"}
    ]
    assert len(purge["request_ids"]) == 3
    assert status["status"] == "Completed"
    assert status["changed"] is False

    log = requests.get(emulator.url + "/_emulator/requests", params={"provider": "imagekit"}, timeout=10).json()
    purged = sorted(path for entry in log if entry["kind"] == "purge" and entry["accepted"] for path in entry["purged"])
    assert purged == sorted(purge["paths"])
