"""The cdnops.cdn.purge role, its handler and the playbooks cdnops.cdn.purge and deploy_site, through real ansible-playbook runs.

Every registered provider is a target, from its case file (tests/support/cases) and what its adapter declares
(its credential options, whether it purges synchronously and how its status is read).
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
import yaml
from cases import CASES
from emulator_support import CREDENTIALS, ROOT

from ansible_collections.cdnops.cdn.plugins.module_utils._provider import STATUS_NONE
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS as ADAPTERS

PROVIDERS = tuple(CASES)
# Purged asynchronously, with a status API: the role's wait step polls these.
WITH_STATUS = tuple(provider for provider in PROVIDERS if ADAPTERS[provider].status_model != STATUS_NONE)
# Purged asynchronously without a status API (Akamai): the purge step itself waits the estimate their answers carry
# (COMPLETE_AFTER is the emulator's estimate key), and cdn_purge_wait_timeout bounds it.
ESTIMATING = tuple(provider for provider in PROVIDERS if not ADAPTERS[provider].synchronous and provider not in WITH_STATUS)
ASYNCHRONOUS = tuple(provider for provider in PROVIDERS if provider in WITH_STATUS or provider in ESTIMATING)
PATHS = {provider: case.ITEMS["paths"] for provider, case in CASES.items()}
SITE = ROOT / "playbooks" / "files" / "site"
DEPLOY_SITE = str(ROOT / "playbooks" / "deploy_site.yml")
PURGE_TASK = "Purge every target"
# Seconds an estimating provider's answers estimate where a test has the role wait them.
ESTIMATE = 2
CHECK_TASK = "Check every target before purging any (check mode, nothing is sent)"
WAIT_TASK = "Wait until the purges are completed"


def target(ansible, provider, credentials=True, **extra):
    """A cdn_purge_targets entry for provider against the emulator, with its credentials unless told otherwise."""
    entry = ansible.options(provider, **extra)
    if not credentials:
        for option in ADAPTERS[provider].credential_options():
            entry.pop(option.name, None)
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


def pending(emulator, seconds, providers=WITH_STATUS):
    """Purges of the providers with a status API read Pending for seconds."""
    emulator.configure(**{CASES[provider].COMPLETE_AFTER: seconds for provider in providers})


class Run:
    """An ansible-playbook run read line by line as it goes (the results as conftest's runs have them)."""

    def __init__(self, returncode, stdout, stderr, results):
        self.rc, self.stdout, self.stderr, self.results = returncode, stdout, stderr, results

    @property
    def output(self):
        return self.stdout + self.stderr

    def task(self, name):
        return self.results[name]


def end_session(process):
    """Kill a run that hangs, with every process it started (its session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def run_watched(ansible, command, env, on_line):
    """ansible.run, calling on_line with every line of stdout the moment it is printed."""
    results_file = ansible.workdir / "results.json"
    environment = dict(ansible.env, CDN_TEST_RESULT_FILE=str(results_file), PYTHONUNBUFFERED="1", **env)
    # Waited for below; in its own session, so that a run that hangs is ended with every process it started.
    pipes = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    process = subprocess.Popen(command, cwd=ansible.workdir, env=environment, **pipes)  # pylint: disable=consider-using-with
    stderr, lines = [], []
    reader = threading.Thread(target=lambda: stderr.append(process.stderr.read()), daemon=True)
    reader.start()
    watchdog = threading.Timer(600, end_session, [process])
    watchdog.start()
    try:
        for line in process.stdout:
            lines.append(line)
            on_line(line)
        process.wait()
    finally:
        watchdog.cancel()
    reader.join(timeout=10)
    results = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else {}
    return Run(process.returncode, "".join(lines), "".join(stderr), results)


class Completer:
    """Once the role's wait step starts (its banner is printed), completes each provider's purges after that provider's
    first status read from then on, which read Pending: only a role that keeps polling sees Completed. (Reads before
    the banner are the purge step's own, where a provider confirms a purge by reading its status.)"""

    def __init__(self, emulator):
        self.emulator = emulator
        self.boundary = None  # the last request logged when the wait step began
        self.completed = {}  # provider -> the read after which its purges were completed
        self.thread = threading.Thread(target=self._complete, daemon=True)

    def line(self, line):
        if self.boundary is None and "TASK [cdnops.cdn.purge : %s]" % WAIT_TASK in line:
            self.boundary = max((entry["seq"] for entry in self.emulator.log()), default=0)
            self.thread.start()

    def _complete(self):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(self.completed) < len(WITH_STATUS):
            log = self.emulator.log()
            for entry in log:
                provider = entry["provider"]
                if entry["kind"] in ("status", "list") and entry["seq"] > self.boundary and provider not in self.completed:
                    self.emulator.configure(**{CASES[provider].COMPLETE_AFTER: 0})
                    self.completed[provider] = max(later["seq"] for later in log if later["provider"] == provider)
            time.sleep(0.05)


def test_the_case_files_name_the_emulators_completion_key(emulator):
    """COMPLETE_AFTER: an emulator config key for every provider with a status API, None for the synchronous ones."""
    emulated = requests.get(emulator.url + "/_emulator/providers", timeout=10).json()
    for provider, case in CASES.items():
        assert (case.COMPLETE_AFTER is None) == ADAPTERS[provider].synchronous, provider
        assert case.COMPLETE_AFTER is None or case.COMPLETE_AFTER in emulated[provider]["config"], provider


def test_purge_playbook_purges_every_provider_then_waits(ansible, emulator):
    pending(emulator, 600)
    completer = Completer(emulator)
    first = PROVIDERS[0]
    # Every provider with credentials from the environment, its own paths (the first one: cdn_purge_paths).
    targets = [target(ansible, provider, credentials=False, **({} if provider == first else {"paths": PATHS[provider]})) for provider in PROVIDERS]
    # Credentials in the target: purge all where the provider has it; nothing to purge (skipped, no request) for every one.
    everything = [target(ansible, provider, purge_all=True) for provider in PROVIDERS if CASES[provider].PURGE_ALL]
    nothing = [target(ansible, provider, paths=[]) for provider in PROVIDERS]
    every_target = targets + everything + nothing
    variables = {"cdn_purge_paths": PATHS[first], "cdn_purge_poll_interval": 0.2, "cdn_purge_targets": every_target}
    env = {name: value for case in CASES.values() for name, value in case.ENV.items()}
    command = ["ansible-playbook", "-i", str(ansible.inventory), "cdnops.cdn.purge", "-e", write_vars(ansible, "vars.yml", variables), "-v"]
    run = run_watched(ansible, command, env, completer.line)
    completer.thread.join(timeout=10)
    assert run.rc == 0, run.output
    submitted, checked, waited = item_results(run, PURGE_TASK), item_results(run, CHECK_TASK), item_results(run, WAIT_TASK)
    for provider in PROVIDERS:
        purges = emulator.purges(provider)
        assert sorted(path for entry in purges if not entry["purge_all"] for path in entry["purged"]) == sorted(CASES[provider].SENT["paths"])
        assert len([entry for entry in purges if entry["purge_all"]]) == (1 if CASES[provider].PURGE_ALL else 0)
    # The check step sent nothing: the purge requests are the purge step's, no more; nothing to purge, nothing sent.
    assert all(item.get("api_requests") == 0 for item in checked.values() if not item.get("skipped"))
    assert len(emulator.purges()) == sum(len(item["purge_requests"]) for item in submitted.values() if not item.get("skipped"))
    assert all(submitted[index].get("skipped") is True for index in range(len(targets) + len(everything), len(every_target)))
    # Synchronous purges are done when accepted; the others (with request ids) are waited for, until Completed.
    sent = range(len(targets) + len(everything))
    for index in sent:
        provider = every_target[index]["provider"]
        if provider in WITH_STATUS:
            assert submitted[index]["request_ids"] or index >= len(targets), submitted[index]
        else:
            assert submitted[index]["status"] == "Completed" and index not in waited, submitted[index]
        if provider in ESTIMATING:
            # Completed by the purge step, which waited the estimate of its answers.
            estimates = [item["estimated_seconds"] for item in submitted[index]["purge_requests"]]
            assert submitted[index]["waited_seconds"] == max(estimates), submitted[index]
    assert sorted(waited) == [index for index in sent if every_target[index]["provider"] in WITH_STATUS and submitted[index]["request_ids"]]
    for index, result in waited.items():
        assert result["status"] == "Completed" and sorted(status["request_id"] for status in result["statuses"]) == sorted(submitted[index]["request_ids"])
    # Purge every target, then wait: every purge came before the wait step began, every request is one the purge or the
    # wait step counted, and the wait went on reading past the first (Pending) answer until the purges were Completed.
    assert completer.boundary is not None and sorted(completer.completed) == sorted(WITH_STATUS)
    log = emulator.log()
    assert max(entry["seq"] for entry in log if entry["kind"] == "purge") <= completer.boundary
    for provider in WITH_STATUS:
        mine = [index for index in sent if every_target[index]["provider"] == provider]
        waits = [waited[index] for index in mine if index in waited]
        assert len(emulator.log(provider)) == sum(submitted[index]["api_requests"] for index in mine) + sum(result["api_requests"] for result in waits)
        # Read again after the Pending answers: the purges were completed only once a read of the wait step had come.
        assert any(entry["seq"] > completer.completed[provider] for entry in emulator.log(provider)), provider
    # Loop labels name provider and target position, never the target dict; no credential is printed, even with -v.
    for index, entry in enumerate(every_target):
        assert "(item=%s (target %d))" % (entry["provider"], index + 1) in run.stdout
    for secret in secrets(*PROVIDERS):
        assert secret not in run.output


@pytest.mark.parametrize("provider", ASYNCHRONOUS)
@pytest.mark.parametrize("case", ["no_wait", "wait_timeout"])
def test_wait_can_be_turned_off_and_times_out(ansible, emulator, case, provider):
    # Pending for 60 s (for an estimating provider: its answers estimate 60 s).
    pending(emulator, 60, [provider])
    variables = {"cdn_purge_paths": PATHS[provider][:1], "cdn_purge_targets": [target(ansible, provider)], "cdn_purge_poll_interval": 0.2}
    if case == "no_wait":
        variables["cdn_purge_wait"] = False
    else:
        variables["cdn_purge_wait_timeout"] = 1
    started = time.monotonic()
    run = run_role(ansible, variables)
    (purge,) = emulator.purges(provider)
    (submitted,) = run.task(PURGE_TASK)["results"]
    if provider in ESTIMATING:
        assert_estimate_not_waited(run, case, emulator, provider, purge, submitted, time.monotonic() - started)
        return
    # Requests beyond the purge step's own (a provider may read a status to confirm its purge): the wait step's.
    waits = len(emulator.log(provider)) - submitted["api_requests"]
    if case == "no_wait":
        assert run.rc == 0, run.output
        assert waits == 0
        assert all(item.get("skipped") for item in run.task(WAIT_TASK)["results"])
    else:
        assert run.rc != 0
        assert waits > 0
        message = run.task(WAIT_TASK)["results"][0]["msg"]
        assert "still Pending after wait_timeout=1s: %s" % purge["request_id"] in message


def assert_estimate_not_waited(run, case, emulator, provider, purge, submitted, seconds):
    """The purge step waits the estimate: not at all without cdn_purge_wait; with an estimate beyond
    cdn_purge_wait_timeout it fails at once, naming both, and the wait step (cdn_purge_status) never runs."""
    assert seconds < 60, "the role waited the 60 s estimate"
    # Nothing but the purge request was sent: there is no status to read.
    assert [entry["kind"] for entry in emulator.log(provider)] == ["purge"]
    assert [item["estimated_seconds"] for item in submitted["purge_requests"]] == [60]
    if case == "no_wait":
        assert run.rc == 0, run.output
        assert submitted["status"] == "Pending" and "waited_seconds" not in submitted, submitted
        assert all(item.get("skipped") for item in run.task(WAIT_TASK)["results"])
    else:
        assert run.rc != 0
        assert submitted["failed"] and "estimates 60s" in submitted["msg"] and "wait_timeout=1s" in submitted["msg"], submitted
        assert submitted["request_ids"] == [purge["request_id"]]
        assert WAIT_TASK not in run.results


def handler_play(provider):
    return {
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
                    "dest": "{{ docroot }}" + CASES[provider].PATH_TEMPLATE % "{{ inventory_hostname }}",
                    "mode": "0644",
                },
                "register": "page",
                "notify": "cdn purge",
            },
            {"name": "After the deploy", "ansible.builtin.debug": {"msg": "deployed"}},
        ],
    }


