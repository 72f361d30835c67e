"""No secret leaked, TLS verified, no plain http to the network: real ansible-playbook runs at -vvvv.

Every registered provider runs through every test, in every credential form it takes (the form of its case
file's CREDENTIALS, and its OTHER_CREDENTIALS, such as a legacy account key with its e-mail address). The
credential options and their environment variables come from the registry (the adapters' declarations); the
emulator's field for each option from the case files (tests/support/cases).

Credentials are long distinctive values. They are passed in the task, through module_defaults, or through the
providers' environment variables (where Ansible's own no_log scrubbing does not know them, so only the
collection's redaction protects them), and used in success and in every failure path: 401, 403, 500 whose body
echoes the request headers (a tiny echo server started here; the emulator does not echo), an HTTP 200 that is
not the provider's success answer, connection refused and TLS failure. No piece of a credential, nor its base64
form (HTTP Basic auth), may appear in stdout/stderr, in the ANSIBLE_LOG_PATH file, in the returned JSON, in the
ledger or in Ansible's temporary files.
"""

import base64
import collections
import http.server
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
import requests
from cases import CASES
from emulator_support import start_emulator

from ansible_collections.cdnops.cdn.plugins.module_utils._provider import STATUS_NONE
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS as ADAPTERS

PROVIDERS = tuple(CASES)
PATHS = {provider: case.ITEMS["paths"][:1] for provider, case in CASES.items()}
# Providers with a purge status API: their status module runs through the same paths (not Akamai: asynchronous, but
# its cdn_purge_status only says there is no status API, before any request).
WITH_STATUS = tuple(provider for provider in PROVIDERS if ADAPTERS[provider].status_model != STATUS_NONE)
# A window this long of a credential anywhere counts as a leak (catches truncated and partial copies).
WINDOW = 12
DEFAULT = "default"
# --------------------------------------------------------------------------- credential forms


class Form:
    """One way to give a provider's credentials: option -> (environment variable, the emulator's field, its default)."""

    def __init__(self, provider, name, options):
        self.provider = provider
        self.name = name
        self.options = options
        self.label = provider if name == DEFAULT else "%s-%s" % (provider, name)

    def __repr__(self):
        return self.label


def credential_forms(provider):
    """The form of the case file's CREDENTIALS (the registry's required credentials and their first variable), then the others."""
    case = CASES[provider]
    required = [option for option in ADAPTERS[provider].credential_options() if option.required]
    forms = [Form(provider, DEFAULT, {option.name: (option.env[0], case.EMULATOR_FIELDS[option.name], case.CREDENTIALS[option.name]) for option in required})]
    for name, (defaults, env, fields) in case.OTHER_CREDENTIALS.items():
        forms.append(Form(provider, name, {option: (env[option], fields[option], value) for option, value in defaults.items()}))
    return forms


FORMS = tuple(form for provider in PROVIDERS for form in credential_forms(provider))
DEFAULT_FORMS = tuple(form for form in FORMS if form.name == DEFAULT)
OTHER_FORMS = tuple(form for form in FORMS if form.name != DEFAULT)


def make_credentials(tag, forms=FORMS):
    """Distinctive values per form and option, unique per test run; shaped like the default where it is an e-mail address."""
    nonce = secrets.token_hex(12)
    credentials = {}
    for form in forms:
        values = {}
        for option, (_env, _field, default) in form.options.items():
            value = "%s-%s-%s-%s-%s" % (tag, form.label.upper(), option.replace("_", "").upper(), nonce, "Zq" * 8)
            values[option] = value.replace("-%s" % nonce, "-%s@" % nonce, 1) if "@" in default else value
        credentials[form.label] = values
    return credentials


def configure_credentials(emulator, credentials, forms=FORMS):
    """The emulator accepts exactly these credentials (every form of a provider at once)."""
    fields = collections.defaultdict(dict)
    for form in forms:
        for option, (_env, field, _default) in form.options.items():
            fields[form.provider][field] = credentials[form.label][option]
    emulator.configure(credentials=dict(fields))


