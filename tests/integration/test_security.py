"""No secret leaked, TLS verified, no plain http to the network: real ansible-playbook runs at -vvvv.

Credentials are long distinctive values. For every provider they are passed in the task, through
module_defaults, or through the providers' environment variables (where Ansible's own no_log scrubbing
does not know them, so only the collection's redaction protects them), and used in success and in every
failure path: 401, 403, 500 whose body echoes the request headers (a tiny echo server started here; the
emulator does not echo), connection refused and TLS failure. No piece of a credential, nor its base64
form (ImageKit's Basic auth), may appear in stdout/stderr, in the ANSIBLE_LOG_PATH file, in the returned
JSON, in the ledger or in Ansible's temporary files.
"""

import base64
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
from emulator_support import TARGETS, start_emulator

PROVIDERS = ("imagekit", "imagemash", "5centscdn", "gotipath")
PATHS = {
    "imagekit": ["/img/big/a.png"],
    "imagemash": ["/img/big/a.png"],
    "5centscdn": ["/videos/a.mp4"],
    "gotipath": ["/index.html"],
}
CREDENTIAL_ENV = {
    "imagekit": {"api_key": "IMAGEKIT_PRIVATE_KEY"},
    "imagemash": {"api_key": "IMAGEMASH_API_KEY"},
    "5centscdn": {"api_key": "FIVECENTSCDN_API_KEY"},
    "gotipath": {"api_key": "GOTIPATH_API_KEY", "client_id": "GOTIPATH_CLIENT_ID", "library_id": "GOTIPATH_LIBRARY_ID"},
}
EMULATOR_FIELDS = {"imagekit": {"api_key": "private_key"}, "imagemash": {"api_key": "apikey"}}
# A window this long of a credential anywhere counts as a leak (catches truncated and partial copies).
WINDOW = 12


def make_credentials(tag):
    """Distinctive values per provider and option; unique per test run."""
    nonce = secrets.token_hex(12)
    return {
        provider: {option: "%s-%s-%s-%s-%s" % (tag, provider.upper(), option.replace("_", "").upper(), nonce, "Zq" * 8) for option in options}
        for provider, options in CREDENTIAL_ENV.items()
    }


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


def variable(provider, option):
    return "cred_%s_%s" % (provider, option)


def from_variables(credentials, provider):
    """The provider's credential options as Jinja references to extra vars, as users write them (with vault)."""
    return {option: "{{ %s }}" % variable(provider, option) for option in credentials[provider]}


def run_verbose(ansible, tasks, credentials, env=None):
    """Run at -vvvv with ANSIBLE_LOG_PATH; the credentials are extra vars from a file, never written in the playbook.

    (ansible-core 2.19 shows the playbook lines around a failed task, so a credential written there literally would
    be printed by Ansible itself: docs/security.md tells users to keep them in variables.)
    """
    log_path = ansible.workdir / "ansible.log"
    variables = ansible.workdir / "credentials.json"
    values = {variable(provider, option): value for provider, options in credentials.items() for option, value in options.items()}
    variables.write_text(json.dumps(values), encoding="utf-8")
    run = ansible.playbook(tasks, "-vvvv", "-e", "@%s" % variables, env=dict(env or {}, ANSIBLE_LOG_PATH=str(log_path)))
    return run, all_outputs(ansible, run, log_path)


# --------------------------------------------------------------------------- servers


CREDENTIAL_HEADERS = ("authorization", "apikey", "x-api-key", "x-auth-apikey", "x-auth-clientid", "x-auth-libraryid")


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
        # Only the credential headers, so that no message is long enough to be cut (the cut is tested apart).
        echoed = "you sent: " + "; ".join("%s: %s" % (name, value) for name, value in headers.items() if name.lower() in CREDENTIAL_HEADERS)
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
            value = next(value for name, value in headers.items() if name.lower() in CREDENTIAL_HEADERS)
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


# --------------------------------------------------------------------------- secrets


SCENARIOS = ("ok", "401", "403", "500", "refused", "tls")


