"""cdn_purge through real ansible-playbook against a deliberately broken server on 127.0.0.1 (tests/support/hostile_server.py).

One run per class of finding, each where a user would meet it:
- an answer lost while its body is read (reset mid-body, short Content-Length, bad chunk, bad gzip) is retried
  and reported as maybe accepted (maybe_accepted_twice, paths_uncertain), never as "0 accepted" with nothing uncertain;
- a server dripping its headers or its body holds a task no longer than timeout per try;
- a 200 MB body and a 1 MB gzip bomb (1 GiB inflated) are refused at the size limit, in little memory;
- a credential echoed in the reason phrase or a body, URL-encoded, base64 or cut, never reaches the output;
- a malformed Retry-After is as if absent;
- api_base_url with a trailing newline, or with credentials, and url_endpoint with credentials are refused before
  anything is sent, without echoing the credentials.
"""

import base64
import json
import re
import sys
import time
from urllib.parse import quote

import pytest
import yaml
from cases import CASES
from hostile_server import HostileServer

PATH = "/assets/app.js"
# Credentials given through the environment (so they are in no task argument), with characters that encodings change.
GOTIPATH_KEY = "Zq7Wx/k3y+With=Chars&9"
IMAGEKIT_KEY = "private_hostile_imagekit_key"
ENV = dict(CASES["gotipath"].ENV, GOTIPATH_API_KEY=GOTIPATH_KEY, IMAGEKIT_PRIVATE_KEY=IMAGEKIT_KEY)
# Runs the command and writes the largest resident set size of its process tree (KiB) to argv[1].
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


