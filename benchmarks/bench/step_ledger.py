# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""J1-J4: the idempotency ledger of five 100,000-path ImageMash releases, one key each, through the emulator.

Each release purges 100,000 distinct paths (1,000 requests of 100) from paths_file with its own idempotency_key,
through ansible-playbook and the emulator: the ledger gets one record per accepted request. A thread polls the
ledger's inode and size every 5 ms during each run: while the inode stays, a run's bytes written are its growth
and the bytes it started with must be unchanged (checked by digest: nothing is rewritten in place); a new inode is
a compaction, which wrote the whole new file once (appends in the last 5 ms before it could be missed, but a run
compacts only as it ends, after its last record). The sixth run repeats the last release's key and paths: it must
send nothing; its ledger read is also timed in this process (the runner's Ledger.accepted for that scope), and so
is the cost of recording one request (J4).
"""

import hashlib
import math
import os
import statistics
import threading
import time

from bench import inprocess
from bench.config import BATCH, IMAGEMASH, log
from bench.datasets import site_urls


class LedgerWatch(threading.Thread):
    """(inode, size) of the ledger every interval seconds while a run lasts: appends and compactions."""

    def __init__(self, path, interval=0.005):
        super().__init__(daemon=True)
        self.path, self.interval = path, interval
        self.stop_event = threading.Event()
        self.samples = [self.stat()]

    def stat(self):
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return (None, 0)
        return (found.st_ino, found.st_size)

    def run(self):
        while not self.stop_event.wait(self.interval):
            self.samples.append(self.stat())

    def finish(self):
        self.stop_event.set()
        self.join()
        self.samples.append(self.stat())
        # Per inode in order: (first size seen, last size seen). The first inode's first size is the size before the run.
        segments = []
        for inode, size in self.samples:
            if segments and segments[-1][0] == inode:
                segments[-1][2] = size
            else:
                segments.append([inode, size, size])
        appended = sum(last - first for _inode, first, last in segments)
        # A new inode after an existing file is a compaction (os.replace): it wrote the new file whole.
        compactions = [segment[1] for previous, segment in zip(segments, segments[1:], strict=False) if previous[0] is not None and segment[0] is not None]
        return appended, compactions


def digest_prefix(path, size):
    if not size:
        return ""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read(size)).hexdigest()


def run_ledger(bench):
    releases, count = bench.sizes["ledger_releases"], bench.sizes["ledger_paths"]
    ledger = bench.workdir / "releases-ledger.json"
    log("J: ledger of %d releases of %d ImageMash paths, one idempotency key each, then a rerun of the last" % (releases, count))
    runs, problems, report = [], [], {"appended": 0, "requests": 0, "compacted": [], "sizes": []}
    for release in range(1, releases + 1):
        paths = site_urls("/r%d" % release, count)
        run, accepted = release_run(bench, ledger, release, paths, report, problems)
        runs.append(run)
        report["requests"] += accepted
    per_request = report["appended"] / report["requests"] if report["requests"] else 0
    rewritten = sum(report["compacted"])
    bench.runs_row(
        "J1",
        "ledger: %d releases x %s ImageMash paths from paths_file, one idempotency_key each, %d requests of %d (through the emulator): "
        "wall per release" % (releases, format(count, ","), math.ceil(count / BATCH), BATCH),
        runs,
        check=bench.check("J1", problems),
    )
    amortised = (report["appended"] + rewritten) / report["requests"] if report["requests"] else 0
    final = report["sizes"][-1] if report["sizes"] else 0
    # What a snapshot ledger (the whole file written after each accepted request) would have written: the file's
    # size after each request, summed; the file grows by about per_request bytes a request.
    snapshot = sum(per_request * index for index in range(1, report["requests"] + 1))
    bench.row(
        "J2",
        "(J1) ledger bytes appended per accepted request %.0f (%s bytes, %d requests; nothing rewritten in place); file size after each release %s MB; "
        "compactions %d, %.1f MB written by them: %.0f bytes per request amortised (a whole-file write per request: %.1f GB)"
        % (
            per_request,
            format(report["appended"], ","),
            report["requests"],
            "/".join("%.1f" % (size / 1e6) for size in report["sizes"]),
            len(report["compacted"]),
            rewritten / 1e6,
            amortised,
            snapshot / 1e9,
        ),
        target=bench.target("ledger bytes per request", amortised < 0.01 * final, "< 1 % of the file per request"),
    )
    rerun(bench, ledger, releases, count)


def release_run(bench, ledger, release, paths, report, problems):
    """One release through ansible-playbook; returns (the run, requests the emulator accepted)."""
    paths_file = bench.workdir / ("release-%d.txt" % release)
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    vars_path = bench.purge_vars(
        "release-%d" % release, "imagemash", None, paths_file=str(paths_file), idempotency_key="release-%d" % release, idempotency_file=str(ledger)
    )
    before = os.stat(ledger).st_size if ledger.exists() else 0
    prefix = digest_prefix(ledger, before)
    inode = os.stat(ledger).st_ino if ledger.exists() else None
    bench.emulator.reset()
    watch = LedgerWatch(ledger)
    watch.start()
    run = bench.ansible.playbook("cdn_purge.yml", vars_path)
    appended, compactions = watch.finish()
    entries = bench.emulator.log("imagemash")
    purges = [entry for entry in entries if entry["kind"] == "purge" and entry["accepted"]]
    result = run.task("cdn_purge")
    where = "release %d" % release
    if run.rc != 0 or result.get("failed") or not result.get("changed"):
        problems.append("%s: exit status %d, %s: %s" % (where, run.rc, result.get("msg"), run.tail()))
    minimum = math.ceil(len(paths) / BATCH)
    if len(purges) != minimum or len(entries) != len(purges) or result.get("api_requests") != len(entries):
        counts = (where, len(entries), len(purges), result.get("api_requests"), minimum)
        problems.append("%s: %d requests, %d accepted purges (api_requests %s); expected %d" % counts)
    if sorted(path for entry in purges for path in entry["purged"]) != sorted(paths):
        problems.append("%s: the paths purged differ from the release's %d paths" % (where, len(paths)))
    if result.get("n_paths") != len(paths) or result.get("n_purge_requests") != minimum:
        problems.append("%s: result paths_count %s, %s requests" % (where, result.get("n_paths"), result.get("n_purge_requests")))
    # A run compacts at most once, as it ends (Reservation.close): more new files is a rewrite per request.
    if len(compactions) > 1:
        problems.append("%s: the ledger was replaced by a new file %d times during one run" % (where, len(compactions)))
    if not compactions and inode is not None and digest_prefix(ledger, before) != prefix:
        problems.append("%s: the ledger's first %d bytes changed without a compaction: rewritten in place" % (where, before))
    if not ledger.exists():
        problems.append("%s: no ledger after %d accepted requests" % (where, len(purges)))
    report["appended"] += appended
    report["compacted"].extend(compactions)
    report["sizes"].append(ledger.stat().st_size if ledger.exists() else 0)
    return run, len(purges)


def rerun(bench, ledger, releases, count):
    """J3: the last release again, same key: nothing sent; the ledger read timed in-process against the file size."""
    release = releases
    vars_path = bench.workdir / ("release-%d.json" % release)
    bench.emulator.reset()
    run = bench.ansible.playbook("cdn_purge.yml", vars_path)
    result = run.task("cdn_purge")
    problems = []
    sent = bench.emulator.log()
    if run.rc != 0 or result.get("changed") or sent or result.get("api_requests"):
        problems.append("rerun: exit %d, changed %s, %d requests sent: %s" % (run.rc, result.get("changed"), len(sent), result.get("msg", "")))
    if result.get("skipped") != {"already_accepted": count} or result.get("n_request_ids") != math.ceil(count / BATCH):
        problems.append("rerun: skipped %s, %s request ids" % (result.get("skipped"), result.get("n_request_ids")))
    read_text = ""
    code = inprocess.load(bench)
    if code:
        timing = read_times(bench, code, ledger, "release-%d" % release, count, problems)
        size = ledger.stat().st_size if ledger.exists() else 0
        read_text = "; in-process Ledger.accepted of that key %.0f ms (%s keys), of a new key %.0f ms, for a %.1f MB file (%.0f MB/s)" % (
            timing[0] * 1000,
            format(count, ","),
            timing[1] * 1000,
            size / 1e6,
            size / 1e6 / timing[0] if timing[0] else 0,
        )
    bench.runs_row(
        "J3",
        "(J1) run %d: release %d again with its key, nothing to send%s" % (releases + 1, release, read_text),
        [run],
        check=bench.check("J3", problems),
    )
    if code:
        costs = [record_cost(bench, path) for path in (ledger, bench.workdir / "empty-ledger.json")]
        bench.row(
            "J4",
            "(J1) in-process: Reservation.record of one accepted 100-path request (one write, fdatasync), median of %d: %.2f ms into the %.1f MB "
            "ledger, %.2f ms into an empty one" % (bench.sizes["ledger_records"], costs[0] * 1000, size / 1e6, costs[1] * 1000),
        )


def record_cost(bench, path):
    """Median wall seconds of recording one 100-path request under a fresh key (after the scope's reservation)."""
    from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import Ledger

    ledger = Ledger(str(path))
    times = []
    with ledger.reserve(Ledger.scope("imagemash", IMAGEMASH["domain"], "record-cost", "0" * 16, bench.emulator.url)) as run:
        for index in range(bench.sizes["ledger_records"]):
            request = {"request_id": "rc%05d" % index, "paths": ["/cost/d%05d/f%03d.png" % (index, item) for item in range(BATCH)]}
            start = time.perf_counter()
            run.record(request)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def read_times(bench, code, ledger, key, count, problems):
    """Best-of-5 wall seconds of the runner's ledger read for key (count keys recorded) and for a key never used."""
    from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import Ledger, account_fingerprint

    def scope_of(idempotency_key):
        # The runner's scope (plugins/module_utils/_runner.py): when it changes, change this line.
        provider = code.provider_for(code.params("imagemash", [], **IMAGEMASH, idempotency_key=idempotency_key))
        provider.credential_values()  # sets provider.secrets, as the runner's _prepare does
        return Ledger.scope(provider.name, provider.target_id(), idempotency_key, account_fingerprint(provider.secrets), provider.api_base_url)

    times = []
    for scope, wanted in ((scope_of(key), count), (scope_of("never-used"), 0)):
        walls = []
        for _round in range(5):
            (wall, _cpu), accepted = inprocess.best(lambda scope=scope: Ledger(str(ledger)).accepted(scope), 1)
            walls.append(wall)
        if len(accepted) != wanted:
            problems.append("in-process ledger read: %d keys accepted, expected %d" % (len(accepted), wanted))
        times.append(min(walls))
    return times
