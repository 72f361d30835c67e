# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""X0-X2: 100,000 and 1,000,000 ImageMash paths from paths_file, planned in check mode, beside `ansible -m ping`.

Every run is sampled (bench/measure.py TreeSampler): besides the largest single process (ru_maxrss) the rows give
the peak of the whole process tree at one poll, as the sum of the processes' PSS (each resident page counted once,
shared pages split between the processes sharing them) and as the sum of their RSS (shared pages counted in every
process: an upper bound).
"""

import math
import statistics

from bench.config import BATCH, TARGETS, log
from bench.datasets import imagemash_paths


def run_scale(bench):
    sizes = bench.sizes["scale"]
    repeat = bench.sizes["repeat_scale"]
    pings = []
    data = {}
    for size in sizes:
        paths, expected = imagemash_paths(size, seed=41)
        paths_file = bench.workdir / ("paths-%d.txt" % size)
        paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
        # Generous max_requests: 1,000,000 paths need 5,000 requests, above the module's default of 1,000.
        vars_path = bench.purge_vars("scale-%d" % size, "imagemash", None, paths_file=str(paths_file), check_mode=True, max_requests=100_000)
        data[size] = (vars_path, expected, paths_file.stat().st_size, [], [])
    log("X: %s ImageMash paths from paths_file in check mode, %d round(s), interleaved with ansible -m ping" % ("/".join(map(str, sizes)), repeat))
    for _round in range(repeat):
        if not bench.args.smoke:  # the baseline only matters against the targets, which a smoke run does not judge
            pings.append(bench.ansible.ping(sample=True))
        for size in sizes:
            vars_path, expected, _file_bytes, runs, problems = data[size]
            bench.emulator.reset()
            run = bench.ansible.playbook("cdn_purge.yml", vars_path, sample=True)
            runs.append(run)
            problems.extend(scale_problems(bench, run, size, expected))
    if pings:
        ping_problems = ["ping failed: %s" % ping.tail() for ping in pings if ping.rc != 0 or '"pong"' not in ping.stdout]
        bench.runs_row("X0", "baseline: ansible localhost -m ping; %s" % tree_text(pings), pings, check=bench.check("X0", ping_problems))
    for index, size in enumerate(sizes, start=1):
        vars_path, expected, file_bytes, runs, problems = data[size]
        scale_row(bench, "X%d" % index, size, (expected, file_bytes), runs, problems, pings)


def tree_text(runs):
    """The largest whole-tree peaks over runs: PSS sum (the target's measure) and RSS sum (an upper bound)."""
    pss = max(run.pss_peak_mb or 0 for run in runs)
    rss = max(run.sum_peak_mb or 0 for run in runs)
    return "whole tree at its peak: %.0f MB PSS (RSS sum %.0f MB)" % (pss, rss)


def scale_row(bench, row_id, size, planned, runs, problems, pings):
    expected, file_bytes = planned
    wall = statistics.median(run.wall for run in runs)
    pss = max(run.pss_peak_mb or 0 for run in runs)
    verdicts = []
    seconds = TARGETS["scale_seconds"].get(size)
    if seconds:
        verdicts.append(bench.target("scale %s paths time" % format(size, ","), wall < seconds, "< %g s" % seconds))
    megabytes = TARGETS["scale_mb"].get(size)
    if megabytes:
        verdicts.append(bench.target("scale %s paths memory" % format(size, ","), pss < megabytes, "tree < %g MB" % megabytes))
    results = [run.task("cdn_purge").get("result_bytes") or 0 for run in runs]
    what = "plan %s ImageMash paths from paths_file (%.1f MB; 30%% dup, 20%% covered), check mode: %s paths in %d requests; result %.0f kB; %s; " % (
        format(size, ","),
        file_bytes / 1e6,
        format(len(expected), ","),
        math.ceil(len(expected) / BATCH),
        max(results) / 1e3,
        tree_text(runs),
    )
    what += "over ping: +%.2f s" % (wall - statistics.median(run.wall for run in pings)) if pings else "(no ping with --smoke)"
    bench.runs_row(row_id, what, runs, target="; ".join(verdicts), check=bench.check(row_id, problems))


def scale_problems(bench, run, size, expected):
    """The counts of a return_items=false result: every path planned or skipped for its reason, nothing sent."""
    result = run.task("cdn_purge")
    if run.rc != 0 or result.get("failed"):
        return ["%d paths: exit status %d, %s: %s" % (size, run.rc, result.get("msg"), run.tail())]
    wanted = {
        "changed": True,
        "n_paths": len(expected),
        "skipped": {"duplicate": size * 3 // 10, "covered_by_prefix": size * 2 // 10},
        "n_purge_requests": math.ceil(len(expected) / BATCH),
        "n_batched": len(expected),
        "max_batch": min(BATCH, len(expected)),
        "api_requests": 0,
    }
    problems = ["%d paths: %s is %r, expected %r" % (size, key, result.get(key), value) for key, value in wanted.items() if result.get(key) != value]
    if not result.get("counted"):
        problems.append("%d paths: the result lists the items; from paths_file, return_items defaults to counts" % size)
    sent = bench.emulator.log()
    if sent:
        problems.append("%d paths: check mode sent %d requests" % (size, len(sent)))
    return problems
