# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cProfile an Ansible run: the controller's main process, each forked worker, or a module payload.

    python benchmarks/profile_ansible.py OUTDIR -- ansible-playbook -i INVENTORY PLAYBOOK -e @VARS
        writes OUTDIR/main.prof and OUTDIR/worker-PID.prof (the worker runs the task: it starts the module,
        reads its answer and post-processes the result before handing it to the main process)
    python benchmarks/profile_ansible.py OUTDIR --payload AnsiballZ_cdn_purge.py
        writes OUTDIR/module.prof: the module process alone (keep the payload with ANSIBLE_KEEP_REMOTE_FILES=1)
    python benchmarks/profile_ansible.py --show FILE.prof [N]
        prints the N (default 25) functions with the largest cumulative time

Run it with the Python that has ansible-core installed. benchmarks/run.py --profile uses it for the
100,000-path plan (P) and prints the summaries.
"""

import contextlib
import cProfile
import io
import os
import pstats
import runpy
import shutil
import sys


def show(path, limit=25, out=sys.stdout):
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)


def profile_command(outdir, command):
    from ansible.executor.process import worker  # the ansible-core of this Python

    original = worker.WorkerProcess._run

    def profiled_run(self):
        profile = cProfile.Profile()
        try:
            return profile.runcall(original, self)
        finally:
            profile.dump_stats(os.path.join(outdir, "worker-%d.prof" % os.getpid()))

    worker.WorkerProcess._run = profiled_run
    script = shutil.which(command[0]) or command[0]
    sys.argv = [script, *command[1:]]
    return _run_profiled(os.path.join(outdir, "main.prof"), script)


def profile_payload(outdir, payload):
    # AnsiballZ drops the directory of __main__ (this script's) from sys.path, not the standard library's.
    sys.argv = [payload]
    with contextlib.redirect_stdout(io.StringIO()):
        return _run_profiled(os.path.join(outdir, "module.prof"), payload)


def _run_profiled(prof_path, script):
    """Run script as __main__ under cProfile and write prof_path, whatever happens; return its exit code."""
    profile = cProfile.Profile()
    code = 0
    try:
        profile.runcall(runpy.run_path, script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        profile.dump_stats(prof_path)
    return code


def main(argv):
    if argv[:1] == ["--show"]:
        show(argv[1], int(argv[2]) if len(argv) > 2 else 25)
        return 0
    if len(argv) < 3 or argv[1] not in ("--", "--payload"):
        print(__doc__, file=sys.stderr)
        return 2
    os.makedirs(argv[0], exist_ok=True)
    if argv[1] == "--payload":
        return profile_payload(argv[0], argv[2])
    return profile_command(argv[0], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
