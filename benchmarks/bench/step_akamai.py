# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AK1: Akamai Fast Purge, long URLs batched by body size (at most 50,000 bytes), then wait: true waits the estimate.

The URLs all have one length L (ASCII, nothing JSON escapes), so the minimum number of bodies is exact and computed
here from the URLs, not from the adapter: a body {"objects": [...]} of k URLs is 15 + k (L + 2) + 2 (k - 1) bytes,
so k = floor((50,000 - 13) / (L + 4)) fit in one, and ceil(N / k) requests are the minimum. From the emulator's
log: that many purge requests, each body at most 50,000 bytes, none refused (413 or other), every URL purged once;
every answer's estimatedSeconds is the configured akamai_estimated_seconds, the module reports waiting exactly
that (waited_seconds), and ansible-playbook ends at least that long after the last purge request reached the emulator.
"""

import json
import math
import time

from bench.config import AKAMAI_MAX_BODY, emulator_account, log

# 250 characters: longer than most page URLs, and a k (196 URLs a body) that is no round count a count-based batcher might use.
URL_LENGTH = 250


def long_urls(site, count):
    """count distinct URLs under site, each exactly URL_LENGTH characters."""
    urls = []
    for index in range(count):
        head = "%s/bench/long/d%03d/page%05d-" % (site, index // 100, index)
        urls.append(head + "x" * (URL_LENGTH - len(head) - len(".html")) + ".html")
    return urls


def urls_per_body(length):
    """How many URLs of length characters fit in one body, from the body's shape (json.dumps' separators)."""
    empty = len(json.dumps({"objects": []}))
    # Each URL adds its quotes and, after the first, ", ": k (L + 2) + 2 (k - 1) + empty <= the limit.
    return (AKAMAI_MAX_BODY - empty + 2) // (length + 4)


def run_akamai(bench):
    count, estimate = bench.sizes["akamai_urls"], bench.sizes["akamai_estimate"]
    site = emulator_account("akamai")["url_endpoint"]
    urls = long_urls(site, count)
    log("AK1: Akamai, %d URLs of %d characters, estimatedSeconds %d, wait: true" % (count, URL_LENGTH, estimate))
    bench.emulator.reset()
    bench.emulator.configure(akamai_estimated_seconds=estimate)
    vars_path = bench.purge_vars("akamai-AK1", "akamai", urls, wait=True)
    run = bench.ansible.playbook("cdn_purge.yml", vars_path)
    # The emulator logs time.time() on this machine: the end on the same clock tells how long after the last purge.
    ended = time.time()
    entries = bench.emulator.log("akamai")
    bench.emulator.reset()
    akamai_row(bench, urls, (estimate, ended), run, entries)


def akamai_row(bench, urls, timing, run, entries):
    estimate, ended = timing
    per_body = urls_per_body(URL_LENGTH)
    minimum = math.ceil(len(urls) / per_body)
    posts = [entry for entry in entries if entry["kind"] == "purge"]
    accepted = [entry for entry in posts if entry["accepted"]]
    sizes = [len(entry["body_text"].encode("utf-8")) for entry in posts]
    problems = [] if run.rc == 0 else ["exit status %d: %s" % (run.rc, run.tail())]
    refused = [entry["status"] for entry in posts if not entry["accepted"]]
    if refused or len(posts) != len(entries):
        problems.append(
            "%d purge requests refused (statuses %s, 413: %d), %d other requests"
            % (len(refused), sorted(set(refused)), refused.count(413), len(entries) - len(posts))
        )
    if any(size > AKAMAI_MAX_BODY for size in sizes):
        problems.append("%d bodies above %d bytes (largest %d)" % (sum(1 for size in sizes if size > AKAMAI_MAX_BODY), AKAMAI_MAX_BODY, max(sizes)))
    purged = [url for entry in accepted for url in entry["purged"]]
    if len(posts) != minimum or sorted(purged) != sorted(urls):
        problems.append(
            "%d purge requests of %d URLs (%d distinct); expected %d of the %d URLs, each once"
            % (len(posts), len(purged), len(set(purged)), minimum, len(urls))
        )
    result = run.task("cdn_purge")
    estimates, waited = result.get("estimated_seconds") or [], result.get("waited_seconds")
    if result.get("api_requests") != len(entries) or result.get("status") != "Completed":
        problems.append("result api_requests %s (the emulator saw %d), status %s" % (result.get("api_requests"), len(entries), result.get("status")))
    # The playbook cannot end before the estimate has passed since the last purge was sent (a wait, not only a figure).
    after_last = (ended - max(entry["time"] for entry in posts)) if posts else 0.0
    if len(estimates) != minimum or set(estimates) != {estimate} or waited != estimate or after_last < estimate:
        problems.append(
            "estimated_seconds %s, waited_seconds %s, the playbook ended %.1f s after the last purge; the emulator estimated %d s"
            % (sorted(set(estimates)), waited, after_last, estimate)
        )
    phase = (max(entry["time"] for entry in posts) - min(entry["time"] for entry in posts)) if posts else 0.0
    what = (
        "Akamai, %s URLs of %d characters, wait: true: purge requests / minimum ceil(%d / %d URLs a 50,000-byte body); bodies %s bytes, "
        "%d refused (413: %d); estimatedSeconds %d, waited_seconds %s, the playbook ended %.1f s after the last purge; purge phase %.1f s; "
        "ansible-playbook %.1f s"
        % (
            format(len(urls), ","),
            URL_LENGTH,
            len(urls),
            per_body,
            "%s-%s" % (format(min(sizes), ","), format(max(sizes), ",")) if sizes else "-",
            len(refused),
            refused.count(413),
            estimate,
            waited,
            after_last,
            phase,
            run.wall,
        )
    )
    bench.row(
        "AK1",
        what,
        1,
        "%d / %d" % (len(posts), minimum),
        target=bench.target("Akamai requests", len(posts) == minimum, "= minimum"),
        check=bench.check("AK1", problems),
    )
