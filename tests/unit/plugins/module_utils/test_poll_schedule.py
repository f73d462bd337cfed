# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The poll schedule's one rule for the next read, on its own (no server, no clock: ages are given)."""

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.poll_schedule import (
    FIRST_POLL_DELAY, PollSchedule, next_poll_delay,
)


class FakeJob:
    succeeded = failed = False


def schedule_with_first_end(ended_at, poll_interval=5.0):
    """A schedule whose 'export' family saw its first job ended at ended_at seconds of age."""
    schedule = PollSchedule(poll_interval, wait_timeout=600)
    first = schedule.start(FakeJob(), "export")
    first.read_age = ended_at
    schedule.seen_ended(first, first.started + ended_at, [])
    return schedule


def test_a_lone_job_follows_the_schedule():
    schedule = PollSchedule(5.0, 600)
    waiting = schedule.start(FakeJob(), "export")
    assert schedule.next_read_delay(waiting, 0.0) == pytest.approx(FIRST_POLL_DELAY)
    assert schedule.next_read_delay(waiting, 2.0) == pytest.approx(next_poll_delay(2.0, 5.0))


def test_a_job_not_read_by_the_family_first_end_is_read_when_it_reaches_that_age():
    schedule = schedule_with_first_end(1.0)
    waiting = schedule.start(FakeJob(), "export")  # the family's second job reads halfway between points
    waiting.read_age = 0.8
    assert next_poll_delay(0.8, 5.0, waiting.offset) > 0.25  # its schedule alone would read later
    assert schedule.next_read_delay(waiting, 0.8) == pytest.approx(0.2)


def test_a_job_already_past_the_family_first_end_is_read_at_once():
    """A read that came back after the job passed that age goes out now, not at the next schedule point."""
    schedule = schedule_with_first_end(1.0)
    waiting = schedule.start(FakeJob(), "export")
    waiting.read_age = 0.7
    assert schedule.next_read_delay(waiting, 1.3) == 0.0


def test_never_within_the_shortest_gap_of_the_last_read():
    schedule = schedule_with_first_end(1.0)
    waiting = schedule.start(FakeJob(), "export")
    waiting.read_age = 0.95
    assert schedule.next_read_delay(waiting, 0.95) == pytest.approx(schedule.shortest_gap)


def test_a_job_read_at_or_after_the_first_end_keeps_its_schedule():
    schedule = schedule_with_first_end(1.0)
    waiting = schedule.start(FakeJob(), "export")
    waiting.read_age = 1.2
    assert schedule.next_read_delay(waiting, 1.2) == pytest.approx(next_poll_delay(1.2, 5.0, waiting.offset))


def test_another_family_is_not_hurried():
    schedule = schedule_with_first_end(1.0)
    waiting = schedule.start(FakeJob(), "import")
    waiting.read_age = 0.7
    assert schedule.next_read_delay(waiting, 1.3) == pytest.approx(next_poll_delay(1.3, 5.0, waiting.offset))


def test_a_first_end_brings_other_reads_forward_and_their_round_window_with_them():
    schedule = PollSchedule(5.0, 600)
    first = schedule.start(FakeJob(), "export")
    other = schedule.start(FakeJob(), "export")
    other.read_age = 0.3
    other.next_read = other.started + 3.0
    first.read_age = 0.8
    now = other.started + 1.0
    schedule.seen_ended(first, now, [other])
    assert other.next_read == pytest.approx(now)
    assert schedule.is_due(other, now)


def test_a_job_skips_a_read_only_while_an_elder_is_read_in_the_round_and_never_twice_in_a_row():
    schedule = PollSchedule(5.0, 600)
    waiting = schedule.start(FakeJob(), "export")
    assert not schedule.may_skip(waiting, 0.6, elder_read=False)
    assert schedule.may_skip(waiting, 0.6, elder_read=True)
    waiting.skipped = True
    assert not schedule.may_skip(waiting, 0.9, elder_read=True)


def test_a_job_at_the_age_its_family_was_seen_ended_does_not_skip():
    schedule = schedule_with_first_end(1.0)
    waiting = schedule.start(FakeJob(), "export")
    assert schedule.may_skip(waiting, 0.9, elder_read=True)
    assert not schedule.may_skip(waiting, 1.0, elder_read=True)


def read_ages(cap, series=1, until=60.0):
    """The ages at which a lone job of the given series (1: on the schedule's points, 2: halfway between them) is read,
    each read rescheduling the next as the runner does."""
    schedule = PollSchedule(cap, wait_timeout=600)
    for _earlier in range(series - 1):
        schedule.start(FakeJob(), "export")
    waiting = schedule.start(FakeJob(), "export")
    ages = []
    while not ages or ages[-1] < until:
        now = waiting.next_read
        waiting.read_age = waiting.age(now)
        ages.append(waiting.read_age)
        schedule.reschedule(waiting, now)
    return ages


@pytest.mark.parametrize("series", [1, 2])
@pytest.mark.parametrize("cap", [0.4, 1.0, 5.0])
def test_polls_start_fast_and_slow_down_to_poll_interval(cap, series):
    ages = read_ages(cap, series)
    gaps = [later - earlier for earlier, later in zip(ages, ages[1:])]
    assert gaps[0] < cap  # the first reads come faster than the cap
    assert all(later >= earlier - 1e-9 for earlier, later in zip(gaps, gaps[1:]))  # and slow down
    assert max(gaps) == pytest.approx(cap) and gaps[-1] == pytest.approx(cap)  # to poll_interval
    assert all(gap <= cap + 1e-9 for gap in gaps)  # never past it


def test_a_lone_job_is_read_at_the_documented_points():
    """0.3 s, then steps of 0.42 of the age reached (at least 0.3 s, at most poll_interval): written out, not
    computed by the function under test."""
    assert read_ages(5.0, until=4.0) == pytest.approx([0.3, 0.6, 0.9, 1.278, 1.81476, 2.5769592, 3.6592821, 5.1961806])
    assert read_ages(0.4, until=2.0) == pytest.approx([0.3, 0.6, 0.9, 1.278, 1.678, 2.078])
