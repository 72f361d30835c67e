# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bulk purges at the physical limit: cdn_purge against the uri loop and the API minimum.

    python benchmarks/run.py            # full run (about 10 minutes; B alone sends 500 uri tasks)
    python benchmarks/run.py --smoke    # small sizes, well under a minute: checks correctness only

Starts the provider emulator (tests/emulator) on 127.0.0.1 with 20 ms latency per request, runs the real
ansible-playbook / ansible commands against it and prints one table. Every benchmark's answer is checked
against the emulator's request log and the module's result. Exit status: 1 when a benchmark gave a wrong
answer, 2 on a setup error, never because of a time or memory figure (the machine may be shared and noisy).
docs/performance.md explains every row; the code is in the bench package next to this script.
"""

import sys
from pathlib import Path

# The one place the benchmark reaches into the tests: tests/support holds the emulator launcher
# (emulator_support) and the test-only module params (module_params). pytest puts that folder on its
# pythonpath (pyproject.toml); this script is not a test, so it does the same, here and nowhere else.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_exec"]:
        # The measured-command wrapper (bench/measure.py): imports nothing else, to stay small and quick.
        from bench.measure import exec_measured

        return exec_measured(argv[1:])
    from bench.cli import main as bench_main

    return bench_main(argv)


if __name__ == "__main__":
    sys.exit(main())
