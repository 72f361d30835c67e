"""The AWX credential types of docs/awx.md inject exactly what the adapters read.

Each yaml block of the guide with `inputs` and `injectors` is a credential type, named `cdnops.cdn <provider> ...`.
What it must inject comes from the registry of the built collection (ADAPTERS: each option's environment
variables, whether it is secret), so a provider added without a credential type, a renamed variable or a secret
input left unmasked fails here.
"""

import re

import pytest
from pkg_support import AWX_GUIDE, credential_types, registry

INPUT = re.compile(r"^\{\{ *([A-Za-z_][A-Za-z0-9_]*) *\}\}$")
# A file injector's path: a variable naming a file AWX writes (the adapter's, or its vendor library's, like AWS_CONFIG_FILE).
FILENAME = re.compile(r"^\{\{ *tower\.filename(\.[A-Za-z_][A-Za-z0-9_]*)? *\}\}$")
REFERENCE = re.compile(r"\{\{ *([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def adapters(installed):
    return registry(installed)


def reads(adapter):
    """The environment variables an adapter reads: its options' (in order), then the API host's (base_url_env)."""
    return adapter["environment"]


def type_problems(provider, credential_type, adapter):
    """What is wrong with one credential type of provider, as messages."""
    name = credential_type["name"]
    problems = []
    fields = {field["id"]: field for field in credential_type["inputs"].get("fields", [])}
    if len(fields) != len(credential_type["inputs"].get("fields", [])):
        problems.append("%s: input ids are not unique" % name)
    injectors = credential_type["injectors"]
    if set(injectors) - {"env", "file"}:
        problems.append("%s: injects %s; credentials go in the environment only" % (name, sorted(set(injectors) - {"env", "file"})))
    if credential_type.get("kind") != "cloud":
        problems.append("%s: kind must be cloud (a custom type's kind)" % name)
    files = injectors.get("file", {})
    options_by_env = {env: option for option, spec in adapter["options"].items() for env in spec["env"]}
    used = set()
    for variable, template in injectors.get("env", {}).items():
        if FILENAME.match(template):
            label = FILENAME.match(template).group(1)
            if ("template" + label if label else "template") not in files:
                problems.append("%s: %s names a file that no file injector writes" % (name, variable))
            continue
        match = INPUT.match(template)
        if not match or match.group(1) not in fields:
            problems.append("%s: %s must be set to one input, as {{ input }} (is %r)" % (name, variable, template))
            continue
        used.add(match.group(1))
        option = options_by_env.get(variable)
        if option is None and variable in adapter["base_url_env"]:
            # The API host, read for api_base_url (a common option, not the adapter's; no secret).
            continue
        if option is None:
            problems.append("%s: %s is not read by provider %s (it reads %s)" % (name, variable, provider, ", ".join(reads(adapter))))
            continue
        if match.group(1) != option:
            problems.append("%s: the input of %s must be the option that reads it, %s (is %s)" % (name, variable, option, match.group(1)))
        if bool(fields[match.group(1)].get("secret")) != adapter["options"][option]["no_log"]:
            problems.append(
                "%s: input %s must have secret: %s, as option %s is no_log" % (name, match.group(1), str(adapter["options"][option]["no_log"]).lower(), option)
            )
        if adapter["options"][option]["required"] and option not in credential_type["inputs"].get("required", []):
            problems.append("%s: input %s must be required (option %s is)" % (name, option, option))
    # Inputs that only fill a file (an .edgerc, an AWS config file) hold credentials: secret.
    in_env = set(used)
    for template in files.values():
        for input_id in REFERENCE.findall(template):
            if input_id in fields:
                used.add(input_id)
                if not fields[input_id].get("secret") and input_id not in in_env:
                    problems.append("%s: input %s fills a file of credentials, so it must have secret: true" % (name, input_id))
    for input_id in sorted(set(fields) - used):
        problems.append("%s: input %s is injected nowhere" % (name, input_id))
    for input_id in credential_type["inputs"].get("required", []):
        if input_id not in fields:
            problems.append("%s: required input %s is not an input" % (name, input_id))
    return problems


def problems(types, adapters):
    """Every registered provider has credential types that together inject exactly the variables it reads."""
    found = ["a credential type for %s, which is no provider" % provider for provider in sorted(set(types) - set(adapters))]
    for provider, adapter in adapters.items():
        if provider not in types:
            found.append("provider %s has no credential type in %s (it reads %s)" % (provider, AWX_GUIDE.name, ", ".join(reads(adapter))))
            continue
        injected = set()
        for credential_type in types[provider]:
            found.extend(type_problems(provider, credential_type, adapter))
            injected |= set(credential_type["injectors"].get("env", {}))
        missing = [variable for variable in reads(adapter) if variable not in injected]
        if missing:
            found.append("provider %s reads %s, which no credential type injects" % (provider, ", ".join(missing)))
    return found


def test_every_provider_has_credential_types_that_inject_what_it_reads(adapters):
    types = credential_types()
    assert not problems(types, adapters), "\n".join(problems(types, adapters))
    # Input ids are the module's option names, so the values of a credential read like the module's options.
    for provider, adapter in adapters.items():
        declared = {field["id"] for credential_type in types[provider] for field in credential_type["inputs"]["fields"]}
        assert set(adapter["credentials"]) & declared, (provider, adapter["credentials"], declared)


def test_the_check_fails_for_a_missing_or_wrong_credential_type(adapters):
    """The check above would catch a provider without a type, a misspelt variable and an unmasked secret."""
    text = AWX_GUIDE.read_text(encoding="utf-8")
    for provider in adapters:
        without = {name: found for name, found in credential_types(text).items() if name != provider}
        assert any("provider %s has no credential type" % provider in line for line in problems(without, adapters)), provider

    types = credential_types(text)
    first = next(iter(adapters))
    env = types[first][0]["injectors"]["env"]
    variable = next(iter(env))
    env[variable + "_TYPO"] = env.pop(variable)
    assert any("is not read by provider %s" % first in line for line in problems(types, adapters))
    assert any("reads %s, which no credential type injects" % variable in line for line in problems(types, adapters))

    types = credential_types(text)
    for field in types[first][0]["inputs"]["fields"]:
        field.pop("secret", None)
    assert any("must have secret: true" in line for line in problems(types, adapters))