def run_handler_play(ansible, provider, variables, version, module_defaults=None):
    inventory = ansible.workdir / "web.ini"
    interpreter = "ansible_connection=local ansible_python_interpreter=%s" % sys.executable
    inventory.write_text("[web]\nweb1 %s\nweb2 %s\n" % (interpreter, interpreter), encoding="utf-8")
    playbook = ansible.workdir / "handler.yml"
    play = dict(handler_play(provider), module_defaults=module_defaults or {})
    playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    docroot = ansible.workdir / "www"
    (docroot / os.path.dirname(CASES[provider].PATH_TEMPLATE).lstrip("/")).mkdir(parents=True, exist_ok=True)
    extra = dict(variables, docroot=str(docroot), version=version)
    return ansible.run(["ansible-playbook", "-i", str(inventory), str(playbook), "-e", write_vars(ansible, "handler_vars.yml", extra)])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_handler_purges_once_for_every_notifying_host_after_the_tasks(ansible, emulator, provider):
    case = CASES[provider]
    if provider in ESTIMATING:
        pending(emulator, ESTIMATE, [provider])
    # Credentials from module_defaults: the target has none.
    defaults = {"group/cdnops.cdn.cdn": dict(case.CREDENTIALS)}
    variables = {"cdn_purge_targets": [target(ansible, provider, credentials=False)]}
    run = run_handler_play(ansible, provider, variables, version=1, module_defaults=defaults)
    assert run.rc == 0, run.output
    # Run once for both hosts, with what both hosts changed: one purge request, or one per path where the provider
    # purges one URL per request.
    pages = [case.PATH_TEMPLATE % host for host in ("web1", "web2")]
    (submitted,) = run.task(PURGE_TASK)["results"]
    assert submitted["paths"] == [case.named(page) for page in pages]
    assert sorted(emulator.purged_paths(provider)) == sorted(case.sent(page) for page in pages)
    assert len(emulator.purges(provider)) == (len(pages) if ADAPTERS[provider].concurrent else 1)
    # Handlers run after the play's tasks.
    assert run.stdout.index("TASK [After the deploy]") < run.stdout.index("RUNNING HANDLER [cdnops.cdn.purge : Purge every target]")
    if provider in WITH_STATUS:
        assert run.task(WAIT_TASK)["results"][0]["status"] == "Completed"
    else:
        # Done when accepted, or (an estimating provider) once the purge step has waited the estimate.
        assert submitted["status"] == "Completed"
        assert [item for item in run.results.get(WAIT_TASK, {}).get("results", []) if not item.get("skipped")] == []
    if provider in ESTIMATING:
        assert submitted["waited_seconds"] == ESTIMATE and [item["estimated_seconds"] for item in submitted["purge_requests"]] == [ESTIMATE]
    # Nothing changed: the handler is not notified and nothing is sent.
    emulator.reset()
    again = run_handler_play(ansible, provider, variables, version=1, module_defaults=defaults)
    assert again.rc == 0, again.output
    assert "RUNNING HANDLER" not in again.stdout and emulator.log() == []


