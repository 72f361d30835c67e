"""The cdnops.cdn.purge role, its handler and the playbooks cdnops.cdn.purge and deploy_site, through real ansible-playbook runs."""

import os
import shutil
import sys
import threading
import time

import pytest
import requests
import yaml
from emulator_support import CREDENTIALS, ROOT, TARGETS

from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS

EP = TARGETS["imagekit"]["url_endpoint"]
SITE = ROOT / "playbooks" / "files" / "site"
DEPLOY_SITE = str(ROOT / "playbooks" / "deploy_site.yml")
PURGE_TASK = "Purge every target"
CHECK_TASK = "Check every target before purging any (check mode, nothing is sent)"
WAIT_TASK = "Wait until the purges are completed"


def target(ansible, provider, credentials=True, **extra):
    """A cdn_purge_targets entry for provider against the emulator, with its credentials unless told otherwise."""
    entry = ansible.options(provider, **extra)
    if not credentials:
        for name in CREDENTIALS[provider]:
            entry.pop(name)
    return entry


def write_vars(ansible, name, variables):
    path = ansible.workdir / name
    path.write_text(yaml.safe_dump(variables, sort_keys=False), encoding="utf-8")
    return "@%s" % path


def run_role(ansible, variables, *arguments, env=None, play=None):
    """A play on localhost that runs the role (its main entry point) with variables."""
    play = dict(play or {})
    play.setdefault("roles", ["cdnops.cdn.purge"])
    return ansible.playbook([], "-e", write_vars(ansible, "vars.yml", variables), *arguments, env=env, play=play)


def item_results(run, task):
    """The loop item results of a role task, by target index."""
    return {item["cdn_purge_index"]: item for item in run.task(task)["results"]}


def secrets(*providers):
    return [value for provider in providers for value in CREDENTIALS[provider].values()]


def complete_after_the_first_poll(emulator):
    """Mark every purge Completed once a status was read (Pending): only a role that keeps polling sees Completed."""

    def complete():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(entry["kind"] in ("status", "list") for entry in emulator.log()):
                requests.post(emulator.url + "/_emulator/complete", timeout=10).raise_for_status()
                return
            time.sleep(0.1)

    thread = threading.Thread(target=complete, daemon=True)
    thread.start()
    return thread


def test_purge_playbook_purges_every_provider_then_waits(ansible, emulator):
    emulator.configure(imagekit_complete_after=600)
    completer = complete_after_the_first_poll(emulator)
    variables = {
        "cdn_purge_paths": ["/img/big/a.png", "/img/big/b.png"],
        "cdn_purge_poll_interval": 0.2,
        "cdn_purge_targets": [
            target(ansible, "imagekit"),
            # Credentials from the environment; its own paths instead of cdn_purge_paths.
            target(ansible, "5centscdn", credentials=False, paths=["/videos/a.mp4"]),
            target(ansible, "gotipath", purge_all=True),
            # Nothing to purge: skipped, no request.
            target(ansible, "imagemash", paths=[]),
        ],
    }
    env = {"FIVECENTSCDN_API_KEY": CREDENTIALS["5centscdn"]["api_key"]}
    run = ansible.run(["ansible-playbook", "-i", str(ansible.inventory), "cdnops.cdn.purge", "-e", write_vars(ansible, "vars.yml", variables), "-v"], env)
    completer.join(timeout=10)
    assert run.rc == 0, run.output
    assert sorted(emulator.purged_paths("imagekit")) == [EP + "/img/big/a.png", EP + "/img/big/b.png"]
    assert emulator.purged_paths("5centscdn") == ["/videos/a.mp4"]
    (everything,) = emulator.purges("gotipath")
    assert everything["purge_all"] is True
    assert emulator.log("imagemash") == []
    # The check step sent nothing: one purge request per path (imagekit) or per target, no more.
    assert len(emulator.purges()) == 4
    # Purge every target, then wait: every status read comes after the last purge, and polling went on past the
    # first (Pending) read until the purges were Completed.
    log = emulator.log()
    purges = [entry for entry in log if entry["kind"] == "purge"]
    polls = [entry for entry in log if entry["kind"] == "status"]
    assert min(entry["seq"] for entry in polls) > max(entry["seq"] for entry in purges)
    reads = [entry["request_id"] for entry in polls]
    assert sorted(set(reads)) == sorted(entry["request_id"] for entry in emulator.purges("imagekit"))
    # Read again after a Pending answer (a status read without waiting reads each id once).
    assert len(reads) > len(set(reads))
    waited = item_results(run, WAIT_TASK)
    assert list(waited) == [0]
    assert waited[0]["status"] == "Completed"
    assert sorted(status["request_id"] for status in waited[0]["statuses"]) == sorted(entry["request_id"] for entry in emulator.purges("imagekit"))
    submitted = item_results(run, PURGE_TASK)
    assert submitted[3].get("skipped") is True and submitted[2]["status"] == "Completed"
    # Loop labels name provider and target position, never the target dict; no credential is printed, even with -v.
    assert "(item=imagekit (target 1))" in run.stdout and "(item=5centscdn (target 3))" in run.stdout
    for secret in secrets("imagekit", "gotipath", "imagemash", "5centscdn"):
        assert secret not in run.output


