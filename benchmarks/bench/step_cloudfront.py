# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CF1, CF2: CloudFront invalidations through the in-progress limits (3,000 file paths / 15 wildcard paths in progress).

CF1: 10,000 file paths are ceil(10,000 / 3,000) = 4 invalidations (3,000, 3,000, 3,000, 1,000). A batch of 3,000
fills the distribution's in-progress room, so every later batch is refused with TooManyInvalidationsInProgress until
the one before it completes (cloudfront_complete_after, shortened from CloudFront's minutes): the module must wait
for room and resend, not fail. CF2 (full run only): 45 wildcard paths, 3 invalidations of 15, through the 15-wildcard
limit. Everything is checked from the emulator's log, computed here from the requests' bodies and times: the minimum
number of invalidations, every path sent and accepted once, the in-progress load never above the limits, every
refusal a real one (the load was full), each refused batch resent once (same CallerReference) and only after the
invalidation that blocked it completed. How late after that completion it was resent, and the purge phase against
what the limits allow, are figures and a target, never a failure.
"""

import math
import xml.etree.ElementTree as ET  # noqa: N817 - the stdlib's usual short name

from bench.config import CLOUDFRONT_BATCH, CLOUDFRONT_FILES_IN_PROGRESS, CLOUDFRONT_WILDCARDS_IN_PROGRESS, log
from bench.datasets import site_urls

# Log times are taken when a request arrives, CloudFront's clock when it is processed: they differ by the latency.
TOLERANCE = 0.05


def run_cloudfront(bench):
    count, wildcards = bench.sizes["cloudfront_paths"], bench.sizes["cloudfront_wildcards"]
    complete_after, poll = bench.sizes["cloudfront_complete_after"], bench.sizes["cloudfront_poll"]
    variants = [("CF1", site_urls("", count), "file paths")]
    if wildcards:
        variants.append(("CF2", ["/bench/w%03d/*" % index for index in range(wildcards)], "wildcard paths"))
    for row_id, paths, label in variants:
        log("%s: CloudFront, %d %s, invalidations complete after %g s, poll_interval %g s" % (row_id, len(paths), label, complete_after, poll))
        bench.emulator.reset()
        bench.emulator.configure(cloudfront_complete_after=complete_after)
        vars_path = bench.purge_vars("cloudfront-%s" % row_id, "cloudfront", paths, poll_interval=poll)
        run = bench.ansible.playbook("cdn_purge.yml", vars_path)
        entries = bench.emulator.log("cloudfront")
        bench.emulator.reset()
        cloudfront_row(bench, row_id, (label, paths, complete_after, poll), run, entries)


def batch_paths(entry):
    """The paths of a logged CreateInvalidation body, as sent."""
    try:
        root = ET.fromstring(entry["body_text"] or "")
    except ET.ParseError:
        return []
    return [element.text or "" for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "Path"]


def load(paths):
    """(file paths, wildcard paths) of an invalidation, as CloudFront counts them against the limits."""
    wild = sum(1 for path in paths if path.endswith("*"))
    return len(paths) - wild, wild


def fits(busy, paths):
    files, wild = load(paths)
    return busy[0] + files <= CLOUDFRONT_FILES_IN_PROGRESS and busy[1] + wild <= CLOUDFRONT_WILDCARDS_IN_PROGRESS


def in_progress(accepted, moment, complete_after, margin):
    """The accepted invalidations still in progress at moment (margin > 0: counted a little longer)."""
    return [entry for entry in accepted if entry["time"] < moment and entry["time"] + complete_after + margin > moment]


def busy_load(entries):
    files_wild = [load(entry["sent"]) for entry in entries]
    return sum(item[0] for item in files_wild), sum(item[1] for item in files_wild)


def minimum_invalidations(paths):
    files, wild = load(paths)
    return math.ceil(files / CLOUDFRONT_BATCH) + math.ceil(wild / CLOUDFRONT_WILDCARDS_IN_PROGRESS)


def ideal_phase(batches, complete_after):
    """Seconds from the first batch to the last one accepted when each is accepted the moment the limits allow it."""
    started, now = [], 0.0
    for paths in batches:
        while True:
            running = [(start, sent) for start, sent in started if start + complete_after > now]
            if not running or fits(busy_load({"sent": sent} for _start, sent in running), paths):
                break
            now = min(start + complete_after for start, _sent in running)
        started.append((now, paths))
    return now


def cloudfront_row(bench, row_id, asked, run, entries):
    label, paths, complete_after, poll = asked
    minimum = minimum_invalidations(paths)
    posts = sorted((entry for entry in entries if entry["kind"] == "purge"), key=lambda entry: entry["seq"])
    for entry in posts:
        entry["sent"] = batch_paths(entry)
    lists = [entry for entry in entries if entry["kind"] == "list"]
    accepted = [entry for entry in posts if entry["accepted"]]
    refused = [entry for entry in posts if not entry["accepted"] and entry["status"] == 400]
    problems = [] if run.rc == 0 else ["exit status %d: %s" % (run.rc, run.tail())]
    others = [entry for entry in posts if not entry["accepted"] and entry["status"] != 400]
    if others or any(entry["replayed"] for entry in accepted):
        problems.append(
            "%d CreateInvalidation answers neither accepted nor refused with 400; %d replayed" % (len(others), sum(1 for e in accepted if e["replayed"]))
        )
    sent = [path for entry in accepted for path in entry["sent"]]
    if len(accepted) != minimum or sorted(sent) != sorted(paths):
        problems.append(
            "%d invalidations of %d paths (%d distinct); expected %d of the %d paths, each once"
            % (len(accepted), len(sent), len(set(sent)), minimum, len(paths))
        )
    peak = [0, 0]
    for entry in accepted:
        # Counted strictly (margin < 0): what was surely still in progress when this one was accepted.
        busy = busy_load(in_progress(accepted, entry["time"], complete_after, -TOLERANCE) + [entry])
        peak = [max(peak[0], busy[0]), max(peak[1], busy[1])]
    if peak[0] > CLOUDFRONT_FILES_IN_PROGRESS or peak[1] > CLOUDFRONT_WILDCARDS_IN_PROGRESS:
        problems.append(
            "in progress at once: %d file paths, %d wildcard paths (limits %d, %d)"
            % (peak[0], peak[1], CLOUDFRONT_FILES_IN_PROGRESS, CLOUDFRONT_WILDCARDS_IN_PROGRESS)
        )
    waits, lateness = resends(posts, accepted, complete_after, problems)
    result = run.task("cdn_purge")
    if result.get("api_requests") != len(entries) or result.get("n_request_ids") != minimum:
        problems.append(
            "result api_requests %s (the emulator saw %d), %s request ids" % (result.get("api_requests"), len(entries), result.get("n_request_ids"))
        )
    batches = [entry["sent"] for entry in accepted]
    ideal = ideal_phase(batches, complete_after)
    phase = (accepted[-1]["time"] - posts[0]["time"]) if accepted else 0.0
    what = (
        "CloudFront, %s %s, invalidations complete after %g s (in progress at once: %s file paths, %d wildcards), poll_interval %g s: "
        "invalidations / minimum; %d TooManyInvalidationsInProgress refusals, each followed by one resend of its batch %s s later (%s s after the invalidation "
        "blocking it completed); %d ListInvalidations; in progress at most %s file paths, %d wildcards; purge phase %.1f s, the limits "
        "allow %.1f s; ansible-playbook %.1f s"
        % (
            format(len(paths), ","),
            label,
            complete_after,
            format(CLOUDFRONT_FILES_IN_PROGRESS, ","),
            CLOUDFRONT_WILDCARDS_IN_PROGRESS,
            poll,
            len(refused),
            span(waits),
            span(lateness),
            len(lists),
            format(peak[0], ","),
            peak[1],
            phase,
            ideal,
            run.wall,
        )
    )
    # Each refusal costs at most one poll after the completion, plus a list and a CreateInvalidation round trip.
    allowance = len(refused) * (poll + 4 * bench.latency / 1000.0) + 0.5
    holds = len(accepted) == minimum and phase <= ideal + allowance
    bench.row(
        row_id,
        what,
        1,
        "%d / %d" % (len(accepted), minimum),
        target=bench.target("CloudFront %s" % label, holds, "= minimum, phase < limits + %.1f s" % allowance),
        check=bench.check(row_id, problems),
    )


def resends(posts, accepted, complete_after, problems):
    """Per refusal: seconds to the resend of the same batch, and from the blocking invalidation's completion to it.

    Adds a problem for a refusal the limits did not call for, a batch refused without a resend or sent again after
    acceptance, a resend with other paths, and a resend before anything in progress had completed.
    """
    by_reference = {}
    for entry in posts:
        by_reference.setdefault(entry["caller_reference"], []).append(entry)
    waits, lateness, unjust, early, bursts = [], [], 0, 0, 0
    for attempts in by_reference.values():
        if not attempts[-1]["accepted"] or any(entry["accepted"] for entry in attempts[:-1]):
            bursts += 1
        if any(sorted(entry["sent"]) != sorted(attempts[0]["sent"]) for entry in attempts):
            problems.append("CallerReference %s was sent with different paths" % attempts[0]["caller_reference"])
        for first, second in zip(attempts, attempts[1:], strict=False):
            if first["accepted"]:
                continue
            # Counted generously (margin > 0): whatever may still have been in progress when it was refused.
            running = in_progress(accepted, first["time"], complete_after, TOLERANCE)
            if not running or fits(busy_load(running), first["sent"]):
                unjust += 1
                continue
            done = min(entry["time"] for entry in running) + complete_after
            waits.append(second["time"] - first["time"])
            lateness.append(second["time"] - done)
            if second["time"] < done - TOLERANCE:
                early += 1
    if unjust or early or bursts:
        problems.append(
            "%d refusals while the in-progress load had room, %d resends before the blocking invalidation completed, "
            "%d batches not ending in exactly one acceptance" % (unjust, early, bursts)
        )
    return waits, lateness


def span(values):
    return "%.2f-%.2f" % (min(values), max(values)) if values else "-"
