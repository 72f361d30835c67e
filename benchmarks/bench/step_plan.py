# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""P: planning 100,000 ImageMash paths in check mode, and where its time goes (P1-P6)."""

import json
import math
import statistics
import sys

from bench import inprocess
from bench.config import BATCH, IMAGEMASH, TARGETS, digest, log
from bench.datasets import imagemash_paths
from bench.profiling import profile_plan


def run_plan(bench):
    total = bench.sizes["plan"]
    paths, expected = imagemash_paths(total, seed=5)
    n_batches = math.ceil(len(expected) / BATCH)
    vars_p = plan_vars(bench, "plan", paths)
    vars_v = bench.ansible.vars_file("plan_vars_only", {"bench_paths": paths})
    runs, floor, problems = [], [], []
    log("P: plan %d ImageMash paths in check mode, %d rounds (interleaved with the vars-only floor)" % (total, bench.sizes["repeat_plan"]))
    for _round in range(bench.sizes["repeat_plan"]):
        floor.append(bench.ansible.playbook("vars_only.yml", vars_v, sample=True))
        bench.emulator.reset()
        run = bench.ansible.playbook("cdn_purge.yml", vars_p, sample=True)
        runs.append(run)
        problems.extend(plan_problems(bench, run, expected, total, n_batches))
    wall = statistics.median(run.wall for run in runs)
    rss = max(run.maxrss_mb for run in runs)
    target_text = "%s; %s" % (
        bench.target("plan time", wall < TARGETS["plan_seconds"], "< %g s" % TARGETS["plan_seconds"]),
        bench.target("plan memory", rss < TARGETS["plan_mb"], "< %g MB" % TARGETS["plan_mb"]),
    )
    what = "plan %s ImageMash paths (30%% dup, 20%% covered), check mode: %s paths in %d requests" % (
        format(total, ","),
        format(len(expected), ","),
        n_batches,
    )
    bench.runs_row("P", what, runs, target=target_text, check=bench.check("P", problems))
    bench.row("P.mem", "(breakdown of P) peak RSS per process: %s" % roles_text(runs))
    bench.runs_row(
        "P1",
        "(breakdown of P) ansible-playbook loading the same vars file, one debug task, no module",
        floor,
        check=bench.check("P1", [run.tail() for run in floor if run.rc]),
    )
    bench.row("P1.mem", "(breakdown of P1) peak RSS per process: %s" % roles_text(floor))
    plan_breakdown(bench, paths, expected, n_batches)


def plan_vars(bench, name, paths):
    """A vars file for cdn_purge.yml: these ImageMash paths, in check mode."""
    return bench.purge_vars(name, "imagemash", paths, check_mode=True)


def roles_text(runs):
    """Peak RSS by role (controller, worker, module) over runs, and the largest sampled sum of the tree."""
    roles = {}
    for run in runs:
        for role, mb in run.roles_mb.items():
            roles[role] = max(roles.get(role, 0), mb)
    parts = ["%s %.0f MB" % (role, roles[role]) for role in ("controller", "worker", "module") if role in roles]
    return "%s; sum of the tree, sampled: %.0f MB" % (", ".join(parts) or "not sampled", max(run.sum_peak_mb or 0 for run in runs))


def plan_problems(bench, run, expected, total, n_batches):
    """The module planned exactly the expected paths in n_batches batches and sent nothing."""
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
    sent = bench.emulator.log()
    if sent:
        problems.append("check mode sent %d requests" % len(sent))
    return problems


def plan_breakdown(bench, paths, expected, n_batches):
    """Where P's time goes: the module on its own (its AnsiballZ payload), and its parts in-process."""
    repeat = bench.sizes["repeat_plan"]
    payload = bench.keep_payload("P2", plan_vars(bench, "plan_keep", paths))
    if not payload:
        return
    module_runs, problems, sizes = [], [], ""
    for _round in range(repeat):
        module_run = bench.ansible.measure("payload", [sys.executable, payload])
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
    bench.runs_row("P2", "(breakdown of P) the module alone: its AnsiballZ payload run directly%s" % sizes, module_runs, check=bench.check("P2", problems))
    if bench.args.profile:
        profile_plan(bench, plan_vars(bench, "plan_profile", paths), payload)
    parts = in_process_parts(bench, paths, repeat)
    if parts:
        for row_id, what, (wall, cpu) in parts:
            bench.row(row_id, "(breakdown of P2) in-process: %s" % what, repeat, "", "%.2f s" % wall, "%.2f s" % cpu)


def in_process_parts(bench, paths, repeat):
    """The module's parts, timed in this process: planner, run_purge, then what exit_json does with the result."""
    code = inprocess.load(bench)
    if not code:
        return None
    params = code.params("imagemash", paths, **IMAGEMASH)
    planner, _plan = inprocess.best(lambda: code.plan(params, paths, 1000), repeat)
    runner, result = inprocess.best(lambda: code.run_purge(params, check_mode=True), repeat)
    scrub, _scrubbed = inprocess.best(lambda: code.remove_values(result, {IMAGEMASH["api_key"]}), repeat)
    dump, _dumped = inprocess.best(lambda: json.dumps(result), repeat)
    return [
        ("P3", "the planner (validate, drop duplicates and covered paths, batches)", planner),
        ("P4", "run_purge in check mode (the planner and the result dict)", runner),
        ("P5", "Ansible's no_log scrub of that result (remove_values, in exit_json)", scrub),
        ("P6", "json.dumps of that result", dump),
    ]
