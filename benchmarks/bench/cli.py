# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line of benchmarks/run.py: options, set-up, the steps in order, the report, clean-up."""

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback

from bench import emulator as bench_emulator
from bench.ansible_runner import Ansible
from bench.config import FULL, SMOKE
from bench.core import Bench
from bench.report import machine_info, plugins_state, print_report
from bench.step_akamai import run_akamai
from bench.step_cloudfront import run_cloudfront
from bench.step_fastly import run_fastly
from bench.step_gcore import run_gcore
from bench.step_imagekit import run_imagekit
from bench.step_ledger import run_ledger
from bench.step_minimum import run_minimum
from bench.step_plan import run_plan
from bench.step_scale import run_scale
from bench.step_scaling import run_scaling
from bench.step_wait import run_wait

STEPS = {
    "imagekit": run_imagekit,
    "fastly": run_fastly,
    "plan": run_plan,
    "scale": run_scale,
    "ledger": run_ledger,
    "scaling": run_scaling,
    "minimum": run_minimum,
    "wait": run_wait,
    "gcore": run_gcore,
    "cloudfront": run_cloudfront,
    "akamai": run_akamai,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description="cdnops.cdn bulk-purge benchmark (docs/performance.md)")
    parser.add_argument("--smoke", action="store_true", help="small sizes, one run each: a correctness check for CI")
    parser.add_argument("--repeat", type=int, help="rounds of A/L/FA/FL/C/P/X (default 5 for A, L, FA and FL, 3 for C, P and X; 1 with --smoke)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="emulator latency per request (default 20)")
    parser.add_argument("--skip-uri", action="store_true", help="leave out B, the slow uri loop (no B/A ratio)")
    parser.add_argument("--ansible-bin-dir", default=os.path.dirname(sys.executable), help="where ansible and ansible-playbook are (default: this Python's)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (vars files, outputs)")
    parser.add_argument("--profile", action="store_true", help="also cProfile one P run (controller, worker, module) and print the top functions")
    parser.add_argument("--only", default=",".join(STEPS), help="comma list of steps to run, of: %s (default: all)" % ", ".join(STEPS))
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    if not args.only or set(args.only) - set(STEPS):
        parser.error("--only takes a comma list of: %s" % ", ".join(STEPS))
    for tool in ("ansible", "ansible-playbook"):
        if not os.access(os.path.join(args.ansible_bin_dir, tool), os.X_OK):
            parser.error("%s not found in %s (run `make venv`, or give --ansible-bin-dir)" % (tool, args.ansible_bin_dir))
    return args


def main(argv):
    args = parse_args(argv)
    sizes = dict(SMOKE if args.smoke else FULL)
    if args.repeat:
        sizes.update(repeat=args.repeat, repeat_c=args.repeat, repeat_plan=args.repeat, repeat_scale=args.repeat)

    workdir = tempfile.mkdtemp(prefix="cdn-bench-")
    plugins_at_start = plugins_state()
    emulator = None
    started = time.monotonic()
    try:
        emulator = bench_emulator.start(workdir, args.latency_ms)
        ansible = Ansible(workdir, args.ansible_bin_dir)
        bench = Bench(args, sizes, workdir, emulator, ansible)
        header = machine_info(ansible, emulator, args.latency_ms)
        for name in args.only:
            step = STEPS[name]
            try:
                step(bench)
            except Exception:  # noqa: BLE001 - one broken step must not hide the others' results
                bench.failures.append("%s raised: %s" % (step.__name__, traceback.format_exc()))
        return print_report(bench, header, plugins_at_start, started)
    except (RuntimeError, OSError) as exc:
        print("setup error: %s" % exc, file=sys.stderr)
        return 2
    finally:
        if emulator is not None:
            emulator.stop()
        if args.keep:
            print("work directory kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
