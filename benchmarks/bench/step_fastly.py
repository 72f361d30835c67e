# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""FA, FL: 500 Fastly URLs with cdn_purge (one URL per request, default concurrency) against the limit."""

from cases import CASES

from bench.config import emulator_account
from bench.datasets import site_urls
from bench.emulator import round_trip_ms
from bench.limit import interleaved, limit_rows, ratio_row

FASTLY = CASES["fastly"]


def run_fastly(bench):
    # Paths relative to the emulator's url_endpoint; the emulator logs each as host/path (the case's sent()).
    paths = site_urls("", bench.sizes["fastly"])
    sent = [FASTLY.sent(path) for path in paths]
    trip = fastly_round_trip_ms(bench)
    measured = interleaved(bench, "FA", bench.purge_vars("fastly", "fastly", paths), sent)
    what = "cdn_purge, %d Fastly URLs (one per request)" % len(paths)
    fa_median, l_value = limit_rows(bench, ("FA", "FL"), what, len(paths), measured, (trip / 1000.0, "%.1f ms (one Fastly purge, measured)" % trip))
    ratio_row(bench, "FA/FL", "FA/FL", fa_median, l_value)


def fastly_round_trip_ms(bench):
    """One Fastly URL purge on a kept-alive connection, the median of 20 (the emulator is reset after)."""
    headers = {"Fastly-Key": emulator_account("fastly")["api_key"], "Accept": "application/json"}
    return round_trip_ms(bench.emulator, "POST", "/purge/" + FASTLY.sent("/bench/round-trip.jpg"), headers)
