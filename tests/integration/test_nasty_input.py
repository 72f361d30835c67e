"""The nastiest inputs of tests/unit/plugins/modules/test_bad_input.py, through real ansible-playbook runs.

The property tests drive main() in-process (hundreds of examples); here a handful go through Ansible's own
argument passing, so that what a user would see is checked: a failed task with a clear msg, never MODULE
FAILURE or a traceback, and no request anywhere (the emulator's log stays empty).
"""


def assert_no_crash(run):
    """No task died on an exception instead of ending with exit_json/fail_json.

    Ansible shows that as "MODULE FAILURE" with a traceback up to ansible-core 2.18; 2.19 returns the msg
    "Task failed: Module failed: <exception>" (its display prefixes every failure so, not its result).
    """
    for mark in ("MODULE FAILURE", "Traceback"):
        assert mark not in run.output, mark
    for name, result in run.results.items():
        assert "Module failed:" not in str(result.get("msg")), (name, result)


NASTY = {
    # task name: (module, options, words in msg)
    "CRLF in a path": ("cdn_purge", {"provider": "gotipath", "paths": ["/a.html\r\nX-Injected: yes"]}, "control characters and white space"),
    "NUL in a path": ("cdn_purge", {"provider": "imagemash", "paths": ["/img/big/\x00.png"]}, "control characters and white space"),
    "empty path": ("cdn_purge", {"provider": "5centscdn", "paths": ["/a.mp4", ""]}, "must not be empty"),
    "overlong path": ("cdn_purge", {"provider": "imagekit", "paths": ["/img/" + "a" * 5000 + ".png"]}, "the limit is 2048"),
    "request id traversal": ("cdn_purge_status", {"provider": "imagekit", "request_id": "..%2F..%2Fv1/files/purge"}, "is not a valid imagekit request id"),
    "request id with a slash": ("cdn_purge_status", {"provider": "imagekit", "request_ids": ["ok", "a/../../b"]}, "is not a valid imagekit request id"),
    "distribution id traversal": (
        "cdn_purge",
        {"provider": "gotipath", "distribution_id": "../../../v2/zones/http/pull/42", "paths": ["/a"]},
        "is not a UUID",
    ),
    "zone id traversal": ("cdn_purge", {"provider": "5centscdn", "zone_id": "42/../../v1/files/purge", "paths": ["/a.mp4"]}, "zone_id"),
    "zone type traversal": ("cdn_purge", {"provider": "5centscdn", "zone_type": "http/../../x", "paths": ["/a.mp4"]}, "zone_type"),
    "negative timeout": ("cdn_purge", {"provider": "imagemash", "timeout": -1, "paths": ["/img/big/a.png"]}, "timeout=-1.0 must be greater than 0"),
    "huge concurrency": ("cdn_purge", {"provider": "imagekit", "concurrency": 10**6, "paths": ["/img/big/a.png"]}, "concurrency=1000000"),
    "zero batch": ("cdn_purge", {"provider": "imagemash", "batch_size": 0, "paths": ["/img/big/a.png"]}, "batch_size=0"),
    "bad url endpoint": ("cdn_purge", {"provider": "imagekit", "url_endpoint": "javascript:alert(1)", "paths": ["/a.png"]}, "url_endpoint="),
    "unknown provider": ("cdn_purge", {"provider": "../../etc/passwd", "paths": ["/a.png"]}, "value of provider must be one of"),
}


def test_nasty_inputs_are_clear_errors_through_real_ansible(ansible, emulator):
    tasks = []
    for name, (module, options, _words) in NASTY.items():
        provider = options["provider"]
        base = ansible.options(provider) if provider in ("imagekit", "imagemash", "5centscdn", "gotipath") else {"api_base_url": emulator.url}
        tasks.append({"name": name, "cdnops.cdn." + module: dict(base, **options), "ignore_errors": True})
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output
    for name, (_module, _options, words) in NASTY.items():
        assert words in run.task(name).get("msg", ""), (name, run.task(name))
    assert_no_crash(run)
    assert "ignored=%d" % len(NASTY) in run.stdout
    assert emulator.log() == []


def test_non_finite_timeout_is_a_clear_error_through_real_ansible(ansible, emulator):
    tasks = [
        {"name": value, "cdnops.cdn.cdn_purge": ansible.options("gotipath", paths=["/a.html"], timeout=value), "ignore_errors": True}
        for value in ("nan", "inf")
    ]
    run = ansible.playbook(tasks)
    assert_no_crash(run)
    for value in ("nan", "inf"):
        assert "timeout" in run.task(value)["msg"]
    assert emulator.log() == []