def secret_tasks(ansible, emulator, echo, tls_url, credentials, cases):
    """One task per (provider, scenario, mode); the credentials come from the task, module_defaults or the environment.

    Returns the tasks and, by task name, the words the failure message must hold (None: success).
    """
    refused = "http://127.0.0.1:%d" % free_port()
    scenarios = {
        # name: (api_base_url, extra options, words in msg or None for success)
        "ok": (emulator.url, {"idempotency_key": "release-1", "idempotency_file": ansible.ledger}, None),
        "401": (echo.url + "/e401", {}, "HTTP 401"),
        "403": (echo.url + "/e403", {}, "HTTP 403"),
        "500": (echo.url + "/e500text", {"retries": 1}, "after 1 retries: HTTP 500"),
        "refused": (refused, {"retries": 0}, "could not get an answer"),
        "tls": (tls_url, {"retries": 0}, "TLS error"),
    }
    tasks, expected = [], {}
    for provider, scenario, mode in cases:
        url, extra, words = scenarios[scenario]
        options = dict(ansible.options(provider, api_base_url=url, paths=PATHS[provider], **extra))
        for option in CREDENTIAL_ENV[provider]:
            options.pop(option, None)
        name = "%s %s %s" % (provider, scenario, mode)
        task = {"name": name, "cdnops.cdn.cdn_purge": options, "register": "r", "ignore_errors": True}
        if mode == "task":
            options.update(from_variables(credentials, provider))
        elif mode == "module_defaults":
            task["module_defaults"] = {"group/cdnops.cdn.cdn": from_variables(credentials, provider)}
        tasks.append(task)
        expected[name] = words
        if provider in ("imagekit", "imagemash") and scenario in ("ok", "500"):
            status = {key: value for key, value in options.items() if key in ("provider", "api_base_url", "retries", "api_key", *TARGETS[provider])}
            status["request_ids"] = "{{ r.request_ids }}" if scenario == "ok" else ["I1234567890AB"]
            status_task = dict(task, name="%s status %s %s" % (provider, scenario, mode), **{"cdnops.cdn.cdn_purge_status": status})
            del status_task["cdnops.cdn.cdn_purge"], status_task["register"]
            tasks.append(status_task)
            expected[status_task["name"]] = words
    return tasks, expected


def configure_credentials(emulator, credentials):
    """The emulator accepts exactly these credentials."""
    fields = {}
    for provider, options in credentials.items():
        mapping = EMULATOR_FIELDS.get(provider, {})
        fields[provider] = {mapping.get(option, option): value for option, value in options.items()}
    emulator.configure(credentials=fields)


def credential_env(credentials):
    return {CREDENTIAL_ENV[provider][option]: value for provider, options in credentials.items() for option, value in options.items()}


# ImageKit's Basic auth header is base64("key:"): redaction covers that form too (see the test below).
ECHOING = ("401", "403", "500")


def cases_for(mode):
    """Every provider in every scenario from the environment, where only the collection's redaction protects a credential.

    Given as options (in the task or through module_defaults) Ansible's no_log scrubbing protects them too; there a
    success and the failures that quote the provider are enough.
    """
    scenarios = {"env": SCENARIOS, "task": ("ok", "401", "500"), "module_defaults": ("ok", "401")}[mode]
    return [(provider, scenario, mode) for provider in PROVIDERS for scenario in scenarios if not (provider == "imagekit" and scenario in ECHOING)]


@pytest.mark.parametrize("modes", [("task", "module_defaults"), ("env",)], ids=["task-and-module_defaults", "env"])
def test_no_credential_anywhere_in_success_and_failure(ansible, emulator, echo, tls_emulator, modes):
    credentials = make_credentials("SECRET" + modes[0].upper())
    configure_credentials(emulator, credentials)
    cases = [case for mode in modes for case in cases_for(mode)]
    tasks, expected = secret_tasks(ansible, emulator, echo, tls_emulator.url, credentials, cases)
    run, texts = run_verbose(ansible, tasks, credentials, env=credential_env(credentials) if modes == ("env",) else None)
    assert run.rc == 0, run.output
    for name, words in expected.items():
        result = run.task(name)
        if words is None:
            assert not result.get("msg"), (name, result)
        else:
            assert words in result.get("msg", ""), (name, result)
    # The credentials really went out, so there was something to leak: the emulator accepted them, the echo server saw them.
    assert {entry["provider"] for entry in emulator.purges()} == set(PROVIDERS)
    sent = json.dumps(echo.received)
    assert all(value in sent for provider in PROVIDERS if provider != "imagekit" for value in credentials[provider].values())
    assert "ledger" in texts and "ANSIBLE_LOG_PATH" in texts
    assert find_leaks(texts, credentials) == {}


