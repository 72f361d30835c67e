"""A job as AWX runs it: a project synced with collections/requirements.yml, run by ansible-runner.

The project names the built tarball in collections/requirements.yml; `ansible-galaxy collection install -r ... -p
<project>/collections` installs it as AWX's project sync does, so Ansible finds it beside the playbook and nowhere
else. The playbook deploys files (copy) and notifies `cdn purge`, the handler of the role cdnops.cdn.purge, for one
target per provider of the test kit (tests/support/cases) on the emulator. ansible_runner.run (the library AWX runs
jobs with; no process isolation) runs it in a process of its own, from the packaging venv where it is installed.
Credentials come in as environment variables only (runner `envvars`), rendered from the credential types of
docs/awx.md the way AWX renders a credential's injectors; extra variables hold only targets and options.

Then the credential types that write a file (.edgerc, AWS config file) are tried one by one, and AWX's built-in
"Amazon Web Services" type with temporary credentials (its token comes as AWS_SECURITY_TOKEN).
"""

import json
import os
import sys

import pytest
import yaml
from cases import CASES
from pkg_support import BIN, clean_env, credential_types, isolated_env, render_injectors, run, tool

# Runs in the runner's interpreter: the job spec comes on stdin (credentials never on a command line).
RUNNER = r"""
import json, sys
import ansible_runner

spec = json.load(sys.stdin)
result = ansible_runner.run(
    private_data_dir=spec["private_data_dir"],
    project_dir=spec["project_dir"],
    playbook=spec["playbook"],
    inventory=spec["inventory"],
    envvars=spec["envvars"],
    extravars=spec["extravars"],
    ident="job",
    quiet=True,
    process_isolation=False,
)
print(json.dumps({"status": result.status, "rc": result.rc}))
"""

PLAYBOOK = """\
- name: Deploy the site and purge it from every CDN
  hosts: web
  gather_facts: false
  tasks:
    - name: Make the cdn purge handler available
      ansible.builtin.import_role:
        name: cdnops.cdn.purge
        tasks_from: handler

    - name: Deploy the files of the site
      ansible.builtin.copy:
        src: site/
        dest: "{{ site_docroot }}/"
        mode: "0644"
      notify: cdn purge
"""
PURGE_TASK = "Purge every target"


def input_ids(credential_type):
    return {field["id"] for field in credential_type["inputs"]["fields"]}


def credential_for(provider, credentials):
    """The first credential type of docs/awx.md for provider that takes these credentials (and the API host)."""
    for credential_type in credential_types().get(provider, []):
        if set(credentials) <= input_ids(credential_type) and set(credential_type["inputs"].get("required", [])) <= set(credentials) | {"api_base_url"}:
            return credential_type
    raise AssertionError("docs/awx.md has no credential type of %s with inputs %s" % (provider, sorted(credentials)))


@pytest.fixture(scope="module")
def project(tarball, tmp_path_factory):
    """A project directory as AWX checks it out and syncs it: the collection installed beside the playbook."""
    root = tmp_path_factory.mktemp("awx") / "project"
    (root / "dist").mkdir(parents=True)
    (root / "dist" / tarball.name).write_bytes(tarball.read_bytes())
    (root / "collections").mkdir()
    requirements = {"collections": [{"name": "dist/" + tarball.name, "type": "file"}]}
    (root / "collections" / "requirements.yml").write_text(yaml.safe_dump(requirements), encoding="utf-8")
    (root / "deploy.yml").write_text(PLAYBOOK, encoding="utf-8")
    site = root / "site"
    (site / "css").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Deployed by AWX</h1>\n", encoding="utf-8")
    (site / "css" / "site.css").write_text("h1 { color: teal; }\n", encoding="utf-8")
    # The project sync: collections/requirements.yml into the project's own collections directory.
    run([BIN / "ansible-galaxy", "collection", "install", "-r", "collections/requirements.yml", "-p", root / "collections"], cwd=root)
    assert (root / "collections" / "ansible_collections" / "cdnops" / "cdn" / "MANIFEST.json").is_file()
    return root


