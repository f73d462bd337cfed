# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator leaves nothing behind: its work directory goes with it."""

import os

from ansible_collections.koreai.ai_for_process.tests.emulator.control import Emulator


def test_the_work_directory_is_removed_when_the_emulator_stops(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    emu = Emulator.start("--cert-dir", str(work / "certs"), "--log", str(work / "requests.jsonl"),
                         "--remove-on-exit", str(work))
    try:
        assert os.path.isdir(str(work / "certs"))
    finally:
        emu.stop()
    assert not work.exists()