def test_wrong_credentials_are_never_shown(ansible, emulator):
    """The emulator's own 401, with credentials it does not know, given in the task."""
    good, wrong = make_credentials("GOOD"), make_credentials("WRONG")
    configure_credentials(emulator, good)
    tasks = [
        {
            "name": provider,
            "cdnops.cdn.cdn_purge": dict(ansible.options(provider, paths=PATHS[provider]), **from_variables(wrong, provider)),
            "ignore_errors": True,
        }
        for provider in PROVIDERS
    ]
    run, texts = run_verbose(ansible, tasks, wrong)
    for provider in PROVIDERS:
        assert "HTTP 401" in run.task(provider)["msg"]
    assert find_leaks(texts, wrong) == {} and find_leaks(texts, good) == {}


def test_imagekit_basic_auth_header_echoed_in_an_error_is_redacted(ansible, emulator, echo):
    credentials = make_credentials("SECRETB64")
    tasks, _expected = secret_tasks(ansible, emulator, echo, None, credentials, [("imagekit", scenario, "task") for scenario in ECHOING])
    run, texts = run_verbose(ansible, tasks, credentials)
    assert "HTTP 401" in run.task("imagekit 401 task")["msg"]
    assert find_leaks(texts, credentials) == {}


def test_credential_cut_by_message_truncation_is_redacted(ansible, echo):
    credentials = make_credentials("SECRETCUT")
    tasks = []
    for provider in ("imagemash", "5centscdn", "gotipath"):
        options = dict(ansible.options(provider, api_base_url=echo.url + "/e500split", paths=PATHS[provider], retries=0))
        options.update(from_variables(credentials, provider))
        tasks.append({"name": provider, "cdnops.cdn.cdn_purge": options, "ignore_errors": True})
    run, texts = run_verbose(ansible, tasks, credentials)
    for provider in ("imagemash", "5centscdn", "gotipath"):
        assert "HTTP 500" in run.task(provider)["msg"]
    assert find_leaks(texts, credentials) == {}


def test_5centscdn_unconfirmed_answer_echoing_the_key_is_redacted(ansible, echo):
    credentials = make_credentials("SECRET200")
    options = dict(ansible.options("5centscdn", api_base_url=echo.url + "/e200", paths=PATHS["5centscdn"]))
    del options["api_key"]
    run, texts = run_verbose(ansible, [{"name": "purge", "cdnops.cdn.cdn_purge": options}], credentials, env=credential_env(credentials))
    assert "did not confirm it" in run.task("purge")["msg"]
    assert find_leaks(texts, credentials) == {}


def test_credential_with_a_line_break_is_never_shown(ansible, emulator):
    credentials = make_credentials("SECRETNL")
    # As read from a file, or a vault variable, with its trailing newline.
    with_newline = {provider: dict(options, api_key=options["api_key"] + "\n") for provider, options in credentials.items()}
    tasks = []
    for provider in ("imagemash", "5centscdn", "gotipath"):
        options = dict(ansible.options(provider, paths=PATHS[provider]), **from_variables(credentials, provider))
        tasks.append({"name": provider, "cdnops.cdn.cdn_purge": options, "ignore_errors": True})
    run, texts = run_verbose(ansible, tasks, with_newline)
    for provider in ("imagemash", "5centscdn", "gotipath"):
        assert "api_key" in run.task(provider)["msg"]
    assert find_leaks(texts, credentials) == {}
    assert emulator.log() == []


