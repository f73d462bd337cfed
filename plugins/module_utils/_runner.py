# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the runner every job kind goes through.

An operation (export, import, deploy) describes the work for one workflow as a
generator of steps: it yields ``Call(function, *args)`` to run HTTP or file
reads on a worker thread, and ``Wait(job)`` to have the job's dock status read
until the job ends. Waiting jobs are polled together in rounds on a schedule
that starts fast and grows geometrically up to ``poll_interval``. In a batch,
every other job of a kind reads halfway between the schedule's points, a job
whose elders are still running at its age skips every other read, and once one
job is seen ended the others are read when they reach its age. The runner
sends each step's outcome back into the generator (or throws its error there);
what the generator returns completes the workflow's result, and any error that
leaves it becomes that workflow's failed result, in one place.

Generators only ever run on the main thread, so they may move and write files.
"""

import math
import queue
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ansible_collections.koreai.ai_for_process.plugins.module_utils._client import display_url
from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import JobTimeout, KoreaiError, RateLimited
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs import poll_job

FIRST_POLL_DELAY = 0.3  # seconds: the age of a job at its first read; half of it is the shortest wait between reads
POLL_GROWTH = 0.42  # each step of the schedule is this share of the job's age at the step's start, at most poll_interval
ROUND_WINDOW = 0.1  # polls due within this many seconds (at most half their wait) go out in the same round


@dataclass
class Settings:
    """How the runner runs: the options every job kind shares."""

    wait: bool = True
    wait_timeout: float = 600
    poll_interval: float = 5
    concurrency: int = 8
    max_jobs: int = 0
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

    Jobs of one family (the first word of their action: export, import, deploy) are taken to take similar times.
    """

    def __init__(self, job):
        self.job = job
        self.family = job.action.split(" ", 1)[0]


def next_poll_delay(elapsed, cap, offset=0.0):
    """Seconds until the next read of a job that has run for elapsed seconds.

    Reads fall on a fixed schedule of the job's age: FIRST_POLL_DELAY, then steps of POLL_GROWTH of the age reached
    (at least the first delay, at most cap); with an offset (a share of a step), each read comes that far into the
    step after its point. So the time between a job's end and the read that sees it stays within POLL_GROWTH of its
    duration, polls per job grow like log(duration) until the cap, and slow answers do not push later reads back: the
    next read is the next point of the schedule at least half a first delay away.
    """
    first = min(FIRST_POLL_DELAY, cap)
    due = elapsed + first / 2
    point = first
    while True:
        step = min(max(first, point * POLL_GROWTH), cap)
        read = point + offset * step
        if read >= due:
            return read - elapsed
        if step == cap:  # from here on the reads are cap apart
            return read + math.ceil((due - read) / cap) * cap - elapsed
        point += step


