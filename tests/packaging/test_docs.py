"""The hand-written guides: docs/*.md is the source, docs/docsite/rst/*.rst is generated from it for the
antsibull-docs docsite and must not drift; the path examples in docs/providers.md are what the code enforces.
"""

import json
import re
import subprocess
import sys

import yaml
from cases import CASES
from pkg_support import ROOT

PROVIDER_SECTION = re.compile(r"^## .*\(`([a-z0-9]+)`\)$")

CHECK_PATHS = r"""
import json, sys
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._planner import plan_purge
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDER_OPTIONS, PROVIDERS

results = {}
for provider, target, paths in json.load(sys.stdin):
    # Planning needs no credentials; options another provider uses must stay unset.
    params = dict(dict.fromkeys(PROVIDER_OPTIONS), provider=provider, soft_purge=False, purge_all=False, tags=[])
    params.update(target)
    adapter = PROVIDERS[provider](params, PROVIDER_OPTIONS)
    for path in paths:
        try:
            plan_purge(adapter, {"paths": [path]}, None, 1000)
            results["%s %s" % (provider, path)] = "yes"
        except CdnError as exc:
            results["%s %s" % (provider, path)] = "no: " + exc.message
print(json.dumps(results))
"""


def path_examples():
    """{provider: [(path, "yes" | "no", why)]} from the tables of docs/providers.md."""
    examples, provider = {}, None
    for line in (ROOT / "docs" / "providers.md").read_text(encoding="utf-8").splitlines():
        section = PROVIDER_SECTION.match(line)
        if section:
            provider = section.group(1)
            continue
        if provider and re.match(r"^\| `[^`]*` \| (yes|no) \|", line):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            examples.setdefault(provider, []).append((cells[0][1:-1], cells[1], cells[2]))
    return examples


def test_rst_guides_are_generated_from_the_markdown():
    completed = subprocess.run([sys.executable, str(ROOT / "scripts" / "md2rst.py"), "--check"], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr + "\nrun scripts/md2rst.py and commit docs/docsite/rst/"


def test_extra_docs_list_every_guide():
    extra = yaml.safe_load((ROOT / "docs" / "docsite" / "extra-docs.yml").read_text(encoding="utf-8"))
    listed = sorted(name for section in extra["sections"] for name in section["toctree"])
    generated = sorted(path.stem for path in (ROOT / "docs" / "docsite" / "rst").glob("*.rst"))
    assert listed == generated


def test_provider_path_examples_match_the_code(tmp_path):
    examples = path_examples()
    assert sorted(examples) == sorted(CASES), "every provider section needs a path examples table"
    for provider, rows in examples.items():
        assert {valid for _path, valid, _why in rows} == {"yes", "no"}, "%s: examples of both kinds" % provider
    # Import the collection's own planner from the source tree, the way Ansible would.
    namespace = tmp_path / "ansible_collections" / "cdnops"
    namespace.mkdir(parents=True)
    (namespace / "cdn").symlink_to(ROOT)
    request = [(provider, CASES[provider].TARGET, [path for path, _valid, _why in rows]) for provider, rows in examples.items()]
    completed = subprocess.run(
        [sys.executable, "-c", CHECK_PATHS],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    wrong = []
    for provider, rows in examples.items():
        for path, valid, why in rows:
            actual = results["%s %s" % (provider, path)]
            if actual.split(":", 1)[0] != valid:
                wrong.append("%s %r: docs say %s (%s), the code says %s" % (provider, path, valid, why, actual))
    assert not wrong, "\n".join(wrong)
