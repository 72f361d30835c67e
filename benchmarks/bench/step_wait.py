# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""W1, W2: purge and wait (ImageKit, ImageMash): requests sent against the API minimum."""

import math

from bench.config import BATCH, IMAGEKIT, IMAGEMASH, log
from bench.datasets import imagekit_urls, imagemash_paths


def run_wait(bench):
    urls = imagekit_urls(bench.sizes["wait_imagekit"])
    mash, mash_expected = imagemash_paths(bench.sizes["wait_imagemash"], seed=21)
    data = {"bench_api_base_url": bench.emulator.url, "bench_imagekit": dict(IMAGEKIT, paths=urls), "bench_imagemash": dict(IMAGEMASH, paths=mash)}
    log("W: purge and wait (ImageKit %d URLs, ImageMash %d paths)" % (len(urls), len(mash)))
    bench.emulator.reset()
    # Completed at once, so the first status poll is the only one needed: any further request is waste.
    bench.emulator.configure(imagekit_complete_after=0, imagemash_complete_after=0)
    run = bench.ansible.playbook("wait.yml", bench.ansible.vars_file("wait", data))
    entries = bench.emulator.log()
    bench.emulator.reset()
    _imagekit(bench, run, entries, urls)
    _imagemash(bench, run, entries, mash, mash_expected)


def _imagekit(bench, run, entries, urls):
    """W1: one purge and one status GET per URL, on at most concurrency connections."""
    kit = [entry for entry in entries if entry["provider"] == "imagekit"]
    problems = bench.one_per_request_problems(run, urls, bench.concurrency, task=None, entries=[entry for entry in kit if entry["kind"] == "purge"])[0]
    ids = [entry["request_id"] for entry in kit if entry["kind"] == "purge"]
    polled = [entry["request_id"] for entry in kit if entry["kind"] == "status"]
    if sorted(polled) != sorted(ids) or len(kit) != 2 * len(urls):
        problems.append("%d status GETs for %d purge ids (%d distinct); expected one each" % (len(polled), len(ids), len(set(polled))))
    result = run.task("imagekit_wait")
    if run.rc != 0 or result.get("status") != "Completed" or result.get("api_requests") != len(kit):
        problems.append(
            "exit %d, status %s, api_requests %s vs %d seen: %s" % (run.rc, result.get("status"), result.get("api_requests"), len(kit), result.get("msg", ""))
        )
    connections = len({entry["connection"] for entry in kit})
    if connections > bench.concurrency:
        problems.append("%d TCP connections for concurrency %d" % (connections, bench.concurrency))
    bench.row(
        "W1",
        "ImageKit, %d URLs, wait: requests sent / minimum %d purges + %d status GETs" % (len(urls), len(urls), len(urls)),
        1,
        "%d / %d" % (len(kit), 2 * len(urls)),
        target=bench.target("ImageKit wait requests", len(kit) == 2 * len(urls), "= minimum"),
        check=bench.check("W1", problems) + "; %d TCP connection(s)" % connections,
    )


def _imagemash(bench, run, entries, mash, mash_expected):
    """W2: the batches and one getPurgeList for all of them."""
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
    bench.row(
        "W2",
        "ImageMash, %s paths, wait: requests sent / minimum ceil(%d/%d) purges + 1 getPurgeList" % (format(len(mash), ","), len(mash_expected), BATCH),
        1,
        "%d / %d" % (len(mine), minimum),
        target=bench.target("ImageMash wait requests", len(mine) == minimum, "= minimum"),
        check=bench.check("W2", problems) + "; %d list call(s)" % len(lists),
    )