def credential_env(credentials, forms):
    return {env: credentials[form.label][option] for form in forms for option, (env, _field, _default) in form.options.items()}


def credential_options(provider):
    """Every credential option the provider declares."""
    return [option.name for option in ADAPTERS[provider].credential_options()]


def forbidden_pieces(credentials):
    """Every WINDOW-long piece of every credential and of its base64 forms (Basic auth sends base64("key:"))."""
    pieces = set()
    for options in credentials.values():
        for value in options.values():
            for form in (value, base64.b64encode((value + ":").encode()).decode(), base64.b64encode(value.encode()).decode()):
                pieces.update(form[start : start + WINDOW] for start in range(len(form) - WINDOW + 1))
    return pieces


def find_leaks(texts, credentials):
    """{source: [pieces found]} for every text that holds a piece of a credential."""
    pieces = forbidden_pieces(credentials)
    leaks = {}
    for source, text in texts.items():
        found = sorted(piece for piece in pieces if piece in text)
        if found:
            leaks[source] = found[:3]
    return leaks


def header_text(headers):
    """The header values as they travel, plus HTTP Basic credentials decoded: where a credential that went out shows."""
    values = []
    for value in headers.values():
        values.append(value)
        scheme, _space, token = value.partition(" ")
        if scheme.lower() == "basic":
            values.append(base64.b64decode(token + "==").decode("utf-8", "replace"))
    return "\n".join(values)


def all_outputs(ansible, run, log_path):
    """Everything a run leaves behind where a credential must not be."""
    texts = {"stdout": run.stdout, "stderr": run.stderr, "results": json.dumps(run.results)}
    if log_path.exists():
        texts["ANSIBLE_LOG_PATH"] = log_path.read_text(encoding="utf-8", errors="replace")
    ledger = Path(ansible.ledger)
    if ledger.exists():
        texts["ledger"] = ledger.read_text(encoding="utf-8")
    for path in (ansible.workdir / "tmp").rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def variable(form, option):
    return "cred_%s_%s_%s" % (form.provider, form.name, option)


def from_variables(form):
    """The form's credential options as Jinja references to extra vars, as users write them (with vault)."""
    return {option: "{{ %s }}" % variable(form, option) for option in form.options}


def without_credentials(options, provider):
    for option in credential_options(provider):
        options.pop(option, None)
    return options


def run_verbose(ansible, tasks, credentials, forms=FORMS, env=None):
    """Run at -vvvv with ANSIBLE_LOG_PATH; the credentials are extra vars from a file, never written in the playbook.

    (ansible-core 2.19 shows the playbook lines around a failed task, so a credential written there literally would
    be printed by Ansible itself: docs/security.md tells users to keep them in variables.)
    """
    log_path = ansible.workdir / "ansible.log"
    variables = ansible.workdir / "credentials.json"
    values = {variable(form, option): credentials[form.label][option] for form in forms if form.label in credentials for option in form.options}
    variables.write_text(json.dumps(values), encoding="utf-8")
    run = ansible.playbook(tasks, "-vvvv", "-e", "@%s" % variables, env=dict(env or {}, ANSIBLE_LOG_PATH=str(log_path)))
    return run, all_outputs(ansible, run, log_path)


def test_the_case_files_credential_forms_are_the_registrys_and_the_emulators(emulator):
    """What this suite reads from the case files agrees with the adapters and with the emulator's defaults."""
    emulated = requests.get(emulator.url + "/_emulator/providers", timeout=10).json()
    for form in FORMS:
        declared = {option.name: option for option in ADAPTERS[form.provider].credential_options()}
        defaults = emulated[form.provider]["credentials"]
        for option, (env, field, default) in form.options.items():
            assert env in declared[option].env, (form, option, env)
            assert defaults[field] == default, (form, option, field)
    for form in DEFAULT_FORMS:
        assert {option: default for option, (_env, _field, default) in form.options.items()} == CASES[form.provider].CREDENTIALS, form


# --------------------------------------------------------------------------- servers