@dataclass(eq=False)
class Item:
    """One workflow on its way through the runner."""

    request: object
    result: dict
    steps: object = None
    started: float = None
    job: object = None
    family: str = None
    offset: float = 0.0
    wait_started: float = None
    next_poll: float = None
    poll_delay: float = 0.0
    polling: bool = False
    read_age: float = 0.0
    skipped: bool = False
    done: bool = False
    gathered: list = None
    gather_error: BaseException = None
    gather_left: int = 0
    polls: int = field(default=0)


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
        self._waits = {}  # family -> how many of its jobs have been waited for
        self._running_at = {}  # family -> the greatest age at which one of its jobs was seen running
        self._ended_at = {}  # family -> the least age at which one of its jobs was seen ended

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
            self._schedule(item, step)

    def _schedule(self, item, step):
        if isinstance(step, Wait):
            item.job, item.family, item.skipped, item.read_age = step.job, step.family, False, 0.0
            waits = self._waits[item.family] = self._waits.get(item.family, 0) + 1
            item.offset = 0.0 if waits % 2 else 0.5  # every other job reads halfway between the schedule's points
            item.wait_started = time.monotonic()
            self._reschedule(item, item.wait_started, self._schedule_delay(item, 0.0))
            self._waiting[item] = None
        elif isinstance(step, Calls):
            item.gathered, item.gather_error, item.gather_left = [None] * len(step.calls), None, len(step.calls)
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
            if item.polling or item.next_poll > now + min(ROUND_WINDOW, item.poll_delay / 2):
                continue
            age = now - item.wait_started
            if self._may_skip(item, age, item.family in elder_read):
                item.skipped = True
                self._reschedule(item, now, self._schedule_delay(item, age))
                continue
            elder_read.add(item.family)
            item.polling, item.skipped, item.read_age = True, False, age
            item.polls += 1
            deadline = item.wait_started + self.settings.wait_timeout
            self._submit((item, None, True), poll_job, self.client, item.job, deadline)

    def _may_skip(self, item, age, elder_read):
        """Whether item's read can wait for the next point of its schedule: the jobs of a batch take similar times,
        so while an elder of its family is read in this round or was seen running at item's age, and none was seen
        ended by that age, item is very likely running too. Never two points in a row, so a quicker job than its
        elders is still seen ended within about twice the schedule's step."""
        if item.skipped:
            return False
        ended_at = self._ended_at.get(item.family)
        if ended_at is not None and ended_at <= age:
            return False
        return elder_read or self._running_at.get(item.family, -1.0) >= age

    def _seconds_to_next_poll(self):
        due = [item.next_poll for item in self._waiting if not item.polling]
        return max(0.0, min(due) - time.monotonic()) if due else None

    def _polled(self, item, error):
        """Handle one dock status read: go on waiting, or hand the outcome to the item's generator."""
        item.polling = False
        self._learn(item, error)
        now = time.monotonic()
        deadline = item.wait_started + self.settings.wait_timeout
        if (error is None and item.job.succeeded) or (error is not None and not isinstance(error, RateLimited)):
            del self._waiting[item]
            self._advance(item, None if error else item.job, error)
            return
        if now >= deadline:
            del self._waiting[item]
            self._advance(item, error=JobTimeout(self._timeout_message(item.job), **self._resume_data(item.job)))
            return
        delay = self._schedule_delay(item, now - item.wait_started)
        if isinstance(error, RateLimited):
            delay = max(delay, error.retry_after)
        self._reschedule(item, now, delay)

    def _schedule_delay(self, item, age):
        """Seconds to item's next read: its schedule's next point, or sooner the age at which a job of its family was
        first seen ended, when item has not been seen running at that age yet."""
        delay = next_poll_delay(age, self.settings.poll_interval, item.offset)
        ended_at = self._ended_at.get(item.family, math.inf)
        if item.read_age < ended_at and age < ended_at:
            delay = min(delay, max(ended_at - age, self._shortest_gap()))
        return delay

    def _shortest_gap(self):
        """The shortest wait between two reads of a job, as in next_poll_delay."""
        return min(FIRST_POLL_DELAY, self.settings.poll_interval) / 2

    def _reschedule(self, item, now, delay):
        item.poll_delay = delay
        item.next_poll = min(now + delay, item.wait_started + self.settings.wait_timeout)

    def _learn(self, item, error):
        """What a read tells about the durations of item's family: a job ended by this age, or ran at least this long."""
        family, age = item.family, item.read_age
        if item.job.succeeded or item.job.failed:
            if age < self._ended_at.get(family, math.inf):
                self._ended_at[family] = age
                self._hurry(family, age)
        elif error is None:
            self._running_at[family] = max(self._running_at.get(family, age), age)

    def _hurry(self, family, age):
        """A job of family was seen ended by age, sooner than any before it: the jobs of family not yet seen running
        at that age are read when they reach it (now, if they are older) unless their next read comes sooner."""
        now = time.monotonic()
        for other in self._waiting:
            if other.family == family and not other.polling and other.read_age < age:
                read_at = other.wait_started + max(age, other.read_age + self._shortest_gap())
                other.next_poll = min(other.next_poll, max(now, read_at))

    def _resume_data(self, job):
        return dict(dock_status_id=job.dock_status_id, download_url=job.download_url, status=job.status)

    def _timeout_message(self, job):
        progress = " at %s%%" % job.percentage_complete if job.percentage_complete is not None else ""
        unknown = "" if job.status_known else " (a status this collection does not know; it kept waiting)"
        resume = "dock_status_id=%s" % job.dock_status_id
        if job.download_url:
            resume += " and download_url=%s (returned as download_url)" % display_url(job.download_url)
        return ("%s did not finish within wait_timeout=%s s (last status %s%s%s); resume it with %s"
                % (job.action, self.settings.wait_timeout, job.status, progress, unknown, resume))

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
        item.gather_left -= 1
        if is_error:
            item.gather_error = item.gather_error or outcome
        else:
            item.gathered[slot] = outcome
        if not item.gather_left:
            self._advance(item, item.gathered, item.gather_error)
