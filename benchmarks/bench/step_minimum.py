# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""R1-R4: requests sent for 10,000 paths on ImageMash, 5centsCDN, Gotipath and Cloudflare against the API minimum."""

import math

from cases import CASES

from bench.config import BATCH, CLOUDFLARE_BATCH, FIVECENTS, GOTIPATH, GOTIPATH_PATTERN_BATCH, IMAGEMASH, emulator_account, log
from bench.datasets import fivecents_paths, gotipath_paths, imagemash_paths, prefixed_paths

CLOUDFLARE = CASES["cloudflare"]


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
    # (row, provider = task name, title, kinds: see requests_row)
    cases = [
        ("R1", "imagemash", "ImageMash", ({"url": mash_expected}, {"url": BATCH}, None, skipped(total))),
        ("R2", "5centscdn", "5centsCDN", ({"url": cents_expected}, {"url": BATCH}, None, None)),
        ("R3", "gotipath", "Gotipath", (goti_expected, {"url": BATCH, "pattern": GOTIPATH_PATTERN_BATCH}, "purge_type", None)),
    ]
    for row_id, provider, title, kinds in cases:
        mine = [entry for entry in entries if entry["provider"] == provider]
        requests_row(bench, row_id, (title, "%s, %s paths" % (title, format(total, ","))), (run, run.task(provider), mine), kinds)
    _cloudflare(bench, total)


def _cloudflare(bench, total):
    """R4: files and prefixes (a path ending in *), batched 30 a request, each kind on its own."""
    paths, prefixes, files = prefixed_paths(total, seed=14, wildcard="*")
    # Every fifth path spelled as a full URL: the planner must see /a.png and https://site/a.png as one file.
    site = emulator_account("cloudflare")["url_endpoint"]
    paths = [site + path if index % 5 == 0 else path for index, path in enumerate(paths)]
    # The emulator logs files as full URLs and prefixes as host/path without the scheme (Cloudflare's API).
    expected = {"files": [CLOUDFLARE.sent(path) for path in files], "prefixes": [CLOUDFLARE.sent(path).split("://", 1)[1] for path in prefixes]}
    log("R4: Cloudflare, %d paths (%d files and %d prefixes after planning)" % (total, len(files), len(prefixes)))
    bench.emulator.reset()
    run = bench.ansible.playbook("cdn_purge.yml", bench.purge_vars("cloudflare", "cloudflare", paths))
    kinds = (expected, dict.fromkeys(expected, CLOUDFLARE_BATCH), "purge_kind", skipped(total))
    names = ("Cloudflare", "Cloudflare, %s paths (30%% dup, 20%% under a prefix)" % format(total, ","))
    requests_row(bench, "R4", names, (run, run.task("cdn_purge"), bench.emulator.log("cloudflare")), kinds)


def skipped(total):
    """What prefixed_paths (imagemash_paths) leaves for the planner to drop: 30 % duplicates, 20 % covered."""
    return {"duplicate": total * 3 // 10, "covered_by_prefix": total * 2 // 10}


def requests_row(bench, row_id, names, outcome, kinds):
    """One row: requests sent against sum(ceil(unique items of a kind / its batch limit)), checked.

    names: (the provider's title, the measurement); outcome: (the ansible run, the task's result summary, the
    emulator's log entries for this provider); kinds: (items that must be sent per kind, batch limit per kind,
    the log field that names the kind or None for url only, the result's skipped counts per reason or None).
    Wrong answers: any request but an accepted purge, an item sent other than exactly once, a batch above its
    limit, a number of requests of a kind other than its minimum, a result that disagrees with the log.
    """
    (title, what), (run, result, mine), (expected, limits, kind_field, dropped) = names, outcome, kinds
    purges = [entry for entry in mine if entry["kind"] == "purge"]
    problems = [] if run.rc == 0 else ["exit status %d: %s" % (run.rc, run.tail())]
    minimum = {kind: math.ceil(len(expected[kind]) / limits[kind]) for kind in expected}
    if len(mine) != len(purges) or not all(entry["accepted"] for entry in purges):
        problems.append("%d requests, %d of them accepted purges" % (len(mine), sum(1 for entry in purges if entry["accepted"])))
    per_kind = []
    for kind in expected:
        of_kind = [entry for entry in purges if ((entry.get(kind_field) if kind_field else None) or "url") == kind]
        sent = [path for entry in of_kind for path in entry["purged"]]
        if sorted(sent) != sorted(expected[kind]):
            problems.append("%s items sent differ from the %d unique uncovered ones (%d sent)" % (kind, len(expected[kind]), len(sent)))
        if of_kind and max(len(entry["purged"]) for entry in of_kind) > limits[kind]:
            problems.append("a %s batch is above the limit of %d" % (kind, limits[kind]))
        if len(of_kind) != minimum[kind]:
            problems.append("%d %s requests, the minimum is %d" % (len(of_kind), kind, minimum[kind]))
        per_kind.append("%s %d/%d" % (kind, len(of_kind), minimum[kind]))
    if result.get("api_requests") != len(mine):
        problems.append("result api_requests=%s, the emulator saw %d" % (result.get("api_requests"), len(mine)))
    if dropped is not None and result.get("skipped") != dropped:
        problems.append("result skipped %s, expected %s" % (result.get("skipped"), dropped))
    if result.get("n_paths") != sum(len(items) for items in expected.values()):
        problems.append("result lists %s paths to purge, expected %d" % (result.get("n_paths"), sum(len(items) for items in expected.values())))
    detail = " + ".join("ceil(%d/%d)" % (len(expected[kind]), limits[kind]) for kind in expected)
    if len(expected) > 1:
        detail += " (per kind, sent/minimum: %s)" % ", ".join(per_kind)
    total_minimum = sum(minimum.values())
    bench.row(
        row_id,
        "%s: requests sent / minimum %s" % (what, detail),
        1,
        "%d / %d" % (len(mine), total_minimum),
        target=bench.target("%s requests" % title, len(mine) == total_minimum, "= minimum"),
        check=bench.check(row_id, problems),
    )
