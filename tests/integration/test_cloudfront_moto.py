"""CloudFront against a real third-party server, moto_server (moto[server]): a distribution created with boto3, then
cdn_purge and cdn_purge_status through real ansible-playbook runs, then boto3 shows exactly the requested paths.
And against our emulator, what moto does not do: a lost answer resent under the same CallerReference makes no
second invalidation; TooManyInvalidationsInProgress waited out; Throttling backed off."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

boto3 = pytest.importorskip("boto3")

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAMOTOTESTING0001", "AWS_SECRET_ACCESS_KEY": "motoTestingSecret0123456789"}
PURGE = "cdnops.cdn.cdn_purge"
STATUS = "cdnops.cdn.cdn_purge_status"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory):
    """moto_server on a free loopback port, for this module's tests."""
    command = shutil.which("moto_server", path=os.path.dirname(sys.executable))
    if command is None:
        pytest.skip("moto_server (moto[server]) is not installed")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w", encoding="utf-8")
    process = subprocess.Popen([command, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def moto(moto_url):
    """(url, boto3 client, a new distribution id)."""
    client = boto3.client(
        "cloudfront",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id=MOTO_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=MOTO_KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    origin = {
        "Id": "origin",
        "DomainName": "origin.example.com",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "cdnops test",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
    }
    distribution = client.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    return moto_url, client, distribution


def task(module, url, distribution, name="purge", **options):
    return {"name": name, module: dict({"provider": "cloudfront", "api_base_url": url, "distribution_id": distribution}, **options), "register": "result"}


def invalidations(client, distribution):
    """{id: paths} of every invalidation of the distribution, by boto3."""
    listed = client.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return {
        item["Id"]: client.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
        for item in listed
    }


def test_paths_tags_and_purge_all_land_in_moto_exactly_as_requested(ansible, moto):
    url, client, distribution = moto
    tasks = [
        task(PURGE, url, distribution, name="paths", paths=["/img/a.png", "/css/site.css?v=2", "/café/menu.pdf", "/assets/*"], tags=["release-42"]),
        task(PURGE, url, distribution, name="all", purge_all=True),
    ]
    run = ansible.playbook(tasks, env=MOTO_KEYS)
    assert run.rc == 0, run.output
    made = run.task("paths")
    assert [request["kind"] for request in made["purge_requests"]] == ["url", "prefix", "tag"]
    assert made["paths"] == ["/img/a.png", "/css/site.css?v=2", "/caf%C3%A9/menu.pdf", "/assets/*", "tag:release-42"]
    seen = invalidations(client, distribution)
    expected = {
        made["purge_requests"][0]["request_id"]: ["/img/a.png", "/css/site.css?v=2", "/caf%C3%A9/menu.pdf"],
        made["purge_requests"][1]["request_id"]: ["/assets/*"],
        made["purge_requests"][2]["request_id"]: ["#release-42"],
        run.task("all")["request_ids"][0]: ["/*"],
    }
    assert seen == expected
    assert MOTO_KEYS["AWS_SECRET_ACCESS_KEY"] not in run.output


def test_wait_and_status_with_and_without_ids(ansible, moto):
    url, client, distribution = moto
    tasks = [
        task(PURGE, url, distribution, name="wait", paths=["/w.png"], wait=True, poll_interval=0.2),
        {**task(STATUS, url, distribution, name="one", request_id="{{ result.request_ids[0] }}"), "register": "one"},
        task(STATUS, url, distribution, name="recent"),
    ]
    tasks[0]["register"] = "result"
    run = ansible.playbook(tasks, env=MOTO_KEYS)
    assert run.rc == 0, run.output
    waited = run.task("wait")
    # moto answers COMPLETED at once: compared without case, it is Completed.
    assert waited["status"] == "Completed" and waited["purge_requests"][0]["status"] == "Completed"
    (inv_id,) = waited["request_ids"]
    assert run.task("one")["statuses"] == [{"request_id": inv_id, "status": "Completed", "provider_status": "COMPLETED"}]
    recent = run.task("recent")
    assert [item["request_id"] for item in recent["statuses"]] == [inv_id] and recent["status"] == "Completed"
    assert list(invalidations(client, distribution).values()) == [["/w.png"]]


def test_an_unknown_distribution_is_a_clear_error(ansible, moto):
    url, _client, _distribution = moto
    run = ansible.playbook([task(PURGE, url, "EUNKNOWN000000", paths=["/a.png"])], env=MOTO_KEYS)
    assert run.rc != 0
    assert "HTTP 404" in run.task("purge")["msg"] and "NoSuchDistribution" in run.task("purge")["msg"]


# --------------------------------------------------------------------------- our emulator: what moto does not do


def test_a_lost_answer_is_resent_without_a_second_invalidation(ansible, emulator):
    emulator.configure(fail_next=["drop_after"])
    keyed = dict(idempotency_key="release-7", idempotency_file=ansible.ledger)
    run = ansible.playbook([{"name": "purge", PURGE: ansible.options("cloudfront", paths=["/lost.png"], retries=2, **keyed), "register": "result"}])
    assert run.rc == 0, run.output
    (purge_request,) = run.task("purge")["purge_requests"]
    assert purge_request["maybe_accepted_twice"] is False
    entries = [entry for entry in emulator.log("cloudfront") if entry["kind"] == "purge"]
    # The first try was accepted (its answer lost), the resend carried the same CallerReference: the same invalidation.
    assert [(entry["fault"], entry["accepted"], entry["replayed"]) for entry in entries] == [("drop_after", True, False), (None, True, True)]
    assert {entry["request_id"] for entry in entries} == {purge_request["request_id"]}
    assert entries[0]["caller_reference"] == entries[1]["caller_reference"]
    listed = ansible.playbook([{"name": "recent", STATUS: ansible.options("cloudfront"), "register": "result"}])
    assert [item["request_id"] for item in listed.task("recent")["statuses"]] == [purge_request["request_id"]]


def test_too_many_in_progress_is_waited_out_and_resent(ansible, emulator):
    emulator.configure(cloudfront_max_in_progress_wildcards=1, cloudfront_complete_after=1.0)
    options = ansible.options("cloudfront", paths=["/a/*", "/b/*"], batch_size=1, poll_interval=0.2)
    run = ansible.playbook([{"name": "purge", PURGE: options, "register": "result"}])
    assert run.rc == 0, run.output
    log = emulator.log("cloudfront")
    posts = [entry for entry in log if entry["kind"] == "purge"]
    assert [entry["status"] for entry in posts] == [201, 400, 201]
    assert [entry["purged"] for entry in posts if entry["accepted"]] == [["/a/*"], ["/b/*"]]
    # Between the refusal and the resend: the distribution's invalidations listed until the first was done, at least 1 s.
    assert any(entry["kind"] == "list" for entry in log[log.index(posts[1]) :])
    assert posts[2]["time"] - posts[0]["time"] >= 1.0
    assert run.task("purge")["api_requests"] == len(log)


def test_too_many_in_progress_past_wait_timeout_fails_naming_purged_and_remaining(ansible, emulator):
    emulator.configure(cloudfront_max_in_progress_wildcards=1, cloudfront_complete_after=600)
    options = ansible.options("cloudfront", paths=["/a/*", "/b/*"], batch_size=1, poll_interval=0.2, wait_timeout=1)
    run = ansible.playbook([{"name": "purge", PURGE: options, "register": "result", "ignore_errors": True}])
    failed = run.task("purge")
    assert "TooManyInvalidationsInProgress" in failed["msg"] and "wait_timeout=1s" in failed["msg"]
    assert failed["paths_purged"] == ["/a/*"] and failed["paths_remaining"] == ["/b/*"]


def test_throttling_is_backed_off_and_retried(ansible, emulator):
    emulator.configure(cloudfront_throttle_next=2)
    run = ansible.playbook([{"name": "purge", PURGE: ansible.options("cloudfront", paths=["/t.png"]), "register": "result"}])
    assert run.rc == 0, run.output
    posts = [entry for entry in emulator.log("cloudfront") if entry["kind"] == "purge"]
    assert [entry["status"] for entry in posts] == [400, 400, 201]
    assert run.task("purge")["api_requests"] == 3
