"""Bad input never crashes: property-based tests of cdn_purge and cdn_purge_status, driven in-process.

Each example runs the module's main() with exit_json/fail_json patched to raise, so a normal result or a
failure with a clear msg is the only way out; any other exception is what Ansible would report as MODULE
FAILURE with a traceback. Examples that send run against the provider emulator (a real HTTP server), whose
request log proves what reached the "provider": nothing for refused input, and never a request to an
endpoint other than the one the option is for (ids that go into URLs are validated and encoded).

Every registered provider runs through every test, from its case file (tests/support/cases: its target, its
credentials, the one endpoint its purges may reach) and what its adapter declares (its options, batch limits and
status model).

The nastiest inputs also run through real ansible in tests/integration/test_nasty_input.py.
"""

import contextlib
import decimal
import json
import re
import unicodedata
from unittest import mock
from urllib.parse import unquote, urlsplit

import pytest
import requests
from ansible.module_utils import basic
from cases import CASES
from emulator_support import start_emulator
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from ansible_collections.cdnops.cdn.plugins.module_utils._options import argument_spec
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import STATUS_NONE
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS as ADAPTERS
from ansible_collections.cdnops.cdn.plugins.modules import cdn_purge, cdn_purge_status

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")):
            yield


PROVIDERS = tuple(CASES)
# Providers whose purge status can be read (Akamai is asynchronous but has no status API: it only estimates).
WITH_STATUS = tuple(provider for provider in PROVIDERS if ADAPTERS[provider].status_model != STATUS_NONE)
WITHOUT_STATUS = tuple(provider for provider in PROVIDERS if provider not in WITH_STATUS)
# (provider, option) for every target option every provider declares.
TARGET_OPTIONS = tuple((provider, option.name) for provider in PROVIDERS for option in ADAPTERS[provider].target_options())
# The site base URLs of the case files (url_endpoint), and another folder on each of their hosts.
SITES = sorted({case.TARGET["url_endpoint"] for case in CASES.values() if "url_endpoint" in case.TARGET})
OTHER_SITES = sorted({"%s://%s/other" % urlsplit(site)[:2] for site in SITES} | {"http://cdn.example.com"})
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class ExitJsonError(Exception):
    pass


class FailJsonError(Exception):
    pass


def run_module(module, args, check_mode=False):
    """("ok" | "failed", result) of one in-process run; anything else propagates as the crash it is."""
    args = dict(args, _ansible_check_mode=check_mode)
    outcome = result = None

    def exit_json(self, **result):
        raise ExitJsonError(result)

    def fail_json(self, msg, **result):
        raise FailJsonError(dict(result, msg=msg))

    with (
        patch_module_args(args),
        mock.patch.object(basic.AnsibleModule, "exit_json", exit_json),
        mock.patch.object(basic.AnsibleModule, "fail_json", fail_json),
    ):
        try:
            module.main()
        except ExitJsonError as done:
            outcome, result = "ok", done.args[0]
        except FailJsonError as failed:
            outcome, result = "failed", failed.args[0]
    assert result is not None, "main() returned without exit_json or fail_json"
    json.dumps(result)  # the result must be JSON for Ansible
    if outcome == "failed":
        assert isinstance(result["msg"], str) and result["msg"].strip(), result
        assert "Traceback" not in result["msg"]
    return outcome, result


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    # The settings a case file asks for (EMULATOR_CONFIG, as the integration suites' emulator applies them), then purges
    # that complete at once (and estimates of 0 s): valid numbers with wait must end in a result whatever wait_timeout
    # (0 to 3 s) is, so a case's slower completion (CloudFront's 0.5 s) must not win. reset() keeps this startup config.
    config = {key: value for case in CASES.values() for key, value in getattr(case, "EMULATOR_CONFIG", {}).items()}
    config.update({case.COMPLETE_AFTER: 0 for case in CASES.values() if case.COMPLETE_AFTER})
    emulator = start_emulator(tmp_path_factory.mktemp("emulator"), "--config", json.dumps(config))
    yield emulator
    emulator.stop()


def options(emulator, provider, **extra):
    result = {"provider": provider, "api_base_url": emulator.url, "retries": 0, "timeout": 10}
    result.update(CASES[provider].TARGET)
    result.update(CASES[provider].CREDENTIALS)
    result.update(extra)
    return result


