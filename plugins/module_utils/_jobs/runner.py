# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the runner every job kind goes through.

An operation (export, import, deploy) describes the work for one workflow as a
generator of steps: it yields ``Call(function, *args)`` to run HTTP or file
reads on a worker thread, ``Calls(...)`` to run several at once, and
``Wait(job, family)`` to have the job's dock status read until the job ends.
Waiting jobs are read together in rounds, when _poll_schedule says. The runner
sends each step's outcome back into the generator (or throws its error there);
what the generator returns completes the workflow's result, and any error that
leaves it becomes that workflow's failed result, in one place.

Generators only ever run on the main thread, so they may move and write files.
"""

import queue
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import JobTimeout, KoreaiError, RateLimited
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import poll_job
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.poll_schedule import PollSchedule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner_options import RUNNER_DEFAULTS


@dataclass
class Settings:
    """How the runner runs: the options every job kind shares."""

    wait: bool = RUNNER_DEFAULTS["wait"]
    wait_timeout: float = RUNNER_DEFAULTS["wait_timeout"]
    poll_interval: float = RUNNER_DEFAULTS["poll_interval"]
    concurrency: int = RUNNER_DEFAULTS["concurrency"]
    max_jobs: int = RUNNER_DEFAULTS["max_jobs"]
    check_mode: bool = False
    diff: bool = False


class Call:
    """A step that runs function(*args) on a worker thread; its return value is sent back."""

    def __init__(self, function, *args):
        self.function = function
        self.args = args


class Calls:
    """A step that runs several Calls at once; the list of their return values is sent back (or the first error)."""

    def __init__(self, calls):
        self.calls = list(calls)


class Wait:
    """A step that polls job's dock status until it succeeds; the updated job is sent back.

    family names the kind of job (``export``, ``import``, ``deploy``): jobs of one family are taken to take similar
    times, which the poll schedule uses in a batch.
    """

    def __init__(self, job, family):
        self.job = job
        self.family = family


@dataclass
class Gather:
    """The outcomes of a Calls step as they come back."""

    outcomes: list
    left: int
    error: BaseException = None


@dataclass(eq=False)
class Item:
    """One workflow on its way through the runner."""

    request: object
    result: dict
    steps: object = None
    started: float = None
    waiting: object = None  # the _poll_schedule.Waiting of its job while a Wait step runs
    gather: Gather = None  # while a Calls step runs
    polls: int = 0
    done: bool = False


class Runner:
    """Runs one operation for a list of requests and returns one result dict per request, in order."""

    def __init__(self, client, settings, operation):
        self.client = client
        self.settings = settings
        self.operation = operation
        self._pool = None
        self._futures = {}  # future -> (item, slot in a Calls step or None, whether it is a poll)
        self._completed = queue.Queue()  # futures as they finish, so each completion costs O(1)
        self._waiting = {}  # items whose job is being polled (a dict keeps their order)
        self._in_flight = 0
        self._pilot = None  # the first item, alone until its first step came back
        self._piloted = False
        self._stop_reason = None
        self._schedule = PollSchedule(settings.poll_interval, settings.wait_timeout)

    def run(self, requests):
        items = [Item(request, dict(self.operation.initial_result(request), not_started=False)) for request in requests]
        pending = deque(items)
        with ThreadPoolExecutor(max_workers=self.settings.concurrency) as pool:
            self._pool = pool
            while pending or self._futures or self._waiting:
                self._start(pending)
                self._poll_due()
                self._collect(self._seconds_to_next_poll())
        return [item.result for item in items]

    # --- starting ------------------------------------------------------------

    def _may_start(self):
        cap = self.settings.max_jobs
        return self._pilot is None and (not cap or self._in_flight < cap)

    def _start(self, pending):
        """Start items while the caps allow; the first one alone until its first step came back, so that the
        route spelling is found, or a refused key seen, once rather than by a whole wave."""
        while pending and self._may_start():
            item = pending.popleft()
            if self._stop_reason:
                self._fail(item, "not started: %s" % self._stop_reason, not_started=True)
                continue
            item.started = time.monotonic()
            item.steps = self.operation.steps(item.request, item.result)
            self._in_flight += 1
            self._advance(item)
            if not self._piloted and pending and not item.done:
                self._pilot = item
            self._piloted = True

    # --- one exception boundary ----------------------------------------------------

    def _advance(self, item, value=None, error=None):
        """Run item's generator to its next step; its outcome, or any error, settles the item here.

        An error that every other workflow would meet too (``stops_batch``: a refused key, an unreachable host)
        also keeps the items not started yet from starting.
        """
        if self._pilot is item:
            self._pilot = None
        try:
            step = item.steps.throw(error) if error is not None else item.steps.send(value)
        except StopIteration as stop:
            self._settle(item, stop.value or {})
        except KoreaiError as exc:
            if exc.stops_batch:
                self._stop_reason = self._stop_reason or exc.message
            self._fail(item, exc.message, **exc.details)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            self._fail(item, "unexpected %s: %s" % (type(exc).__name__, exc))
        else:
            self._take(item, step)

    def _take(self, item, step):
        """Start item's next step: a job to wait for, concurrent calls, or one call."""
        if isinstance(step, Wait):
            item.waiting = self._schedule.start(step.job, step.family)
            self._waiting[item] = None
        elif isinstance(step, Calls):
            item.gather = Gather([None] * len(step.calls), len(step.calls))
            for slot, call in enumerate(step.calls):
                self._submit((item, slot, False), call.function, *call.args)
            if not step.calls:
                self._advance(item, [])
        else:
            self._submit((item, None, False), step.function, *step.args)

    def _settle(self, item, outcome):
        item.result.update(outcome)
        self._end(item)

    def _fail(self, item, message, **details):
        item.result.update(details)
        item.result.update(failed=True, changed=item.result.get("changed", False), msg=message)
        self._end(item)

    def _end(self, item):
        item.done = True
        if item.started is not None:
            self._in_flight -= 1
            item.result["elapsed"] = round(time.monotonic() - item.started, 3)
        else:
            item.result["elapsed"] = 0.0
        if item.polls:
            item.result["polls"] = item.polls

    # --- waiting ----------------------------------------------------------------

    def _poll_due(self):
        """Read the jobs whose turn has come, as one round (waiting items are in the order they started)."""
        now = time.monotonic()
        elder_read = set()  # the families of which an elder job is read in this round
        for item in self._waiting:
            waiting = item.waiting
            if not self._schedule.is_due(waiting, now):
                continue
            age = waiting.age(now)
            if self._schedule.may_skip(waiting, age, waiting.family in elder_read):
                waiting.skipped = True
                self._schedule.reschedule(waiting, now)
                continue
            elder_read.add(waiting.family)
            waiting.polling, waiting.skipped, waiting.read_age = True, False, age
            item.polls += 1
            self._submit((item, None, True), poll_job, self.client, waiting.job, self._schedule.deadline(waiting))

    def _seconds_to_next_poll(self):
        due = [item.waiting.next_read for item in self._waiting if not item.waiting.polling]
        return max(0.0, min(due) - time.monotonic()) if due else None

    def _polled(self, item, error):
        """Handle one dock status read: go on waiting, or hand the outcome to the item's generator."""
        waiting = item.waiting
        waiting.polling = False
        now = time.monotonic()
        if waiting.job.succeeded or waiting.job.failed:
            self._schedule.seen_ended(waiting, now, [other.waiting for other in self._waiting if other is not item])
        if (error is None and waiting.job.succeeded) or (error is not None and not isinstance(error, RateLimited)):
            self._stop_waiting(item, None if error else waiting.job, error)
        elif now >= self._schedule.deadline(waiting):
            self._stop_waiting(item, error=JobTimeout(self._timeout_message(waiting.job), **self._resume_data(waiting.job)))
        else:
            self._schedule.reschedule(waiting, now, error.retry_after if isinstance(error, RateLimited) else 0.0)

    def _stop_waiting(self, item, value=None, error=None):
        del self._waiting[item]
        item.waiting = None
        self._advance(item, value, error)

    @staticmethod
    def _resume_data(job):
        """What a timed-out job is resumed with: its dock status id (a download URL only as shown, without the query
        string a signed URL's signature is in)."""
        return dict(dock_status_id=job.dock_status_id, status=job.status,
                    download_url=display_url(job.download_url) if job.download_url else None)

    def _timeout_message(self, job):
        progress = " at %s%%" % job.percentage_complete if job.percentage_complete is not None else ""
        unknown = "" if job.status_known else " (a status this collection does not know; it kept waiting)"
        return ("%s did not finish within wait_timeout=%s s (last status %s%s%s); resume it with dock_status_id=%s"
                % (job.action, self.settings.wait_timeout, job.status, progress, unknown, job.dock_status_id))

    # --- completions --------------------------------------------------------------

    def _submit(self, key, function, *args):
        future = self._pool.submit(function, *args)
        self._futures[future] = key
        future.add_done_callback(self._completed.put)

    def _collect(self, timeout):
        """Handle the completions that came in, waiting up to timeout seconds for the first one."""
        if not self._futures:
            if timeout:
                time.sleep(timeout)
            return
        try:
            future = self._completed.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            self._completion(future)
            try:
                future = self._completed.get_nowait()
            except queue.Empty:
                return

    def _completion(self, future):
        item, slot, is_poll = self._futures.pop(future)
        error = future.exception()
        if slot is not None:
            self._gathered(item, slot, error or future.result(), error is not None)
        elif is_poll:
            self._polled(item, error)
        else:
            self._advance(item, None if error else future.result(), error)

    def _gathered(self, item, slot, outcome, is_error):
        """One Call of a Calls step came back; the step's outcome goes on once all of them did."""
        gather = item.gather
        gather.left -= 1
        if is_error:
            gather.error = gather.error or outcome
        else:
            gather.outcomes[slot] = outcome
        if not gather.left:
            item.gather = None
            self._advance(item, gather.outcomes, gather.error)
