# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""R1-R3: requests sent for 10,000 paths on ImageMash, 5centsCDN and Gotipath against the API minimum."""

import math

from bench.config import BATCH, FIVECENTS, GOTIPATH, GOTIPATH_PATTERN_BATCH, IMAGEMASH, log
from bench.datasets import fivecents_paths, gotipath_paths, imagemash_paths


def run_minimum(bench):
    total = bench.sizes["minimum"]
    mash, mash_expected = imagemash_paths(total, seed=11)
    cents, cents_expected = fivecents_paths(total, seed=12)
    goti, goti_expected = gotipath_paths(total, seed=13)
    data = {
        "bench_api_base_url": bench.emulator.url,
        "bench_imagemash": dict(IMAGEMASH, paths=mash),
        "bench_5centscdn": dict(FIVECENTS, paths=cents),
        "bench_gotipath": dict(GOTIPATH, paths=goti),
    }
    log("R: requests sent versus the minimum, %d paths per provider" % total)
    bench.emulator.reset()
    run = bench.ansible.playbook("minimum.yml", bench.ansible.vars_file("minimum", data))
    entries = bench.emulator.log()
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
        bench.row(
            row_id,
            "%s, %s paths: requests sent / minimum %s" % (title, format(total, ","), detail),
            1,
            "%d / %d" % (len(mine), minimum),
            target=bench.target("%s requests" % title, len(mine) == minimum, "= minimum"),
            check=bench.check(row_id, problems),
        )
