"""Every registered provider through the same tests, from its case file: each purge kind it offers, purge all,
the kinds it lacks, credentials from the environment, faults ridden out. Real ansible/ansible-playbook runs
against the emulator."""

import pytest
from cases import CASES

from ansible_collections.cdnops.cdn.plugins.module_utils._provider import KIND_OPTION
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS as ADAPTERS

ITEM_OPTIONS = ("paths", "tags", "hosts", "cp_codes")
LABELS = {"paths": "", "tags": "tag:", "hosts": "host:", "cp_codes": "cp_code:"}
KIND_CASES = [(provider, option) for provider, case in CASES.items() for option in case.ITEMS]
MISSING_KINDS = [
    (provider, option)
    for provider in CASES
    for option in ITEM_OPTIONS
    if option != "paths" and option not in {KIND_OPTION[kind] for kind in ADAPTERS[provider].kinds}
]


def purge_task(ansible, provider, name="purge", **options):
    return {"name": name, "cdnops.cdn.cdn_purge": ansible.options(provider, **options), "register": "result"}


def test_every_registered_provider_has_a_case_file():
    assert sorted(CASES) == sorted(ADAPTERS)


@pytest.mark.parametrize("provider, option", KIND_CASES)
def test_each_kind_is_purged_as_the_providers_own_kind(ansible, emulator, provider, option):
    case = CASES[provider]
    run = ansible.playbook([purge_task(ansible, provider, **{option: case.ITEMS[option]})], "--diff")
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert result["changed"] is True
    # Results name full URLs and tag:NAME; the emulator logs what the vendor's API takes.
    expected = case.RESULT_PATHS if option == "paths" else [LABELS[option] + str(item) for item in case.SENT[option]]
    assert result["paths"] == expected
    assert sorted(item for request in result["purge_requests"] for item in request["paths"]) == sorted(expected)
    assert sorted(emulator.purged_paths(provider)) == sorted(case.SENT[option])
    assert result["api_requests"] == len(emulator.log(provider))
    assert all(request["kind"] in ADAPTERS[provider].kinds for request in result["purge_requests"])
    for item in expected:
        assert "+%s" % item in run.stdout  # diff mode shows every item


@pytest.mark.parametrize("provider", list(CASES))
def test_every_kind_at_once_in_check_mode_sends_nothing(ansible, emulator, provider):
    case = CASES[provider]
    run = ansible.playbook([purge_task(ansible, provider, **case.ITEMS)], "--check")
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert result["changed"] is True and result["api_requests"] == 0 and result["status"] == "Pending"
    assert {request["kind"] for request in result["purge_requests"]} <= set(ADAPTERS[provider].kinds)
    assert emulator.log() == []


@pytest.mark.parametrize("provider", [provider for provider, case in CASES.items() if case.PURGE_ALL])
def test_purge_all(ansible, emulator, provider):
    run = ansible.playbook([purge_task(ansible, provider, purge_all=True, paths=[], tags=[])])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert [request["kind"] for request in result["purge_requests"]] == ["all"]
    (entry,) = emulator.purges(provider)
    assert entry["purge_all"] is True
    # Recorded under the key: the rerun sends nothing.
    keyed = purge_task(ansible, provider, purge_all=True, idempotency_key="wipe-1", idempotency_file=ansible.ledger)
    assert ansible.playbook([keyed]).rc == 0
    again = ansible.playbook([keyed])
    assert again.task("purge")["changed"] is False and len(emulator.purges(provider)) == 2


@pytest.mark.parametrize("provider", [provider for provider, case in CASES.items() if not case.PURGE_ALL])
def test_purge_all_is_a_clear_error_without_a_purge_all_api(ansible, emulator, provider):
    run = ansible.playbook([purge_task(ansible, provider, purge_all=True)])
    assert run.rc != 0
    assert "purge_all is not supported by provider %s: it has no purge-all API" % provider in run.task("purge")["msg"]
    assert emulator.log() == []


@pytest.mark.parametrize("provider, option", MISSING_KINDS)
def test_a_kind_the_provider_lacks_is_refused_before_sending(ansible, emulator, provider, option):
    value = [1234] if option == "cp_codes" else ["www.example.com" if option == "hosts" else "release-1"]
    run = ansible.playbook([purge_task(ansible, provider, **{option: value})])
    assert run.rc != 0
    message = run.task("purge")["msg"]
    assert "%s is not supported by provider %s" % (option, provider) in message and "it offers" in message
    assert emulator.log() == []


@pytest.mark.parametrize("provider", list(CASES))
def test_credentials_from_the_providers_environment_variables(ansible, emulator, provider):
    case = CASES[provider]
    options = dict(case.TARGET, provider=provider, api_base_url=emulator.url, paths=case.ITEMS["paths"][:1])
    run = ansible.adhoc("cdnops.cdn.cdn_purge", options, env=case.ENV)
    assert run.rc == 0, run.output
    assert emulator.purged_paths(provider) == case.SENT["paths"][:1]
    for secret in case.ENV.values():
        assert secret not in run.output


@pytest.mark.parametrize("provider", list(CASES))
def test_faults_are_ridden_out_and_counted(ansible, emulator, provider):
    emulator.configure(fail_next=["503", {"kind": "429", "retry_after": 0}, "drop", "502"])
    run = ansible.playbook([purge_task(ansible, provider, paths=CASES[provider].ITEMS["paths"][:1])])
    assert run.rc == 0, run.output
    assert run.task("purge")["api_requests"] == len(emulator.log(provider))
    assert [entry["fault"] for entry in emulator.log(provider) if entry["kind"] == "purge"] == ["503", "429", "drop", "502", None]
    assert emulator.purged_paths(provider) == CASES[provider].SENT["paths"][:1]
