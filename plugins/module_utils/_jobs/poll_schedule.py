# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: when the runner reads a waiting job's dock status.

A job alone is read on a fixed schedule of its age (next_poll_delay). In a batch, jobs
of one family (export, import, deploy) take similar times, which three rules use:
every other job of a family reads halfway between the schedule's points; a job read in
the same round as an elder skips every other read; and once a job of the family is
seen ended, the others are read when they reach its age (never within the shortest
gap of their last read). One function, PollSchedule.next_read_delay, applies the
schedule and the last rule, for a new wait, after a read, after a skip and when a
job of the family is first seen ended.
"""

import math
import time

FIRST_POLL_DELAY = 0.3  # seconds: the age of a job at its first read; half of it is the shortest wait between reads
POLL_GROWTH = 0.42  # each step of the schedule is this share of the job's age at the step's start, at most poll_interval
ROUND_WINDOW = 0.1  # polls due within this many seconds (at most half their wait) go out in the same round


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


class Waiting:
    """One job being waited for: its family, when its wait started, its reads so far and the next one."""

    def __init__(self, job, family, offset):
        self.job = job
        self.family = family
        self.offset = offset
        self.started = time.monotonic()
        self.next_read = self.started
        self.delay = 0.0  # the wait to next_read when it was set
        self.read_age = 0.0  # the job's age at its last read
        self.polling = False
        self.skipped = False

    def age(self, now):
        return now - self.started


class PollSchedule:
    """What the reads of a batch taught about each family, and the time of each job's next read."""

    def __init__(self, poll_interval, wait_timeout):
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.shortest_gap = min(FIRST_POLL_DELAY, poll_interval) / 2
        self._waits = {}  # family -> how many of its jobs have been waited for
        self._ended_at = {}  # family -> the least age at which one of its jobs was seen ended

    def start(self, job, family):
        """A Waiting for job, its first read scheduled; every other job of a family reads between the points."""
        waits = self._waits[family] = self._waits.get(family, 0) + 1
        waiting = Waiting(job, family, 0.0 if waits % 2 else 0.5)
        self.reschedule(waiting, waiting.started)
        return waiting

    def deadline(self, waiting):
        return waiting.started + self.wait_timeout

    def next_read_delay(self, waiting, age):
        """Seconds from age to waiting's next read: its schedule's next point, or sooner the age at which a job of its
        family was first seen ended when it has not been read at that age yet, never within the shortest gap of its
        last read."""
        delay = next_poll_delay(age, self.poll_interval, waiting.offset)
        ended_at = self._ended_at.get(waiting.family)
        if ended_at is not None and waiting.read_age < ended_at:
            delay = min(delay, max(ended_at, waiting.read_age + self.shortest_gap) - age)
        return max(delay, 0.0)

    def reschedule(self, waiting, now, at_least=0.0):
        """Set waiting's next read (at_least seconds from now, e.g. a Retry-After), never past its deadline."""
        delay = max(self.next_read_delay(waiting, waiting.age(now)), at_least)
        waiting.delay = delay
        waiting.next_read = min(now + delay, self.deadline(waiting))

    def _bring_forward(self, waiting, now):
        """Read waiting sooner if the family's new first end asks for it; a later read is never pushed back."""
        delay = self.next_read_delay(waiting, waiting.age(now))
        if now + delay < waiting.next_read:
            waiting.delay, waiting.next_read = delay, now + delay

    def is_due(self, waiting, now):
        """Whether waiting's read goes out in the round starting now (due within ROUND_WINDOW, at most half its wait)."""
        return not waiting.polling and waiting.next_read <= now + min(ROUND_WINDOW, waiting.delay / 2)

    def may_skip(self, waiting, age, elder_read):
        """Whether waiting's read can wait for the next point of its schedule: while an elder of its family is read in
        this round and none was seen ended by that age, it is very likely running too. Never two points in a row, so
        a quicker job than its elders is still seen ended within about two steps."""
        if waiting.skipped or not elder_read:
            return False
        ended_at = self._ended_at.get(waiting.family)
        return ended_at is None or ended_at > age

    def seen_ended(self, waiting, now, others):
        """A read saw waiting's job ended: the first end of its family brings the reads of the others of the family
        not yet read at that age forward to it."""
        family, age = waiting.family, waiting.read_age
        if age < self._ended_at.get(family, math.inf):
            self._ended_at[family] = age
            for other in others:
                if other.family == family and not other.polling and other.read_age < age:
                    self._bring_forward(other, now)
