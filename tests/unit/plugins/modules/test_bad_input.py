"""Bad input never crashes: property-based tests of cdn_purge and cdn_purge_status, driven in-process.

Each example runs the module's main() with exit_json/fail_json patched to raise, so a normal result or a
failure with a clear msg is the only way out; any other exception is what Ansible would report as MODULE
FAILURE with a traceback. Examples that send run against the provider emulator (a real HTTP server), whose
request log proves what reached the "provider": nothing for refused input, and never a request to an
endpoint other than the one the option is for (ids that go into URLs are validated and encoded).

The nastiest inputs also run through real ansible in tests/integration/test_nasty_input.py.
"""

import contextlib
import decimal
import json
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from unittest import mock
from urllib.parse import unquote

import pytest
import requests
from ansible.module_utils import basic
from emulator_support import CREDENTIALS, EMULATOR, PROVIDERS, TARGETS
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from ansible_collections.cdnops.cdn.plugins.modules import cdn_purge, cdn_purge_status

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")):
            yield


EP = TARGETS["imagekit"]["url_endpoint"]
DISTRIBUTION = TARGETS["gotipath"]["distribution_id"]
# The only requests each provider may cause: the endpoint an option is for, and nothing else.
ROUTES = {
    "imagekit": re.compile(r"/v1/files/purge(/[^/]+)?"),
    "imagemash": re.compile(r"/v1/storage/(purgeCache|getPurgeList)"),
    "5centscdn": re.compile(r"/v2/zones/(http|vod)/pull/[1-9][0-9]*/purge"),
    "gotipath": re.compile(r"/v1/distributions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/purges"),
}
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


class Emulator:
    def __init__(self, directory):
        port_file = Path(directory) / "port"
        # Stopped in stop().
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, str(EMULATOR), "--port", "0", "--port-file", str(port_file), "--imagekit-complete-after", "0", "--imagemash-complete-after", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while not port_file.exists():
            assert self.process.poll() is None and time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.02)
        self.url = "http://127.0.0.1:%s" % port_file.read_text(encoding="utf-8").strip()

    def reset(self):
        requests.post(self.url + "/_emulator/reset", timeout=10).raise_for_status()

    def configure(self, **config):
        requests.post(self.url + "/_emulator/config", json=config, timeout=10).raise_for_status()

    def log(self):
        return requests.get(self.url + "/_emulator/requests", timeout=10).json()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("emulator"))
    yield emulator
    emulator.stop()


def options(emulator, provider, **extra):
    result = {"provider": provider, "api_base_url": emulator.url, "retries": 0, "timeout": 10}
    result.update(TARGETS[provider])
    result.update(CREDENTIALS[provider])
    result.update(extra)
    return result


INT_OPTIONS = ("retries", "wait_timeout", "zone_id", "batch_size", "concurrency", "max_requests")


def assume_ansible_can_convert(args):
    """ansible-core's own int check crashes on "inf"/"Infinity" (OverflowError from int(Decimal)): not ours to test."""
    for option in INT_OPTIONS:
        value = args.get(option)
        if isinstance(value, str):
            with contextlib.suppress(decimal.DecimalException, ValueError):
                assume(not decimal.Decimal(value).is_infinite())


def assert_only_expected_endpoints(log, provider):
    for entry in log:
        assert entry["provider"] == provider and ROUTES[provider].fullmatch(entry["path"]), entry["path"]


# --------------------------------------------------------------------------- paths


def refused_char(char):
    """A character no path may hold: a control character or white space."""
    return unicodedata.category(char) == "Cc" or char.isspace()


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
NASTY = st.sampled_from(["\r\n", "\n", "\r", "\x00", "\t", " ", "\x7f", "\x1b", "*", "**", "/", "//", "..", "%00", "%0d%0a", "?", "#", "\\", "\u202e"])
PATH = st.one_of(
    TEXT,
    TEXT.map(lambda text: "/" + text),
    st.tuples(TEXT, NASTY, TEXT).map(lambda parts: "/img/big/%s%s%s.png" % parts),
    st.tuples(TEXT, st.sampled_from(["", "*"])).map(lambda parts: "/img/big/%s%s" % parts),
    st.tuples(st.sampled_from([EP, "https://ik.imagekit.io/other", "http://cdn.example.com"]), TEXT).map(lambda parts: "%s/%s" % parts),
    st.integers(2040, 2060).map(lambda length: "/" + "a" * (length - 5) + ".png"),
    st.just(""),
)


def path_refused(path):
    return not path or len(path) > 2048 or any(refused_char(char) for char in path)


