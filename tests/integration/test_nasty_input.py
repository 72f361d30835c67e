"""The nastiest inputs of tests/unit/plugins/modules/test_bad_input.py, through real ansible-playbook runs.

The property tests drive main() in-process (hundreds of examples); here a handful go through Ansible's own
argument passing, for every registered provider (from its case file and what its adapter declares), so that what a
user would see is checked: a failed task with a clear msg, never MODULE FAILURE or a traceback, and no request
anywhere (the emulator's log stays empty).
"""

from cases import CASES

from ansible_collections.cdnops.cdn.plugins.module_utils._provider import STATUS_NONE
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS as ADAPTERS


def assert_no_crash(run):
    """No task died on an exception instead of ending with exit_json/fail_json.

    Ansible shows that as "MODULE FAILURE" with a traceback up to ansible-core 2.18; 2.19 returns the msg
    "Task failed: Module failed: <exception>" (its display prefixes every failure so, not its result).
    """
    for mark in ("MODULE FAILURE", "Traceback"):
        assert mark not in run.output, mark
    for name, result in run.results.items():
        assert "Module failed:" not in str(result.get("msg")), (name, result)


def status_words(provider):
    """A request id that could walk to another endpoint is refused; a provider without a status API says so first."""
    adapter = ADAPTERS[provider]
    if adapter.status_model == STATUS_NONE:
        # Synchronous, or asynchronous without a status API (Akamai): the adapter's own message, from an instance
        # without settings (the message needs none).
        return adapter.__new__(adapter).no_status_api().message
    return "is not a valid %s " % provider


def nasty(provider):
    """{task name: (module, options, words in msg)} for provider."""
    case = CASES[provider]
    path = case.PATH_TEMPLATE
    cases = {
        "CRLF in a path": (
            "cdn_purge",
            {"paths": [path % "a" + "\r\nX-Injected: yes"]},
            "control characters, white space and invisible characters are not allowed",
        ),
        "NUL in a path": ("cdn_purge", {"paths": [path % "\x00"]}, "control characters, white space and invisible characters are not allowed"),
        "empty path": ("cdn_purge", {"paths": [path % "a", ""]}, "must not be empty"),
        "overlong path": ("cdn_purge", {"paths": [path % ("a" * 5000)]}, "the limit is 2048"),
        "negative timeout": ("cdn_purge", {"timeout": -1, "paths": [path % "a"]}, "timeout=-1.0 must be greater than 0"),
        "huge concurrency": ("cdn_purge", {"concurrency": 10**6, "paths": [path % "a"]}, "concurrency=1000000"),
        "zero batch": ("cdn_purge", {"batch_size": 0, "paths": [path % "a"]}, "batch_size=0"),
        "request id traversal": ("cdn_purge_status", {"request_id": "..%2F..%2Fv1/files/purge"}, status_words(provider)),
        "request id with a slash": ("cdn_purge_status", {"request_ids": ["ok", "a/../../b"]}, status_words(provider)),
    }
    for option, value, words in case.INVALID_TARGET:
        cases["%s %r" % (option, value)] = ("cdn_purge", {option: value, "paths": [path % "a"]}, words)
    return {"%s: %s" % (provider, name): (module, dict(options, provider=provider), words) for name, (module, options, words) in cases.items()}


NASTY = {name: task for provider in CASES for name, task in nasty(provider).items()}
NASTY["unknown provider"] = ("cdn_purge", {"provider": "../../etc/passwd", "paths": ["/a.png"]}, "value of provider must be one of")


def test_nasty_inputs_are_clear_errors_through_real_ansible(ansible, emulator):
    tasks = []
    for name, (module, options, _words) in NASTY.items():
        provider = options["provider"]
        base = ansible.options(provider) if provider in CASES else {"api_base_url": emulator.url}
        tasks.append({"name": name, "cdnops.cdn." + module: dict(base, **options), "ignore_errors": True})
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output
    unclear = {name: run.task(name).get("msg") for name, (_module, _options, words) in NASTY.items() if words not in run.task(name).get("msg", "")}
    assert unclear == {}
    assert_no_crash(run)
    assert "ignored=%d" % len(NASTY) in run.stdout
    assert emulator.log() == []


def test_non_finite_timeout_is_a_clear_error_through_real_ansible(ansible, emulator):
    tasks = [
        {
            "name": "%s %s" % (provider, value),
            "cdnops.cdn.cdn_purge": ansible.options(provider, paths=case.ITEMS["paths"][:1], timeout=value),
            "ignore_errors": True,
        }
        for provider, case in CASES.items()
        for value in ("nan", "inf")
    ]
    run = ansible.playbook(tasks)
    assert_no_crash(run)
    for task in tasks:
        assert "timeout" in run.task(task["name"])["msg"]
    assert emulator.log() == []
