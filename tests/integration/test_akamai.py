"""Akamai through real ansible-playbook and ansible runs against the emulator, for what the shared suites do not
cover: an .edgerc file (its host, a section from the environment), a wrong client secret (a clear 401, the secret
never printed), wait waiting Akamai's estimate, cdn_purge_status's message, soft_purge as invalidate, the default
network, requests cut by body size, tags and CP codes, a retry signed anew, the unauthorized-ARL refusal and
edgegrid-python missing."""

import time

from cases import CASES
from hostile_server import HostileServer

CASE = CASES["akamai"]
SITE = CASE.SITE
SECRET = CASE.CREDENTIALS["client_secret"]
WRONG_SECRET = "WrongButWellFormedClientSecret0123456789abcd="


def purge_task(ansible, name="purge", ignore_errors=False, **options):
    return {"name": name, "cdnops.cdn.cdn_purge": ansible.options("akamai", **options), "register": "result", "ignore_errors": ignore_errors}


def edgerc_options(ansible, **options):
    """Module options without the tokens (the .edgerc file gives them) and without api_base_url unless given."""
    values = {"provider": "akamai", "url_endpoint": SITE}
    values.update(options)
    return values


def write_edgerc(tmp_path, host, section="default", secret=SECRET):
    path = tmp_path / "edgerc"
    credentials = CASE.CREDENTIALS
    path.write_text(
        "[%s]\nclient_secret = %s\nhost = %s\naccess_token = %s\nclient_token = %s\n"
        % (section, secret, host, credentials["access_token"], credentials["client_token"]),
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


def purges(emulator):
    return emulator.purges("akamai")


# --------------------------------------------------------------------------- credentials


def test_an_edgerc_file_gives_the_tokens_and_the_host(ansible, emulator, tmp_path):
    edgerc = write_edgerc(tmp_path, emulator.url)  # http://127.0.0.1:port: the emulator is plain http on loopback
    task = {"name": "purge", "cdnops.cdn.cdn_purge": edgerc_options(ansible, edgerc=edgerc, paths=["/a.png"]), "register": "result"}
    run = ansible.playbook([task], "-vvvv")
    assert run.rc == 0, run.output
    assert emulator.purged_paths("akamai") == [SITE + "/a.png"]
    assert SECRET not in run.output


def test_a_section_from_the_environment_with_api_base_url_overriding_its_host(ansible, emulator, tmp_path):
    edgerc = write_edgerc(tmp_path, "akab-never-used.purge.akamaiapis.net", section="ccu")
    options = edgerc_options(ansible, api_base_url=emulator.url, paths=["/a.png"])
    run = ansible.adhoc("cdnops.cdn.cdn_purge", options, env={"AKAMAI_EDGERC": edgerc, "AKAMAI_EDGERC_SECTION": "ccu"})
    assert run.rc == 0, run.output
    assert emulator.purged_paths("akamai") == [SITE + "/a.png"]


def test_a_missing_section_is_a_clear_error_before_sending(ansible, emulator, tmp_path):
    edgerc = write_edgerc(tmp_path, emulator.url)
    run = ansible.adhoc("cdnops.cdn.cdn_purge", edgerc_options(ansible, edgerc=edgerc, edgerc_section="ops", paths=["/a.png"]))
    assert run.rc != 0
    assert "has no section [ops]" in run.results["localhost"]["msg"] and "sections: default" in run.results["localhost"]["msg"]
    assert emulator.log() == []


def test_a_wrong_client_secret_is_a_clear_401_without_the_secret(ansible, emulator):
    run = ansible.playbook([purge_task(ansible, paths=["/a.png"], client_secret=WRONG_SECRET, ignore_errors=True)], "-vvvv")
    message = run.task("purge")["msg"]
    assert "HTTP 401" in message and "Not authorized: The signature does not match" in message, message
    assert run.task("purge")["http_status"] == 401
    assert WRONG_SECRET not in run.output and SECRET not in run.output
    # A refusal of the signature is not retried.
    assert [entry["status"] for entry in emulator.log("akamai")] == [401]


def test_tokens_without_a_host_name_api_base_url_and_akamai_host(ansible, emulator):
    options = dict(CASE.CREDENTIALS, provider="akamai", paths=[SITE + "/a.png"])
    run = ansible.adhoc("cdnops.cdn.cdn_purge", options)
    assert run.rc != 0
    assert "option api_base_url is required for provider akamai" in run.results["localhost"]["msg"]
    assert SECRET not in run.output
    assert emulator.log() == []


def test_without_edgegrid_python_only_akamai_fails_with_ansibles_wording(ansible, emulator, tmp_path):
    # A package named akamai that cannot be imported shadows the real one in the module's Python.
    shadow = tmp_path / "shadow" / "akamai"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('edgegrid-python hidden by the test')\n", encoding="utf-8")
    tasks = [
        purge_task(ansible, paths=["/a.png"], ignore_errors=True),
        {"name": "bunny", "cdnops.cdn.cdn_purge": ansible.options("bunny", paths=["/a.png"]), "register": "other"},
    ]
    run = ansible.playbook(tasks, env={"PYTHONPATH": str(shadow.parent)})
    assert run.rc == 0, run.output
    assert "Failed to import the required Python library (edgegrid-python)" in run.task("purge")["msg"]
    assert emulator.log("akamai") == [] and emulator.purged_paths("bunny") == [SITE + "/a.png"]


# --------------------------------------------------------------------------- waiting and status


def test_wait_waits_the_estimate_and_says_so(ansible, emulator):
    emulator.configure(akamai_estimated_seconds=2)
    tasks = [
        purge_task(ansible, paths=["/a.png"], wait=True),
        purge_task(ansible, name="after", paths=["/b.png"]),
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert result["status"] == "Completed" and result["waited_seconds"] == 2
    assert [(item["status"], item["estimated_seconds"]) for item in result["purge_requests"]] == [("Completed", 2)]
    # The second purge was sent only once the first one's estimate had passed.
    first, second = purges(emulator)
    assert second["time"] - first["time"] >= 2
    after = run.task("after")
    assert after["status"] == "Pending" and "waited_seconds" not in after and after["purge_requests"][0]["estimated_seconds"] == 2


def test_an_estimate_beyond_wait_timeout_fails_at_once(ansible, emulator):
    emulator.configure(akamai_estimated_seconds=600)
    started = time.monotonic()
    run = ansible.playbook([purge_task(ansible, paths=["/a.png"], wait=True, wait_timeout=5, ignore_errors=True)])
    assert time.monotonic() - started < 60
    result = run.task("purge")
    assert "600s" in result["msg"] and "wait_timeout=5s" in result["msg"]
    assert result["request_ids"] == [purges(emulator)[0]["request_id"]]


def test_cdn_purge_status_says_there_is_no_status_api(ansible, emulator):
    run = ansible.adhoc("cdnops.cdn.cdn_purge_status", ansible.options("akamai", request_id="edcp-abc"))
    assert run.rc != 0
    message = run.results["localhost"]["msg"]
    assert "no purge status API" in message and "Fast Purge v3" in message and "wait: true" in message
    assert emulator.log() == []


# --------------------------------------------------------------------------- requests


def test_soft_purge_invalidates_and_the_network_defaults_to_production(ansible, emulator):
    tasks = [
        purge_task(ansible, name="soft", paths=["/a.png"], soft_purge=True),
        purge_task(ansible, name="hard", paths=["/b.png"]),
    ]
    # No network option at all: production.
    del tasks[1]["cdnops.cdn.cdn_purge"]["network"]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output
    assert [(entry["path"], entry["action"], entry["network"]) for entry in purges(emulator)] == [
        ("/ccu/v3/invalidate/url/staging", "invalidate", "staging"),
        ("/ccu/v3/delete/url/production", "delete", "production"),
    ]


def test_requests_are_cut_by_body_size(ansible, emulator):
    # 2,037 bytes each in the body: 24 fit in 50,000 bytes.
    paths = ["/%s/%04d.png" % ("x" * 2000, index) for index in range(60)]
    run = ansible.playbook([purge_task(ansible, paths=paths)])
    assert run.rc == 0, run.output
    entries = emulator.log("akamai")
    assert [len(entry["purged"]) for entry in entries] == [24, 24, 12]
    assert all(entry["status"] == 201 and len(entry["body_text"].encode()) <= 50000 for entry in entries)
    assert run.task("purge")["api_requests"] == 3 and len(run.task("purge")["request_ids"]) == 3


def test_tags_and_cp_codes_one_request_each(ansible, emulator):
    run = ansible.playbook([purge_task(ansible, paths=["/a.png"], tags=["release-42", "product-7"], cp_codes=[12345])])
    assert run.rc == 0, run.output
    result = run.task("purge")
    assert [(item["kind"], item["paths"]) for item in result["purge_requests"]] == [
        ("url", [SITE + "/a.png"]),
        ("tag", ["tag:release-42", "tag:product-7"]),
        ("cp_code", ["cp_code:12345"]),
    ]
    assert [(entry["purge_kind"], entry["purged"]) for entry in purges(emulator)] == [
        ("url", [SITE + "/a.png"]),
        ("tag", ["release-42", "product-7"]),
        ("cpcode", [12345]),
    ]


def test_a_retry_is_signed_anew_and_a_429_waits_akamais_header(ansible, emulator):
    # drop_after: the emulator checks the signature, records its nonce and accepts, then drops the connection; a
    # retry with the same signature would be a replay (401).
    emulator.configure(rl_ttl=1, fail_next=["503", "429_rl", "drop_after"])
    run = ansible.playbook([purge_task(ansible, paths=["/a.png"])])
    assert run.rc == 0, run.output
    entries = emulator.log("akamai")
    assert [(entry["fault"], entry["status"]) for entry in entries] == [("503", 503), ("429_rl", 429), ("drop_after", None), (None, 201)]
    assert run.task("purge")["purge_requests"][0]["maybe_accepted_twice"] is True
    nonces = {entry["headers"]["Authorization"].split("nonce=")[1].split(";")[0] for entry in entries}
    assert len(nonces) == 4
    # The 429 without Retry-After waited its X-Ratelimit-Seconds-To-Refresh-Limit (1 s), not Akamai's 5 s default.
    assert 1 <= entries[2]["time"] - entries[1]["time"] < 4


def test_an_unauthorized_arl_is_a_clear_403(ansible, emulator):
    run = ansible.playbook([purge_task(ansible, url_endpoint="https://other.example.org", paths=["/a.png"], ignore_errors=True)])
    message = run.task("purge")["msg"]
    assert "HTTP 403" in message and "Unauthorized ARL: https://other.example.org/a.png" in message and "supportId" in message, message
    assert [entry["status"] for entry in emulator.log("akamai")] == [403]


def test_an_answer_without_a_usable_purge_id_or_estimate_is_uncertain_and_never_recorded(ansible, emulator):
    """Akamai's 201 with an id that could walk elsewhere, none, or no estimate: maybe accepted, never in the ledger."""
    answers = {
        "dot segments": {"purgeId": "../../ccu/v3/delete", "estimatedSeconds": 5},
        "no id": {"httpStatus": 201, "estimatedSeconds": 5},
        "no estimate": {"purgeId": "edcp-hostile-1"},
    }
    servers = {name: HostileServer([("ok", {"json": body})], lifetime=120).start() for name, body in answers.items()}
    ledger = ansible.workdir / "ledger.json"
    try:
        tasks = [
            purge_task(
                ansible, name, api_base_url=server.url, paths=["/a.png"], retries=0, idempotency_key="k1", idempotency_file=str(ledger), ignore_errors=True
            )
            for name, server in servers.items()
        ]
        run = ansible.playbook(tasks)
    finally:
        for server in servers.values():
            server.stop()
    for name, words in (("dot segments", "no valid purgeId"), ("no id", "no valid purgeId"), ("no estimate", "no valid estimatedSeconds")):
        result = run.task(name)
        assert words in result["msg"], (name, result)
        assert result["paths_uncertain"] == result["paths_remaining"] == [SITE + "/a.png"], (name, result)
        assert result["request_ids"] == [] and len(servers[name].requests) == 1
    assert "../" not in (ledger.read_text(encoding="utf-8") if ledger.exists() else "")
