# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measuring one command: the wrapper that makes it the only child (run.py --_exec), the /proc sampler, the run.

Standard library only: the wrapper process imports this module and nothing else of the benchmark.
"""

import contextlib
import json
import os
import resource
import subprocess
import threading
import time


def exec_measured(argv):
    """`run.py --_exec OUT STDOUT STDERR -- command...`: run command as this process's only child.

    resource.getrusage(RUSAGE_CHILDREN) then covers exactly that command's process tree: ru_maxrss is the
    peak RSS of the largest single process among every descendant that ended and was waited for (the
    ansible main process, its forked workers, the module's interpreter, shells): a maximum, not a sum.
    ru_utime + ru_stime is the CPU time of all of them together. Wall time excludes this wrapper's start.
    """
    out, stdout, stderr, separator, *command = argv
    assert separator == "--"
    with open(stdout, "wb") as so, open(stderr, "wb") as se:
        start = time.perf_counter()
        try:
            rc = subprocess.call(command, stdout=so, stderr=se)  # noqa: S603
        except OSError as exc:
            se.write(("cannot run %s: %s\n" % (command[0], exc)).encode())
            rc = 127
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"rc": rc, "wall": wall, "maxrss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}, handle)
    return 0


class TreeSampler(threading.Thread):
    """Polls /proc for the processes under root: peak RSS per role and the peak of their sum.

    Per process it reads VmHWM (the kernel's own high-water mark of that process's RSS), so a short peak
    between two polls is still seen unless the process exits within one poll interval of reaching it. The
    sum adds VmRSS of the processes alive at one poll: forked workers share pages with their parent, so it
    over-counts shared memory; it is an upper bound of the tree's footprint. The PSS sum adds each process's
    proportional set size (smaps_rollup: a page shared by k processes counts 1/k in each), so it counts every
    resident page of the tree once: the memory the whole tree really occupies at that poll.
    """

    def __init__(self, root_pid, interval=0.02):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.stop_event = threading.Event()
        self.peaks = {}  # pid -> (role, peak kB)
        self.sum_peak_kb = 0
        self.pss_peak_kb = 0

    @staticmethod
    def _children(pid):
        found = []
        with contextlib.suppress(OSError):
            for task in os.listdir("/proc/%d/task" % pid):
                with contextlib.suppress(OSError), open("/proc/%d/task/%s/children" % (pid, task), encoding="ascii") as handle:
                    found.extend(int(child) for child in handle.read().split())
        return found

    @staticmethod
    def _status(pid):
        fields = {}
        with contextlib.suppress(OSError), open("/proc/%d/status" % pid, encoding="utf-8") as handle:
            for line in handle:
                key, _colon, value = line.partition(":")
                if key in ("VmHWM", "VmRSS", "PPid"):
                    fields[key] = int(value.split()[0])
        return fields

    @staticmethod
    def _pss(pid):
        with contextlib.suppress(OSError), open("/proc/%d/smaps_rollup" % pid, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        return 0

    def _role(self, pid, ppid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            return None
        if "AnsiballZ_" in cmdline:
            return "module"
        if "/ansible" in cmdline or cmdline.startswith("ansible"):
            return "controller" if ppid == self.root_pid else "worker"
        return "other"

    def run(self):
        roles = {}
        while not self.stop_event.is_set():
            pending, seen, total, pss = self._children(self.root_pid), set(), 0, 0
            while pending:
                pid = pending.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                pending.extend(self._children(pid))
                status = self._status(pid)
                if not status:
                    continue
                if pid not in roles:
                    roles[pid] = self._role(pid, status.get("PPid"))
                total += status.get("VmRSS", 0)
                pss += self._pss(pid)
                previous = self.peaks.get(pid, (roles[pid], 0))[1]
                self.peaks[pid] = (roles[pid], max(previous, status.get("VmHWM", 0)))
            self.sum_peak_kb = max(self.sum_peak_kb, total)
            self.pss_peak_kb = max(self.pss_peak_kb, pss)
            self.stop_event.wait(self.interval)

    def by_role(self):
        result = {}
        for role, peak in self.peaks.values():
            if role:
                result[role] = max(result.get(role, 0), peak)
        return result


class Run:
    """One measured command: rc, wall and CPU seconds, peak RSS, output and the result summaries."""

    def __init__(self, label, data, stdout, stderr, results, sampler):
        self.label = label
        self.rc = data["rc"]
        self.wall = data["wall"]
        self.cpu = data["cpu"]
        self.maxrss_mb = data["maxrss_kb"] / 1024.0
        self.stdout = stdout
        self.stderr = stderr
        self.results = results
        self.roles_mb = {role: kb / 1024.0 for role, kb in sampler.by_role().items()} if sampler else {}
        self.sum_peak_mb = sampler.sum_peak_kb / 1024.0 if sampler else None
        self.pss_peak_mb = sampler.pss_peak_kb / 1024.0 if sampler else None

    def task(self, name):
        return self.results.get(name) or {}

    def tail(self):
        return (self.stdout + self.stderr)[-1500:]
