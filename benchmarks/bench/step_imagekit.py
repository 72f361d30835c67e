# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A, L, C, B: 500 ImageKit URLs with cdn_purge (default concurrency, then 1), the limit, and the uri loop."""

import math
import statistics
import sys

from bench.config import TARGETS, log
from bench.datasets import imagekit_urls
from bench.limit import interleaved, limit_rows, ratio_row


def run_imagekit(bench):
    urls = imagekit_urls(bench.sizes["a"])
    a_median, l_value = _a_and_l(bench, urls)
    c_median = _c(bench, urls)
    if bench.args.skip_uri:
        bench.row("B", "ansible.builtin.uri + loop: skipped (--skip-uri)")
        b_value = None
    else:
        b_value = _b(bench, urls)
    if b_value:
        ratio = b_value / a_median
        bench.row(
            "B/A", "uri loop over cdn_purge", median="%.1f" % ratio, target=bench.target("B/A", ratio >= TARGETS["b_over_a"], ">= %g" % TARGETS["b_over_a"])
        )
    bench.row("C/A", "concurrency 1 over the default", median="%.1f" % (c_median / a_median))
    ratio_row(bench, "A/L", "A/L", a_median, l_value)


def _a_and_l(bench, urls):
    """A, L, A0 and A1; returns (A's median, L)."""
    vars_a = bench.purge_vars("a", "imagekit", urls)
    vars_none = bench.ansible.vars_file("none", {})
    p_runs = []

    def ping_playbook():
        p_runs.append(bench.ansible.playbook("ping.yml", vars_none))
        return [] if p_runs[-1].rc == 0 else ["ping playbook failed: %s" % p_runs[-1].tail()]

    measured = interleaved(bench, "A", vars_a, urls, also=ping_playbook)
    # ImageKit's limit counts the emulator's nominal latency per round (the header gives the measured round trip).
    latency = (bench.latency / 1000.0, "%g ms" % bench.latency)
    a_and_l = limit_rows(bench, ("A", "L"), "cdn_purge, %d ImageKit URLs" % len(urls), len(urls), measured, latency)
    bench.runs_row("A0", "(breakdown of A) ansible-playbook with one ping task", p_runs)
    payload = bench.keep_payload("A1", vars_a)
    if payload:
        module_runs, problems = [], []
        for _round in range(bench.sizes["repeat"]):
            bench.emulator.reset()
            module_run = bench.ansible.measure("payload", [sys.executable, payload])
            module_runs.append(module_run)
            problems.extend(bench.one_per_request_problems(module_run, urls, bench.concurrency, task=None)[0])
        bench.runs_row(
            "A1",
            "(breakdown of A) the module alone: its AnsiballZ payload run directly (ideal: ceil(%d/%d) x %g ms = %.2f s + start-up)"
            % (len(urls), bench.concurrency, bench.latency, math.ceil(len(urls) / bench.concurrency) * latency[0]),
            module_runs,
            check=bench.check("A1", problems),
        )
    return a_and_l


def _c(bench, urls):
    """C: A with concurrency 1; returns its median."""
    vars_c = bench.purge_vars("c", "imagekit", urls, concurrency=1)
    log("C: concurrency 1, %d rounds" % bench.sizes["repeat_c"])
    c_runs, c_problems = [], []
    for _round in range(bench.sizes["repeat_c"]):
        bench.emulator.reset()
        run = bench.ansible.playbook("cdn_purge.yml", vars_c)
        c_problems.extend(bench.one_per_request_problems(run, urls, 1)[0])
        c_runs.append(run)
    c_median = statistics.median(run.wall for run in c_runs)
    bench.runs_row("C", "cdn_purge, the same URLs, concurrency 1", c_runs, check=bench.check("C", c_problems))
    return c_median


def _b(bench, urls):
    """B: the uri loop, once; returns its wall time when it did A's work (not in a smoke run)."""
    b_urls = urls[: bench.sizes["b"]]
    log("B: uri + loop, %d URLs, once (the slow one)" % len(b_urls))
    bench.emulator.reset()
    run = bench.ansible.playbook("uri_loop.yml", bench.purge_vars("b", "imagekit", b_urls))
    problems = bench.one_per_request_problems(run, b_urls, None, task=None)[0]
    loop = run.task("uri_loop")
    if loop.get("loop_items") != len(b_urls) or loop.get("loop_failed") or loop.get("loop_status") != {"201": len(b_urls)}:
        problems.append("uri loop results: %s" % {key: loop.get(key) for key in ("loop_items", "loop_failed", "loop_status", "msg")})
    # B/A compares the same work only: the smoke run loops over fewer URLs and has no ratio.
    b_value = run.wall if len(b_urls) == len(urls) else None
    bench.runs_row("B", "ansible.builtin.uri + loop, %d ImageKit URLs" % len(b_urls), [run], check=bench.check("B", problems))
    return b_value