# What every client sends; every other header a module sends carries a credential.
PLAIN_HEADERS = {"host", "user-agent", "accept", "accept-encoding", "connection", "content-length", "content-type"}


class EchoHandler(http.server.BaseHTTPRequestHandler):
    """Answers /<mode>/... echoing the request headers in the body, as a debugging proxy or a careless API might."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - http.server's name
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        self._answer()

    def do_POST(self):  # noqa: N802 - http.server's name
        self._answer()

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = self.path.strip("/").split("/", 1)[0]
        headers = dict(self.headers.items())
        self.server.received.append({"path": self.path, "headers": headers})
        credential_headers = [(name, value) for name, value in headers.items() if name.lower() not in PLAIN_HEADERS]
        # Only the credential headers, so that no message is long enough to be cut (the cut is tested apart).
        echoed = "you sent: " + "; ".join("%s: %s" % header for header in credential_headers)
        status, content_type = 500, "application/json"
        if mode in ("e401", "e403", "e500"):
            status = int(mode[1:])
            body = json.dumps({"message": echoed})
        elif mode == "e500text":
            body, content_type = "Internal error. " + echoed, "text/plain"
        elif mode == "e200":
            # A 200 that is not the provider's success answer.
            status, body = 200, json.dumps({"result": "error", "echo": echoed})
        elif mode == "e500split":
            # The credential straddles the 500th character, where the module cuts long provider messages.
            value = credential_headers[0][1]
            body, content_type = "x" * (500 - len(value) // 2) + value + " end", "text/plain"
        elif mode == "e307":
            # Send the client (and whatever headers it keeps) to another origin.
            status, body = 307, "{}"
            self.server.redirects += 1
        else:
            body = json.dumps({"message": "unknown echo mode %s" % mode})
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if mode == "e307":
            self.send_header("Location", self.server.redirect_to + self.path[len("/e307") :])
        self.end_headers()
        self.wfile.write(data)


def start_echo_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    server.received = []
    server.redirects = 0
    server.redirect_to = ""
    server.url = "http://127.0.0.1:%d" % server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def echo():
    server = start_echo_server()
    yield server
    server.shutdown()
    server.server_close()


def echoed_text(server):
    """Every header the echo server received, Basic credentials decoded."""
    return "\n".join(header_text(request["headers"]) for request in server.received)


def free_port():
    """A port nothing listens on: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(directory):
    if not shutil.which("openssl"):
        pytest.skip("the openssl CLI is needed to make a self-signed certificate")
    cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class TlsEmulator:
    """The emulator behind HTTPS with a self-signed certificate; its control API is read trusting that certificate."""

    def __init__(self, directory):
        self.cert, key = self_signed_certificate(directory)
        self.process = start_emulator(directory, "--tls-cert", str(self.cert), "--tls-key", str(key))
        self.url = self.process.url.replace("http://", "https://")

    def control(self, method, path, **kwargs):
        response = requests.request(method, self.url + path, verify=str(self.cert), timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def log(self):
        return self.control("GET", "/_emulator/requests")


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory):
    emulator = TlsEmulator(tmp_path_factory.mktemp("tls"))
    yield emulator
    emulator.process.stop()


def status_task(task, options, name, request_ids):
    """The status module with a purge task's connection options, as the same kind of task."""
    provider = options["provider"]
    keep = ("provider", "api_base_url", "retries", "validate_certs", *credential_options(provider), *CASES[provider].TARGET)
    status = {key: value for key, value in options.items() if key in keep}
    status["request_ids"] = request_ids
    result = {key: value for key, value in task.items() if key not in ("cdnops.cdn.cdn_purge", "register")}
    result.update({"name": name, "cdnops.cdn.cdn_purge_status": status})
    return result


# --------------------------------------------------------------------------- secrets


SCENARIOS = ("ok", "401", "403", "500", "refused", "tls")


