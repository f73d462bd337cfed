# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The outcome of each workflow of a batch and the summary's counts of them, as the modules return them."""

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.outcomes import EXPORT_OUTCOMES, IMPORT_OUTCOMES
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import patch_module_args

NOT_STARTED = dict(not_started=True, failed=True, changed=False)
FAILED = dict(failed=True, changed=True, created=True)
UNCHANGED = dict(failed=False, changed=False)
CREATED = dict(failed=False, changed=True, created=True, deployed=True)
UPDATED = dict(failed=False, changed=True, created=False)


@pytest.mark.parametrize("result, imported, exported", [
    (NOT_STARTED, "not started", "not started"), (FAILED, "failed", "failed"), (UNCHANGED, "unchanged", "unchanged"),
    (CREATED, "created", "created"), (UPDATED, "updated", "changed")])
def test_each_result_has_one_outcome(result, imported, exported):
    assert (IMPORT_OUTCOMES.outcome(result), EXPORT_OUTCOMES.outcome(result)) == (imported, exported)


class Exited(Exception):
    """The keyword arguments the module exited with."""


@pytest.fixture
def batch_exit(monkeypatch):
    """What KoreaiModule.exit_results returns for results (a batch unless workflows is false)."""
    def exit_json(_module, **kwargs):
        raise Exited(kwargs)

    monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)

    def run(results, outcomes, workflows=True):
        with patch_module_args(dict(host="https://process.example.com", api_key="kg-secret-key")):
            module = KoreaiModule({})
        with pytest.raises(Exited) as exited:
            module.exit_results([dict(result, name="wf", msg="m", workflow_id="a-1") for result in results],
                                not workflows, 1.0, fail_on_error=False, outcomes=outcomes)
        return exited.value.args[0]
    return run


def test_the_import_summary_keeps_its_keys_and_counts_each_outcome_and_the_deploys(batch_exit):
    out = batch_exit([NOT_STARTED, FAILED, UNCHANGED, CREATED, UPDATED, UPDATED], IMPORT_OUTCOMES)
    assert [result["outcome"] for result in out["results"]] == [
        "not started", "failed", "unchanged", "created", "updated", "updated"]
    assert [result["deployed"] for result in out["results"]] == [False, False, False, True, False, False]
    assert out["summary"] == dict(total=6, changed=4, unchanged=1, failed=2, created=1, updated=2, not_started=1,
                                  deployed=1)


def test_the_export_summary_adds_the_workflows_not_started(batch_exit):
    out = batch_exit([NOT_STARTED, UNCHANGED, UPDATED], EXPORT_OUTCOMES)
    assert [result["outcome"] for result in out["results"]] == ["not started", "unchanged", "changed"]
    assert "deployed" not in out["results"][0]
    assert out["summary"] == dict(total=3, changed=1, unchanged=1, failed=1, not_started=1)


def test_a_single_workflow_returns_its_outcome(batch_exit):
    out = batch_exit([CREATED], IMPORT_OUTCOMES, workflows=False)
    assert (out["outcome"], out["deployed"]) == ("created", True)
