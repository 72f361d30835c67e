# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""G1, G2: 1,000 Gcore URLs through the emulator's rate limit (2 URL purges per resource and window, window shortened).

The emulator's fixed window (gcore_rate_window seconds) allows 2 URL purges; past them it answers 429 with
Retry-After. 1,000 URLs are 10 requests of 100, so at least ceil(10 / 2) windows are used and the purge phase lasts
at least (ceil(10 / 2) - 1) windows. From the emulator's log: accepted purges (= the minimum), 429s, and for each
429 the next attempt of the same batch (the same URLs): exactly one, after about the window, never a burst. G1 with
retries: 0 shows the wait does not come from the HTTP layer's retries; G2 is the same with the default retries.
"""

import math

from bench.config import GCORE_BATCH, GCORE_URL_PURGES_PER_WINDOW, log
from bench.datasets import site_urls


def run_gcore(bench):
    count, window = bench.sizes["gcore_urls"], bench.sizes["gcore_window"]
    urls = site_urls("", count)
    variants = [("G1", {"retries": 0}, "retries: 0")]
    if not bench.args.smoke:
        variants.append(("G2", {}, "default retries (5)"))
    for row_id, options, label in variants:
        log("%s: Gcore, %d URLs through a rate window of %g s (%s)" % (row_id, count, window, label))
        bench.emulator.reset()
        bench.emulator.configure(gcore_rate_window=window)
        vars_path = bench.purge_vars("gcore-%s" % row_id, "gcore", urls, **options)
        run = bench.ansible.playbook("cdn_purge.yml", vars_path)
        entries = bench.emulator.log("gcore")
        bench.emulator.reset()
        gcore_row(bench, row_id, (label, urls, window), run, entries)


def gcore_row(bench, row_id, asked, run, entries):
    label, urls, window = asked
    minimum = math.ceil(len(urls) / GCORE_BATCH)
    windows = math.ceil(minimum / GCORE_URL_PURGES_PER_WINDOW)
    ideal = (windows - 1) * window
    posts = sorted((entry for entry in entries if entry["kind"] == "purge"), key=lambda entry: entry["seq"])
    accepted = [entry for entry in posts if entry["accepted"]]
    refused = [entry for entry in posts if entry["status"] == 429]
    lookups = [entry for entry in entries if entry["kind"] == "status"]
    problems = [] if run.rc == 0 else ["exit status %d: %s" % (run.rc, run.tail())]
    others = [entry for entry in posts if not entry["accepted"] and entry["status"] != 429]
    if others:
        statuses = sorted({entry["status"] for entry in others})
        problems.append("%d purge requests neither accepted nor refused by the rate limit (status %s)" % (len(others), statuses))
    purged = [url for entry in accepted for url in entry["purged"]]
    if len(accepted) != minimum or sorted(purged) != sorted(urls):
        problems.append(
            "%d accepted purges of %d URLs (%d distinct); expected %d of the %d URLs, each once"
            % (len(accepted), len(purged), len(set(purged)), minimum, len(urls))
        )
    gaps, bursts = resend_gaps(posts)
    # Retry-After is whole seconds (ceil of the time left in the window): the resend comes about one window later.
    early = [gap for gap in gaps if gap < 0.9 * window]
    late = [gap for gap in gaps if gap > window + 1.5]
    if bursts or early or late or len(gaps) != len(refused):
        problems.append(
            "after %d 429s: %d resends, %d batch(es) with another attempt after acceptance, %d resent sooner than 0.9 window, %d later than window + 1.5 s"
            % (len(refused), len(gaps), bursts, len(early), len(late))
        )
    result = run.task("cdn_purge")
    if result.get("api_requests") != len(entries) or result.get("n_request_ids") != minimum:
        seen = (result.get("api_requests"), len(entries), result.get("n_request_ids"))
        problems.append("result api_requests %s (the emulator saw %d), %s request ids" % seen)
    phase = (accepted[-1]["time"] - posts[0]["time"]) if accepted else 0.0
    what = (
        "Gcore, %s URLs, window %g s (2 URL purges a window), %s: accepted purges / minimum; %d 429s, each followed by one resend after %s s; "
        "%d purge-history lookups; purge phase %.1f s, the window allows %d x %g = %.1f s; ansible-playbook %.1f s"
        % (
            format(len(urls), ","),
            window,
            label,
            len(refused),
            "%.1f-%.1f" % (min(gaps), max(gaps)) if gaps else "-",
            len(lookups),
            phase,
            windows - 1,
            window,
            ideal,
            run.wall,
        )
    )
    holds = len(accepted) == minimum and phase <= ideal + window
    bench.row(
        row_id,
        what,
        1,
        "%d / %d" % (len(accepted), minimum),
        target=bench.target("Gcore %s" % label, holds, "= minimum, phase < %d windows" % windows),
        check=bench.check(row_id, problems),
    )


def resend_gaps(posts):
    """Seconds from each refused purge to the next attempt of the same batch, and how many batches were sent after acceptance."""
    by_batch = {}
    for entry in posts:
        by_batch.setdefault(tuple((entry["body"] or {}).get("urls") or ()), []).append(entry)
    gaps, bursts = [], 0
    for attempts in by_batch.values():
        for first, second in zip(attempts, attempts[1:], strict=False):
            if first["accepted"]:
                bursts += 1
            elif first["status"] == 429:
                gaps.append(second["time"] - first["time"])
    return gaps, bursts
