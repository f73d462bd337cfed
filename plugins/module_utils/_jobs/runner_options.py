# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the options every job-running module shares, their defaults and ranges.

RUNNER_DEFAULTS is the one home of these defaults: the argument spec and the runner's Settings take them from
here, and the unit tests hold the doc fragment and the roles' literals equal to them.
"""

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError, check_positive

# wait is workflow_export's own option (the other modules always wait); the others are every job-running module's.
RUNNER_DEFAULTS = dict(wait=True, wait_timeout=600, poll_interval=5, concurrency=8, max_jobs=0, fail_on_error=True)
RUNNER_OPTION_TYPES = dict(wait_timeout="float", poll_interval="float", concurrency="int", max_jobs="int",
                           fail_on_error="bool")


def runner_argument_spec():
    """Options of every module that runs jobs (documented by the runner doc fragment)."""
    return {option: dict(type=kind, default=RUNNER_DEFAULTS[option]) for option, kind in RUNNER_OPTION_TYPES.items()}


def check_runner_options(params):
    """A PlanError for a runner option out of range."""
    check_positive(params, ("wait_timeout", "poll_interval", "concurrency"))
    if params.get("max_jobs") is not None and params["max_jobs"] < 0:
        raise PlanError("max_jobs must be 0 (no cap) or more")