def misspelt(option):
    """option with two letters swapped (domain -> dmoain)."""
    return option[0] + option[2] + option[1] + option[3:]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_handler_validates_the_variables_when_it_runs(ansible, emulator, provider):
    option, value = next(iter(CASES[provider].TARGET.items()))
    run = run_handler_play(ansible, provider, {"cdn_purge_targets": [{"provider": provider, misspelt(option): value}]}, version=1)
    assert run.rc != 0
    message = run.task("Check the cdn_purge variables")["msg"]
    assert "cdn_purge_targets.%s. Supported parameters include: " % misspelt(option) in message
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
        "cdn_purge_targets": [target(ansible, provider) for provider in PROVIDERS],
    }
    command = ["ansible-playbook", "-i", str(ansible.inventory), DEPLOY_SITE, "-e", write_vars(ansible, "site.yml", variables)]
    everything = site_paths(site)
    assert "/index.html" in everything and "/css/site.css" in everything

    first = ansible.run(command)
    assert first.rc == 0, first.output
    assert site_paths(docroot) == everything
    for provider in PROVIDERS:
        assert sorted(emulator.purged_paths(provider)) == sorted(CASES[provider].sent(path) for path in everything), provider

    emulator.reset()
    second = ansible.run(command)
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout and "RUNNING HANDLER" not in second.stdout
    assert emulator.log() == []

    with open(site / "css" / "site.css", "a", encoding="utf-8") as handle:
        handle.write("h1 { color: #2a6f97; }\n")
    third = ansible.run(command)
    assert third.rc == 0, third.output
    for provider in PROVIDERS:
        assert emulator.purged_paths(provider) == [CASES[provider].sent("/css/site.css")], provider
    assert (docroot / "css" / "site.css").read_text(encoding="utf-8") == (site / "css" / "site.css").read_text(encoding="utf-8")


