# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: write when each task started and when its last host finished to $BENCH_TASK_TIMES.

Enabled by tests/benchmark/run.py (ANSIBLE_CALLBACK_PLUGINS and ANSIBLE_CALLBACKS_ENABLED); one JSON
document per playbook run: {"playbook_start": t, "tasks": [{"name", "start", "end"}], "stats_at": t}.
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_task_times
type: aggregate
short_description: task start and end times for the benchmark
description: Writes the start time of each task and the end time of its last host to the file named by BENCH_TASK_TIMES.
requirements: [enabled in the callback list]
"""


class CallbackModule(CallbackBase):
    """Record task timestamps (epoch seconds, comparable with the emulator's request log)."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._started = time.time()
        self._tasks = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._tasks.append({"name": task.get_name(), "start": time.time(), "end": None})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _host_done(self, *_args, **_kwargs):
        if self._tasks:
            self._tasks[-1]["end"] = time.time()

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = v2_runner_on_unreachable = _host_done

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TASK_TIMES")
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"playbook_start": self._started, "tasks": self._tasks, "stats_at": time.time()}) + "\n")
