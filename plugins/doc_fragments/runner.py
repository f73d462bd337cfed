# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that run jobs (export, import, deploy) through the collection's runner."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """How jobs are waited for and how many run at once."""

    DOCUMENTATION = r"""
options:
  wait_timeout:
    description:
      - Seconds to wait for each job to end. On timeout the workflow fails, and its result carries the dock status
        ID to resume with.
    type: float
    default: 600
  poll_interval:
    description:
      - Longest wait, in seconds, between two dock status reads of a job.
      - Reads follow the job's age, not the answers' pace. The first happens 0.3 s after the job started; each
        following wait is 0.42 of the time the job has run so far (at least 0.3 s), up to this value. So a job is
        seen done within about a third of its duration after it ends, whether it takes one second or ten minutes,
        with reads growing like the logarithm of its duration.
      - The jobs of a batch are read together in rounds. Jobs of one kind (export, import, deploy) usually take
        similar times, so every other job reads halfway between the schedule's points, a job skips every other read
        while an older job of the batch is still running at its age, and once one job is seen done the others are
        read when they reach its age. A job quicker than its elders is still seen done within two steps of the
        schedule.
      - A read answered with HTTP 429 waits for C(Retry-After) and goes on until O(wait_timeout).
    type: float
    default: 5
  concurrency:
    description:
      - Most HTTP requests in flight at once in a batch. Jobs run on the server in parallel, so all of them are
        started as fast as this bound allows.
      - "Across the module processes of one controller (the forks of a play over many environments that share one API
        host, such as a stage of tenants), at most E(KOREAI_HOST_CONCURRENCY) requests (default 16; V(0) for no bound)
        are in flight to one host, whatever each task's O(concurrency). Set it in the controller's environment (the
        CI job's, the AWX execution environment's). A request waiting out a C(Retry-After) or a backoff gives its
        place to the others: a 429 slows the environment it was sent for, not the others. The bound is kept with
        lock files in a private directory of the user's in the temp directory (removed when the last request ends)."
    type: int
    default: 8
  max_jobs:
    description:
      - Most workflows in progress at once (from the start of the first job to the end of the last step); V(0)
        means no cap.
    type: int
    default: 0
  fail_on_error:
    description:
      - With O(workflows), fail the task after all workflows finished when any of them failed. With V(false) the
        task succeeds and the results tell which ones failed.
      - One workflow's failure never stops the others, except an answer every workflow would get (the key refused,
        the host unreachable), after which the workflows not started yet are not started and are reported as such.
    type: bool
    default: true
"""
