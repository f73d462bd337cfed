# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bound of requests in flight to one API host across the module processes of a controller: threads and
processes count alike, a process that dies frees its slots, a tenant told to wait (429) waits alone, and nothing
stays in the temp directory."""

import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport import host_slots
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.host_slots import HostSlots, limit_from
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import new_client, wait_until

ORIGIN = "https://tenants.example.invalid"
HOLDER = """
import sys, time
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.host_slots import HostSlots
with HostSlots(sys.argv[1], int(sys.argv[2])).slot():
    print("holding", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def temp_dir(tmp_path, monkeypatch):
    """A temp directory of the test's own, for this process (tempfile) and the processes it starts (TMPDIR)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    return tmp_path


def most_at_once(slots, workers, hold=0.05):
    """The most workers (threads) that held a slot of slots at the same time."""
    lock, inside, peak = threading.Lock(), [0], [0]

    def work():
        with slots.slot():
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(hold)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _number in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return peak[0]


def test_threads_of_one_process_count_one_by_one_and_leave_nothing(temp_dir):
    assert most_at_once(HostSlots(ORIGIN, 3), 9) == 3
    assert list(temp_dir.iterdir()) == []


def taker(slots):
    """A thread that takes a slot of slots and lets it go at once; its event is set once it had it."""
    taken = threading.Event()

    def take():
        with slots.slot():
            taken.set()

    thread = threading.Thread(target=take)
    thread.start()
    return thread, taken


def test_another_host_has_slots_of_its_own(temp_dir):
    with HostSlots(ORIGIN, 1).slot():
        thread, taken = taker(HostSlots("https://other.example.invalid", 1))
        assert taken.wait(5)
        thread.join(5)
        thread, taken = taker(HostSlots(ORIGIN, 1))
        assert not taken.wait(0.3)
    assert taken.wait(5)
    thread.join(5)


def test_a_slot_file_its_holder_removed_meanwhile_is_not_taken(temp_dir, monkeypatch):
    path = temp_dir / "slot-0"
    real_flock = fcntl.flock

    def flock_after_the_holder_left(descriptor, operation):
        path.unlink()  # the holder let the slot go (its file removed) between this open and this lock
        real_flock(descriptor, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_the_holder_left)
    assert host_slots.lock_if_free(str(path)) is None


def test_a_slots_directory_removed_by_the_last_holder_meanwhile_is_made_again(temp_dir, monkeypatch):
    real_lstat, calls = os.lstat, []

    def lstat_after_the_last_holder_left(path):
        calls.append(path)
        if len(calls) == 1:
            os.rmdir(path)  # the last holder of a slot removed the directory between its creation and this look
        return real_lstat(path)

    monkeypatch.setattr(os, "lstat", lstat_after_the_last_holder_left)
    assert host_slots.slots_directory() == str(temp_dir / ("koreai-ai_for_process-%d" % os.getuid()))
    assert len(calls) == 2


def start_holder(limit):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, ORIGIN, str(limit)], stdout=subprocess.PIPE, text=True,
                              env=env)  # pylint: disable=consider-using-with
    assert holder.stdout.readline().strip() == "holding"
    return holder


@pytest.mark.parametrize("limit", [1, 2])
def test_processes_share_the_bound_and_killed_holders_free_their_slots(temp_dir, limit):
    holders = [start_holder(limit) for _number in range(limit)]
    try:
        thread, taken = taker(HostSlots(ORIGIN, limit))
        assert not taken.wait(0.5)  # every slot is held by another process
        for holder in holders:
            holder.send_signal(signal.SIGKILL)
        assert taken.wait(5)
        thread.join(5)
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
            holder.stdout.close()


def test_a_client_sends_only_while_it_holds_a_slot_of_its_host(emulator, temp_dir, monkeypatch):
    monkeypatch.setenv(host_slots.LIMIT_VARIABLE, "1")
    client = new_client(emulator, "prod")
    answered = threading.Event()

    def send():
        client.get(client.api_url("api", "public", "dock-status", "none"))
        answered.set()

    sender = threading.Thread(target=send)
    try:
        with HostSlots(client.origin).slot():  # another module process of the controller holds the only slot
            sender.start()
            assert not answered.wait(0.5)
            assert emulator.log() == []
        assert answered.wait(5)
    finally:
        sender.join(5)
        client.close()


def test_a_tenant_told_to_wait_gives_its_slot_to_the_others(emulator, temp_dir, monkeypatch):
    monkeypatch.setenv(host_slots.LIMIT_VARIABLE, "1")
    emulator.fault("a-0001", "post_retry_after_huge", env="staging")
    told, other = new_client(emulator, "staging"), new_client(emulator, "prod")
    try:
        url = told.api_url("api", "public", "workflows", "a-0001", "export")
        waiting = threading.Thread(target=told.post, args=(url,), kwargs={"deadline": time.monotonic() + 4,
                                                                          "changes_nothing": True})
        waiting.start()
        assert wait_until(lambda: any(entry["status"] == 429 for entry in emulator.log()))
        for number in range(1, 6):
            assert other.get(other.api_url("api", "public", "dock-status", "none-%d" % number)).status_code == 404
        assert waiting.is_alive()  # prod went on while staging waits out its Retry-After
        waiting.join(10)
    finally:
        told.close()
        other.close()


def test_the_bound_comes_from_the_environment_and_zero_turns_it_off(temp_dir):
    assert limit_from({}) == host_slots.DEFAULT_LIMIT
    assert limit_from({host_slots.LIMIT_VARIABLE: " 4 "}) == 4
    for wrong in ("many", "-1", "2.5"):
        with pytest.raises(KoreaiError, match="KOREAI_HOST_CONCURRENCY must be a whole number of requests .*%r" % wrong):
            limit_from({host_slots.LIMIT_VARIABLE: wrong})
    assert most_at_once(HostSlots(ORIGIN, 0), 4) == 4
    assert list(temp_dir.iterdir()) == []


def test_a_temp_directory_that_cannot_hold_the_slots_names_the_ways_out(temp_dir, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir / "missing"))
    with pytest.raises(KoreaiError, match="cannot be created .No such file or directory.: point TMPDIR at a writable "
                                          "directory, or set KOREAI_HOST_CONCURRENCY=0"):
        with HostSlots(ORIGIN, 2).slot():
            pass


def test_a_slots_directory_others_may_write_is_refused(temp_dir):
    directory = temp_dir / ("koreai-ai_for_process-%d" % os.getuid())
    directory.mkdir(mode=0o777)
    directory.chmod(0o777)
    with pytest.raises(KoreaiError, match="is not a private directory of this user"):
        with HostSlots(ORIGIN, 2).slot():
            pass