def test_a_redirect_never_carries_credentials_to_another_origin(ansible, echo):
    elsewhere = start_echo_server()
    try:
        echo.redirect_to = elsewhere.url
        credentials = make_credentials("SECRETREDIR")
        tasks = []
        for provider in PROVIDERS:
            options = dict(ansible.options(provider, api_base_url=echo.url + "/e307", paths=PATHS[provider], retries=0))
            options.update(from_variables(credentials, provider))
            tasks.append({"name": provider, "cdnops.cdn.cdn_purge": options, "ignore_errors": True})
        run, texts = run_verbose(ansible, tasks, credentials)
        assert echo.redirects == len(PROVIDERS)
        assert find_leaks(texts, credentials) == {}
        # What reached the other origin: no credential header at all.
        assert find_leaks({"other origin": json.dumps(elsewhere.received)}, credentials) == {}
        for provider in PROVIDERS:
            assert "HTTP 307" in run.task(provider)["msg"]
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
            tasks.append({"name": "%s %s" % (provider, verify), "cdnops.cdn.cdn_purge": options, "register": "r", "ignore_errors": True})
        if provider in ("imagekit", "imagemash"):
            status = {key: value for key, value in options.items() if key not in ("paths", "retries")}
            tasks.append({"name": "%s status" % provider, "cdnops.cdn.cdn_purge_status": dict(status, request_ids="{{ r.request_ids }}")})
    run = ansible.playbook(tasks, env=env)
    assert run.rc == 0, run.output
    for provider in PROVIDERS:
        refused = run.task("%s True" % provider)["msg"]
        assert "%s: " % provider in refused and "TLS error talking to %s" % tls_emulator.url in refused, refused
        assert "CERTIFICATE_VERIFY_FAILED" in refused and "validate_certs=false" in refused
        assert not run.task("%s False" % provider).get("msg"), run.task("%s False" % provider)
    # validate_certs=true sent nothing: the handshake failed before any HTTP request.
    log = tls_emulator.log()
    assert sorted({entry["provider"] for entry in log if entry["kind"] == "purge" and entry["accepted"]}) == sorted(PROVIDERS)
    assert len([entry for entry in log if entry["kind"] == "purge"]) == len(PROVIDERS)


def test_validate_certs_true_trusts_a_private_ca_given_by_requests_ca_bundle(ansible, tls_emulator):
    tls_emulator.control("POST", "/_emulator/reset")
    options = ansible.options("gotipath", api_base_url=tls_emulator.url, paths=PATHS["gotipath"], retries=0)
    run = ansible.adhoc("cdnops.cdn.cdn_purge", options, env={"REQUESTS_CA_BUNDLE": str(tls_emulator.cert)})
    assert run.rc == 0, run.output
    assert [entry["purged"] for entry in tls_emulator.log()] == [PATHS["gotipath"]]


def test_plain_http_to_a_non_loopback_host_is_refused_before_sending(ansible, emulator):
    # A name under .invalid never resolves, so even a broken rule sends nothing off this machine: the test sees the
    # rule's own message, not a connection error, only while the rule holds.
    url = "http://cdn-api.invalid:8080"
    tasks = [
        {"name": provider, "cdnops.cdn.cdn_purge": ansible.options(provider, api_base_url=url, paths=PATHS[provider]), "ignore_errors": True}
        for provider in PROVIDERS
    ]
    tasks.append({"name": "status", "cdnops.cdn.cdn_purge_status": ansible.options("imagemash", api_base_url=url), "ignore_errors": True})
    run = ansible.playbook(tasks)
    for name in (*PROVIDERS, "status"):
        assert "uses plain http:// to a non-loopback host; only https:// is allowed there" in run.task(name)["msg"]
        assert run.task(name).get("api_requests", 0) == 0
    assert emulator.log() == []


def test_plain_http_to_loopback_never_goes_through_an_environment_proxy(ansible, emulator, echo):
    """http:// is allowed only because the request never leaves the machine; a proxy from the environment would carry it off."""
    credentials = make_credentials("SECRETPROXY")
    configure_credentials(emulator, credentials)
    tasks = []
    for provider in PROVIDERS:
        options = dict(ansible.options(provider, paths=PATHS[provider], retries=0), **from_variables(credentials, provider))
        tasks.append({"name": provider, "cdnops.cdn.cdn_purge": options, "ignore_errors": True})
    env = {"HTTP_PROXY": echo.url, "http_proxy": echo.url, "ALL_PROXY": echo.url, "NO_PROXY": "", "no_proxy": ""}
    run, _texts = run_verbose(ansible, tasks, credentials, env=env)
    assert echo.received == [], "requests went through the proxy: %s" % [entry["path"] for entry in echo.received]
    for provider in PROVIDERS:
        assert not run.task(provider).get("msg"), run.task(provider)
    assert sorted(entry["provider"] for entry in emulator.purges()) == sorted(PROVIDERS)