# The options Ansible converts to int, from the module's argument spec.
INT_OPTIONS = tuple(sorted(name for name, spec in argument_spec(**cdn_purge.OPTIONS).items() if spec.get("type") == "int"))


def assume_ansible_can_convert(args):
    """ansible-core's own int check crashes on "inf"/"Infinity" (OverflowError from int(Decimal)): not ours to test."""
    for option in INT_OPTIONS:
        value = args.get(option)
        if isinstance(value, str):
            with contextlib.suppress(decimal.DecimalException, ValueError):
                assume(not decimal.Decimal(value).is_infinite())


def request_line(entry):
    """The path of a logged request, then ?query when it has one."""
    query = "&".join("%s=%s" % pair for pair in (entry["query"] or {}).items())
    return entry["path"] + ("?" + query if query else "")


def assert_only_expected_endpoints(log, provider):
    for entry in log:
        assert entry["provider"] == provider and re.fullmatch(CASES[provider].ENDPOINT, request_line(entry)), request_line(entry)
        # No dot segment on the wire either: a server normalises it away (RFC 3986 5.2.4), which walks to another endpoint.
        assert not re.search(r"/\.\.?(/|$)", entry["path"]), entry["path"]


# --------------------------------------------------------------------------- paths


def refused_char(char):
    """A character no path may hold: a control character or white space."""
    return unicodedata.category(char) == "Cc" or char.isspace()


def dot_segment(path):
    """The path part (after scheme and host, before ? and #) has a /./ or /../ segment: it could walk elsewhere."""
    part = re.sub(r"^https?://[^/]*", "", path).split("?", 1)[0].split("#", 1)[0]
    return re.search(r"/\.\.?(/|$)", part) is not None


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
NASTY = st.sampled_from(["\r\n", "\n", "\r", "\x00", "\t", " ", "\x7f", "\x1b", "*", "**", "/", "//", "..", "%00", "%0d%0a", "?", "#", "\\", "\u202e"])
PATH = st.one_of(
    TEXT,
    TEXT.map(lambda text: "/" + text),
    st.tuples(TEXT, NASTY, TEXT).map(lambda parts: "/img/big/%s%s%s.png" % parts),
    st.tuples(TEXT, st.sampled_from(["", "*"])).map(lambda parts: "/img/big/%s%s" % parts),
    st.tuples(st.sampled_from(SITES + OTHER_SITES), TEXT).map(lambda parts: "%s/%s" % parts),
    st.integers(2040, 2060).map(lambda length: "/" + "a" * (length - 5) + ".png"),
    st.just(""),
)


def path_refused(path):
    return not path or len(path) > 2048 or any(refused_char(char) for char in path) or dot_segment(path)


@pytest.mark.parametrize("provider", PROVIDERS)
@PROPERTY
@given(paths=st.lists(PATH, max_size=5))
@example(paths=["/img/big/a.png\r\nX-Injected: yes"])
@example(paths=["/img/big/\x00.png"])
@example(paths=[""])
@example(paths=["/" + "a" * 5000])
@example(paths=["/img/../../../../v1/files/purge.png"])
@example(paths=["/img/big/../../../../../x/y.png"])
@example(paths=["/img/big/%2e%2e/%2E%2E/%2e%2e/%2e%2e/x/y.png"])
def test_any_paths_end_in_a_result_or_a_clear_message(emulator, provider, paths):
    emulator.reset()
    outcome, result = run_module(cdn_purge, options(emulator, provider, paths=paths))
    event(outcome)
    log = emulator.log()
    if any(path_refused(path) for path in paths):
        # Control characters, CR/LF, white space, empty and overlong paths, dot segments: refused before anything is sent.
        assert outcome == "failed" and "nothing was sent" in result["msg"], result
        assert log == []
    assert_only_expected_endpoints(log, provider)
    if outcome == "ok":
        assert result["api_requests"] == len(log)
        # What the results name is what the provider purged.
        assert sorted(path for entry in log if entry["accepted"] for path in entry["purged"]) == sorted(map(CASES[provider].logged, result["paths"]))


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("char", ["\x85", "\xa0", "\u2028", "\u3000"], ids=["NEL", "NBSP", "LINE-SEPARATOR", "IDEOGRAPHIC-SPACE"])
def test_non_ascii_control_characters_and_white_space_in_paths_are_refused(emulator, char, provider):
    emulator.reset()
    outcome, result = run_module(cdn_purge, options(emulator, provider, paths=[CASES[provider].PATH_TEMPLATE % ("a%sb" % char)]))
    assert outcome == "failed" and "nothing was sent" in result["msg"], result
    assert emulator.log() == []