def test_awx_job_deploys_and_purges_every_provider(project, emulator, tmp_path):
    emulator.reset()
    for case in CASES.values():
        if case.COMPLETE_AFTER:
            # Purges complete at once: this job is about how AWX runs the collection, not about waiting.
            emulator.configure(**{case.COMPLETE_AFTER: 0})

    # One target per provider, and its credential as an AWX credential of its type injects it.
    targets, envvars, secrets, expected = [], {}, set(), {}
    for name, case in CASES.items():
        path = case.PATH_TEMPLATE % "awx-job"
        target = dict(case.TARGET, provider=name, api_base_url=emulator.url, paths=[path])
        credential_type = credential_for(name, case.CREDENTIALS)
        if "api_base_url" in input_ids(credential_type):
            # The API host is part of this provider's credential (Akamai's API client): it comes from there.
            del target["api_base_url"]
        targets.append(target)
        expected[name] = sorted([case.sent(path)])
        injected = render_injectors(credential_type, dict(case.CREDENTIALS, api_base_url=emulator.url), tmp_path / "private")
        assert set(case.ENV.items()) <= set(injected.items()), (name, sorted(injected), sorted(case.ENV))
        clash = set(injected) & set(envvars)
        assert not clash, "two providers inject %s" % sorted(clash)
        envvars.update(injected)
        secrets.update(str(value) for value in case.CREDENTIALS.values())
    extravars = {
        "site_docroot": str(tmp_path / "docroot"),
        "cdn_purge_targets": targets,
        "cdn_purge_poll_interval": 0.2,
        "cdn_purge_wait_timeout": 30,
    }
    assert not any(secret in json.dumps(extravars) for secret in secrets), "credentials must not be extra variables"

    private = tmp_path / "private"
    (private / "inventory").mkdir(parents=True, exist_ok=True)
    inventory = private / "inventory" / "hosts"
    inventory.write_text("[web]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
    spec = {
        "private_data_dir": str(private),
        "project_dir": str(project),
        "playbook": "deploy.yml",
        "inventory": str(inventory),
        "envvars": envvars,
        "extravars": extravars,
    }
    # Only the project's collections: nothing from the source tree, the user's ~/.ansible or site-packages.
    env = clean_env(
        ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "no-collections"),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
    )
    python = tool("ansible-runner").parent / "python"
    completed = run([python, "-c", RUNNER], cwd=tmp_path, env=env, timeout=180, stdin=json.dumps(spec))
    artifacts = private / "artifacts" / "job"
    stdout = (artifacts / "stdout").read_text(encoding="utf-8") if (artifacts / "stdout").exists() else ""
    assert json.loads(completed.stdout.splitlines()[-1]) == {"status": "successful", "rc": 0}, stdout
    assert (artifacts / "status").read_text(encoding="utf-8") == "successful"
    assert (artifacts / "rc").read_text(encoding="utf-8") == "0"

    events = [json.loads(path.read_text(encoding="utf-8")) for path in sorted((artifacts / "job_events").glob("*.json"))]
    deployed = [event for event in events if event["event"] == "runner_on_ok" and event["event_data"].get("task") == "Deploy the files of the site"]
    assert len(deployed) == 1 and deployed[0]["event_data"]["res"]["changed"] is True, deployed
    purged = [event for event in events if event["event"] == "runner_on_ok" and event["event_data"].get("task") == PURGE_TASK]
    assert len(purged) == 1, [event["event_data"].get("task") for event in events if event["event"].startswith("runner_on")]
    assert purged[0]["event_data"]["task_action"] == "cdnops.cdn.cdn_purge"
    results = purged[0]["event_data"]["res"]["results"]
    assert [result["provider"] for result in results] == list(CASES), results
    for result in results:
        assert result["changed"] is True, result
        assert result["failed"] is False, result
        assert result["paths"] == [CASES[result["provider"]].named(path) for path in targets[result["cdn_purge_index"]]["paths"]], result
    assert not [event for event in events if event["event"] in ("runner_on_failed", "runner_on_unreachable")]

    # The emulator received each provider's purge, with that provider's credentials (it refuses others).
    for name in CASES:
        assert sorted(emulator.purged_paths(name)) == expected[name], name

    # What AWX stores and shows of a job, its output and its events, names no credential. (The runner's `command`
    # artifact holds the job's environment, credentials included, as AWX's own private data directory does.)
    for path in [artifacts / "stdout", *(artifacts / "job_events").glob("*.json")]:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            leaked = [secret for secret in secrets if secret in text]
            assert not leaked, "%s shows a credential" % os.path.relpath(path, private)


