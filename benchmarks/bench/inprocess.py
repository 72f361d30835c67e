# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's own code, imported and timed in this process (rows P3-P6, S1, S2, J3, J4)."""

import sys
import time

from module_params import default_params

from bench.config import BATCH


def load(bench):
    """The collection's functions, or None (with a note) when this Python cannot import them."""
    sys.path.insert(0, str(bench.ansible.collections))
    try:
        from ansible.module_utils.common.parameters import remove_values

        from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for
        from ansible_collections.cdnops.cdn.plugins.module_utils._planner import plan_purge
        from ansible_collections.cdnops.cdn.plugins.module_utils._runner import run_purge
    except ImportError as exc:
        bench.notes.append("in-process measurements skipped (run with the Python that has ansible-core): %s" % exc)
        return None
    return InProcess(bench, remove_values, provider_for, plan_purge, run_purge)


class InProcess:
    def __init__(self, bench, remove_values, provider_for, plan_purge, run_purge):
        self.bench = bench
        self.remove_values = remove_values
        self.provider_for = provider_for
        self.plan_purge = plan_purge
        self.run_purge = run_purge

    def params(self, provider, paths, **options):
        """cdn_purge's params as AnsibleModule would pass them: the real argument spec's defaults plus these."""
        from ansible_collections.cdnops.cdn.plugins.modules.cdn_purge import OPTIONS

        values = dict(
            provider=provider,
            api_base_url=self.bench.emulator.url,
            paths=paths,
            concurrency=self.bench.concurrency,
            idempotency_file=str(self.bench.workdir / "ledger.json"),
        )
        values.update(options)
        return default_params(OPTIONS, **values)

    def plan(self, params, paths, max_requests):
        """The benchmark's only call of the planner: when plan_purge's signature changes, change this line."""
        return self.plan_purge(self.provider_for(params), {"paths": paths}, BATCH, max_requests)


def best(function, repeat):
    """(best wall, best CPU) seconds of function() over repeat calls, and its last value."""
    walls, cpus, value = [], [], None
    for _round in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        value = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return (min(walls), min(cpus)), value