# --------------------------------------------------------------------------- option values

TEXTISH = st.one_of(st.none(), TEXT, st.integers(-(10**20), 10**20), st.booleans(), st.lists(TEXT, max_size=2))
NUMBER = st.one_of(st.none(), st.integers(-(10**20), 10**20), st.floats(-1e12, 1e12, allow_nan=False), TEXT)


def provider_option_values(name):
    """Anything for a provider option, and the values the case files give it (numbers too where they are numbers)."""
    known = [case.TARGET.get(name, case.CREDENTIALS.get(name)) for case in CASES.values()]
    known = [value for value in known if value is not None]
    strategies = [TEXTISH, st.uuids().map(str)]
    if any(isinstance(value, int) for value in known):
        strategies.append(NUMBER)
    if known:
        strategies.append(st.sampled_from(known))
    return st.one_of(*strategies)


PROVIDER_OPTIONS = sorted({option.name for adapter in ADAPTERS.values() for option in adapter.options})
OPTION_VALUES = {
    "api_base_url": st.one_of(st.none(), TEXT, st.sampled_from(["http://example.com", "https://u:p@x.io", "ftp://127.0.0.1", "http://[::1", "https://x.io:0"])),
    "validate_certs": TEXTISH,
    "timeout": NUMBER,
    "retries": NUMBER,
    "wait": st.one_of(st.none(), st.booleans()),
    "wait_timeout": NUMBER,
    "poll_interval": NUMBER,
    **{name: provider_option_values(name) for name in PROVIDER_OPTIONS},
    "paths": st.one_of(st.none(), st.lists(PATH, max_size=3), TEXT),
    "purge_all": TEXTISH,
    "soft_purge": TEXTISH,
    "batch_size": NUMBER,
    "concurrency": NUMBER,
    "max_requests": NUMBER,
    "idempotency_key": TEXTISH,
    "request_id": TEXTISH,
    "request_ids": st.one_of(st.none(), st.lists(TEXT, max_size=3)),
}
PURGE_ONLY = ("paths", "purge_all", "soft_purge", "batch_size", "concurrency", "max_requests", "idempotency_key")
STATUS_ONLY = ("request_id", "request_ids")


def valid_paths(provider):
    """Valid paths for provider, at most two purge requests: a path of its case, and a prefix where it has a prefix purge."""
    case = CASES[provider]
    return case.ITEMS["paths"][:1] + (case.PREFIX[0][:1] if case.PREFIX else [])


VALID = {provider: dict(case.TARGET, **case.CREDENTIALS, paths=valid_paths(provider)) for provider, case in CASES.items()}


@PROPERTY
@given(provider=st.one_of(st.sampled_from(PROVIDERS), TEXT), status=st.booleans(), data=st.data())
def test_any_option_values_end_in_a_result_or_a_clear_message_in_check_mode(tmp_path, provider, status, data):
    """A valid task with one to four options replaced by anything (or the provider by any text)."""
    args = dict(VALID.get(provider, {}), provider=provider, api_key="k")
    for option in data.draw(st.lists(st.sampled_from(sorted(OPTION_VALUES)), min_size=1, max_size=4, unique=True)):
        args[option] = data.draw(OPTION_VALUES[option], label=option)
    for option in PURGE_ONLY if status else STATUS_ONLY:
        args.pop(option, None)
    args = {key: value for key, value in args.items() if value is not None}
    assume_ansible_can_convert(args)
    if not status:
        args["idempotency_file"] = str(tmp_path / "ledger.json")
    else:
        # The status module only reads, so it sends in check mode too: give it an address where nothing listens.
        args.update(api_base_url="http://127.0.0.1:9", retries=0)
        args.pop("wait", None)
    event(run_module(cdn_purge_status if status else cdn_purge, args, check_mode=True)[0])
    assert not (tmp_path / "ledger.json").exists(), "check mode writes no ledger"


NUMBERS = {
    # option: (valid values, any values)
    "timeout": (st.floats(0.5, 30), st.floats(-1e6, 0)),
    "retries": (st.integers(0, 2), st.integers(-(10**20), 10**20)),
    "batch_size": (st.integers(1, 200), st.integers(-(10**20), 10**20)),
    "concurrency": (st.integers(1, 64), st.integers(-(10**20), 10**20)),
    "max_requests": (st.integers(2, 10**20), st.integers(-(10**20), 10)),
    "wait_timeout": (st.integers(0, 3), st.integers(-(10**12), 10**12)),
    "poll_interval": (st.floats(0.01, 0.3), st.floats(-1e6, 0.3)),
}


