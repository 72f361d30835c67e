# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A, L, C, B: 500 ImageKit URLs with cdn_purge (default concurrency, then 1), the limit, and the uri loop."""

import math
import statistics
import sys

from bench.config import IMAGEKIT, TARGETS, log
from bench.datasets import imagekit_urls


def run_imagekit(bench):
    urls = imagekit_urls(bench.sizes["a"])
    base = {"bench_provider": "imagekit", "bench_api_base_url": bench.emulator.url, "bench_url_endpoint": IMAGEKIT["url_endpoint"]}
    base["bench_api_key"] = IMAGEKIT["api_key"]
    a_median, l_value = _a_and_l(bench, urls, base)
    c_median = _c(bench, urls, base)
    if bench.args.skip_uri:
        bench.row("B", "ansible.builtin.uri + loop: skipped (--skip-uri)")
        b_value = None
    else:
        b_value = _b(bench, urls, base)
    if b_value:
        ratio = b_value / a_median
        bench.row(
            "B/A", "uri loop over cdn_purge", median="%.1f" % ratio, target=bench.target("B/A", ratio >= TARGETS["b_over_a"], ">= %g" % TARGETS["b_over_a"])
        )
    bench.row("C/A", "concurrency 1 over the default", median="%.1f" % (c_median / a_median))
    ratio = a_median / l_value
    bench.row("A/L", "cdn_purge over the limit", median="%.2f" % ratio, target=bench.target("A/L", ratio <= TARGETS["a_over_l"], "<= %g" % TARGETS["a_over_l"]))


def _a_and_l(bench, urls, base):
    """A, L, A0 and A1; returns A's median and L."""
    vars_a = bench.ansible.vars_file("a", dict(base, bench_paths=urls))
    vars_none = bench.ansible.vars_file("none", {})
    a_runs, l_runs, p_runs, a_problems, l_problems, connections = [], [], [], [], [], set()
    log("A and L, interleaved, %d rounds (A: %d URLs)" % (bench.sizes["repeat"], len(urls)))
    for _round in range(bench.sizes["repeat"]):
        ping = bench.ansible.ping()
        l_runs.append(ping)
        if ping.rc != 0 or '"pong"' not in ping.stdout:
            l_problems.append("ping failed: %s" % ping.tail())
        baseline = bench.ansible.playbook("ping.yml", vars_none)
        p_runs.append(baseline)
        if baseline.rc != 0:
            l_problems.append("ping playbook failed: %s" % baseline.tail())
        bench.emulator.reset()
        run = bench.ansible.playbook("cdn_purge.yml", vars_a)
        problems, used = bench.imagekit_problems(run, urls, bench.concurrency)
        a_problems.extend(problems)
        connections.add(used)
        a_runs.append(run)
    a_median = statistics.median(run.wall for run in a_runs)
    ping_median = statistics.median(run.wall for run in l_runs)
    requests_time = math.ceil(len(urls) / bench.concurrency) * bench.latency / 1000.0
    l_value = ping_median + requests_time
    connections_text = "; %s TCP connection(s)" % "/".join(str(count) for count in sorted(connections))
    bench.runs_row(
        "A",
        "cdn_purge, %d ImageKit URLs, default concurrency (%d)" % (len(urls), bench.concurrency),
        a_runs,
        check=bench.check("A", a_problems) + connections_text,
    )
    bench.runs_row(
        "L",
        "limit: ansible -m ping %.2f s + ceil(%d/%d) x %g ms (%.2f s)" % (ping_median, len(urls), bench.concurrency, bench.latency, requests_time),
        l_runs,
        check=bench.check("L", l_problems),
        median=l_value,
        best=min(run.wall for run in l_runs) + requests_time,
    )
    bench.runs_row("A0", "(breakdown of A) ansible-playbook with one ping task", p_runs)
    payload = bench.keep_payload("A1", vars_a)
    if payload:
        module_runs, problems = [], []
        for _round in range(bench.sizes["repeat"]):
            bench.emulator.reset()
            module_run = bench.ansible.measure("payload", [sys.executable, payload])
            module_runs.append(module_run)
            problems.extend(bench.imagekit_problems(module_run, urls, bench.concurrency, task=None)[0])
        bench.runs_row(
            "A1",
            "(breakdown of A) the module alone: its AnsiballZ payload run directly (ideal: ceil(%d/%d) x %g ms = %.2f s + start-up)"
            % (len(urls), bench.concurrency, bench.latency, requests_time),
            module_runs,
            check=bench.check("A1", problems),
        )
    return a_median, l_value


def _c(bench, urls, base):
    """C: A with concurrency 1; returns its median."""
    vars_c = bench.ansible.vars_file("c", dict(base, bench_paths=urls, bench_concurrency=1))
    log("C: concurrency 1, %d rounds" % bench.sizes["repeat_c"])
    c_runs, c_problems = [], []
    for _round in range(bench.sizes["repeat_c"]):
        bench.emulator.reset()
        run = bench.ansible.playbook("cdn_purge.yml", vars_c)
        c_problems.extend(bench.imagekit_problems(run, urls, 1)[0])
        c_runs.append(run)
    c_median = statistics.median(run.wall for run in c_runs)
    bench.runs_row("C", "cdn_purge, the same URLs, concurrency 1", c_runs, check=bench.check("C", c_problems))
    return c_median


def _b(bench, urls, base):
    """B: the uri loop, once; returns its wall time when it did A's work (not in a smoke run)."""
    b_urls = urls[: bench.sizes["b"]]
    log("B: uri + loop, %d URLs, once (the slow one)" % len(b_urls))
    bench.emulator.reset()
    run = bench.ansible.playbook("uri_loop.yml", bench.ansible.vars_file("b", dict(base, bench_paths=b_urls)))
    problems = bench.imagekit_problems(run, b_urls, None, task=None)[0]
    loop = run.task("uri_loop")
    if loop.get("loop_items") != len(b_urls) or loop.get("loop_failed") or loop.get("loop_status") != {"201": len(b_urls)}:
        problems.append("uri loop results: %s" % {key: loop.get(key) for key in ("loop_items", "loop_failed", "loop_status", "msg")})
    # B/A compares the same work only: the smoke run loops over fewer URLs and has no ratio.
    b_value = run.wall if len(b_urls) == len(urls) else None
    bench.runs_row("B", "ansible.builtin.uri + loop, %d ImageKit URLs" % len(b_urls), [run], check=bench.check("B", problems))
    return b_value
