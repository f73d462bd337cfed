# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documented claims checked against literal values, so that changing the code's own constant cannot pass them."""

import os
import stat

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files import review_tree
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.retries import parse_retry_after
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import sync_tree
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_runner import run

DOCUMENTED_RETRY_AFTER_CAP = 60  # seconds: the connection options' documentation promises this cut


@pytest.mark.parametrize("value", ["86400", "3600", "61", "Wed, 21 Oct 2065 07:28:00 GMT"])
def test_a_long_retry_after_is_cut_to_the_documented_minute(value):
    assert 0 < parse_retry_after(value) <= DOCUMENTED_RETRY_AFTER_CAP


def test_every_file_of_a_review_tree_is_private_from_its_first_byte(tmp_path, monkeypatch):
    """Each file the tree writer creates is 0600 the moment it exists, whatever the umask (checked at open time)."""
    created = []
    real_open = os.open

    def recording_open(path, flags, mode=0o777, **kwargs):
        fd = real_open(path, flags, mode, **kwargs)
        if flags & os.O_CREAT:
            created.append((path, stat.S_IMODE(os.fstat(fd).st_mode)))
        return fd

    monkeypatch.setattr(review_tree.os, "open", recording_open)
    old_umask = os.umask(0)
    try:
        sync_tree(str(tmp_path / "tree"), {"flow_definition.json": b"{}", "nested/env.json": b"{}"}, False)
    finally:
        os.umask(old_umask)
    assert len(created) >= 2
    assert [(path, mode) for path, mode in created if mode != 0o600] == []


def test_a_batch_whose_first_workflow_fails_still_exports_the_others(emulator, tmp_path):
    """The first workflow of a batch runs alone; its own failure (not a refused key) must not stop the others."""
    ids = ["a-9999", "a-0001", "a-0002"]  # the first is unknown to the server: its own start fails at once
    results = run(emulator, tmp_path, ids)
    assert results["a-9999"]["failed"] is True and "not found" in results["a-9999"]["msg"]
    for workflow_id in ids[1:]:
        assert (results[workflow_id]["failed"], results[workflow_id]["changed"]) == (False, True)
        assert os.path.isfile(os.path.join(str(tmp_path), workflow_id + ".zip"))
    assert not os.path.exists(os.path.join(str(tmp_path), "a-9999.zip"))
