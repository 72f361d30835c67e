"""The emulator's core, run as a real subprocess and driven over real HTTP: request log, config, control API,
latency, connections, CLI and TLS (quota and faults: test_emulator_faults.py). Each provider's own rules: test_emulator_<provider>.py."""

import ast
import concurrent.futures
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests
from emulator_kit import (
    CF_EMAIL,
    CF_GLOBAL_KEY,
    CF_TOKEN,
    CF_ZONE,
    EMULATOR,
    FC_KEY,
    FY_HOST,
    FY_SERVICE,
    FY_TOKEN,
    GP_HEADERS,
    IK_ENDPOINT,
    IK_KEY,
    PROVIDERS,
    TIMEOUT,
    cf_purge,
    fc_purge,
    fy_post,
    gp_purge,
    ik_purge,
    ik_status,
    im_post,
    im_purge,
    start_emulator,
    valid_purge,
)

# --------------------------------------------------------------------------- general


def test_health_unknown_path_and_log(emulator):
    assert requests.get(emulator.url("/_emulator/health"), timeout=TIMEOUT).json() == {"ok": True}
    response = requests.get(emulator.url("/v9/nothing?x=1"), timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
    # A known path with the wrong method is not a provider endpoint either.
    assert requests.get(emulator.url("/v1/storage/purgeCache"), timeout=TIMEOUT).status_code == 404
    log = emulator.log()
    assert [(e["provider"], e["path"], e["status"], e["query"]) for e in log] == [
        ("unknown", "/v9/nothing", 404, {"x": "1"}),
        ("unknown", "/v1/storage/purgeCache", 404, {}),
    ]
    assert [e["seq"] for e in log] == [1, 2]


def test_log_entry_has_every_field(emulator):
    before = time.time()
    assert fc_purge(emulator, files=["/a.mp4"], query="?delete=false").status_code == 200
    (entry,) = emulator.log()
    assert entry["seq"] == 1
    assert before <= entry["time"] <= time.time()
    assert entry["provider"] == "5centscdn"
    assert entry["method"] == "POST"
    assert entry["path"] == "/v2/zones/http/pull/42/purge"
    assert entry["query"] == {"delete": "false"}
    assert entry["headers"]["X-API-Key"] == FC_KEY
    assert entry["body"] == {"files": ["/a.mp4"]}
    assert entry["body_text"] == '{"files": ["/a.mp4"]}'
    assert entry["status"] == 200
    assert entry["fault"] is None
    assert entry["accepted"] is True
    assert entry["kind"] == "purge"
    assert entry["request_id"] is None
    assert entry["purged"] == ["/a.mp4"]
    assert entry["purge_all"] is False
    assert entry["delete"] is False
    assert entry["purge_type"] is None


def test_requests_filter_by_provider(emulator):
    valid_purge(emulator, "imagekit")
    valid_purge(emulator, "gotipath")
    assert [e["provider"] for e in emulator.log()] == ["imagekit", "gotipath"]
    assert [e["provider"] for e in emulator.log("gotipath")] == ["gotipath"]


def test_config_rejects_unknown_key_and_bad_value(emulator):
    response = requests.post(emulator.url("/_emulator/config"), json={"bogus_key": 1}, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "bogus_key" in response.json()["message"]
    response = requests.post(emulator.url("/_emulator/config"), json={"fault_rate": 2}, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "fault_rate" in response.json()["message"]
    response = requests.post(emulator.url("/_emulator/config"), json={"faults": ["teapot"]}, timeout=TIMEOUT)
    assert response.status_code == 400
    config = requests.get(emulator.url("/_emulator/config"), timeout=TIMEOUT).json()
    assert config["fault_rate"] == 0
    assert config["faults"] == ["429", "500", "502", "503", "drop"]


def test_config_credentials_merge_and_reset(emulator):
    emulator.config(credentials={"imagekit": {"private_key": "new_key"}}, latency_ms=1)
    assert valid_purge(emulator, "imagekit").status_code == 401
    assert ik_purge(emulator, f"{IK_ENDPOINT}/a.jpg", key="new_key").status_code == 201
    # Other providers' credentials are untouched by the merge.
    assert valid_purge(emulator, "gotipath").status_code == 200
    assert requests.post(emulator.url("/_emulator/reset"), timeout=TIMEOUT).status_code == 200
    assert emulator.log() == []
    config = requests.get(emulator.url("/_emulator/config"), timeout=TIMEOUT).json()
    assert config["credentials"]["imagekit"]["private_key"] == IK_KEY
    assert config["latency_ms"] == 0
    assert valid_purge(emulator, "imagekit").status_code == 201


def test_providers_endpoint_lists_every_handler_defaults(emulator):
    response = requests.get(emulator.url("/_emulator/providers"), timeout=TIMEOUT)
    assert response.status_code == 200
    described = response.json()
    assert tuple(described) == PROVIDERS
    assert described["cloudflare"]["credentials"] == {"api_token": CF_TOKEN, "email": CF_EMAIL, "global_key": CF_GLOBAL_KEY}
    assert described["cloudflare"]["config"] == {
        "cloudflare_zones": [CF_ZONE],
        "cloudflare_max_items": {"files": 500, "prefixes": 100, "tags": 100, "hosts": 100},
        "cloudflare_http200_failures": 0,
    }
    assert described["fastly"]["credentials"] == {"api_token": FY_TOKEN}
    assert described["fastly"]["config"] == {
        "fastly_services": {FY_SERVICE: [FY_HOST]},
        "fastly_token_scopes": ["purge_select", "purge_all"],
        "fastly_rate_limit": 1000,
        "fastly_rate_window": 3600,
    }
    assert described["gotipath"]["credentials"]["client_id"] == GP_HEADERS["X-Auth-ClientId"]
    emulator.config(cloudflare_zones=["0" * 32], credentials={"fastly": {"api_token": "other"}})
    # Defaults, not the current config; and they agree with the startup config.
    assert requests.get(emulator.url("/_emulator/providers"), timeout=TIMEOUT).json() == described
    requests.post(emulator.url("/_emulator/reset"), timeout=TIMEOUT)
    config = requests.get(emulator.url("/_emulator/config"), timeout=TIMEOUT).json()
    for name, handler in described.items():
        assert config["credentials"][name] == handler["credentials"]
        assert {key: config[key] for key in config if key.startswith(name + "_")} == handler["config"]
        assert handler["routes"] and all(set(route) == {"method", "path", "kind"} for route in handler["routes"])
    assert requests.post(emulator.url("/_emulator/providers"), timeout=TIMEOUT).status_code == 405


@pytest.mark.parametrize(
    "patch",
    [
        {"cloudflare_zones": ["023E105F4ECEF8AD9CA31A8372D0C353"]},
        {"cloudflare_max_items": {"files": 0}},
        {"cloudflare_max_items": {"urls": 5}},
        {"cloudflare_http200_failures": -1},
        {"fastly_services": {"bad id!": ["www.example.com"]}},
        {"fastly_token_scopes": ["purge_everything"]},
        {"fastly_rate_window": 0},
        {"credentials": {"cloudflare": {"password": "x"}}},
        {"quota": {"edgecast": 1}},
    ],
)
def test_config_checks_provider_keys(emulator, patch):
    response = requests.post(emulator.url("/_emulator/config"), json=patch, timeout=TIMEOUT)
    assert response.status_code == 400
    assert next(iter(patch)) in response.json()["message"]


def test_config_cloudflare_max_items_merges_per_kind(emulator):
    config = emulator.config(cloudflare_max_items={"files": 30})
    assert config["cloudflare_max_items"] == {"files": 30, "prefixes": 100, "tags": 100, "hosts": 100}


def test_every_log_entry_has_the_same_fields_and_a_purge_kind(emulator):
    ik_purge(emulator, f"{IK_ENDPOINT}/a.jpg")
    ik_purge(emulator, f"{IK_ENDPOINT}/images/upload*")
    im_purge(emulator, ["/logo.png"])
    fc_purge(emulator, files=["/a.mp4"])
    fc_purge(emulator, data=b"")
    for body in ({"type": "url", "paths": ["/a"]}, {"type": "pattern", "paths": ["/a/*"]}, {"type": "all", "paths": []}):
        gp_purge(emulator, body)
    cf_purge(emulator, {"tags": ["t"]})
    fy_post(emulator, f"/service/{FY_SERVICE}/purge/k")
    requests.get(emulator.url("/nowhere"), timeout=TIMEOUT)
    log = emulator.log()
    assert [e["purge_kind"] for e in log] == ["url", "prefix", "prefix", "url", "all", "url", "pattern", "all", "tags", "key", None]
    assert all(e["accepted"] for e in log[:-1])
    assert len({tuple(sorted(e)) for e in log}) == 1
    assert {"delete", "purge_type", "soft", "purge_kind"} <= set(log[0])


def test_core_is_provider_neutral_and_the_emulator_is_stdlib_only():
    here = EMULATOR.parent
    names = [*PROVIDERS, "5cents", "fivecents"]
    for path in [EMULATOR, *sorted((here / "core").glob("*.py"))]:
        text = path.read_text(encoding="utf-8").lower()
        assert not [name for name in names if name in text], path
    # Only the standard library and the emulator's own packages: never the collection (plugins/).
    for path in [EMULATOR, *sorted(here.glob("core/*.py")), *sorted(here.glob("providers/*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                modules = ["providers" if node.level else node.module]
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or top in ("core", "providers"), (path, module)


def test_script_runs_from_anywhere_with_safe_path(tmp_path):
    # -P: the script's directory is not put on sys.path by Python; the entry point must do it.
    result = subprocess.run([sys.executable, "-P", str(EMULATOR), "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "--imagekit-complete-after" in result.stdout


def test_control_complete_marks_pending_done(emulator):
    emulator.config(imagekit_complete_after=600, imagemash_complete_after=600)
    request_id = ik_purge(emulator, f"{IK_ENDPOINT}/a.jpg").json()["requestId"]
    assert im_purge(emulator, ["/logo.png"]).status_code == 200
    assert ik_status(emulator, request_id).json() == {"status": "Pending"}
    response = requests.post(emulator.url("/_emulator/complete"), timeout=TIMEOUT)
    assert response.json() == {"ok": True, "completed": 2}
    assert ik_status(emulator, request_id).json() == {"status": "Completed"}
    assert im_post(emulator, "/v1/storage/getPurgeList").json()[0]["status"] == "Completed"


# --------------------------------------------------------------------------- latency and connections


def test_latency_requests_overlap(emulator):
    emulator.config(latency_ms=200)

    def one(index):
        started = time.monotonic()
        response = ik_purge(emulator, f"{IK_ENDPOINT}/img/{index}.png")
        return response.status_code, time.monotonic() - started

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(8)))
    elapsed = time.monotonic() - started
    assert [status for status, _duration in results] == [201] * 8
    assert all(duration >= 0.2 for _status, duration in results)
    assert elapsed < 1.2
    assert len(emulator.log()) == 8


def test_keep_alive_reuses_one_connection(emulator):
    with requests.Session() as session:
        session.auth = (IK_KEY, "")
        statuses = []
        for index in range(5):
            response = session.post(emulator.url("/v1/files/purge"), json={"url": f"{IK_ENDPOINT}/{index}.png"}, timeout=TIMEOUT)
            assert response.headers.get("Connection", "").lower() != "close"
            statuses.append(response.status_code)
        statuses.append(session.get(emulator.url("/v1/files/purge/ffffffffffffffffffffffff"), timeout=TIMEOUT).status_code)
    assert statuses == [201] * 5 + [404]
    log = emulator.log()
    assert len(log) == 6
    assert len({e["connection"] for e in log}) == 1
    valid_purge(emulator, "imagekit")  # a fresh connection outside the session
    assert emulator.log()[-1]["connection"] != log[0]["connection"]


# --------------------------------------------------------------------------- CLI, TLS, SDK


def test_cli_flags_config_and_sigint(tmp_path):
    emu = start_emulator(
        tmp_path,
        "--latency-ms",
        "5",
        "--fault-rate",
        "0.25",
        "--faults",
        "500,drop_after",
        "--imagekit-complete-after",
        "2.5",
        "--imagemash-complete-after",
        "0",
        "--config",
        '{"imagemash_id_format": "object", "quota": {"gotipath": 3}, "latency_ms": 99}',
    )
    try:
        config = requests.get(emu.url("/_emulator/config"), timeout=TIMEOUT).json()
        assert config["latency_ms"] == 5  # an explicit flag beats --config
        assert (config["fault_rate"], config["faults"]) == (0.25, ["500", "drop_after"])
        assert (config["imagekit_complete_after"], config["imagemash_complete_after"]) == (2.5, 0)
        assert (config["imagemash_id_format"], config["quota"]) == ("object", {"gotipath": 3})
    finally:
        assert emu.stop(signal.SIGINT) == 0


def test_cli_rejects_unknown_config_key(tmp_path):
    port_file = tmp_path / "port"
    command = [
        sys.executable,
        str(EMULATOR),
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--config",
        '{"no_such_key": 1}',
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "no_such_key" in result.stderr
    assert not port_file.exists()


def test_tls_mode(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    emu = start_emulator(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert emu.line.startswith("cdn-emulator listening on https://127.0.0.1:")
        assert requests.get(emu.url("/_emulator/health"), verify=str(cert), timeout=TIMEOUT).json() == {"ok": True}
        with requests.Session() as session:
            session.auth = (IK_KEY, "")
            for _index in range(2):
                # verify per request: REQUESTS_CA_BUNDLE in the environment would override session.verify.
                response = session.post(emu.url("/v1/files/purge"), json={"url": f"{IK_ENDPOINT}/a.jpg"}, verify=str(cert), timeout=TIMEOUT)
                assert response.status_code == 201
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emu.url("/_emulator/health"), timeout=TIMEOUT)  # self-signed: refused by default
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{emu.port}/_emulator/health", timeout=TIMEOUT)
        log = requests.get(emu.url("/_emulator/requests"), verify=str(cert), timeout=TIMEOUT).json()
        assert [e["status"] for e in log] == [201, 201]
        assert log[0]["connection"] == log[1]["connection"]
    finally:
        assert emu.stop() == 0