def secret_tasks(ansible, emulator, echo, tls_url, cases):
    """One task per (form, scenario, mode); the credentials come from the task, module_defaults or the environment.

    Returns the tasks and, by task name, the words the failure message must hold (None: success).
    """
    refused = "http://127.0.0.1:%d" % free_port()
    scenarios = {
        # name: (api_base_url, extra options, words in msg or None for success)
        "ok": (emulator.url, {"idempotency_file": ansible.ledger}, None),
        "401": (echo.url + "/e401", {}, "HTTP 401"),
        "403": (echo.url + "/e403", {}, "HTTP 403"),
        "500": (echo.url + "/e500text", {"retries": 1}, "after 1 retries: HTTP 500"),
        "refused": (refused, {"retries": 0}, "could not get an answer"),
        "tls": (tls_url, {"retries": 0}, "TLS error"),
    }
    tasks, expected = [], {}
    succeeded = {(form.label, mode) for form, scenario, mode in cases if scenario == "ok"}
    for form, scenario, mode in cases:
        url, extra, words = scenarios[scenario]
        if scenario == "ok":
            # A key per task: every successful task really sends its credentials (and writes the ledger).
            extra = dict(extra, idempotency_key="release-1-%s-%s" % (form.name, mode))
        options = without_credentials(ansible.options(form.provider, api_base_url=url, paths=PATHS[form.provider], **extra), form.provider)
        name = "%s %s %s" % (form.label, scenario, mode)
        # The successful purge's result, by form and mode: its request ids are real ones for the status failure paths.
        registered = "ok_%s_%s" % (form.label.replace("-", "_"), mode) if scenario == "ok" else "r"
        task = {"name": name, "cdnops.cdn.cdn_purge": options, "register": registered, "ignore_errors": True}
        if mode == "task":
            options.update(from_variables(form))
        elif mode == "module_defaults":
            task["module_defaults"] = {"group/cdnops.cdn.cdn": from_variables(form)}
        tasks.append(task)
        expected[name] = words
        if form.provider in WITH_STATUS and scenario in ("ok", "500") and (form.label, mode) in succeeded:
            name = "%s status %s %s" % (form.label, scenario, mode)
            tasks.append(status_task(task, options, name, "{{ ok_%s_%s.request_ids }}" % (form.label.replace("-", "_"), mode)))
            expected[name] = words
    return tasks, expected


def cases_for(mode, forms):
    """Every form in every scenario from the environment, where only the collection's redaction protects a credential.

    Given as options (in the task or through module_defaults) Ansible's no_log scrubbing protects them too; there a
    success and the failures that quote the provider are enough.
    """
    scenarios = {"env": SCENARIOS, "task": ("ok", "401", "500"), "module_defaults": ("ok", "401")}[mode]
    return [(form, scenario, mode) for form in forms for scenario in scenarios]


@pytest.mark.parametrize(
    "modes, forms",
    [(("task", "module_defaults"), FORMS), (("env",), DEFAULT_FORMS), (("env",), OTHER_FORMS)],
    # The other forms apart: their variables change how the same options are read (an e-mail address set makes api_key
    # the legacy account key, from another variable).
    ids=["task-and-module_defaults", "env", "env-other-credentials"],
)
def test_no_credential_anywhere_in_success_and_failure(ansible, emulator, echo, tls_emulator, modes, forms):
    if not forms:
        pytest.skip("no provider has another credential form")
    credentials = make_credentials("SECRET" + modes[0].upper(), forms)
    configure_credentials(emulator, credentials, forms)
    cases = [case for mode in modes for case in cases_for(mode, forms)]
    tasks, expected = secret_tasks(ansible, emulator, echo, tls_emulator.url, cases)
    env = credential_env(credentials, forms) if modes == ("env",) else None
    run, texts = run_verbose(ansible, tasks, credentials, forms, env=env)
    assert run.rc == 0, run.output
    for name, words in expected.items():
        result = run.task(name)
        if words is None:
            assert not result.get("msg"), (name, result)
        else:
            assert words in result.get("msg", ""), (name, result)
    # The credentials really went out, so there was something to leak: the emulator accepted every form in every mode
    # (each successful task carried them), and the echo server saw every one.
    accepted = [header_text(entry["headers"]) for entry in emulator.purges()]
    for form in forms:
        carried = [text for text in accepted if all(value in text for value in on_the_wire(form, credentials))]
        assert len(carried) == len(modes), "%s: one accepted purge per successful task, each with its credentials" % form
    sent = echoed_text(echo)
    assert all(value in sent for form in forms for value in on_the_wire(form, credentials))
    assert "ledger" in texts and "ANSIBLE_LOG_PATH" in texts
    assert find_leaks(texts, credentials) == {}


