"""Nothing accepted is forgotten: cdn_purge killed at random moments through real ansible-playbook runs.

The ledger records each purge request the moment the provider accepts it, so a kill of the whole process tree
(SIGKILL, the SIGTERM a cancelled CI job sends, Ctrl-C's SIGINT) loses at most the requests in flight: the rerun
with the same idempotency_key resends at most `concurrency` URLs the provider had already accepted.
"""

import collections
import contextlib
import os
import random
import signal
import subprocess
import time

import pytest
import yaml
from cases import CASES

from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS as ADAPTERS

# A provider that sends one URL per request, concurrently: the worst case for what is in flight at a kill.
CONCURRENT = [provider for provider in CASES if ADAPTERS[provider].concurrent]
URLS = 300
CONCURRENCY = 8
KILLS = 10


def start_playbook(ansible, tasks):
    """ansible-playbook in a process group of its own, so the whole tree (module included) can be killed at once."""
    path = ansible.workdir / "killed.yml"
    path.write_text(yaml.safe_dump([{"name": "killed", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
    command = ["ansible-playbook", "-i", str(ansible.inventory), str(path)]
    return subprocess.Popen(command, cwd=ansible.workdir, env=ansible.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def accepted_urls(emulator, provider):
    return [item for entry in emulator.purges(provider) for item in entry["purged"]]


@pytest.mark.parametrize("provider", CONCURRENT[:1])
def test_kills_at_random_moments_resend_at_most_concurrency_accepted_urls(ansible, emulator, provider):
    case = CASES[provider]
    # Slow enough that a kill lands while requests are in flight, not after the last one.
    emulator.configure(latency_ms=100)
    paths = [case.PATH_TEMPLATE % ("kill-%04d" % number) for number in range(URLS)]
    task = {
        "name": "purge",
        "cdnops.cdn.cdn_purge": ansible.options(
            provider, paths=paths, concurrency=CONCURRENCY, idempotency_key="release-kill", idempotency_file=ansible.ledger, max_requests=URLS
        ),
    }
    rng = random.Random(int(os.environ.get("CDN_TEST_SEED", "20261130")))
    signals = [signal.SIGKILL] * 6 + [signal.SIGTERM] * 2 + [signal.SIGINT] * 2
    rng.shuffle(signals)
    resent = []  # per run after a kill: URLs sent again although the provider had accepted them before

    def run_once(kill_signal=None):
        logged = len(accepted_urls(emulator, provider))
        already = set(accepted_urls(emulator, provider))
        if kill_signal is None:
            run = ansible.playbook([task])
            assert run.rc == 0, run.output
        else:
            # Kill once this run has had a few more accepted: at a random moment of the sending.
            target = logged + rng.randint(1, 25)
            process = start_playbook(ansible, [task])
            deadline = time.monotonic() + 120
            while len(accepted_urls(emulator, provider)) < target and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            if process.poll() is None:
                os.killpg(process.pid, kill_signal)
            process.wait(timeout=60)
            # Whatever of the tree a SIGTERM or SIGINT left running ends now, as a CI runner's cleanup would.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            time.sleep(0.3)  # requests already on the wire reach the emulator's log
        this_run = accepted_urls(emulator, provider)[logged:]
        resent.append(len([url for url in this_run if url in already]))

    for kill_signal in signals:
        if len(set(accepted_urls(emulator, provider))) >= URLS:
            break
        run_once(kill_signal)
    run_once()  # the rerun after the last kill finishes the purge
    # The first run had nothing to resend; each later one resends at most what was in flight at the kill before it.
    assert resent[0] == 0
    assert max(resent[1:]) <= CONCURRENCY, resent
    assert len(resent) >= 5, "too few kills landed part-way: %r" % resent
    counts = collections.Counter(accepted_urls(emulator, provider))
    assert set(counts) == {case.sent(path) for path in paths}
    # Accepted more than once only around a kill: never more than what was in flight at the kills.
    assert sum(counts.values()) - URLS <= CONCURRENCY * (len(resent) - 1)
