# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's failed creations: the answer names an id, the job fails, the server keeps or drops the workflow."""

import pytest

from ansible_collections.koreai.ai_for_process.tests.emulator.control import EmulatorError
from ansible_collections.koreai.ai_for_process.tests.unit.emulator.test_import_api import api, upload_documents, wait_job


@pytest.mark.parametrize("fault,kept", [("import_failed_kept", True), ("import_failed", False)])
def test_a_failed_creation_is_kept_or_dropped(emulator, fault, kept):
    ids = upload_documents(emulator, emulator.workflow("dev", "a-0001")["members"])
    emulator.fault("Failing " + fault, fault, times=1)
    doc = api(emulator, "workflows/import", json=dict(ids, workflowName="Failing " + fault)).json()
    assert doc["workflowId"].startswith("a-")
    assert wait_job(emulator, doc["dockStatusId"])["status"] == "FAILED"
    if kept:
        assert emulator.workflow("dev", doc["workflowId"])["name"] == "Failing " + fault
    else:
        with pytest.raises(EmulatorError, match="404"):
            emulator.workflow("dev", doc["workflowId"])