@pytest.mark.parametrize("case", ["no_wait", "wait_timeout"])
def test_wait_can_be_turned_off_and_times_out(ansible, emulator, case):
    emulator.configure(imagemash_complete_after=60)
    variables = {"cdn_purge_paths": ["/img/big/a.png"], "cdn_purge_targets": [target(ansible, "imagemash")], "cdn_purge_poll_interval": 0.2}
    if case == "no_wait":
        variables["cdn_purge_wait"] = False
    else:
        variables["cdn_purge_wait_timeout"] = 1
    run = run_role(ansible, variables)
    (purge,) = emulator.purges("imagemash")
    polls = [entry for entry in emulator.log("imagemash") if entry["kind"] == "list"]
    if case == "no_wait":
        assert run.rc == 0, run.output
        assert polls == []
        assert all(item.get("skipped") for item in run.task(WAIT_TASK)["results"])
    else:
        assert run.rc != 0
        assert polls
        message = run.task(WAIT_TASK)["results"][0]["msg"]
        assert "still Pending after wait_timeout=1s: %s" % purge["request_id"] in message


HANDLER_PLAY = {
    "name": "deploy",
    "hosts": "web",
    "gather_facts": False,
    "vars": {
        "cdn_purge_poll_interval": 0.2,
        "cdn_purge_paths": "{{ ansible_play_hosts | map('extract', hostvars, 'page') | cdnops.cdn.changed_paths(docroot=docroot) }}",
    },
    "tasks": [
        {"name": "Load the handler", "ansible.builtin.import_role": {"name": "cdnops.cdn.purge", "tasks_from": "handler"}},
        {
            "name": "Write a page per host",
            "ansible.builtin.copy": {
                "content": "{{ inventory_hostname }} {{ version }}\n",
                "dest": "{{ docroot }}/img/big/{{ inventory_hostname }}.html",
                "mode": "0644",
            },
            "register": "page",
            "notify": "cdn purge",
        },
        {"name": "After the deploy", "ansible.builtin.debug": {"msg": "deployed"}},
    ],
}


def run_handler_play(ansible, variables, version, module_defaults=None):
    inventory = ansible.workdir / "web.ini"
    interpreter = "ansible_connection=local ansible_python_interpreter=%s" % sys.executable
    inventory.write_text("[web]\nweb1 %s\nweb2 %s\n" % (interpreter, interpreter), encoding="utf-8")
    playbook = ansible.workdir / "handler.yml"
    play = dict(HANDLER_PLAY, module_defaults=module_defaults or {})
    playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    (ansible.workdir / "www" / "img" / "big").mkdir(parents=True, exist_ok=True)
    extra = dict(variables, docroot=str(ansible.workdir / "www"), version=version)
    return ansible.run(["ansible-playbook", "-i", str(inventory), str(playbook), "-e", write_vars(ansible, "handler_vars.yml", extra)])


