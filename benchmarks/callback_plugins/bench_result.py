# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: a compact summary of every task result, by task name, in a JSON file.

benchmarks/run.py checks each benchmark's result with it. It keeps digests and counts rather than the
result itself, so that writing it costs milliseconds even for a 100,000-path plan.
"""

import collections
import hashlib
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_result
type: aggregate
short_description: Write task result summaries to the JSON file named by CDN_BENCH_RESULT_FILE
description:
  - For benchmarks/run.py of cdnops.cdn only.
"""

MAX_LISTED_IDS = 5000


def _digest(strings):
    return hashlib.sha256("\n".join(sorted(strings)).encode("utf-8")).hexdigest()


def summarize(data, outcome):
    """The fields benchmarks/run.py checks, from one task result."""
    summary = {"outcome": outcome, "failed": bool(data.get("failed")), "changed": bool(data.get("changed"))}
    if data.get("msg"):
        summary["msg"] = str(data["msg"])[:2000]
    if "purge_requests" in data:
        paths = data.get("paths") or []
        requests = data.get("purge_requests") or []
        request_ids = data.get("request_ids") or []
        batched = [path for item in requests for path in item.get("paths") or []]
        summary.update(
            n_paths=len(paths),
            paths_digest=_digest(paths),
            skipped=dict(collections.Counter(item.get("reason") for item in data.get("skipped_paths") or [])),
            n_purge_requests=len(requests),
            max_batch=max((len(item.get("paths") or []) for item in requests), default=0),
            batched_digest=_digest(batched),
            n_batched=len(batched),
            statuses=dict(collections.Counter(item.get("status") for item in requests)),
            n_request_ids=len(request_ids),
            request_ids=request_ids if len(request_ids) <= MAX_LISTED_IDS else None,
            api_requests=data.get("api_requests"),
            status=data.get("status"),
            # Akamai (no status API): what each answer estimated, and what wait: true waited.
            estimated_seconds=[item["estimated_seconds"] for item in requests if item.get("estimated_seconds") is not None],
            waited_seconds=data.get("waited_seconds"),
        )
    if "paths_count" in data:  # return_items=false (paths_file): counts in place of the lists
        requests = data.get("purge_requests") or []
        summary.update(
            n_paths=data["paths_count"],
            skipped=dict(data.get("skipped_count") or {}),
            n_purge_requests=len(requests),
            max_batch=max((item.get("paths_count") or 0 for item in requests), default=0),
            n_batched=sum(item.get("paths_count") or 0 for item in requests),
            statuses=dict(collections.Counter(item.get("status") for item in requests)),
            n_request_ids=len(data.get("request_ids") or []),
            api_requests=data.get("api_requests"),
            status=data.get("status"),
            result_bytes=len(json.dumps(data, default=str)),
            counted=True,
        )
    if isinstance(data.get("results"), list):  # a loop
        summary["loop_items"] = len(data["results"])
        summary["loop_status"] = dict(collections.Counter(str(item.get("status")) for item in data["results"]))
        summary["loop_failed"] = sum(1 for item in data["results"] if item.get("failed"))
    return summary


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_result"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = {}

    def _record(self, result, outcome):
        data = getattr(result, "result", None)
        if not isinstance(data, dict):
            # ansible-core < 2.19 has no public result attribute
            data = result._result  # pylint: disable=protected-access
        self.results[result.task_name] = summarize(data, outcome)

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["CDN_BENCH_RESULT_FILE"], "w", encoding="utf-8") as handle:
            json.dump(self.results, handle)
