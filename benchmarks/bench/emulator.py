# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider emulator, started and steered by the tests' own launcher (tests/support/emulator_support.py)."""

import base64
import http.client
import statistics
import time
from urllib.parse import urlsplit

from emulator_support import start_emulator

from bench.config import IMAGEKIT


def start(workdir, latency_ms):
    """The emulator on 127.0.0.1 with latency_ms added to every provider response; .stop() ends it."""
    return start_emulator(workdir, "--host", "127.0.0.1", "--latency-ms", str(latency_ms))


def round_trip_ms(emulator, method, path, headers, count=20):
    """Median time of one provider request on a kept-alive connection: the emulator's per-request floor.

    The emulator is reset afterwards, so a request that purges something leaves nothing in the log.
    """
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(emulator.url).port, timeout=30)
    times = []
    for _round in range(count):
        start_time = time.perf_counter()
        connection.request(method, path, headers=headers)
        connection.getresponse().read()
        times.append(time.perf_counter() - start_time)
    connection.close()
    emulator.reset()
    return statistics.median(times) * 1000


def imagekit_round_trip_ms(emulator):
    """An ImageKit status GET (the header of the report)."""
    auth = "Basic " + base64.b64encode(IMAGEKIT["api_key"].encode() + b":").decode()
    return round_trip_ms(emulator, "GET", "/v1/files/purge/benchmark-round-trip", {"Authorization": auth})