@PROPERTY
@given(provider=st.sampled_from(PROVIDERS), wait=st.booleans(), data=st.data())
def test_any_numbers_against_the_emulator_end_in_a_result_or_a_clear_message(emulator, provider, wait, data):
    """Every number option valid, or up to three of them anything (finite: nan/inf are pinned below)."""
    emulator.reset()
    wild = data.draw(st.sets(st.sampled_from(sorted(NUMBERS)), max_size=3), label="wild")
    args = options(emulator, provider, paths=valid_paths(provider), wait=wait)
    for option, (valid, anything) in NUMBERS.items():
        args[option] = data.draw(anything if option in wild else valid, label=option)
    if "batch_size" not in wild:
        # Within the provider's documented maximum (none: no cap).
        args["batch_size"] = min(args["batch_size"], ADAPTERS[provider].max_batch_size() or 10**6)
    outcome, result = run_module(cdn_purge, args)
    event(outcome)
    log = emulator.log()
    assert_only_expected_endpoints(log, provider)
    if outcome == "ok":
        assert result["api_requests"] == len(log) >= 1
    if not wild:
        assert outcome == "ok", result


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "extra",
    [
        {"timeout": "nan"},
        {"timeout": "inf"},
        {"timeout": 1e300},
        {"wait": True, "poll_interval": "nan"},
        {"wait": True, "wait_timeout": 10**400},
    ],
    ids=["timeout-nan", "timeout-inf", "timeout-1e300", "poll_interval-nan", "wait_timeout-10e400"],
)
def test_non_finite_numbers_are_a_clear_error(emulator, extra, provider):
    emulator.reset()
    if CASES[provider].COMPLETE_AFTER:
        # Pending: wait polls, and sleeps poll_interval in between.
        emulator.configure(**{CASES[provider].COMPLETE_AFTER: 60})
    outcome, result = run_module(cdn_purge, options(emulator, provider, paths=CASES[provider].ITEMS["paths"][:1], **extra))
    assert outcome == "failed" and re.search(r"timeout|poll_interval", result["msg"]), result
    assert emulator.log() == []


# --------------------------------------------------------------------------- ids that go into URLs

TRAVERSAL = st.sampled_from(
    ["..", ".", "../../v1/storage/purgeCache", "..%2f..%2fv1", "%2e%2e", "a/b", "a?b=1", "a#b", "a;b", "a%00", "a\\..\\b", "\u2215..", "%252e"]
)
ID_TEXT = st.one_of(TEXT, TRAVERSAL, st.tuples(TRAVERSAL, TEXT).map("".join), st.text("abcXYZ019_-", min_size=1, max_size=200))


@pytest.fixture(scope="module")
def status_routes(emulator):
    """provider -> the emulator's status routes (method, compiled path): where a route has a group, the id is in the path."""
    emulated = requests.get(emulator.url + "/_emulator/providers", timeout=10).json()
    return {
        provider: [(route["method"], re.compile(route["path"])) for route in emulated[provider]["routes"] if route["kind"] == "status"]
        for provider in PROVIDERS
    }


@pytest.mark.parametrize("provider", WITH_STATUS)
@PROPERTY
@given(request_id=ID_TEXT)
@example(request_id="../../v1/files/purge")
@example(request_id="abc/../../../_emulator/reset")
def test_request_ids_stay_in_their_endpoint_encoded(emulator, status_routes, provider, request_id):
    emulator.reset()
    outcome, result = run_module(cdn_purge_status, options(emulator, provider, request_id=request_id))
    log = emulator.log()
    event("sent" if log else "refused")
    assert_only_expected_endpoints(log, provider)
    # A status route's groups are the target's ids (CloudFront: /distribution/<id>/invalidation/<id>), then the id.
    target = {str(value) for value in CASES[provider].TARGET.values()}
    for entry in log:
        for method, route in status_routes[provider]:
            match = route.fullmatch(entry["path"])
            if method == entry["method"] and match and match.groups():
                # An id in the URL is one path segment that decodes to exactly the id given: encoded, never interpreted.
                *outer, last = (unquote(group) for group in match.groups())
                assert last == request_id and set(outer) <= target, entry["path"]
    if outcome == "failed" and not log:
        assert "request id" in result["msg"] or "request_id" in result["msg"], result


