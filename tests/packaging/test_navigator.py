"""ansible-navigator, how Automation Platform users run playbooks locally, runs the collection's purge playbook.

`ansible-navigator run --ee false --mode stdout` (no container engine: the installed tarball and the host's Python)
runs playbooks/purge.yml of the installed collection against the emulator, with credentials in the environment
as a user exports them. Nothing is written to the working directory: no playbook artifact (--pae false), the log
in tmp.
"""

import sys

import yaml
from cases import CASES
from pkg_support import isolated_env, run, tool

PROVIDERS = ("imagekit", "cloudflare")


def test_navigator_runs_the_purge_playbook(installed, emulator, tmp_path):
    emulator.reset()
    for name in PROVIDERS:
        if CASES[name].COMPLETE_AFTER:
            emulator.configure(**{CASES[name].COMPLETE_AFTER: 0})
    playbook = installed / "ansible_collections" / "cdnops" / "cdn" / "playbooks" / "purge.yml"
    assert playbook.is_file()
    targets = []
    credentials = {}
    for name in PROVIDERS:
        case = CASES[name]
        targets.append(dict(case.TARGET, provider=name, api_base_url=emulator.url, paths=[case.PATH_TEMPLATE % "navigator"]))
        credentials.update(case.ENV)
    variables = tmp_path / "cdn.yml"
    variables.write_text(yaml.safe_dump({"cdn_purge_targets": targets, "cdn_purge_poll_interval": 0.2}), encoding="utf-8")
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    log = tmp_path / "navigator.log"
    env = isolated_env(installed, tmp_path, **credentials)
    # fmt: off
    command = [
        tool("ansible-navigator"), "run", playbook,
        "--ee", "false", "--mode", "stdout", "--pae", "false",
        "--lf", log, "--ll", "info",
        "-i", inventory, "-e", "@%s" % variables,
    ]
    # fmt: on
    completed = run(command, cwd=work, env=env, timeout=180)
    assert "failed=0" in completed.stdout and "PLAY RECAP" in completed.stdout, completed.stdout
    assert log.is_file()
    assert sorted(path.name for path in work.iterdir()) == [], "navigator wrote into the working directory"
    for secret in credentials.values():
        assert secret not in completed.stdout + completed.stderr
    for name in PROVIDERS:
        case = CASES[name]
        assert emulator.purged_paths(name) == [case.sent(case.PATH_TEMPLATE % "navigator")], name
