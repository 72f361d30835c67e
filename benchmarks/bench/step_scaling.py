# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S1, S2: does anything grow faster than n log n? CPU time in this process at doubling sizes."""

import json

from bench import inprocess
from bench.config import IMAGEKIT, IMAGEMASH, log
from bench.datasets import imagekit_urls, imagemash_paths


def run_scaling(bench):
    """CPU time of the planner and of result building at doubling sizes; about x2 per doubling is linear."""
    code = inprocess.load(bench)
    if not code:
        return
    sizes = bench.sizes["scaling"]
    log("S: scaling of the planner and of result building, %s paths" % "/".join(str(size) for size in sizes))
    cases = []
    plan_cpu, ledger_cpu = [], []
    for size in sizes:
        paths = imagemash_paths(size, seed=31)[0]
        params = code.params("imagemash", paths, **IMAGEMASH)
        plan_cpu.append(inprocess.best(lambda params=params, paths=paths: code.plan(params, paths, 10**9), 3)[0][1])
        # An idempotent rerun where every ImageKit URL was accepted before (one request id each): nothing is
        # sent, and the result lists every path as already accepted with its id.
        urls = imagekit_urls(size)
        ledger = bench.workdir / ("ledger-%d.json" % size)
        key = "bench-%d" % size
        write_ledger(ledger, key, urls)
        params = code.params("imagekit", urls, **IMAGEKIT, idempotency_key=key)
        params.update(idempotency_file=str(ledger), max_requests=10**9)
        (_wall, cpu), result = inprocess.best(lambda params=params: code.run_purge(params), 3)
        ledger_cpu.append(cpu)
        if result["changed"] or len(result["request_ids"]) != size or len(result["skipped_paths"]) != size or result["api_requests"]:
            bench.failures.append(
                "S: idempotent rerun of %d URLs: changed=%s ids=%d skipped=%d"
                % (size, result["changed"], len(result["request_ids"]), len(result["skipped_paths"]))
            )
    cases.append(("S1", "planner, ImageMash paths (30% dup, 20% covered)", plan_cpu))
    cases.append(("S2", "run_purge, idempotent rerun: every ImageKit URL already accepted, one id each", ledger_cpu))
    for row_id, what, cpus in cases:
        growth = [later / earlier for earlier, later in zip(cpus, cpus[1:], strict=False) if earlier > 0]
        worst = max(growth) if growth else 0
        bench.row(
            row_id,
            "(scaling) %s: CPU at %s paths = %s; growth per doubling %s"
            % (what, "/".join(format(size, ",") for size in sizes), "/".join("%.2f" % cpu for cpu in cpus), "/".join("x%.1f" % g for g in growth)),
            3,
            # n log n is a little over x2; a quadratic step is x4. Larger lists also cost more per element
            # (CPU caches, the garbage collector's full passes), so x2-x3 is what linear code shows here.
            target=bench.target("%s scaling" % row_id, worst < 3.0, "< x3 per doubling (quadratic: x4)"),
        )


def write_ledger(path, key, urls):
    """A ledger in _ledger.py's format with every URL accepted under its own request id."""
    scope = json.dumps(["imagekit", IMAGEKIT["url_endpoint"], key])
    entry = {"provider": "imagekit", "target": IMAGEKIT["url_endpoint"], "idempotency_key": key, "paths": {url: "id%07d" % i for i, url in enumerate(urls)}}
    path.write_text(json.dumps({"version": 1, "entries": {scope: entry}}), encoding="utf-8")