@pytest.mark.parametrize("provider", PROVIDERS)
@PROPERTY
@given(paths=st.lists(PATH, max_size=5))
@example(paths=["/img/big/a.png\r\nX-Injected: yes"])
@example(paths=["/img/big/\x00.png"])
@example(paths=[""])
@example(paths=["/" + "a" * 5000])
def test_any_paths_end_in_a_result_or_a_clear_message(emulator, provider, paths):
    emulator.reset()
    outcome, result = run_module(cdn_purge, options(emulator, provider, paths=paths))
    event(outcome)
    log = emulator.log()
    if any(path_refused(path) for path in paths):
        # Control characters, CR/LF, white space, empty and overlong paths: refused before anything is sent.
        assert outcome == "failed" and "nothing was sent" in result["msg"], result
        assert log == []
    assert_only_expected_endpoints(log, provider)
    if outcome == "ok":
        assert result["api_requests"] == len(log)
        assert sorted(path for entry in log if entry["accepted"] for path in entry["purged"]) == sorted(result["paths"])


@pytest.mark.parametrize("char", ["\x85", "\xa0", "\u2028", "\u3000"], ids=["NEL", "NBSP", "LINE-SEPARATOR", "IDEOGRAPHIC-SPACE"])
def test_non_ascii_control_characters_and_white_space_in_paths_are_refused(emulator, char):
    emulator.reset()
    outcome, result = run_module(cdn_purge, options(emulator, "gotipath", paths=["/img/a%sb.png" % char]))
    assert outcome == "failed" and "nothing was sent" in result["msg"], result
    assert emulator.log() == []


# --------------------------------------------------------------------------- option values

