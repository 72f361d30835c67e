# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state every step shares: the rows of the table, correctness failures, notes, verdicts, and shared checks."""

import statistics
from pathlib import Path

from bench.config import default_concurrency, emulator_account


class Bench:
    """One benchmark run: its options and sizes, the emulator and ansible, and what the steps found."""

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

    def purge_vars(self, name, provider, paths, **options):
        """A vars file for cdn_purge.yml: provider, the emulator's default target and credentials, paths, options.

        Every module option is passed as bench_<option>; the playbook leaves out the ones a file does not set
        (paths too, when None: for paths_file alone).
        """
        data = {"bench_provider": provider, "bench_api_base_url": self.emulator.url}
        if paths is not None:
            data["bench_paths"] = paths
        data.update(("bench_%s" % key, value) for key, value in dict(emulator_account(provider), **options).items())
        return self.ansible.vars_file(name, data)

    # --- correctness -----------------------------------------------------------------------------
    def one_per_request_problems(self, run, sent, concurrency, task="cdn_purge", entries=None):
        """One item per request (ImageKit, Fastly): each of sent (as the emulator logs it) accepted once, nothing else.

        With a task, its result must agree (api_requests, paths, request_ids); returns (problems, TCP connections).
        """
        problems = []
        if run.rc != 0:
            problems.append("exit status %d: %s" % (run.rc, run.tail()))
        entries = self.emulator.log() if entries is None else entries
        purges = [entry for entry in entries if entry["kind"] == "purge"]
        others = [entry for entry in entries if entry["kind"] != "purge"]
        purged = [path for entry in purges for path in entry["purged"]]
        if len(purges) != len(sent) or others:
            problems.append("the emulator saw %d purge requests and %d other requests; expected exactly %d purges" % (len(purges), len(others), len(sent)))
        if sorted(purged) != sorted(sent) or any(len(entry["purged"]) != 1 for entry in purges):
            problems.append("the items purged differ from the %d asked for, one per request (%d distinct purged)" % (len(sent), len(set(purged))))
        if not all(entry["accepted"] for entry in purges):
            problems.append("%d purge requests were not accepted" % sum(1 for entry in purges if not entry["accepted"]))
        if task is not None:
            result = run.task(task)
            if result.get("failed") or not result.get("changed"):
                problems.append("task result: failed=%s changed=%s %s" % (result.get("failed"), result.get("changed"), result.get("msg", "")))
            if result.get("api_requests") != len(purges) or result.get("n_paths") != len(sent):
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