def test_wrong_credentials_are_never_shown(ansible, emulator):
    """The emulator's own refusal (its DENIED status), with credentials it does not know, given in the task."""
    good, wrong = make_credentials("GOOD"), make_credentials("WRONG")
    configure_credentials(emulator, good)
    tasks = [
        {
            "name": form.label,
            "cdnops.cdn.cdn_purge": dict(
                without_credentials(ansible.options(form.provider, paths=PATHS[form.provider]), form.provider), **from_variables(form)
            ),
            "ignore_errors": True,
        }
        for form in FORMS
    ]
    run, texts = run_verbose(ansible, tasks, wrong)
    for form in FORMS:
        assert "HTTP %d" % CASES[form.provider].DENIED in run.task(form.label)["msg"], run.task(form.label)
    # Refused by the provider, once each (an auth failure is not retried): the wrong credentials did go out.
    entries = [entry for entry in emulator.log() if entry["kind"] == "purge"]
    assert sorted(entry["provider"] for entry in entries) == sorted(form.provider for form in FORMS)
    assert not any(entry["accepted"] for entry in entries)
    assert find_leaks(texts, wrong) == {} and find_leaks(texts, good) == {}


def test_imagekit_basic_auth_header_echoed_in_an_error_is_redacted(ansible, emulator, echo):
    """ImageKit sends its private key as HTTP Basic auth: the echoed header holds base64("key:"), redacted too."""
    imagekit = next(form for form in DEFAULT_FORMS if form.provider == "imagekit")
    credentials = make_credentials("SECRETB64", [imagekit])
    tasks, _expected = secret_tasks(ansible, emulator, echo, None, [(imagekit, scenario, "task") for scenario in ("401", "403", "500")])
    run, texts = run_verbose(ansible, tasks, credentials, [imagekit])
    assert "HTTP 401" in run.task("%s 401 task" % imagekit.label)["msg"]
    (key,) = credentials[imagekit.label].values()
    basic = "Basic " + base64.b64encode((key + ":").encode()).decode()
    assert echo.received and all(request["headers"].get("Authorization") == basic for request in echo.received)
    assert find_leaks(texts, credentials) == {}


def test_credential_cut_by_message_truncation_is_redacted(ansible, echo):
    credentials = make_credentials("SECRETCUT")
    tasks = []
    for form in FORMS:
        options = without_credentials(
            ansible.options(form.provider, api_base_url=echo.url + "/e500split", paths=PATHS[form.provider], retries=0), form.provider
        )
        tasks.append({"name": form.label, "cdnops.cdn.cdn_purge": dict(options, **from_variables(form)), "ignore_errors": True})
    run, texts = run_verbose(ansible, tasks, credentials)
    for form in FORMS:
        assert "HTTP 500" in run.task(form.label)["msg"]
    assert len(echo.received) == len(FORMS)
    assert find_leaks(texts, credentials) == {}


UNCONFIRMING = tuple(form for form in DEFAULT_FORMS if CASES[form.provider].UNCONFIRMED)


def test_unconfirmed_answer_echoing_the_key_is_redacted(ansible, echo):
    """An HTTP 200 that is not the provider's success answer, echoing the credentials read from the environment."""
    credentials = make_credentials("SECRET200", UNCONFIRMING)
    tasks = [
        {
            "name": form.label,
            "cdnops.cdn.cdn_purge": without_credentials(
                ansible.options(form.provider, api_base_url=echo.url + "/e200", paths=PATHS[form.provider]), form.provider
            ),
            "ignore_errors": True,
        }
        for form in UNCONFIRMING
    ]
    run, texts = run_verbose(ansible, tasks, credentials, UNCONFIRMING, env=credential_env(credentials, UNCONFIRMING))
    for form in UNCONFIRMING:
        assert CASES[form.provider].UNCONFIRMED in run.task(form.label)["msg"], run.task(form.label)
    assert all(value in echoed_text(echo) for form in UNCONFIRMING for value in on_the_wire(form, credentials))
    assert find_leaks(texts, credentials) == {}