@pytest.fixture
def hostile():
    servers = []

    def start(*script):
        servers.append(HostileServer(list(script), lifetime=240).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def task(name, server, provider="gotipath", **options):
    """A cdn_purge task against server; credentials come from ENV."""
    args = dict(provider=provider, api_base_url=server.url if server else None, **CASES[provider].TARGET)
    args.update(paths=[PATH] if provider == "gotipath" else ["/img/big/a.png"], **options)
    return {"name": name, "cdnops.cdn.cdn_purge": {key: value for key, value in args.items() if value is not None}, "ignore_errors": True}


def run_playbook(ansible, tasks, *arguments, measure=False):
    """Run tasks in one play; with measure, also the largest RSS (MiB) of ansible-playbook and its module processes."""
    path = ansible.workdir / "playbook.yml"
    path.write_text(yaml.safe_dump([{"name": "hostile", "hosts": "localhost", "gather_facts": False, "tasks": tasks}], sort_keys=False), encoding="utf-8")
    command = ["ansible-playbook", "-i", str(ansible.inventory), str(path), *arguments]
    rss_file = ansible.workdir / "rss.txt"
    if measure:
        command = [sys.executable, "-c", MEASURE, str(rss_file), *command]
    start = time.monotonic()
    run = ansible.run(command, ENV)
    run.seconds = time.monotonic() - start
    run.rss_mib = int(rss_file.read_text(encoding="utf-8")) / 1024 if measure else None
    return run


def test_an_answer_lost_in_its_body_is_retried_and_reported_as_maybe_accepted(ansible, hostile):
    servers = {
        "reset then ok": hostile("reset_mid_body", "ok"),
        "short then ok": hostile("short_body", "ok"),
        "bad chunk": hostile("bad_chunk"),
        "bad gzip": hostile("bad_gzip"),
    }
    run = run_playbook(ansible, [task(name, server, retries=1) for name, server in servers.items()])
    for name in ("reset then ok", "short then ok"):
        result = run.task(name)
        assert "msg" not in result, (name, result)
        # Sent twice: the first answer was lost after the request went out, the server answered 201 both times.
        assert result["purge_requests"][0]["maybe_accepted_twice"] is True and result["api_requests"] == 2 == len(servers[name].requests)
    for name in ("bad chunk", "bad gzip"):
        result = run.task(name)
        assert "failed after 1 retries: could not get an answer" in result.get("msg", ""), result
        # Before: not retried, "0 of 1 accepted" and paths_uncertain empty although the server answered 201.
        assert result["paths_uncertain"] == [PATH] and result["api_requests"] == 2 == len(servers[name].requests)


def test_a_dripping_server_holds_a_task_no_longer_than_its_timeout(ansible, hostile):
    headers = hostile(("drip_headers", {"interval": 1.0, "max_seconds": 100}))
    body = hostile(("drip_body", {"interval": 1.0, "max_seconds": 100}))
    run = run_playbook(ansible, [task("headers", headers, timeout=2, retries=1), task("body", body, timeout=2, retries=1)])
    # Two tries of 2 s per task, plus Ansible's own start; before, each task lasted as long as the drip (100 s).
    assert run.seconds < 30, run.seconds
    for name in ("headers", "body"):
        result = run.task(name)
        assert "failed after 1 retries" in result.get("msg", "") and "Read timed out: no complete answer within 2s" in result["msg"], result
        assert result["paths_uncertain"] == [PATH] and result["api_requests"] == 2


def test_a_huge_body_and_a_gzip_bomb_are_refused_in_little_memory(ansible, hostile):
    huge = hostile(("huge_body", {"size": 200 * 1024 * 1024}))
    bomb = hostile(("bomb", {"mebibytes": 1024}))
    run = run_playbook(ansible, [task("huge", huge), task("bomb", bomb)], measure=True)
    for name in ("huge", "bomb"):
        result = run.task(name)
        assert result["msg"].startswith("gotipath: url purge of 1 paths failed: the answer (HTTP 201) is larger than 4 MiB, the limit for one API answer"), (
            result
        )
        assert result["paths_uncertain"] == [PATH] and result["api_requests"] == 1
    # Before: 200 MB read whole (430-630 MB RSS), the bomb inflated in memory (2-3 GB).
    assert run.rss_mib < 200, run.rss_mib


def test_no_credential_form_reaches_the_output(ansible, hostile):
    basic = base64.b64encode((IMAGEKIT_KEY + ":").encode()).decode()
    servers = {
        "reason plain": hostile(("status", {"status": 401, "reason": lambda headers: "Unauthorized " + headers["x-auth-apikey"]})),
        "reason encoded": hostile(("status", {"status": 401, "reason": lambda headers: "Bad key " + quote(headers["x-auth-apikey"], safe="")})),
        "reason basic": hostile(("status", {"status": 403, "reason": lambda headers: "Forbidden for " + headers["authorization"]})),
        "body cut": hostile(("status", {"status": 500, "body": lambda headers: "no such key " + headers["x-auth-apikey"], "cut": len("no such key ") + 9})),
    }
    tasks = [task(name, server, "imagekit" if name == "reason basic" else "gotipath", retries=0) for name, server in servers.items()]
    run = run_playbook(ansible, tasks, "-vvv")
    assert servers["reason basic"].requests[0]["headers"]["authorization"] == "Basic " + basic
    for name in servers:
        assert run.task(name)["http_status"] in (401, 403, 500), run.task(name)
    assert "HTTP 500 Internal Server Error: no such key ********" in run.task("body cut")["msg"]
    forms = [GOTIPATH_KEY, quote(GOTIPATH_KEY, safe=""), basic, basic.rstrip("=")]
    for form in forms:
        pieces = [form[:length] for length in range(len(form), 3, -1)]
        assert not [piece for piece in pieces if piece in run.output], (form, run.output)


def test_a_malformed_retry_after_is_as_if_absent(ansible, hostile):
    servers = {value: hostile(("status", {"status": 429, "reason": "Too Many Requests", "headers": {"Retry-After": value}}), "ok") for value in ("soon", "-5")}
    run = run_playbook(ansible, [task(value, server, retries=2) for value, server in servers.items()])
    for value, server in servers.items():
        result = run.task(value)
        # Before: "failed: InvalidHeader: Invalid Retry-After header" after the first answer.
        assert "msg" not in result, result
        assert result["api_requests"] == 2 == len(server.requests) and result["purge_requests"][0]["maybe_accepted_twice"] is False


def test_bad_urls_are_refused_before_anything_is_sent_and_credentials_are_not_echoed(ansible, hostile):
    server = hostile("ok")
    port = server.url.rsplit(":", 1)[1]
    tasks = [
        task("newline", None, api_base_url=server.url + "\n"),
        task("userinfo", None, api_base_url="http://admin:s3cr3tpw@127.0.0.1:%s:99999" % port),
        task("endpoint", server, provider="fastly", url_endpoint="https://admin:s3cr3tpw@www.example.com"),
    ]
    tasks[2]["cdnops.cdn.cdn_purge"].update(paths=["/a.png"], api_key="fastly-token")
    run = run_playbook(ansible, tasks)
    assert "must not contain white space or control characters" in run.task("newline")["msg"]
    assert run.task("userinfo")["msg"] == "api_base_url must not carry credentials (user:password@); use the credential options"
    assert run.task("endpoint")["msg"] == "url_endpoint must not carry credentials (user:password@); use the credential options"
    # (Ansible itself shows a task's arguments, api_base_url among them, in the result's invocation at -vvv.)
    assert not re.search("s3cr3t|admin", run.output) and server.requests == []
    assert not [name for name, result in run.results.items() if "s3cr3t" in json.dumps(result.get("msg"))]


def test_a_success_answer_without_a_usable_id_is_maybe_accepted_and_never_recorded(ansible, hostile):
    """ImageKit answers 201 with an id that would walk out of the status URL, a 200 KB id, a list, or none at all."""
    ids = {"dot segments": "../../v1/files/purge", "200 KB": "x" * 200_000, "a list": ["a", "b"], "none": None}
    servers = {name: hostile(("ok", {"json": {"requestId": value} if value is not None else {"ok": 1}})) for name, value in ids.items()}
    ledger = ansible.workdir / "ledger.json"
    keyed = {"idempotency_key": "release-1", "idempotency_file": str(ledger)}
    run = run_playbook(ansible, [task(name, server, provider="imagekit", retries=0, **keyed) for name, server in servers.items()])
    for name, server in servers.items():
        result = run.task(name)
        # Before: the "../" and 200 KB ids were recorded and returned as accepted; a list crashed; none was "not accepted".
        assert "carries no valid requestId" in result.get("msg", ""), (name, result)
        assert result["paths_uncertain"] == result["paths_remaining"] and len(result["paths_uncertain"]) == 1, (name, result)
        assert result["request_ids"] == [] and len(server.requests) == 1
        assert len(result["msg"]) < 1000
    recorded = ledger.read_text(encoding="utf-8") if ledger.exists() else ""
    assert "../" not in recorded and "xxxx" not in recorded
