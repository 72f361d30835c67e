# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report: the header (machine, collection, emulator), the table, the notes, verdicts and failures."""

import contextlib
import os
import platform
import subprocess
import time

from bench.config import ROOT
from bench.emulator import imagekit_round_trip_ms


def table(rows):
    """The rows as a Markdown table, every column padded to its widest cell."""
    header = ("id", "measurement", "runs", "median", "best", "CPU", "peak RSS", "target", "correctness")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row):
        return "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |"

    out = [line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def _git(*arguments):
    completed = subprocess.run(["git", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=False)  # noqa: S603, S607
    return completed.stdout.strip() if completed.returncode == 0 else None


def collection_version():
    """The commit measured, and the state of plugins/ (what the benchmark really runs)."""
    commit = _git("rev-parse", "--short", "HEAD")
    if commit is None:
        return "not a git checkout"
    dirty = " + uncommitted changes" if _git("status", "--porcelain", "--", "plugins") else ""
    return "git %s, plugins/ tree %s%s" % (commit, _git("rev-parse", "--short", "HEAD:plugins"), dirty)


def plugins_state():
    """Changes when anything under plugins/ changes, committed or not (others may work in the same tree)."""
    return _git("rev-parse", "HEAD:plugins"), _git("diff", "HEAD", "--", "plugins")


def machine_info(ansible, emulator, latency_ms):
    load = os.getloadavg()
    versions = []
    for name in ("requests", "urllib3"):
        with contextlib.suppress(ImportError):
            versions.append("%s %s" % (name, __import__(name).__version__))
    return [
        "machine: nproc %d, %s %s, Python %s, ansible-core %s, %s; load average %.1f %.1f %.1f"
        % (os.cpu_count(), platform.system(), platform.machine(), platform.python_version(), ansible.version(), ", ".join(versions), *load),
        "collection: %s (%s)" % (ROOT, collection_version()),
        "emulator: tests/emulator/cdn_emulator.py, --latency-ms %g; measured round trip of one request on a kept-alive connection %.1f ms"
        % (latency_ms, imagekit_round_trip_ms(emulator)),
    ]


def print_report(bench, header, plugins_at_start, started):
    """Print the whole report; return the exit status: 1 when a benchmark gave a wrong answer, else 0."""
    smoke = bench.args.smoke
    print()
    print("cdnops.cdn bulk-purge benchmark (%s run, %s)" % ("smoke" if smoke else "full", time.strftime("%Y-%m-%d %H:%M %Z")))
    for line in header:
        print(line)
    print()
    print(table(bench.rows))
    print()
    print(
        "median/best: wall seconds of the whole command over the runs; peak RSS: ru_maxrss of RUSAGE_CHILDREN, the largest "
        "single process of the command's tree (not a sum). B is measured once."
    )
    if plugins_state() != plugins_at_start:
        bench.notes.append("plugins/ changed during the run (now %s): rows may mix two versions of the collection" % collection_version())
    for note in bench.notes:
        print("note: %s" % note)
    for profile in bench.profiles:
        print(profile)
    if not smoke:
        held = [name for name, holds in bench.verdicts if holds]
        missed = [name for name, holds in bench.verdicts if not holds]
        print("targets held: %s" % (", ".join(held) or "none"))
        print("targets missed: %s (timing and memory never fail the run)" % (", ".join(missed) or "none"))
    print("total benchmark time: %.0f s; load average at the end %.1f %.1f %.1f" % (time.monotonic() - started, *os.getloadavg()))
    if bench.failures:
        print()
        print("CORRECTNESS FAILURES (%d):" % len(bench.failures))
        for failure in bench.failures:
            print("  - " + failure)
        return 1
    print("correctness: every benchmark's answer checked against the emulator log and the module result: ok")
    return 0