TEXTISH = st.one_of(st.none(), TEXT, st.integers(-(10**20), 10**20), st.booleans(), st.lists(TEXT, max_size=2))
NUMBER = st.one_of(st.none(), st.integers(-(10**20), 10**20), st.floats(-1e12, 1e12, allow_nan=False), TEXT)
OPTION_VALUES = {
    "api_base_url": st.one_of(st.none(), TEXT, st.sampled_from(["http://example.com", "https://u:p@x.io", "ftp://127.0.0.1", "http://[::1", "https://x.io:0"])),
    "validate_certs": TEXTISH,
    "timeout": NUMBER,
    "retries": NUMBER,
    "wait": st.one_of(st.none(), st.booleans()),
    "wait_timeout": NUMBER,
    "poll_interval": NUMBER,
    "url_endpoint": TEXTISH,
    "domain": TEXTISH,
    "zone_id": NUMBER,
    "zone_type": TEXTISH,
    "distribution_id": st.one_of(TEXTISH, st.uuids().map(str)),
    "api_key": TEXTISH,
    "client_id": TEXTISH,
    "library_id": TEXTISH,
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


VALID = {
    "imagekit": {"url_endpoint": EP, "paths": ["/img/big/a.png", "/img/big/*"]},
    "imagemash": {"domain": "john.imagemash.io", "paths": ["/img/big/a.png"]},
    "5centscdn": {"zone_id": 42, "paths": ["/a.mp4"]},
    "gotipath": {"distribution_id": DISTRIBUTION, "client_id": "c", "library_id": "l", "paths": ["/a.html", "/b/*"]},
}


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
    args = options(emulator, provider, paths=VALID[provider]["paths"], wait=wait)
    for option, (valid, anything) in NUMBERS.items():
        args[option] = data.draw(anything if option in wild else valid, label=option)
    if "batch_size" not in wild:
        args["batch_size"] = min(args["batch_size"], {"imagekit": 1, "gotipath": 100}.get(provider, 10**6))
    outcome, result = run_module(cdn_purge, args)
    event(outcome)
    log = emulator.log()
    assert_only_expected_endpoints(log, provider)
    if outcome == "ok":
        assert result["api_requests"] == len(log) >= 1
    if not wild:
        assert outcome == "ok", result


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
def test_non_finite_numbers_are_a_clear_error(emulator, extra):
    emulator.reset()
    emulator.configure(imagekit_complete_after=60)  # Pending: wait polls, and sleeps poll_interval in between
    outcome, result = run_module(cdn_purge, options(emulator, "imagekit", paths=["/img/big/a.png"], **extra))
    assert outcome == "failed" and re.search(r"timeout|poll_interval", result["msg"]), result


# --------------------------------------------------------------------------- ids that go into URLs

TRAVERSAL = st.sampled_from(
    ["..", ".", "../../v1/storage/purgeCache", "..%2f..%2fv1", "%2e%2e", "a/b", "a?b=1", "a#b", "a;b", "a%00", "a\\..\\b", "\u2215..", "%252e"]
)
ID_TEXT = st.one_of(TEXT, TRAVERSAL, st.tuples(TRAVERSAL, TEXT).map("".join), st.text("abcXYZ019_-", min_size=1, max_size=200))


@PROPERTY
@given(request_id=ID_TEXT)
@example(request_id="../../v1/files/purge")
@example(request_id="abc/../../../_emulator/reset")
def test_imagekit_request_ids_stay_in_their_endpoint_encoded(emulator, request_id):
    emulator.reset()
    outcome, result = run_module(cdn_purge_status, options(emulator, "imagekit", request_id=request_id, url_endpoint=None))
    log = emulator.log()
    event("sent" if log else "refused")
    assert_only_expected_endpoints(log, "imagekit")
    for entry in log:
        # One path segment that decodes to exactly the id given: encoded, never interpreted.
        assert entry["method"] == "GET" and unquote(entry["path"].rsplit("/", 1)[1]) == request_id
    if outcome == "failed" and not log:
        assert "request id" in result["msg"] or "request_id" in result["msg"], result


@PROPERTY
@given(
    distribution_id=st.one_of(
        ID_TEXT,
        st.uuids().map(str),
        st.sampled_from([DISTRIBUTION, DISTRIBUTION.upper(), "{%s}" % DISTRIBUTION, "urn:uuid:" + DISTRIBUTION, DISTRIBUTION.replace("-", "")]),
    )
)
@example(distribution_id="../../../v2/zones/http/pull/42")
@example(distribution_id=DISTRIBUTION + "/../../../v1/files/purge")
def test_gotipath_distribution_ids_stay_in_their_endpoint(emulator, distribution_id):
    emulator.reset()
    event(run_module(cdn_purge, options(emulator, "gotipath", distribution_id=distribution_id, paths=["/a.html"]))[0])
    assert_only_expected_endpoints(emulator.log(), "gotipath")


@PROPERTY
@given(
    zone_id=st.one_of(st.integers(-(10**30), 10**30), ID_TEXT, st.sampled_from([42, "42", "42.0", " 42", "42/../../../v1/files/purge", "0x2a", "4_2"])),
    zone_type=st.one_of(st.none(), TEXT, st.sampled_from(["http", "vod", "http/../vod", "HTTP"])),
)
def test_5centscdn_zone_ids_stay_in_their_endpoint(emulator, zone_id, zone_type):
    emulator.reset()
    args = options(emulator, "5centscdn", zone_id=zone_id, paths=["/a.mp4"])
    assume_ansible_can_convert(args)
    if zone_type is not None:
        args["zone_type"] = zone_type
    event(run_module(cdn_purge, args)[0])
    log = emulator.log()
    assert_only_expected_endpoints(log, "5centscdn")
    assert all(entry["query"] == {"delete": "true"} for entry in log)


@PROPERTY
@given(domain=ID_TEXT, url_endpoint=st.one_of(TEXT, st.tuples(st.just(EP), TEXT).map("".join)))
def test_imagemash_domain_and_imagekit_endpoint_never_change_the_url(emulator, domain, url_endpoint):
    emulator.reset()
    run_module(cdn_purge, options(emulator, "imagemash", domain=domain, paths=["/img/big/a.png"]))
    run_module(cdn_purge, options(emulator, "imagekit", url_endpoint=url_endpoint, paths=["/img/big/a.png"]))
    for entry in emulator.log():
        assert entry["path"] in ("/v1/storage/purgeCache", "/v1/files/purge"), entry["path"]


@pytest.mark.parametrize(
    "module, extra",
    [
        (cdn_purge_status, {"provider": "imagekit", "request_id": "abc\n", "url_endpoint": None}),
        (cdn_purge_status, {"provider": "imagemash", "request_ids": ["I26JPCNTSVM8DB\n"], "domain": None}),
        (cdn_purge, {"provider": "imagemash", "domain": "john.imagemash.io\n", "paths": ["/img/big/a.png"]}),
    ],
    ids=["imagekit-request_id", "imagemash-request_id", "imagemash-domain"],
)
def test_ids_with_a_trailing_newline_are_refused_before_sending(emulator, module, extra):
    emulator.reset()
    args = options(emulator, extra["provider"])
    args.update(extra)
    args = {key: value for key, value in args.items() if value is not None}
    outcome, result = run_module(module, args)
    assert outcome == "failed" and ("not a valid" in result["msg"] or "not a host name" in result["msg"]), result
    assert emulator.log() == []
