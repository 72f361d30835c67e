# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run tests/emulator/cdn_emulator.py unchanged, except that its sockets get TCP_NODELAY.

Why: http.server writes the status line and headers in one send() and the body in a second one. With
Nagle's algorithm on (the socket default), the body waits until the client has ACKed the headers, and
Linux delays that ACK by up to 40 ms. Every request to the stock emulator therefore takes about
latency_ms + 40 ms, which no real CDN API does. StreamRequestHandler.disable_nagle_algorithm is
http.server's own switch for this; benchmarks/run.py measures the round trip of both emulators and
prints it, and `--stock-emulator` runs every benchmark against the unmodified one.
Arguments are the emulator's own (see tests/emulator/README.md).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "emulator"))

import cdn_emulator  # noqa: E402

cdn_emulator.EmulatorHandler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.exit(cdn_emulator.main())