def test_handler_purges_once_for_every_notifying_host_after_the_tasks(ansible, emulator):
    # Credentials from module_defaults: the target has none.
    defaults = {"group/cdnops.cdn.cdn": {"api_key": CREDENTIALS["imagemash"]["api_key"]}}
    variables = {"cdn_purge_targets": [target(ansible, "imagemash", credentials=False)]}
    run = run_handler_play(ansible, variables, version=1, module_defaults=defaults)
    assert run.rc == 0, run.output
    # One purge request, run once for both hosts, with what both hosts changed.
    (purge,) = emulator.purges("imagemash")
    assert purge["purged"] == ["/img/big/web1.html", "/img/big/web2.html"]
    # Handlers run after the play's tasks.
    assert run.stdout.index("TASK [After the deploy]") < run.stdout.index("RUNNING HANDLER [cdnops.cdn.purge : Purge every target]")
    assert run.task(WAIT_TASK)["results"][0]["status"] == "Completed"
    # Nothing changed: the handler is not notified and nothing is sent.
    emulator.reset()
    again = run_handler_play(ansible, variables, version=1, module_defaults=defaults)
    assert again.rc == 0, again.output
    assert "RUNNING HANDLER" not in again.stdout and emulator.log() == []


def test_handler_validates_the_variables_when_it_runs(ansible, emulator):
    run = run_handler_play(ansible, {"cdn_purge_targets": [{"provider": "imagemash", "domian": "john.imagemash.io"}]}, version=1)
    assert run.rc != 0
    message = run.task("Check the cdn_purge variables")["msg"]
    assert "cdn_purge_targets.domian. Supported parameters include: " in message
    assert emulator.log() == []


def site_paths(site):
    return sorted("/" + os.path.relpath(os.path.join(folder, name), site) for folder, _dirs, names in os.walk(site) for name in names)


def test_deploy_site_purges_what_changed_and_nothing_on_a_rerun(ansible, emulator, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    docroot = tmp_path / "www"
    variables = {
        "site_hosts": "localhost",
        "site_src": str(site),
        "site_docroot": str(docroot),
        "cdn_purge_poll_interval": 0.2,
        "cdn_purge_targets": [target(ansible, "imagemash")],
    }
    command = ["ansible-playbook", "-i", str(ansible.inventory), DEPLOY_SITE, "-e", write_vars(ansible, "site.yml", variables)]
    everything = site_paths(site)
    assert "/index.html" in everything and "/css/site.css" in everything

    first = ansible.run(command)
    assert first.rc == 0, first.output
    assert site_paths(docroot) == everything
    assert sorted(emulator.purged_paths("imagemash")) == everything

    emulator.reset()
    second = ansible.run(command)
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout and "RUNNING HANDLER" not in second.stdout
    assert emulator.log() == []

    with open(site / "css" / "site.css", "a", encoding="utf-8") as handle:
        handle.write("h1 { color: #2a6f97; }\n")
    third = ansible.run(command)
    assert third.rc == 0, third.output
    assert emulator.purged_paths("imagemash") == ["/css/site.css"]
    assert (docroot / "css" / "site.css").read_text(encoding="utf-8") == (site / "css" / "site.css").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "variables, words",
    [
        ({"cdn_purge_paths": ["/a.png"]}, ["missing required arguments: cdn_purge_targets"]),
        (
            {
                "cdn_purge_wait": "maybe",
                "cdn_purge_paths": {"a": 1},
                "cdn_purge_targets": [
                    {"provider": "no-such-cdn"},
                    {"provider": "5centscdn"},
                    {"provider": "gotipath", "distribution_id": "292e5d7f-a8b9-41a0-bdf0-e70347709c6f", "zone_id": "forty-two"},
                    {"provider": "imagekit", "url-endpoint": EP},
                ],
            },
            [
                "cdn_purge_wait",
                "cdn_purge_paths",
                "value of provider must be one of: %s, got: no-such-cdn found in cdn_purge_targets" % ", ".join(sorted(PROVIDERS)),
                "provider is 5centscdn but all of the following are missing: zone_id found in cdn_purge_targets",
                "zone_id",
                "cdn_purge_targets.url-endpoint. Supported parameters include: ",
            ],
        ),
    ],
    ids=["missing_targets", "bad_values"],
)
def test_argument_spec_errors_are_clear_and_nothing_is_sent(ansible, emulator, variables, words):
    run = run_role(ansible, variables)
    assert run.rc != 0
    message = next(result["msg"] for name, result in run.results.items() if name.startswith("Validating arguments against arg spec 'main'"))
    for word in words:
        assert word in message
    assert emulator.log() == []


