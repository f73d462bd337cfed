# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The journal of creations: private from its first byte, each line on disk before the run goes on, a torn last
line read as what it is."""

import os
import stat

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files import creation_journal as journal_module
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.creation_journal import CreationJournal, read_journal


def test_each_creation_is_recorded_before_it_is_sent_and_once_named(tmp_path):
    path = str(tmp_path / "prod.journal")
    journal = CreationJournal(path)
    journal.sending("wf-1")
    journal.sending("wf-2")
    journal.created("wf-1", "a-77", "ds-1")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    entries = read_journal(path)
    assert entries["wf-1"]["workflow_id"] == "a-77" and entries["wf-1"]["dock_status_id"] == "ds-1"
    assert entries["wf-2"]["workflow_id"] is None and entries["wf-2"]["since"]


def test_every_line_is_synced_to_disk(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(journal_module.os, "fsync", synced.append)
    CreationJournal(str(tmp_path / "j")).sending("wf-1")
    assert len(synced) == 1


def test_a_torn_last_line_leaves_the_creation_sent_without_an_id(tmp_path):
    path = tmp_path / "prod.journal"
    CreationJournal(str(path)).sending("wf-1")
    with open(path, "ab") as handle:
        handle.write(b'{"event": "created", "name": "wf-1", "workflow_id": "a-')
    assert read_journal(str(path)) == {"wf-1": {"workflow_id": None, "dock_status_id": None, "since": read_journal(str(path))["wf-1"]["since"]}}


def test_no_journal_is_no_creation(tmp_path):
    assert read_journal(str(tmp_path / "none")) == {}