def on_the_wire(form, credentials):
    """The form's credential values that travel in requests: a signing secret (SigV4, EdgeGrid) never does."""
    signing_only = getattr(CASES[form.provider], "SIGNING_ONLY", ())
    return [value for option, value in credentials[form.label].items() if option not in signing_only]


def test_credential_with_a_line_break_is_never_shown(ansible, emulator):
    credentials = make_credentials("SECRETNL")
    # As read from a file, or a vault variable, with its trailing newline (the first option of each form).
    first = {form.label: next(iter(form.options)) for form in FORMS}
    with_newline = {form.label: dict(credentials[form.label], **{first[form.label]: credentials[form.label][first[form.label]] + "\n"}) for form in FORMS}
    tasks = []
    for form in FORMS:
        options = without_credentials(ansible.options(form.provider, paths=PATHS[form.provider]), form.provider)
        tasks.append({"name": form.label, "cdnops.cdn.cdn_purge": dict(options, **from_variables(form)), "ignore_errors": True})
    run, texts = run_verbose(ansible, tasks, with_newline)
    for form in FORMS:
        assert "option %s" % first[form.label] in run.task(form.label)["msg"], run.task(form.label)
    assert find_leaks(texts, credentials) == {}
    assert emulator.log() == []


def test_a_redirect_never_carries_credentials_to_another_origin(ansible, echo):
    elsewhere = start_echo_server()
    try:
        echo.redirect_to = elsewhere.url
        credentials = make_credentials("SECRETREDIR")
        tasks = []
        for form in FORMS:
            options = without_credentials(ansible.options(form.provider, api_base_url=echo.url + "/e307", paths=PATHS[form.provider], retries=0), form.provider)
            tasks.append({"name": form.label, "cdnops.cdn.cdn_purge": dict(options, **from_variables(form)), "ignore_errors": True})
        run, texts = run_verbose(ansible, tasks, credentials)
        assert echo.redirects == len(FORMS)
        assert find_leaks(texts, credentials) == {}
        # What reached the other origin: no credential header at all.
        assert find_leaks({"other origin": json.dumps(elsewhere.received)}, credentials) == {}
        for form in FORMS:
            assert "HTTP 307" in run.task(form.label)["msg"]
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()


# --------------------------------------------------------------------------- transport


