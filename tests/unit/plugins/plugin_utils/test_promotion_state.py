# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One environment's promotion in plain Python: batch, next ids and state, the gate, the report and the summary."""

import pytest

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils import _promotion_state as promotion
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError


def test_the_batch_prefers_the_tree_and_uses_known_then_pending_ids(tmp_path):
    (tmp_path / "extracted" / "wf-1").mkdir(parents=True)
    batch = promotion.build_batch([{"name": "wf-1"}, {"name": "wf-2"}, {"name": "wf-3", "src": "/x.zip"}], str(tmp_path),
                                  {"wf-1": "a-1"}, {"wf-2": {"pending_id": "a-2"}}, {"wf-1": {"variables": []}})
    assert batch == [
        {"name": "wf-1", "src": str(tmp_path / "extracted" / "wf-1"), "workflow_id": "a-1", "env_variables": {"variables": []}},
        {"name": "wf-2", "src": str(tmp_path / "wf-2.zip"), "workflow_id": "a-2"},
        {"name": "wf-3", "src": "/x.zip"}]
    assert promotion.new_names(batch) == ["wf-3"]


def test_a_name_that_matches_no_workflow_is_an_error():
    with pytest.raises(StoreError, match="promote_workflows_env_variables names wf-9, which is not in promote_workflows_list"):
        promotion.unknown_names(["wf-1"], {"wf-9": {}}, "promote_workflows_env_variables")


def test_given_ids_over_the_file_are_checked_together():
    with pytest.raises(StoreError, match="id a-1 is given to both 'wf-1' and 'wf-2'"):
        promotion.merged_ids({"wf-1": "a-1"}, {"wf-2": "a-1"}, "ids/prod.yml")


def test_a_failed_creation_records_no_id_only_a_pending_one():
    failed = {"name": "wf-1", "created": True, "failed": True, "status": "FAILED", "workflow_id": "a-9"}
    ids, state = promotion.next_state({}, {}, [failed], [], True)
    assert ids == {}
    assert state["wf-1"] == {"pending_id": "a-9", "imported": False, "deployed": False}


def test_a_failed_deploy_keeps_the_id_and_records_not_deployed():
    result = {"name": "wf-1", "created": True, "changed": True, "failed": True, "status": "SUCCESS", "workflow_id": "a-9",
              "deploy_dock_status_id": "ds-1", "msg": "deploy of workflow a-9 FAILED"}
    ids, state = promotion.next_state({}, {}, [result], [], True)
    assert ids == {"wf-1": "a-9"} and state["wf-1"]["imported"] and state["wf-1"]["deployed"] is False


def test_an_unchanged_workflow_left_undeployed_is_due_and_recorded_once_deployed():
    state = {"wf-1": {"imported": True, "deployed": False}, "wf-2": {"imported": True, "deployed": True}}
    results = [{"name": "wf-1", "workflow_id": "a-1", "changed": False}, {"name": "wf-2", "workflow_id": "a-2", "changed": False}]
    assert promotion.deploys_due(results, state, True) == [{"workflow_id": "a-1", "name": "wf-1"}]
    assert promotion.deploys_due(results, state, False) == []
    _ids, after = promotion.next_state({"wf-1": "a-1", "wf-2": "a-2"}, state, results, [{"name": "wf-1", "failed": False}], True)
    assert after["wf-1"]["deployed"] is True


def test_a_pending_id_the_server_does_not_know_is_imported_anew():
    batch = [{"name": "wf-1", "src": "s", "workflow_id": "a-9"}, {"name": "wf-2", "src": "t", "workflow_id": "a-2"}]
    results = [{"name": "wf-1", "failed": True, "http_status": 404}, {"name": "wf-2", "failed": True, "http_status": 404}]
    assert promotion.pending_checks_to_redo(batch, results, {"wf-1": {"pending_id": "a-9"}}) == [{"name": "wf-1", "src": "s"}]


def test_the_gate_names_what_an_earlier_environment_has_not_done():
    earlier = [("staging", "ids/staging.state.yml", {"wf-1": {"imported": True, "deployed": False}, "wf-2": {"imported": False}})]
    assert promotion.gate_problems(["wf-1", "wf-2", "wf-3"], earlier) == [
        "staging has not imported wf-2, wf-3: promote staging first",
        "staging has not deployed wf-1: rerun staging until its deploys succeed"]
    assert promotion.gate_problems(["wf-1"], [("staging", "s.yml", None)]) == [
        "staging has no promotion state (s.yml): promote staging first"]
    assert promotion.gate_problems(["wf-1"], [("staging", "s.yml", {"wf-1": {"imported": True, "deployed": None}})]) == []


def test_the_summary_counts_deploys_not_changes_and_check_mode_says_would():
    results = [{"name": "wf-1", "changed": True, "created": True, "outcome": "created"},
               {"name": "wf-2", "changed": False, "outcome": "unchanged"}]
    report = promotion.report_of("prod", "h", results, [], {}, True)
    assert [entry["outcome"] for entry in report["workflows"]] == ["would create", "unchanged"]
    row = promotion.summary_of(report, 1, "")
    assert (row["created"], row["unchanged"], row["deployed"]) == (1, 1, 1)
    table = promotion.summary_table({"prod": row}, ["prod"], True, "prod")
    assert "would create" in table[0] and "created" not in table[0].replace("would create", "")


def test_a_failed_deploy_of_an_unchanged_workflow_is_that_workflows_failure():
    results = [{"name": "wf-1", "workflow_id": "a-1", "changed": False, "outcome": "unchanged"}]
    report = promotion.report_of("prod", "h", results, [{"name": "wf-1", "failed": True, "msg": "deploy FAILED"}],
                                 {"wf-1": {"deployed": False}}, False)
    assert report["workflows"][0]["outcome"] == "failed" and report["workflows"][0]["error"] == "deploy FAILED"
    assert promotion.summary_of(report, 0, "")["failed"] == 1


def test_drift_names_each_workflow_and_member():
    assert promotion.drift_lines([{"name": "wf-1", "workflow_id": "a-1", "changed": True, "members_changed": ["flow_definition.json"]},
                                  {"name": "wf-2", "changed": False}, {"name": "wf-3", "created": True, "changed": True}]) == [
        "wf-1 (a-1): flow_definition.json differ", "wf-3: not in the environment (no id known)"]


def test_the_summary_takes_the_imports_outcomes_and_names_failures_as_the_export_role_does():
    results = [{"name": "wf-1", "failed": True, "outcome": "failed", "msg": "import FAILED"},
               {"name": "wf-2", "failed": True, "not_started": True, "outcome": "not started", "msg": "not started: 401"},
               {"name": "wf-3", "failed": True, "not_started": True, "outcome": "not started", "msg": "not started: 401"},
               {"name": "wf-4", "changed": True, "outcome": "updated"}]
    row = promotion.summary_of(promotion.report_of("prod", "h", results, [], {}, False), 0, "")
    assert (row["failed"], row["updated"]) == (3, 1)
    assert row["lines"] == ["  FAILED wf-1: import FAILED", "  NOT STARTED 2 workflows: not started: 401"]


@pytest.mark.parametrize("environment, gate, mode, earlier", [
    ("prod", True, "promote", ["dev", "staging"]),
    ("dev", True, "promote", []),
    ("prod", False, "promote", []),
    ("prod", True, "drift", []),
    ("qa", True, "promote", []),
])
def test_the_environments_before_this_one_gate_it_when_promoting_with_the_gate(environment, gate, mode, earlier):
    assert promotion.earlier_environments(["dev", "staging", "prod"], environment, gate, mode) == earlier