def no_status_api_words(provider):
    """The adapter's own message for a status request (an instance without settings: the message needs none)."""
    adapter = ADAPTERS[provider]
    return adapter.__new__(adapter).no_status_api().message


@pytest.mark.parametrize("provider", WITHOUT_STATUS)
@PROPERTY
@given(request_id=ID_TEXT, as_list=st.booleans())
def test_without_a_status_api_any_id_gets_the_adapters_message_before_sending(emulator, provider, request_id, as_list):
    emulator.reset()
    ids = {"request_ids": [request_id]} if as_list else {"request_id": request_id}
    outcome, result = run_module(cdn_purge_status, options(emulator, provider, **ids))
    # Refused for what the provider lacks, not for the id: a valid id would get the same answer.
    assert outcome == "failed" and no_status_api_words(provider) in result["msg"], result
    assert emulator.log() == []


def target_values(provider, option):
    """Anything, ids that walk, and near misses of the case's own value (or of the option's choices)."""
    declared = next(declared for declared in ADAPTERS[provider].target_options() if declared.name == option)
    valid = CASES[provider].TARGET.get(option)
    near = []
    if declared.choices:
        near += [*declared.choices, *(choice.upper() for choice in declared.choices), "%s/../%s" % (declared.choices[0], declared.choices[-1])]
    if isinstance(valid, int):
        near += [valid, str(valid), "%d.0" % valid, " %d" % valid, "0x%x" % valid, "%s_%s" % (str(valid)[:1], str(valid)[1:])]
    if valid is not None:
        text = str(valid)
        near += [text, text.upper(), "{%s}" % text, "urn:uuid:" + text, text.replace("-", ""), text + "/"]
        # Dot segments after the value: they walk to another endpoint if they reach the URL as they are.
        near += [text + suffix for suffix in ("/../../../v1/files/purge", "/../../x", "/%2e%2e/%2e%2e/x", "/./x", "\\..\\x")]
    strategies = [ID_TEXT, st.sampled_from(near)] if near else [ID_TEXT]
    if isinstance(valid, int):
        strategies.append(st.integers(-(10**30), 10**30))
    return st.one_of(*strategies)


@pytest.mark.parametrize("provider, option", TARGET_OPTIONS)
@PROPERTY
@given(data=st.data())
def test_target_options_never_send_elsewhere(emulator, provider, option, data):
    """Target options that go into the URL (ids, zone types, the site's host) never reach another endpoint."""
    emulator.reset()
    value = data.draw(target_values(provider, option), label=option)
    args = options(emulator, provider, paths=CASES[provider].ITEMS["paths"][:1], **{option: value})
    assume_ansible_can_convert(args)
    event(run_module(cdn_purge, args)[0])
    assert_only_expected_endpoints(emulator.log(), provider)


def trailing_newlines():
    """(module, provider, options): ids and target values with a trailing newline, as read from a file."""
    cases = []
    for provider in WITH_STATUS:
        cases.append(pytest.param(cdn_purge_status, provider, {"request_id": "I26JPCNTSVM8DB\n"}, "request_id", id="%s-request_id" % provider))
        cases.append(pytest.param(cdn_purge_status, provider, {"request_ids": ["I26JPCNTSVM8DB\n"]}, "request_id", id="%s-request_ids" % provider))
    for provider, case in CASES.items():
        # Text options (Ansible's own int conversion strips white space around a number, as int() does).
        text = {option.name for option in ADAPTERS[provider].target_options() if option.type == "str"}
        for option, value in case.TARGET.items():
            if option not in text:
                continue
            extra = {option: "%s\n" % value, "paths": case.ITEMS["paths"][:1]}
            cases.append(pytest.param(cdn_purge, provider, extra, option, id="%s-%s" % (provider, option)))
    return cases


@pytest.mark.parametrize("module, provider, extra, option", trailing_newlines())
def test_ids_with_a_trailing_newline_are_refused_before_sending(emulator, module, provider, extra, option):
    emulator.reset()
    outcome, result = run_module(module, options(emulator, provider, **extra))
    assert outcome == "failed" and option in result["msg"] and re.search(r"not a|must", result["msg"]), result
    assert emulator.log() == []