def system_ca_bundle():
    for candidate in (os.environ.get("REQUESTS_CA_BUNDLE"), ssl.get_default_verify_paths().cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def test_tls_verified_by_default_and_validate_certs_false_wins_over_requests_ca_bundle(ansible, tls_emulator):
    tls_emulator.control("POST", "/_emulator/reset")
    bundle = system_ca_bundle()
    if bundle is None:
        pytest.skip("no system CA bundle to put in REQUESTS_CA_BUNDLE")
    # requests lets REQUESTS_CA_BUNDLE override a Session-level verify=False; the module must pass verify per request.
    env = {"REQUESTS_CA_BUNDLE": bundle, "CURL_CA_BUNDLE": bundle, "SSL_CERT_FILE": bundle}
    tasks = []
    for provider in PROVIDERS:
        for verify in (True, False):
            options = ansible.options(provider, api_base_url=tls_emulator.url, paths=PATHS[provider], validate_certs=verify, retries=0)
            task = {"name": "%s %s" % (provider, verify), "cdnops.cdn.cdn_purge": options, "register": "r", "ignore_errors": True}
            tasks.append(task)
        if provider in WITH_STATUS:
            tasks.append(status_task(dict(task, ignore_errors=False), options, "%s status" % provider, "{{ r.request_ids }}"))
    run = ansible.playbook(tasks, env=env)
    assert run.rc == 0, run.output
    for provider in PROVIDERS:
        refused = run.task("%s True" % provider)["msg"]
        assert "%s: " % provider in refused and "TLS error talking to %s" % tls_emulator.url in refused, refused
        assert "CERTIFICATE_VERIFY_FAILED" in refused and "validate_certs=false" in refused
        assert not run.task("%s False" % provider).get("msg"), run.task("%s False" % provider)
    for provider in WITH_STATUS:
        assert run.task("%s status" % provider)["statuses"], run.task("%s status" % provider)
    # validate_certs=true sent nothing: the handshake failed before any HTTP request.
    log = tls_emulator.log()
    assert sorted(entry["provider"] for entry in log if entry["kind"] == "purge" and entry["accepted"]) == sorted(PROVIDERS)
    assert len([entry for entry in log if entry["kind"] == "purge"]) == len(PROVIDERS)


def test_validate_certs_true_trusts_a_private_ca_given_by_requests_ca_bundle(ansible, tls_emulator):
    tls_emulator.control("POST", "/_emulator/reset")
    tasks = [
        {"name": provider, "cdnops.cdn.cdn_purge": ansible.options(provider, api_base_url=tls_emulator.url, paths=PATHS[provider], retries=0)}
        for provider in PROVIDERS
    ]
    run = ansible.playbook(tasks, env={"REQUESTS_CA_BUNDLE": str(tls_emulator.cert)})
    assert run.rc == 0, run.output
    purged = {entry["provider"]: entry["purged"] for entry in tls_emulator.log() if entry["kind"] == "purge" and entry["accepted"]}
    assert purged == {provider: CASES[provider].SENT["paths"][:1] for provider in PROVIDERS}


def test_plain_http_to_a_non_loopback_host_is_refused_before_sending(ansible, emulator):
    # A name under .invalid never resolves, so even a broken rule sends nothing off this machine: the test sees the
    # rule's own message, not a connection error, only while the rule holds.
    url = "http://cdn-api.invalid:8080"
    tasks = [
        {"name": provider, "cdnops.cdn.cdn_purge": ansible.options(provider, api_base_url=url, paths=PATHS[provider]), "ignore_errors": True}
        for provider in PROVIDERS
    ]
    tasks += [
        {
            "name": "%s status" % provider,
            "cdnops.cdn.cdn_purge_status": ansible.options(provider, api_base_url=url, request_ids=["I1234567890AB"]),
            "ignore_errors": True,
        }
        for provider in WITH_STATUS
    ]
    run = ansible.playbook(tasks)
    for task in tasks:
        assert "uses plain http:// to a non-loopback host; only https:// is allowed there" in run.task(task["name"])["msg"]
        assert run.task(task["name"]).get("api_requests", 0) == 0
    assert emulator.log() == []


def test_plain_http_to_loopback_never_goes_through_an_environment_proxy(ansible, emulator, echo):
    """http:// is allowed only because the request never leaves the machine; a proxy from the environment would carry it off."""
    credentials = make_credentials("SECRETPROXY")
    configure_credentials(emulator, credentials)
    tasks = []
    for form in FORMS:
        options = without_credentials(ansible.options(form.provider, paths=PATHS[form.provider], retries=0), form.provider)
        tasks.append({"name": form.label, "cdnops.cdn.cdn_purge": dict(options, **from_variables(form)), "ignore_errors": True})
    env = {"HTTP_PROXY": echo.url, "http_proxy": echo.url, "ALL_PROXY": echo.url, "NO_PROXY": "", "no_proxy": ""}
    run, _texts = run_verbose(ansible, tasks, credentials, env=env)
    assert echo.received == [], "requests went through the proxy: %s" % [entry["path"] for entry in echo.received]
    for form in FORMS:
        assert not run.task(form.label).get("msg"), run.task(form.label)
    assert sorted(entry["provider"] for entry in emulator.purges()) == sorted(form.provider for form in FORMS)