def purge_with_the_installed_collection(installed, tmp_path, task, envvars):
    """One cdn_purge task by ansible-playbook with the installed tarball alone, the credentials in envvars."""
    play = {"name": "Purge", "hosts": "localhost", "gather_facts": False, "tasks": [{"name": "Purge", "cdnops.cdn.cdn_purge": task}]}
    playbook = tmp_path / "purge.yml"
    playbook.write_text(yaml.safe_dump([play]), encoding="utf-8")
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
    # No ~/.aws or ~/.edgerc of the machine: only what the credential injects.
    env = isolated_env(installed, tmp_path, **envvars)
    return run([BIN / "ansible-playbook", "-i", inventory, playbook], cwd=tmp_path, env=env, timeout=120)


def aws_builtin_injector(username, password, security_token):
    """What AWX's built-in "Amazon Web Services" credential type injects (awx/main/models/credential/injectors.py: aws)."""
    return {"AWS_ACCESS_KEY_ID": username, "AWS_SECRET_ACCESS_KEY": password, "AWS_SECURITY_TOKEN": security_token}


def test_awx_builtin_aws_credential_with_an_sts_token(installed, emulator, tmp_path):
    """Temporary AWS credentials as AWX's built-in type injects them purge a CloudFront distribution."""
    case = CASES["cloudfront"]
    session = case.OTHER_CREDENTIALS["session"][0]
    emulator.reset()
    emulator.configure(**{case.COMPLETE_AFTER: 0})
    task = dict(case.TARGET, provider="cloudfront", api_base_url=emulator.url, paths=[case.PATH_TEMPLATE % "sts"])
    purge_with_the_installed_collection(installed, tmp_path, task, aws_builtin_injector(session["access_key"], session["secret_key"], session["session_token"]))
    assert emulator.purged_paths("cloudfront") == [case.sent(case.PATH_TEMPLATE % "sts")]


def edgerc_inputs(credentials):
    """An .edgerc file with the case's API client in a section of its own (the host is overridden by api_base_url)."""
    lines = ["[awx]", "host = akab-emulator.purge.akamaiapis.net"] + [
        "%s = %s" % (name, credentials[name]) for name in ("client_token", "client_secret", "access_token")
    ]
    return {"edgerc": "\n".join(lines) + "\n", "edgerc_section": "awx"}


def aws_config_inputs(credentials):
    """An AWS config file whose profile holds the case's key pair."""
    return {
        "aws_config": "[profile awx]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (credentials["access_key"], credentials["secret_key"]),
        "profile": "awx",
    }


# The credential types of docs/awx.md that write a file: how a user fills their inputs from the case's credentials.
FILE_TYPES = {"cdnops.cdn akamai (.edgerc)": edgerc_inputs, "cdnops.cdn cloudfront (AWS config file)": aws_config_inputs}


def test_every_file_credential_type_of_the_guide_is_tried():
    written = {credential_type["name"] for types in credential_types().values() for credential_type in types if credential_type["injectors"].get("file")}
    assert written == set(FILE_TYPES)


@pytest.mark.parametrize("name", sorted(FILE_TYPES))
def test_file_credential_types_of_the_guide_purge(name, installed, emulator, tmp_path):
    """A credential type that writes a file (.edgerc, AWS config) works as AWX renders it: file, then its path in env."""
    provider = name.split()[1]
    case = CASES[provider]
    credential_type = next(found for found in credential_types()[provider] if found["name"] == name)
    envvars = render_injectors(credential_type, FILE_TYPES[name](case.CREDENTIALS), tmp_path / "private")
    assert all(str(tmp_path / "private" / "env") not in value or os.path.isfile(value) for value in envvars.values())
    emulator.reset()
    if case.COMPLETE_AFTER:
        emulator.configure(**{case.COMPLETE_AFTER: 0})
    task = dict(case.TARGET, provider=provider, api_base_url=emulator.url, paths=[case.PATH_TEMPLATE % "file"], wait=True)
    completed = purge_with_the_installed_collection(installed, tmp_path, task, envvars)
    assert emulator.purged_paths(provider) == [case.sent(case.PATH_TEMPLATE % "file")]
    assert not [secret for secret in case.CREDENTIALS.values() if secret in completed.stdout + completed.stderr]
