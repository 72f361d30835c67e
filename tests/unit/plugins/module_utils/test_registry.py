"""The registry: every adapter's declarations are complete and consistent, and the merged spec has no clash."""

import pytest

from ansible_collections.cdnops.cdn.plugins.module_utils._provider import ALL, KINDS, STATUS_NONE, Kind, Option, Provider
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import ADAPTERS, PROVIDERS, OptionClashError, provider_option_spec


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda adapter: adapter.name)
def test_every_adapter_declares_what_the_platform_needs(adapter):
    assert adapter.name and adapter.title and adapter.default_api_base_url.startswith("https://")
    assert adapter.kinds and set(adapter.kinds) <= set(KINDS)
    assert adapter.credential_options(), "a provider without a credential"
    for option in adapter.credential_options():
        assert option.env, "credential %s of %s has no environment variable" % (option.name, adapter.name)
    for option in adapter.options:
        assert option.description.endswith("."), "%s.%s: one sentence, ending with a full stop" % (adapter.name, option.name)
    # A synchronous provider has no status to read; an asynchronous one may have none either (Akamai: wait waits the
    # estimate its answers carry).
    assert not adapter.synchronous or adapter.status_model == STATUS_NONE
    for name, kind in adapter.kinds.items():
        if name == ALL:
            continue
        if kind.default_batch is None:
            # Not cut by count (the adapter's make_batches cuts them): the docs need the words for how they are cut.
            assert kind.limit_words and adapter.make_batches is not Provider.make_batches, (adapter.name, name)
        else:
            assert kind.default_batch > 0 and (kind.max_batch is None or kind.default_batch <= kind.max_batch), (adapter.name, name)


def test_no_two_providers_read_the_same_environment_variable():
    seen = {}
    for adapter in ADAPTERS:
        for env in adapter.environment_variables():
            assert env not in seen, "%s is read by %s and %s" % (env, seen[env], adapter.name)
            seen[env] = adapter.name


def test_provider_names_are_unique_and_the_registry_lists_them_all():
    assert len(PROVIDERS) == len(ADAPTERS)


def test_one_option_name_has_one_type_for_every_provider():
    spec = provider_option_spec()
    assert spec["zone_id"]["type"] == "str"  # 5centscdn's digits and Cloudflare's hex ids alike
    assert spec["api_key"]["no_log"] is True and "api_token" in spec["api_key"]["aliases"]


def test_a_clash_between_two_adapters_is_an_error():
    class IntZone(Provider):
        name = "int-zone"
        options = (Option("zone_id", "An integer zone.", type="int"),)
        kinds = {ALL: Kind()}

    with pytest.raises(OptionClashError, match="option zone_id is declared as .* by 5centscdn but as .* by int-zone"):
        provider_option_spec((*ADAPTERS, IntZone))


def test_a_secret_and_a_plain_option_of_one_name_clash():
    class PlainKey(Provider):
        name = "plain-key"
        options = (Option("api_key", "Not secret."),)
        kinds = {ALL: Kind()}

    with pytest.raises(OptionClashError):
        provider_option_spec((*ADAPTERS, PlainKey))