@pytest.mark.parametrize(
    "second, words",
    [
        ({"provider": "imagemash", "paths": ["/img/big/a.png", "/logo"]}, "'/logo'"),
        ({"provider": "imagekit", "zone_id": 42}, "option zone_id is not used by provider imagekit"),
    ],
    ids=["invalid_path", "option_of_another_provider"],
)
def test_every_target_is_checked_before_any_is_purged(ansible, emulator, second, words):
    bad = target(ansible, second.pop("provider"), **second)
    run = run_role(ansible, {"cdn_purge_paths": ["/videos/a.mp4"], "cdn_purge_targets": [target(ansible, "5centscdn"), bad]})
    assert run.rc != 0
    failed = [item for item in run.task(CHECK_TASK)["results"] if item.get("failed")]
    assert len(failed) == 1 and words in failed[0]["msg"]
    # The valid first target was not purged either.
    assert emulator.log() == []


def test_credentials_are_never_printed_and_errors_stay_readable(ansible, emulator):
    wrong = "WRONG-gotipath-secret-value-4242"
    gotipath = target(ansible, "gotipath", api_key=wrong, paths=["/a.html"])
    run = run_role(ansible, {"cdn_purge_targets": [target(ansible, "imagekit", paths=["/img/big/a.png"]), gotipath]}, "-vvvv")
    assert run.rc != 0
    assert "HTTP 401" in run.output
    for secret in [wrong, *secrets("imagekit", "gotipath")]:
        assert secret not in run.output


def test_idempotency_key_makes_a_rerun_purge_nothing(ansible, emulator):
    variables = {
        "cdn_purge_paths": ["/img/big/a.png"],
        "cdn_purge_targets": [target(ansible, "imagemash"), target(ansible, "5centscdn", paths=["/v/a.mp4"])],
        "cdn_purge_idempotency_key": "release-7",
        "cdn_purge_idempotency_file": ansible.ledger,
        "cdn_purge_poll_interval": 0.2,
    }
    first = run_role(ansible, variables)
    assert first.rc == 0, first.output
    assert len(emulator.purges()) == 2
    second = run_role(ansible, variables)
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert len(emulator.purges()) == 2
    # The recorded imagemash request is still waited for.
    assert item_results(second, WAIT_TASK)[0]["status"] == "Completed"


def test_check_mode_shows_the_plan_and_sends_nothing(ansible, emulator):
    variables = {"cdn_purge_paths": ["/img/big/a.png"], "cdn_purge_targets": [target(ansible, "imagekit"), target(ansible, "gotipath")]}
    run = run_role(ansible, variables, "--check", "--diff")
    assert run.rc == 0, run.output
    assert "+%s/img/big/a.png" % EP in run.stdout and "+/img/big/a.png" in run.stdout
    assert "changed=1" in run.stdout
    assert emulator.log() == []
