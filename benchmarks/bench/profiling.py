# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""--profile: cProfile one P run with profile_ansible.py and summarise each profile it writes."""

import io
import pstats
import re

from bench.config import BENCH, log


def profile_plan(bench, vars_path, payload):
    """--profile: cProfile the P run (main process, worker) and the module payload; print the top functions."""
    outdir = bench.workdir / "profiles"
    tool = str(BENCH / "profile_ansible.py")
    python = str(bench.ansible.bin_dir / "python")
    command = bench.ansible.playbook_command("cdn_purge.yml", vars_path)
    log("profiling P (cProfile makes it 2-3 times slower)")
    bench.ansible.measure("profile", [python, tool, str(outdir), "--", *command])
    if payload:
        bench.ansible.measure("profile", [python, tool, str(outdir), "--payload", payload])
    for path in sorted(outdir.glob("*.prof")):
        bench.profiles.append(profile_summary(path))


def profile_summary(path, count=14):
    """The functions that take the most time in one cProfile file, without the wrappers that enclose everything."""
    stats = pstats.Stats(str(path), stream=io.StringIO()).stats
    total = max(cumulative for _cc, _nc, _tt, cumulative, _callers in stats.values())

    def name(function):
        filename, line, function_name = function
        short = re.sub(r"^.*/lib/python3\.\d+/", "", filename.split("site-packages/")[-1].split(".zip/")[-1])
        return "%s:%d(%s)" % (short, line, function_name) if line else function_name

    # Wrappers (main(), run(), ...) include nearly everything; below 60 % of the total the picture shows.
    inner = [(value[3], value[2], function) for function, value in stats.items() if value[3] < 0.6 * total and not function[0].startswith("<frozen")]
    lines = ["%s: %.1f s under cProfile (2-3 times the real time); largest cumulative (self) times:" % (path.name, total)]
    lines.extend("    %6.2f s (%5.2f s)  %s" % (cumulative, own, name(function)) for cumulative, own, function in sorted(inner, reverse=True)[:count])
    return "\n".join(lines)
