# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bulk purges at the physical limit: cdn_purge against the uri loop and the API minimum.

    python benchmarks/run.py            # full run (about 10 minutes; B alone sends 500 uri tasks)
    python benchmarks/run.py --smoke    # small sizes, well under a minute: checks correctness only

Starts the provider emulator (tests/emulator) on 127.0.0.1 with 20 ms latency per request, runs the real
ansible-playbook / ansible commands against it and prints one table. Every benchmark's answer is checked
against the emulator's request log and the module's result. Exit status: 1 when a benchmark gave a wrong
answer, 2 on a setup error, never because of a time or memory figure (the machine may be shared and noisy).
docs/performance.md explains every row.
"""

import argparse
import base64
import contextlib
import hashlib
import http.client
import io
import json
import math
import os
import platform
import pstats
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
PLAYBOOKS = BENCH / "playbooks"
EMULATOR = ROOT / "tests" / "emulator" / "cdn_emulator.py"
MODULE = ROOT / "plugins" / "modules" / "cdn_purge.py"

# The emulator's default credentials and targets (tests/emulator/README.md, tests/integration/conftest.py).
IMAGEKIT = {"url_endpoint": "https://ik.imagekit.io/demo", "api_key": "private_emulator_imagekit_key"}
IMAGEMASH = {"domain": "john.imagemash.io", "api_key": "emulator_imagemash_key"}
FIVECENTS = {"zone_id": 42, "api_key": "emulator_5centscdn_key"}
GOTIPATH = {
    "distribution_id": "292e5d7f-a8b9-41a0-bdf0-e70347709c6f",
    "api_key": "emulator_gotipath_key",
    "client_id": "11111111-2222-4333-8444-555555555555",
    "library_id": "66666666-7777-4888-8999-000000000000",
}
# Batch limits (docs: providers.md): ImageMash and 5centsCDN default to 100 paths, Gotipath 100 URLs / 10 patterns.
BATCH = 100
GOTIPATH_PATTERN_BATCH = 10

FULL = {
    "a": 500,
    "b": 500,
    "plan": 100_000,
    "minimum": 10_000,
    "wait_imagekit": 500,
    "wait_imagemash": 10_000,
    "scaling": (25_000, 50_000, 100_000, 200_000),
    "repeat": 5,
    "repeat_c": 3,
    "repeat_plan": 3,
}
SMOKE = {
    "a": 40,
    "b": 5,
    "plan": 2_000,
    "minimum": 1_000,
    "wait_imagekit": 20,
    "wait_imagemash": 1_000,
    "scaling": (1_000, 2_000, 4_000),
    "repeat": 1,
    "repeat_c": 1,
    "repeat_plan": 1,
}
STEPS = ("imagekit", "plan", "scaling", "minimum", "wait")
TARGETS = {"b_over_a": 40.0, "a_over_l": 1.5, "plan_seconds": 3.0, "plan_mb": 200.0}


def log(message):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


def default_concurrency():
    """The module's own default, read from its argument spec so the benchmark follows it."""
    match = re.search(r"concurrency=dict\(type=\"int\", default=(\d+)\)", MODULE.read_text(encoding="utf-8"))
    if not match:
        raise SystemExit("cannot find the concurrency default in %s" % MODULE)
    return int(match.group(1))


