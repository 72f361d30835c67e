# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request per URL against the limit (ImageKit A/L, Fastly FA/FL): interleaved runs, the limit, the ratio.

The limit L of purging n URLs with concurrency c is what Ansible costs to run one trivial module (the median
wall time of `ansible localhost -m ping`) plus ceil(n / c) rounds of one request's round trip.
"""

import math
import statistics

from bench.config import TARGETS, log


def interleaved(bench, label, vars_path, sent, also=None):
    """bench.sizes["repeat"] rounds of: ansible -m ping, also() (another measured command), cdn_purge.yml with vars_path.

    sent: the items the emulator must log as purged, one per request. Returns (purge runs, their problems, ping
    runs, ping problems, the TCP connection counts seen).
    """
    runs, problems, pings, ping_problems, connections = [], [], [], [], set()
    log("%s and its limit, interleaved, %d rounds (%d URLs)" % (label, bench.sizes["repeat"], len(sent)))
    for _round in range(bench.sizes["repeat"]):
        ping = bench.ansible.ping()
        pings.append(ping)
        if ping.rc != 0 or '"pong"' not in ping.stdout:
            ping_problems.append("ping failed: %s" % ping.tail())
        if also is not None:
            ping_problems.extend(also())
        bench.emulator.reset()
        run = bench.ansible.playbook("cdn_purge.yml", vars_path)
        found, used = bench.one_per_request_problems(run, sent, bench.concurrency)
        problems.extend(found)
        connections.add(used)
        runs.append(run)
    return runs, problems, pings, ping_problems, connections


def limit_rows(bench, ids, what, count, measured, round_trip):
    """The rows of the measured purge of count URLs and of its limit; returns (the purge's median, L) in seconds.

    ids: (purge row, limit row); measured: what interleaved() returned; round_trip: (seconds, text) of one request.
    """
    runs, problems, pings, ping_problems, connections = measured
    ping_median = statistics.median(run.wall for run in pings)
    requests_time = math.ceil(count / bench.concurrency) * round_trip[0]
    l_value = ping_median + requests_time
    connections_text = "; %s TCP connection(s)" % "/".join(str(used) for used in sorted(connections))
    bench.runs_row(ids[0], "%s, default concurrency (%d)" % (what, bench.concurrency), runs, check=bench.check(ids[0], problems) + connections_text)
    bench.runs_row(
        ids[1],
        "limit: ansible -m ping %.2f s + ceil(%d/%d) x %s (%.2f s)" % (ping_median, count, bench.concurrency, round_trip[1], requests_time),
        pings,
        check=bench.check(ids[1], ping_problems),
        median=l_value,
        best=min(run.wall for run in pings) + requests_time,
    )
    return statistics.median(run.wall for run in runs), l_value


def ratio_row(bench, row_id, name, measured, limit):
    """measured / limit, with the target A/L <= 1.5 (a verdict, never a failure)."""
    ratio = measured / limit
    wanted = TARGETS["a_over_l"]
    bench.row(row_id, "cdn_purge over the limit", median="%.2f" % ratio, target=bench.target(name, ratio <= wanted, "<= %g" % wanted))