def required_target_options(provider):
    return [option.name for option in ADAPTERS[provider].target_options() if option.required]


# A target option spelt with - instead of _ (url-endpoint), from the first provider that has such an option.
SPELT_WITH_DASH = next((provider, option) for provider in PROVIDERS for option in CASES[provider].TARGET if "_" in option)


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
                    *({"provider": provider} for provider in PROVIDERS if required_target_options(provider)),
                    {
                        "provider": SPELT_WITH_DASH[0],
                        SPELT_WITH_DASH[1].replace("_", "-"): CASES[SPELT_WITH_DASH[0]].TARGET[SPELT_WITH_DASH[1]],
                    },
                ],
            },
            [
                "cdn_purge_wait",
                "cdn_purge_paths",
                "value of provider must be one of: %s, got: no-such-cdn found in cdn_purge_targets" % ", ".join(sorted(ADAPTERS)),
                *(
                    "provider is %s but all of the following are missing: %s found in cdn_purge_targets"
                    % (provider, ", ".join(required_target_options(provider)))
                    for provider in PROVIDERS
                    if required_target_options(provider)
                ),
                "cdn_purge_targets.%s. Supported parameters include: " % SPELT_WITH_DASH[1].replace("_", "-"),
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


def bad_targets():
    """(provider, options, words): an invalid item, and an option of another provider, for every provider."""
    cases = []
    for provider in PROVIDERS:
        case = CASES[provider]
        option, value, _rule = case.INVALID[0]
        cases.append(pytest.param(provider, {option: [case.ITEMS[option][0], value]}, repr(value), id="%s-invalid_item" % provider))
        used = ADAPTERS[provider].option_names()
        foreign = next((name, value) for other in PROVIDERS for name, value in CASES[other].TARGET.items() if name not in used)
        words = "option %s is not used by provider %s" % (foreign[0], provider)
        cases.append(pytest.param(provider, dict([foreign], paths=PATHS[provider]), words, id="%s-option_of_another_provider" % provider))
    return cases


@pytest.mark.parametrize("provider, options, words", bad_targets())
def test_every_target_is_checked_before_any_is_purged(ansible, emulator, provider, options, words):
    # A valid target of another provider first: it is not purged either.
    valid = PROVIDERS[(PROVIDERS.index(provider) + 1) % len(PROVIDERS)]
    run = run_role(ansible, {"cdn_purge_paths": PATHS[valid], "cdn_purge_targets": [target(ansible, valid), target(ansible, provider, **options)]})
    assert run.rc != 0
    failed = [item for item in run.task(CHECK_TASK)["results"] if item.get("failed")]
    assert len(failed) == 1 and words in failed[0]["msg"], failed
    assert emulator.log() == []


def test_credentials_are_never_printed_and_errors_stay_readable(ansible, emulator):
    wrong = {provider: {option: "WRONG-%s-%s-secret-value-4242" % (provider, option) for option in CASES[provider].WRONG} for provider in PROVIDERS}
    targets = [target(ansible, provider, paths=PATHS[provider]) for provider in PROVIDERS]
    targets += [target(ansible, provider, paths=PATHS[provider], **wrong[provider]) for provider in PROVIDERS]
    run = run_role(ansible, {"cdn_purge_targets": targets}, "-vvvv")
    assert run.rc != 0
    submitted = item_results(run, PURGE_TASK)
    for index, provider in enumerate(PROVIDERS):
        assert not submitted[index].get("failed"), submitted[index]
        assert "HTTP %d" % CASES[provider].DENIED in submitted[len(PROVIDERS) + index]["msg"]
    for secret in [value for values in wrong.values() for value in values.values()] + secrets(*PROVIDERS):
        assert secret not in run.output


def test_idempotency_key_makes_a_rerun_purge_nothing(ansible, emulator):
    variables = {
        "cdn_purge_targets": [target(ansible, provider, paths=PATHS[provider]) for provider in PROVIDERS],
        "cdn_purge_idempotency_key": "release-7",
        "cdn_purge_idempotency_file": ansible.ledger,
        "cdn_purge_poll_interval": 0.2,
    }
    first = run_role(ansible, variables)
    assert first.rc == 0, first.output
    purges = len(emulator.purges())
    assert purges == sum(len(item["purge_requests"]) for item in item_results(first, PURGE_TASK).values())
    second = run_role(ansible, variables)
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert len(emulator.purges()) == purges
    # The recorded asynchronous purges are still waited for.
    waited = item_results(second, WAIT_TASK)
    assert sorted(waited) == [index for index, provider in enumerate(PROVIDERS) if provider in WITH_STATUS]
    assert all(result["status"] == "Completed" for result in waited.values())


def test_check_mode_shows_the_plan_and_sends_nothing(ansible, emulator):
    first = PROVIDERS[0]
    targets = [target(ansible, provider, **({} if provider == first else {"paths": PATHS[provider]})) for provider in PROVIDERS]
    run = run_role(ansible, {"cdn_purge_paths": PATHS[first], "cdn_purge_targets": targets}, "--check", "--diff")
    assert run.rc == 0, run.output
    for provider in PROVIDERS:
        for path in CASES[provider].RESULT_PATHS:
            assert "+%s" % path in run.stdout
    assert "changed=1" in run.stdout
    assert emulator.log() == []