def digest(strings):
    """Same as callback_plugins/bench_result.py."""
    return hashlib.sha256("\n".join(sorted(strings)).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------- data sets


def imagekit_urls(count):
    return ["%s/bench/d%03d/img%05d.jpg" % (IMAGEKIT["url_endpoint"], i // 100, i) for i in range(count)]


def imagemash_paths(total, seed):
    """total paths: 30 % exact duplicates, 20 % covered by a folder prefix in the same list, shuffled.

    Returns (paths, expected): expected are the unique uncovered paths, by construction (the prefixes and
    the files, none of which starts with another: same-length names under different folders).
    """
    rnd = random.Random(seed)
    n_dup, n_cov = total * 3 // 10, total * 2 // 10
    n_keep = total - n_dup - n_cov
    n_prefix = max(1, n_keep // 100)
    prefixes = ["/media/p%05d/" % k for k in range(n_prefix)]
    files = ["/assets/d%03d/f%05d.png" % (i // 1000, i) for i in range(n_keep - n_prefix)]
    covered = ["%sx%06d.jpg" % (prefixes[j % n_prefix], j) for j in range(n_cov)]
    distinct = prefixes + files + covered
    paths = distinct + [rnd.choice(distinct) for _round in range(n_dup)]
    rnd.shuffle(paths)
    return paths, prefixes + files


def fivecents_paths(total, seed):
    """total file paths, 30 % exact duplicates (5centsCDN has no prefix purge)."""
    rnd = random.Random(seed)
    unique = ["/videos/d%03d/f%05d.mp4" % (i // 1000, i) for i in range(total - total * 3 // 10)]
    paths = unique + [rnd.choice(unique) for _round in range(total * 3 // 10)]
    rnd.shuffle(paths)
    return paths, unique


def gotipath_paths(total, seed):
    """URLs (30 % duplicates, 20 % under a pattern prefix) and 27 pattern entries.

    Patterns: 20 prefixes /g/pNN/*, one covered by another (/g/p00/sub/*), 4 with * inside (not prefixes,
    sent as they are) and 2 duplicates. Returns (paths, {"url": [...], "pattern": [...]}) of what must be sent.
    """
    rnd = random.Random(seed)
    prefixes = ["/g/p%02d/*" % k for k in range(20)]
    inner = ["/g/*/q%d.css" % k for k in range(4)]
    patterns = prefixes + ["/g/p00/sub/*"] + inner + [prefixes[1], prefixes[2]]
    n_urls = total - len(patterns)
    n_dup, n_cov = total * 3 // 10, total * 2 // 10
    n_keep = n_urls - n_dup - n_cov
    kept = ["/site/d%03d/page%05d.html?v=1" % (i // 100, i) for i in range(n_keep)]
    covered = ["/g/p%02d/x%05d.html" % (j % 20, j) for j in range(n_cov)]
    paths = kept + covered + [rnd.choice(kept + covered) for _round in range(n_dup)] + patterns
    rnd.shuffle(paths)
    return paths, {"url": kept, "pattern": prefixes + inner}


# --------------------------------------------------------------------------------------------- emulator


class Emulator:
    """The emulator as a subprocess, and its control API (stdlib only)."""

    def __init__(self, workdir, latency_ms):
        self.latency_ms = latency_ms
        port_file = Path(workdir) / "emulator.port"
        command = [sys.executable, str(EMULATOR), "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file), "--latency-ms", str(latency_ms)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start: %s" % " ".join(command))
            time.sleep(0.02)
        self.port = int(port_file.read_text(encoding="utf-8").strip())
        self.url = "http://127.0.0.1:%d" % self.port

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our own loopback emulator
            return json.loads(response.read().decode("utf-8"))

    def reset(self):
        self._call("POST", "/_emulator/reset", {})

    def configure(self, **config):
        self._call("POST", "/_emulator/config", config)

    def log(self):
        return self._call("GET", "/_emulator/requests")

    def round_trip_ms(self, count=20):
        """Median time of one provider request on a kept-alive connection: the emulator's per-request floor."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        auth = "Basic " + base64.b64encode(IMAGEKIT["api_key"].encode() + b":").decode()
        times = []
        for _round in range(count):
            start = time.perf_counter()
            connection.request("GET", "/v1/files/purge/benchmark-round-trip", headers={"Authorization": auth})
            connection.getresponse().read()
            times.append(time.perf_counter() - start)
        connection.close()
        self.reset()
        return statistics.median(times) * 1000

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --------------------------------------------------------------------------------------------- measuring


def exec_measured(argv):
    """`run.py --_exec OUT STDOUT STDERR -- command...`: run command as this process's only child.

    resource.getrusage(RUSAGE_CHILDREN) then covers exactly that command's process tree: ru_maxrss is the
    peak RSS of the largest single process among every descendant that ended and was waited for (the
    ansible main process, its forked workers, the module's interpreter, shells): a maximum, not a sum.
    ru_utime + ru_stime is the CPU time of all of them together. Wall time excludes this wrapper's start.
    """
    out, stdout, stderr, separator, *command = argv
    assert separator == "--"
    with open(stdout, "wb") as so, open(stderr, "wb") as se:
        start = time.perf_counter()
        try:
            rc = subprocess.call(command, stdout=so, stderr=se)  # noqa: S603
        except OSError as exc:
            se.write(("cannot run %s: %s\n" % (command[0], exc)).encode())
            rc = 127
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"rc": rc, "wall": wall, "maxrss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}, handle)
    return 0


class TreeSampler(threading.Thread):
    """Polls /proc for the processes under root: peak RSS per role and the peak of their sum.

    Per process it reads VmHWM (the kernel's own high-water mark of that process's RSS), so a short peak
    between two polls is still seen unless the process exits within one poll interval of reaching it. The
    sum adds VmRSS of the processes alive at one poll: forked workers share pages with their parent, so it
    over-counts shared memory; it is an upper bound of the tree's footprint.
    """

    def __init__(self, root_pid, interval=0.02):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.stop_event = threading.Event()
        self.peaks = {}  # pid -> (role, peak kB)
        self.sum_peak_kb = 0

    @staticmethod
    def _children(pid):
        found = []
        with contextlib.suppress(OSError):
            for task in os.listdir("/proc/%d/task" % pid):
                with contextlib.suppress(OSError), open("/proc/%d/task/%s/children" % (pid, task), encoding="ascii") as handle:
                    found.extend(int(child) for child in handle.read().split())
        return found

    @staticmethod
    def _status(pid):
        fields = {}
        with contextlib.suppress(OSError), open("/proc/%d/status" % pid, encoding="utf-8") as handle:
            for line in handle:
                key, _colon, value = line.partition(":")
                if key in ("VmHWM", "VmRSS", "PPid"):
                    fields[key] = int(value.split()[0])
        return fields

    def _role(self, pid, ppid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            return None
        if "AnsiballZ_" in cmdline:
            return "module"
        if "/ansible" in cmdline or cmdline.startswith("ansible"):
            return "controller" if ppid == self.root_pid else "worker"
        return "other"

    def run(self):
        roles = {}
        while not self.stop_event.is_set():
            pending, seen, total = self._children(self.root_pid), set(), 0
            while pending:
                pid = pending.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                pending.extend(self._children(pid))
                status = self._status(pid)
                if not status:
                    continue
                if pid not in roles:
                    roles[pid] = self._role(pid, status.get("PPid"))
                total += status.get("VmRSS", 0)
                previous = self.peaks.get(pid, (roles[pid], 0))[1]
                self.peaks[pid] = (roles[pid], max(previous, status.get("VmHWM", 0)))
            self.sum_peak_kb = max(self.sum_peak_kb, total)
            self.stop_event.wait(self.interval)

    def by_role(self):
        result = {}
        for role, peak in self.peaks.values():
            if role:
                result[role] = max(result.get(role, 0), peak)
        return result


class Run:
    """One measured command: rc, wall and CPU seconds, peak RSS, output and the result summaries."""

    def __init__(self, label, data, stdout, stderr, results, sampler):
        self.label = label
        self.rc = data["rc"]
        self.wall = data["wall"]
        self.cpu = data["cpu"]
        self.maxrss_mb = data["maxrss_kb"] / 1024.0
        self.stdout = stdout
        self.stderr = stderr
        self.results = results
        self.roles_mb = {role: kb / 1024.0 for role, kb in sampler.by_role().items()} if sampler else {}
        self.sum_peak_mb = sampler.sum_peak_kb / 1024.0 if sampler else None

    def task(self, name):
        return self.results.get(name) or {}

    def tail(self):
        return (self.stdout + self.stderr)[-1500:]


class Ansible:
    """Runs ansible-playbook and ansible the way tests/integration/conftest.py does, measured."""

    def __init__(self, workdir, bin_dir):
        self.workdir = Path(workdir)
        self.bin_dir = Path(bin_dir).resolve()
        link = self.workdir / "collections" / "ansible_collections" / "cdnops" / "cdn"
        link.parent.mkdir(parents=True)
        link.symlink_to(ROOT)
        self.collections = self.workdir / "collections"
        self.inventory = self.workdir / "inventory.ini"
        self.inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "IMAGEKIT_", "IMAGEMASH_", "FIVECENTSCDN_", "GOTIPATH_"))
        }
        self.env.update(
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_HOST_KEY_CHECKING="0",
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "tmp"),
            ANSIBLE_REMOTE_TMP=str(self.workdir / "remote_tmp"),
            ANSIBLE_DEPRECATION_WARNINGS="0",
            ANSIBLE_CALLBACK_PLUGINS=str(BENCH / "callback_plugins"),
            ANSIBLE_CALLBACKS_ENABLED="bench_result",
            PATH=str(self.bin_dir) + os.pathsep + os.environ.get("PATH", ""),
        )
        self.counter = 0

    def version(self):
        out = subprocess.run([str(self.bin_dir / "ansible"), "--version"], capture_output=True, text=True, env=self.env, check=False).stdout  # noqa: S603
        match = re.search(r"core ([0-9][^\]\s]*)", out)
        return match.group(1) if match else "unknown"

    def vars_file(self, name, data):
        path = self.workdir / ("%s.json" % name)
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    def playbook(self, playbook, vars_path, sample=False, env=None):
        command = [str(self.bin_dir / "ansible-playbook"), "-i", str(self.inventory), str(PLAYBOOKS / playbook), "-e", "@%s" % vars_path]
        return self.measure(playbook, command, sample, env)

    def ping(self):
        command = [str(self.bin_dir / "ansible"), "localhost", "-i", str(self.inventory), "-m", "ansible.builtin.ping"]
        return self.measure("ping", command)

    def measure(self, label, command, sample=False, env=None):
        self.counter += 1
        base = self.workdir / ("run%03d" % self.counter)
        files = {kind: "%s.%s" % (base, kind) for kind in ("json", "stdout", "stderr", "results")}
        environment = dict(self.env, CDN_BENCH_RESULT_FILE=files["results"])
        environment.update(env or {})
        wrapper = [sys.executable, str(Path(__file__).resolve()), "--_exec", files["json"], files["stdout"], files["stderr"], "--", *command]
        process = subprocess.Popen(wrapper, cwd=self.workdir, env=environment)  # noqa: S603
        sampler = None
        if sample:
            sampler = TreeSampler(process.pid)
            sampler.start()
        process.wait()
        if sampler:
            sampler.stop_event.set()
            sampler.join()
        data = json.loads(Path(files["json"]).read_text(encoding="utf-8"))
        results = json.loads(Path(files["results"]).read_text(encoding="utf-8")) if os.path.exists(files["results"]) else {}
        stdout, stderr = (Path(files[kind]).read_text(encoding="utf-8", errors="replace") for kind in ("stdout", "stderr"))
        return Run(label, data, stdout, stderr, results, sampler)


# --------------------------------------------------------------------------------------------- the benchmark


class Bench:
    def __init__(self, args, sizes, workdir, emulator, ansible):
        self.args = args
        self.sizes = sizes
        self.workdir = Path(workdir)
        self.emulator = emulator
        self.ansible = ansible
        self.latency = args.latency_ms
        self.concurrency = default_concurrency()
        self.rows = []
        self.failures = []
        self.notes = []
        self.profiles = []
        self.verdicts = []
        self.a_median = self.l_value = self.b_value = self.c_median = None

    # --- bookkeeping ---------------------------------------------------------------------------
    def check(self, row_id, problems):
        """Record the correctness problems of one benchmark; return the text for the table."""
        for problem in problems:
            self.failures.append("%s: %s" % (row_id, problem))
        return "ok" if not problems else "WRONG (%d problem%s, see below)" % (len(problems), "s" if len(problems) > 1 else "")

    def row(self, row_id, what, runs="", median="", best="", cpu="", rss="", target="", check=""):
        self.rows.append((row_id, what, str(runs), median, best, cpu, rss, target, check))

    def runs_row(self, row_id, what, runs, target="", check="", median=None, best=None):
        """A row from measured commands: median and best wall time, median CPU time, largest peak RSS."""
        self.row(
            row_id,
            what,
            len(runs),
            "%.2f s" % (statistics.median(run.wall for run in runs) if median is None else median),
            "" if len(runs) < 2 and best is None else "%.2f s" % (min(run.wall for run in runs) if best is None else best),
            "%.2f s" % statistics.median(run.cpu for run in runs),
            "%.0f MB" % max(run.maxrss_mb for run in runs),
            target,
            check,
        )

    def target(self, name, holds, text):
        if self.args.smoke:
            return "%s: n/a (smoke)" % text
        self.verdicts.append((name, holds))
        return "%s %s" % (text, "✓" if holds else "✗")

    # --- correctness -----------------------------------------------------------------------------
    def imagekit_problems(self, run, urls, concurrency, task="cdn_purge", entries=None):
        """Exactly the URLs asked for were purged, each once, with no other request; the result agrees."""
        problems = []
        if run.rc != 0:
            problems.append("exit status %d: %s" % (run.rc, run.tail()))
        entries = self.emulator.log() if entries is None else entries
        purges = [entry for entry in entries if entry["kind"] == "purge"]
        others = [entry for entry in entries if entry["kind"] != "purge"]
        sent = [(entry.get("body") or {}).get("url") for entry in purges]
        if len(purges) != len(urls) or others:
            problems.append("the emulator saw %d purge requests and %d other requests; expected exactly %d purges" % (len(purges), len(others), len(urls)))
        if sorted(sent) != sorted(urls):
            problems.append("the URLs purged differ from the %d URLs asked for (%d distinct sent)" % (len(urls), len(set(sent))))
        if not all(entry["accepted"] and entry["status"] == 201 for entry in purges):
            problems.append("some purge requests were not accepted with 201")
        if task is not None:
            result = run.task(task)
            if result.get("failed") or not result.get("changed"):
                problems.append("task result: failed=%s changed=%s %s" % (result.get("failed"), result.get("changed"), result.get("msg", "")))
            if result.get("api_requests") != len(purges) or result.get("n_paths") != len(urls):
                problems.append("result api_requests=%s paths=%s, emulator purges=%d" % (result.get("api_requests"), result.get("n_paths"), len(purges)))
            if result.get("request_ids") is not None and set(result["request_ids"]) != {entry["request_id"] for entry in purges}:
                problems.append("result request_ids differ from the ids the emulator returned")
        connections = {entry["connection"] for entry in entries}
        if concurrency is not None and len(connections) > concurrency:
            problems.append("%d TCP connections for concurrency %d: the connection pool is not reused" % (len(connections), concurrency))
        if concurrency == 1:
            times = sorted(entry["time"] for entry in purges)
            overlaps = sum(1 for first, second in zip(times, times[1:], strict=False) if second - first < self.latency / 1000.0 * 0.9)
            if overlaps:
                problems.append("%d requests started less than the latency after the previous one with concurrency 1" % overlaps)
        return problems, len(connections)

    # --- A, L, C, B ------------------------------------------------------------------------------
    def run_imagekit(self):
        urls = imagekit_urls(self.sizes["a"])
        base = {"bench_provider": "imagekit", "bench_api_base_url": self.emulator.url, "bench_url_endpoint": IMAGEKIT["url_endpoint"]}
        base["bench_api_key"] = IMAGEKIT["api_key"]
        vars_a = self.ansible.vars_file("a", dict(base, bench_paths=urls))
        vars_c = self.ansible.vars_file("c", dict(base, bench_paths=urls, bench_concurrency=1))
        vars_none = self.ansible.vars_file("none", {})
        a_runs, l_runs, p_runs, a_problems, l_problems, connections = [], [], [], [], [], set()
        log("A and L, interleaved, %d rounds (A: %d URLs)" % (self.sizes["repeat"], len(urls)))
        for _round in range(self.sizes["repeat"]):
            ping = self.ansible.ping()
            l_runs.append(ping)
            if ping.rc != 0 or '"pong"' not in ping.stdout:
                l_problems.append("ping failed: %s" % ping.tail())
            baseline = self.ansible.playbook("ping.yml", vars_none)
            p_runs.append(baseline)
            if baseline.rc != 0:
                l_problems.append("ping playbook failed: %s" % baseline.tail())
            self.emulator.reset()
            run = self.ansible.playbook("cdn_purge.yml", vars_a)
            problems, used = self.imagekit_problems(run, urls, self.concurrency)
            a_problems.extend(problems)
            connections.add(used)
            a_runs.append(run)
        self.a_median = statistics.median(run.wall for run in a_runs)
        ping_median = statistics.median(run.wall for run in l_runs)
        requests_time = math.ceil(len(urls) / self.concurrency) * self.latency / 1000.0
        self.l_value = ping_median + requests_time
        connections_text = "; %s TCP connection(s)" % "/".join(str(count) for count in sorted(connections))
        self.runs_row(
            "A",
            "cdn_purge, %d ImageKit URLs, default concurrency (%d)" % (len(urls), self.concurrency),
            a_runs,
            check=self.check("A", a_problems) + connections_text,
        )
        self.runs_row(
            "L",
            "limit: ansible -m ping %.2f s + ceil(%d/%d) x %g ms (%.2f s)" % (ping_median, len(urls), self.concurrency, self.latency, requests_time),
            l_runs,
            check=self.check("L", l_problems),
            median=self.l_value,
            best=min(run.wall for run in l_runs) + requests_time,
        )
        self.runs_row("A0", "(breakdown of A) ansible-playbook with one ping task", p_runs)
        payload = self.keep_payload("A1", vars_a)
        if payload:
            module_runs, problems = [], []
            for _round in range(self.sizes["repeat"]):
                self.emulator.reset()
                module_run = self.ansible.measure("payload", [sys.executable, payload])
                module_runs.append(module_run)
                problems.extend(self.imagekit_problems(module_run, urls, self.concurrency, task=None)[0])
            self.runs_row(
                "A1",
                "(breakdown of A) the module alone: its AnsiballZ payload run directly (ideal: ceil(%d/%d) x %g ms = %.2f s + start-up)"
                % (len(urls), self.concurrency, self.latency, requests_time),
                module_runs,
                check=self.check("A1", problems),
            )

        log("C: concurrency 1, %d rounds" % self.sizes["repeat_c"])
        c_runs, c_problems = [], []
        for _round in range(self.sizes["repeat_c"]):
            self.emulator.reset()
            run = self.ansible.playbook("cdn_purge.yml", vars_c)
            c_problems.extend(self.imagekit_problems(run, urls, 1)[0])
            c_runs.append(run)
        self.c_median = statistics.median(run.wall for run in c_runs)
        self.runs_row("C", "cdn_purge, the same URLs, concurrency 1", c_runs, check=self.check("C", c_problems))

        if self.args.skip_uri:
            self.row("B", "ansible.builtin.uri + loop: skipped (--skip-uri)")
        else:
            b_urls = urls[: self.sizes["b"]]
            log("B: uri + loop, %d URLs, once (the slow one)" % len(b_urls))
            self.emulator.reset()
            run = self.ansible.playbook("uri_loop.yml", self.ansible.vars_file("b", dict(base, bench_paths=b_urls)))
            problems = self.imagekit_problems(run, b_urls, None, task=None)[0]
            loop = run.task("uri_loop")
            if loop.get("loop_items") != len(b_urls) or loop.get("loop_failed") or loop.get("loop_status") != {"201": len(b_urls)}:
                problems.append("uri loop results: %s" % {key: loop.get(key) for key in ("loop_items", "loop_failed", "loop_status", "msg")})
            # B/A compares the same work only: the smoke run loops over fewer URLs and has no ratio.
            self.b_value = run.wall if len(b_urls) == len(urls) else None
            self.runs_row("B", "ansible.builtin.uri + loop, %d ImageKit URLs" % len(b_urls), [run], check=self.check("B", problems))
        if self.b_value:
            ratio = self.b_value / self.a_median
            self.row(
                "B/A", "uri loop over cdn_purge", median="%.1f" % ratio, target=self.target("B/A", ratio >= TARGETS["b_over_a"], ">= %g" % TARGETS["b_over_a"])
            )
        self.row("C/A", "concurrency 1 over the default", median="%.1f" % (self.c_median / self.a_median))
        ratio = self.a_median / self.l_value
        self.row(
            "A/L", "cdn_purge over the limit", median="%.2f" % ratio, target=self.target("A/L", ratio <= TARGETS["a_over_l"], "<= %g" % TARGETS["a_over_l"])
        )

    # --- P: planning 100,000 paths -----------------------------------------------------------------
    def plan_vars(self, name, paths):
        data = {"bench_provider": "imagemash", "bench_api_base_url": self.emulator.url, "bench_domain": IMAGEMASH["domain"]}
        data.update(bench_api_key=IMAGEMASH["api_key"], bench_paths=paths, bench_check_mode=True)
        return self.ansible.vars_file(name, data)

    def run_plan(self):
        total = self.sizes["plan"]
        paths, expected = imagemash_paths(total, seed=5)
        n_batches = math.ceil(len(expected) / BATCH)
        vars_p = self.plan_vars("plan", paths)
        vars_v = self.ansible.vars_file("plan_vars_only", {"bench_paths": paths})
        runs, floor, problems = [], [], []
        log("P: plan %d ImageMash paths in check mode, %d rounds (interleaved with the vars-only floor)" % (total, self.sizes["repeat_plan"]))
        for _round in range(self.sizes["repeat_plan"]):
            floor.append(self.ansible.playbook("vars_only.yml", vars_v, sample=True))
            self.emulator.reset()
            run = self.ansible.playbook("cdn_purge.yml", vars_p, sample=True)
            runs.append(run)
            problems.extend(self.plan_problems(run, expected, total, n_batches))
        wall = statistics.median(run.wall for run in runs)
        rss = max(run.maxrss_mb for run in runs)
        target_text = "%s; %s" % (
            self.target("plan time", wall < TARGETS["plan_seconds"], "< %g s" % TARGETS["plan_seconds"]),
            self.target("plan memory", rss < TARGETS["plan_mb"], "< %g MB" % TARGETS["plan_mb"]),
        )
        what = "plan %s ImageMash paths (30%% dup, 20%% covered), check mode: %s paths in %d requests" % (
            format(total, ","),
            format(len(expected), ","),
            n_batches,
        )
        self.runs_row("P", what, runs, target=target_text, check=self.check("P", problems))
        self.row("P.mem", "(breakdown of P) peak RSS per process: %s" % self.roles_text(runs))
        self.runs_row(
            "P1",
            "(breakdown of P) ansible-playbook loading the same vars file, one debug task, no module",
            floor,
            check=self.check("P1", [run.tail() for run in floor if run.rc]),
        )
        self.row("P1.mem", "(breakdown of P1) peak RSS per process: %s" % self.roles_text(floor))
        self.plan_breakdown(paths, expected, n_batches)

    @staticmethod
    def roles_text(runs):
        roles = {}
        for run in runs:
            for role, mb in run.roles_mb.items():
                roles[role] = max(roles.get(role, 0), mb)
        parts = ["%s %.0f MB" % (role, roles[role]) for role in ("controller", "worker", "module") if role in roles]
        return "%s; sum of the tree, sampled: %.0f MB" % (", ".join(parts) or "not sampled", max(run.sum_peak_mb or 0 for run in runs))

    def plan_problems(self, run, expected, total, n_batches):
        result = run.task("cdn_purge")
        if run.rc != 0 or result.get("failed"):
            return ["exit status %d, %s: %s" % (run.rc, result.get("msg"), run.tail())]
        problems = []
        wanted = {
            "changed": True,
            "n_paths": len(expected),
            "paths_digest": digest(expected),
            "skipped": {"duplicate": total * 3 // 10, "covered_by_prefix": total * 2 // 10},
            "n_purge_requests": n_batches,
            "batched_digest": digest(expected),
            "n_batched": len(expected),
            "max_batch": min(BATCH, len(expected)),
            "api_requests": 0,
        }
        for key, value in wanted.items():
            if result.get(key) != value:
                problems.append("%s is %r, expected %r" % (key, result.get(key), value))
        sent = self.emulator.log()
        if sent:
            problems.append("check mode sent %d requests" % len(sent))
        return problems

    def plan_breakdown(self, paths, expected, n_batches):
        """Where P's time goes: the module on its own (its AnsiballZ payload), and its parts in-process."""
        repeat = self.sizes["repeat_plan"]
        payload = self.keep_payload("P2", self.plan_vars("plan_keep", paths))
        if not payload:
            return
        module_runs, problems, sizes = [], [], ""
        for _round in range(repeat):
            module_run = self.ansible.measure("payload", [sys.executable, payload])
            module_runs.append(module_run)
            try:
                result = json.loads(module_run.stdout)
                if len(result["paths"]) != len(expected) or len(result["purge_requests"]) != n_batches:
                    problems.append("payload result: %d paths, %d requests" % (len(result["paths"]), len(result["purge_requests"])))
                sizes = "; %.1f MB of JSON out, %.1f MB of it the invocation echo of the input" % (
                    len(module_run.stdout) / 1e6,
                    len(json.dumps(result.get("invocation"))) / 1e6,
                )
            except (ValueError, KeyError) as exc:
                problems.append("payload output is not the module result (%s): %s" % (exc, module_run.tail()))
        self.runs_row("P2", "(breakdown of P) the module alone: its AnsiballZ payload run directly%s" % sizes, module_runs, check=self.check("P2", problems))
        if self.args.profile:
            self.profile_plan(self.plan_vars("plan_profile", paths), payload)
        parts = self.in_process_parts(paths, repeat)
        if parts:
            for row_id, what, (wall, cpu) in parts:
                self.row(row_id, "(breakdown of P2) in-process: %s" % what, repeat, "", "%.2f s" % wall, "%.2f s" % cpu)

    def profile_plan(self, vars_path, payload):
        """--profile: cProfile the P run (main process, worker) and the module payload; print the top functions."""
        outdir = self.workdir / "profiles"
        tool = str(BENCH / "profile_ansible.py")
        python = str(self.ansible.bin_dir / "python")
        command = [str(self.ansible.bin_dir / "ansible-playbook"), "-i", str(self.ansible.inventory), str(PLAYBOOKS / "cdn_purge.yml"), "-e", "@%s" % vars_path]
        log("profiling P (cProfile makes it 2-3 times slower)")
        self.ansible.measure("profile", [python, tool, str(outdir), "--", *command])
        if payload:
            self.ansible.measure("profile", [python, tool, str(outdir), "--payload", payload])
        for path in sorted(outdir.glob("*.prof")):
            self.profiles.append(profile_summary(path))

    def keep_payload(self, row_id, vars_path):
        """Run cdn_purge.yml once keeping the module's AnsiballZ payload (the module with its arguments); return its path."""
        keep = self.workdir / ("kept_remote_tmp_%s" % row_id)
        self.emulator.reset()
        run = self.ansible.playbook("cdn_purge.yml", vars_path, env={"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TMP": str(keep)})
        payloads = sorted(keep.glob("ansible-tmp-*/AnsiballZ_cdn_purge.py"))
        if run.rc != 0 or not payloads:
            self.row(row_id, "(breakdown) the module alone: could not keep its AnsiballZ payload", check=self.check(row_id, [run.tail()]))
            return None
        return str(payloads[-1])

    def collection_imports(self):
        sys.path.insert(0, str(self.ansible.collections))
        try:
            from ansible.module_utils.common.parameters import remove_values

            from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for
            from ansible_collections.cdnops.cdn.plugins.module_utils._planner import plan_purge
            from ansible_collections.cdnops.cdn.plugins.module_utils._runner import run_purge
        except ImportError as exc:
            self.notes.append("in-process measurements skipped (run with the Python that has ansible-core): %s" % exc)
            return None
        return remove_values, provider_for, plan_purge, run_purge

    def params(self, provider, paths, **options):
        """cdn_purge's params as AnsibleModule would pass them: the real argument spec's defaults plus these."""
        from ansible_collections.cdnops.cdn.plugins.module_utils._options import default_params
        from ansible_collections.cdnops.cdn.plugins.modules.cdn_purge import OPTIONS

        values = dict(
            provider=provider,
            api_base_url=self.emulator.url,
            paths=paths,
            concurrency=self.concurrency,
            idempotency_file=str(self.workdir / "ledger.json"),
        )
        values.update(options)
        return default_params(OPTIONS, **values)

    @staticmethod
    def best(function, repeat):
        """(best wall, best CPU) seconds of function() over repeat calls, and its last value."""
        walls, cpus, value = [], [], None
        for _round in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            value = function()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        return (min(walls), min(cpus)), value

    def in_process_parts(self, paths, repeat):
        """The module's parts, timed in this process: planner, run_purge, then what exit_json does with the result."""
        imports = self.collection_imports()
        if not imports:
            return None
        remove_values, provider_for, plan_purge, run_purge = imports
        params = self.params("imagemash", paths, domain=IMAGEMASH["domain"], api_key=IMAGEMASH["api_key"])
        planner, _plan = self.best(lambda: plan_purge(provider_for(params), paths, BATCH, 1000), repeat)
        runner, result = self.best(lambda: run_purge(params, check_mode=True), repeat)
        scrub, _scrubbed = self.best(lambda: remove_values(result, {IMAGEMASH["api_key"]}), repeat)
        dump, _dumped = self.best(lambda: json.dumps(result), repeat)
        return [
            ("P3", "the planner (validate, drop duplicates and covered paths, batches)", planner),
            ("P4", "run_purge in check mode (the planner and the result dict)", runner),
            ("P5", "Ansible's no_log scrub of that result (remove_values, in exit_json)", scrub),
            ("P6", "json.dumps of that result", dump),
        ]

    # --- S: does anything grow faster than n log n? --------------------------------------------------
    def run_scaling(self):
        """CPU time of the planner and of result building at doubling sizes; about x2 per doubling is linear."""
        imports = self.collection_imports()
        if not imports:
            return
        _remove_values, provider_for, plan_purge, run_purge = imports
        sizes = self.sizes["scaling"]
        log("S: scaling of the planner and of result building, %s paths" % "/".join(str(size) for size in sizes))
        cases = []
        plan_cpu, ledger_cpu = [], []
        for size in sizes:
            paths = imagemash_paths(size, seed=31)[0]
            params = self.params("imagemash", paths, domain=IMAGEMASH["domain"], api_key=IMAGEMASH["api_key"])
            plan_cpu.append(self.best(lambda params=params, paths=paths: plan_purge(provider_for(params), paths, BATCH, 10**9), 3)[0][1])
            # An idempotent rerun where every ImageKit URL was accepted before (one request id each): nothing is
            # sent, and the result lists every path as already accepted with its id.
            urls = imagekit_urls(size)
            ledger = self.workdir / ("ledger-%d.json" % size)
            key = "bench-%d" % size
            self.write_ledger(ledger, key, urls)
            params = self.params("imagekit", urls, url_endpoint=IMAGEKIT["url_endpoint"], api_key=IMAGEKIT["api_key"], idempotency_key=key)
            params.update(idempotency_file=str(ledger), max_requests=10**9)
            (_wall, cpu), result = self.best(lambda params=params: run_purge(params), 3)
            ledger_cpu.append(cpu)
            if result["changed"] or len(result["request_ids"]) != size or len(result["skipped_paths"]) != size or result["api_requests"]:
                self.failures.append(
                    "S: idempotent rerun of %d URLs: changed=%s ids=%d skipped=%d"
                    % (size, result["changed"], len(result["request_ids"]), len(result["skipped_paths"]))
                )
        cases.append(("S1", "planner, ImageMash paths (30% dup, 20% covered)", plan_cpu))
        cases.append(("S2", "run_purge, idempotent rerun: every ImageKit URL already accepted, one id each", ledger_cpu))
        for row_id, what, cpus in cases:
            growth = [later / earlier for earlier, later in zip(cpus, cpus[1:], strict=False) if earlier > 0]
            worst = max(growth) if growth else 0
            self.row(
                row_id,
                "(scaling) %s: CPU at %s paths = %s; growth per doubling %s"
                % (what, "/".join(format(size, ",") for size in sizes), "/".join("%.2f" % cpu for cpu in cpus), "/".join("x%.1f" % g for g in growth)),
                3,
                # n log n is a little over x2; a quadratic step is x4. Larger lists also cost more per element
                # (CPU caches, the garbage collector's full passes), so x2-x3 is what linear code shows here.
                target=self.target("%s scaling" % row_id, worst < 3.0, "< x3 per doubling (quadratic: x4)"),
            )

    @staticmethod
    def write_ledger(path, key, urls):
        """A ledger in _ledger.py's format with every URL accepted under its own request id."""
        scope = json.dumps(["imagekit", IMAGEKIT["url_endpoint"], key])
        entry = {"provider": "imagekit", "target": IMAGEKIT["url_endpoint"], "idempotency_key": key, "paths": {url: "id%07d" % i for i, url in enumerate(urls)}}
        path.write_text(json.dumps({"version": 1, "entries": {scope: entry}}), encoding="utf-8")

    # --- R: requests sent versus the minimum ------------------------------------------------------------
    def run_minimum(self):
        total = self.sizes["minimum"]
        mash, mash_expected = imagemash_paths(total, seed=11)
        cents, cents_expected = fivecents_paths(total, seed=12)
        goti, goti_expected = gotipath_paths(total, seed=13)
        data = {
            "bench_api_base_url": self.emulator.url,
            "bench_imagemash": dict(IMAGEMASH, paths=mash),
            "bench_5centscdn": dict(FIVECENTS, paths=cents),
            "bench_gotipath": dict(GOTIPATH, paths=goti),
        }
        log("R: requests sent versus the minimum, %d paths per provider" % total)
        self.emulator.reset()
        run = self.ansible.playbook("minimum.yml", self.ansible.vars_file("minimum", data))
        entries = self.emulator.log()
        cases = [
            ("R1", "imagemash", "ImageMash", {"url": mash_expected}, {"url": BATCH}),
            ("R2", "5centscdn", "5centsCDN", {"url": cents_expected}, {"url": BATCH}),
            ("R3", "gotipath", "Gotipath", goti_expected, {"url": BATCH, "pattern": GOTIPATH_PATTERN_BATCH}),
        ]
        for row_id, provider, title, expected, limits in cases:
            mine = [entry for entry in entries if entry["provider"] == provider]
            purges = [entry for entry in mine if entry["kind"] == "purge"]
            problems = [] if run.rc == 0 else ["exit status %d: %s" % (run.rc, run.tail())]
            minimum = sum(math.ceil(len(expected[kind]) / limits[kind]) for kind in expected)
            result = run.task(provider)
            if len(mine) != len(purges) or not all(entry["accepted"] for entry in purges):
                problems.append("%d requests, %d of them accepted purges" % (len(mine), sum(1 for entry in purges if entry["accepted"])))
            for kind in expected:
                of_kind = [entry for entry in purges if (entry.get("purge_type") or "url") == kind]
                sent = [path for entry in of_kind for path in entry["purged"]]
                if sorted(sent) != sorted(expected[kind]):
                    problems.append("%s paths sent differ from the %d unique uncovered ones (%d sent)" % (kind, len(expected[kind]), len(sent)))
                if of_kind and max(len(entry["purged"]) for entry in of_kind) > limits[kind]:
                    problems.append("a %s batch is above the limit of %d" % (kind, limits[kind]))
            if result.get("api_requests") != len(mine):
                problems.append("result api_requests=%s, the emulator saw %d" % (result.get("api_requests"), len(mine)))
            detail = " + ".join("ceil(%d/%d)" % (len(expected[kind]), limits[kind]) for kind in expected)
            self.row(
                row_id,
                "%s, %s paths: requests sent / minimum %s" % (title, format(total, ","), detail),
                1,
                "%d / %d" % (len(mine), minimum),
                target=self.target("%s requests" % title, len(mine) == minimum, "= minimum"),
                check=self.check(row_id, problems),
            )

    def run_wait(self):
        urls = imagekit_urls(self.sizes["wait_imagekit"])
        mash, mash_expected = imagemash_paths(self.sizes["wait_imagemash"], seed=21)
        data = {"bench_api_base_url": self.emulator.url, "bench_imagekit": dict(IMAGEKIT, paths=urls), "bench_imagemash": dict(IMAGEMASH, paths=mash)}
        log("W: purge and wait (ImageKit %d URLs, ImageMash %d paths)" % (len(urls), len(mash)))
        self.emulator.reset()
        # Completed at once, so the first status poll is the only one needed: any further request is waste.
        self.emulator.configure(imagekit_complete_after=0, imagemash_complete_after=0)
        run = self.ansible.playbook("wait.yml", self.ansible.vars_file("wait", data))
        entries = self.emulator.log()
        self.emulator.reset()
        kit = [entry for entry in entries if entry["provider"] == "imagekit"]
        problems = self.imagekit_problems(run, urls, self.concurrency, task=None, entries=[entry for entry in kit if entry["kind"] == "purge"])[0]
        ids = [entry["request_id"] for entry in kit if entry["kind"] == "purge"]
        polled = [entry["request_id"] for entry in kit if entry["kind"] == "status"]
        if sorted(polled) != sorted(ids) or len(kit) != 2 * len(urls):
            problems.append("%d status GETs for %d purge ids (%d distinct); expected one each" % (len(polled), len(ids), len(set(polled))))
        result = run.task("imagekit_wait")
        if run.rc != 0 or result.get("status") != "Completed" or result.get("api_requests") != len(kit):
            problems.append(
                "exit %d, status %s, api_requests %s vs %d seen: %s"
                % (run.rc, result.get("status"), result.get("api_requests"), len(kit), result.get("msg", ""))
            )
        connections = len({entry["connection"] for entry in kit})
        if connections > self.concurrency:
            problems.append("%d TCP connections for concurrency %d" % (connections, self.concurrency))
        self.row(
            "W1",
            "ImageKit, %d URLs, wait: requests sent / minimum %d purges + %d status GETs" % (len(urls), len(urls), len(urls)),
            1,
            "%d / %d" % (len(kit), 2 * len(urls)),
            target=self.target("ImageKit wait requests", len(kit) == 2 * len(urls), "= minimum"),
            check=self.check("W1", problems) + "; %d TCP connection(s)" % connections,
        )
        mine = [entry for entry in entries if entry["provider"] == "imagemash"]
        lists = [entry for entry in mine if entry["kind"] == "list"]
        purges = [entry for entry in mine if entry["kind"] == "purge"]
        minimum = math.ceil(len(mash_expected) / BATCH) + 1
        result = run.task("imagemash_wait")
        problems = []
        if sorted(path for entry in purges for path in entry["purged"]) != sorted(mash_expected):
            problems.append("the paths purged differ from the unique uncovered ones")
        if run.rc != 0 or result.get("status") != "Completed" or result.get("api_requests") != len(mine):
            problems.append("exit %d, status %s, api_requests %s vs %d seen" % (run.rc, result.get("status"), result.get("api_requests"), len(mine)))
        self.row(
            "W2",
            "ImageMash, %s paths, wait: requests sent / minimum ceil(%d/%d) purges + 1 getPurgeList" % (format(len(mash), ","), len(mash_expected), BATCH),
            1,
            "%d / %d" % (len(mine), minimum),
            target=self.target("ImageMash wait requests", len(mine) == minimum, "= minimum"),
            check=self.check("W2", problems) + "; %d list call(s)" % len(lists),
        )

    # --- output --------------------------------------------------------------------------------------
    def table(self):
        header = ("id", "measurement", "runs", "median", "best", "CPU", "peak RSS", "target", "correctness")
        rows = [header] + self.rows
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]

        def line(row):
            return "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |"

        out = [line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
        out.extend(line(row) for row in self.rows)
        return "\n".join(out)


def profile_summary(path, count=14):
    """The functions that take the most time in one cProfile file, without the wrappers that enclose everything."""
    stats = pstats.Stats(str(path), stream=io.StringIO()).stats
    total = max(cumulative for _cc, _nc, _tt, cumulative, _callers in stats.values())

    def name(function):
        filename, line, function_name = function
        short = re.sub(r"^.*/lib/python3\.\d+/", "", filename.split("site-packages/")[-1].split(".zip/")[-1])
        return "%s:%d(%s)" % (short, line, function_name) if line else function_name

    # Wrappers (main(), run(), ...) include nearly everything; below 60 % of the total the picture shows.
    inner = [(value[3], value[2], function) for function, value in stats.items() if value[3] < 0.6 * total and not function[0].startswith("<frozen")]
    lines = ["%s: %.1f s under cProfile (2-3 times the real time); largest cumulative (self) times:" % (path.name, total)]
    lines.extend("    %6.2f s (%5.2f s)  %s" % (cumulative, own, name(function)) for cumulative, own, function in sorted(inner, reverse=True)[:count])
    return "\n".join(lines)


def _git(*arguments):
    completed = subprocess.run(["git", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=False)  # noqa: S603, S607
    return completed.stdout.strip() if completed.returncode == 0 else None


def collection_version():
    """The commit measured, and the state of plugins/ (what the benchmark really runs)."""
    commit = _git("rev-parse", "--short", "HEAD")
    if commit is None:
        return "not a git checkout"
    dirty = " + uncommitted changes" if _git("status", "--porcelain", "--", "plugins") else ""
    return "git %s, plugins/ tree %s%s" % (commit, _git("rev-parse", "--short", "HEAD:plugins"), dirty)


def plugins_state():
    """Changes when anything under plugins/ changes, committed or not (others may work in the same tree)."""
    return _git("rev-parse", "HEAD:plugins"), _git("diff", "HEAD", "--", "plugins")


def machine_info(ansible, emulator):
    load = os.getloadavg()
    versions = []
    for name in ("requests", "urllib3"):
        with contextlib.suppress(ImportError):
            versions.append("%s %s" % (name, __import__(name).__version__))
    return [
        "machine: nproc %d, %s %s, Python %s, ansible-core %s, %s; load average %.1f %.1f %.1f"
        % (os.cpu_count(), platform.system(), platform.machine(), platform.python_version(), ansible.version(), ", ".join(versions), *load),
        "collection: %s (%s)" % (ROOT, collection_version()),
        "emulator: tests/emulator/cdn_emulator.py, --latency-ms %g; measured round trip of one request on a kept-alive connection %.1f ms"
        % (emulator.latency_ms, emulator.round_trip_ms()),
    ]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_exec"]:
        return exec_measured(argv[1:])
    parser = argparse.ArgumentParser(description="cdnops.cdn bulk-purge benchmark (docs/performance.md)")
    parser.add_argument("--smoke", action="store_true", help="small sizes, one run each: a correctness check for CI")
    parser.add_argument("--repeat", type=int, help="rounds of A/L/P (default 5 for A and L, 3 for C and P; 1 with --smoke)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="emulator latency per request (default 20)")
    parser.add_argument("--skip-uri", action="store_true", help="leave out B, the slow uri loop (no B/A ratio)")
    parser.add_argument("--ansible-bin-dir", default=os.path.dirname(sys.executable), help="where ansible and ansible-playbook are (default: this Python's)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (vars files, outputs)")
    parser.add_argument("--profile", action="store_true", help="also cProfile one P run (controller, worker, module) and print the top functions")
    parser.add_argument("--only", default=",".join(STEPS), help="comma list of steps to run, of: %s (default: all)" % ", ".join(STEPS))
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    if not args.only or set(args.only) - set(STEPS):
        parser.error("--only takes a comma list of: %s" % ", ".join(STEPS))
    sizes = dict(SMOKE if args.smoke else FULL)
    if args.repeat:
        sizes.update(repeat=args.repeat, repeat_c=args.repeat, repeat_plan=args.repeat)
    for tool in ("ansible", "ansible-playbook"):
        if not os.access(os.path.join(args.ansible_bin_dir, tool), os.X_OK):
            parser.error("%s not found in %s (run `make venv`, or give --ansible-bin-dir)" % (tool, args.ansible_bin_dir))

    workdir = tempfile.mkdtemp(prefix="cdn-bench-")
    plugins_at_start = plugins_state()
    emulator = None
    started = time.monotonic()
    try:
        emulator = Emulator(workdir, args.latency_ms)
        ansible = Ansible(workdir, args.ansible_bin_dir)
        bench = Bench(args, sizes, workdir, emulator, ansible)
        header = machine_info(ansible, emulator)
        for name in args.only:
            step = getattr(bench, "run_" + name)
            try:
                step()
            except Exception:  # noqa: BLE001 - one broken step must not hide the others' results
                bench.failures.append("%s raised: %s" % (step.__name__, traceback.format_exc()))
        print()
        print("cdnops.cdn bulk-purge benchmark (%s run, %s)" % ("smoke" if args.smoke else "full", time.strftime("%Y-%m-%d %H:%M %Z")))
        for line in header:
            print(line)
        print()
        print(bench.table())
        print()
        print(
            "median/best: wall seconds of the whole command over the runs; peak RSS: ru_maxrss of RUSAGE_CHILDREN, the largest "
            "single process of the command's tree (not a sum). B is measured once."
        )
        if plugins_state() != plugins_at_start:
            bench.notes.append("plugins/ changed during the run (now %s): rows may mix two versions of the collection" % collection_version())
        for note in bench.notes:
            print("note: %s" % note)
        for profile in bench.profiles:
            print(profile)
        if not args.smoke:
            held = [name for name, holds in bench.verdicts if holds]
            missed = [name for name, holds in bench.verdicts if not holds]
            print("targets held: %s" % (", ".join(held) or "none"))
            print("targets missed: %s (timing and memory never fail the run)" % (", ".join(missed) or "none"))
        print("total benchmark time: %.0f s; load average at the end %.1f %.1f %.1f" % (time.monotonic() - started, *os.getloadavg()))
        if bench.failures:
            print()
            print("CORRECTNESS FAILURES (%d):" % len(bench.failures))
            for failure in bench.failures:
                print("  - " + failure)
            return 1
        print("correctness: every benchmark's answer checked against the emulator log and the module result: ok")
        return 0
    except (RuntimeError, OSError) as exc:
        print("setup error: %s" % exc, file=sys.stderr)
        return 2
    finally:
        if emulator is not None:
            emulator.stop()
        if args.keep:
            print("work directory kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
