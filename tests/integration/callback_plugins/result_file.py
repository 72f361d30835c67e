# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: every task result of a run, by task name, in a JSON file.

The integration tests read results from here while the normal stdout callback prints as users see it.
"""

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: result_file
type: aggregate
short_description: Write task results to the JSON file named by CDN_TEST_RESULT_FILE
description:
  - For the cdnops.cdn integration tests only.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_file"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = {}

    def _record(self, result):
        data = getattr(result, "result", None)
        if not isinstance(data, dict):
            # ansible-core before 2.19 has only the private attribute.
            data = result._result  # pylint: disable=protected-access
        self.results[result.task_name] = data

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result)

    def v2_runner_on_skipped(self, result):
        self._record(result)

    def v2_runner_on_unreachable(self, result):
        self._record(result)

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["CDN_TEST_RESULT_FILE"], "w", encoding="utf-8") as handle:
            json.dump(self.results, handle, default=str)
