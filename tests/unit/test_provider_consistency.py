"""Every registered provider is complete everywhere: emulator handler, case file, docs section, role choice,
environment scrub, generated docs. A provider added to the registry and forgotten anywhere fails here, by name."""

import os
import re
import subprocess
import sys

import pytest
import yaml
from cases import CASES, environment_prefixes
from emulator_support import ROOT, start_emulator

from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS

REGISTERED = sorted(PROVIDERS)


@pytest.fixture(scope="module")
def emulated(tmp_path_factory):
    emulator = start_emulator(tmp_path_factory.mktemp("consistency"))
    try:
        import requests

        yield requests.get(emulator.url + "/_emulator/providers", timeout=10).json()
    finally:
        emulator.stop()


def test_every_provider_has_an_emulator_handler(emulated):
    assert sorted(emulated) == REGISTERED, "registry and emulator handlers (tests/emulator/providers) differ"


def test_every_provider_has_a_case_file():
    assert sorted(CASES) == REGISTERED, "registry and case files (tests/support/cases) differ"


@pytest.mark.parametrize("provider", REGISTERED)
def test_the_case_file_declares_the_providers_options_and_kinds(provider):
    adapter, case = PROVIDERS[provider], CASES[provider]
    assert set(case.TARGET) <= adapter.option_names() and set(case.CREDENTIALS) <= adapter.option_names()
    required = {option.name for option in adapter.credential_options() if option.required}
    assert required <= set(case.CREDENTIALS), "the case file lacks a required credential"
    assert set(case.ENV) <= set(adapter.environment_variables()), "the case file's ENV names a variable the adapter never reads"
    assert bool(case.PURGE_ALL) == ("all" in adapter.kinds)
    assert bool(case.PREFIX) == ("prefix" in adapter.kinds)


@pytest.mark.parametrize("provider", REGISTERED)
def test_the_case_files_credentials_are_the_emulators(provider, emulated):
    # Module option values must be among the emulator's default credential values (the field names differ per vendor).
    emulator_values = set(emulated[provider]["credentials"].values())
    assert set(CASES[provider].CREDENTIALS.values()) <= emulator_values


@pytest.mark.parametrize("provider", REGISTERED)
def test_every_provider_has_a_docs_section(provider):
    guide = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")
    assert re.search(r"^## .+ \(`%s`\)$" % re.escape(provider), guide, re.MULTILINE), "docs/providers.md has no section for %s" % provider


def test_the_role_offers_every_provider():
    spec = yaml.safe_load((ROOT / "roles" / "purge" / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    choices = spec["argument_specs"]["main"]["options"]["cdn_purge_targets"]["options"]["provider"]["choices"]
    assert sorted(choices) == REGISTERED


def test_the_test_environment_scrubs_every_providers_variables():
    prefixes = environment_prefixes()
    for adapter in PROVIDERS.values():
        for env in adapter.environment_variables():
            assert env.startswith(prefixes), "%s (%s) is not scrubbed from the test environment" % (env, adapter.name)


def test_the_generated_docs_are_up_to_date():
    # The doc fragment, the role's provider options and the provider tables derive from the registry.
    # make collection links the collection into build/collections, the import path the script needs.
    env = dict(os.environ, PYTHONPATH=str(ROOT / "build" / "collections"))
    command = [sys.executable, str(ROOT / "scripts" / "gen_provider_docs.py"), "--check"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("provider", REGISTERED)
def test_every_provider_has_a_changelog_entry(provider):
    fragments = " ".join(path.read_text(encoding="utf-8") for path in (ROOT / "changelogs" / "fragments").glob("*.yml"))
    history = (ROOT / "changelogs" / "changelog.yaml").read_text(encoding="utf-8")
    assert provider in fragments or provider in history, "no changelog fragment mentions %s" % provider
