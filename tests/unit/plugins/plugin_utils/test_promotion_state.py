# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One environment's promotion in plain Python: batch, creations a dead run left, the gate, next ids and state, the
report and the summary."""

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.reports import promotion_summary
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils import _promotion_state as promotion
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError

DIGEST = "d" * 64
OTHER = "e" * 64


def entry(name, workflow_id=None, digest=DIGEST, after=None, **extra):
    """A batch entry as the action builds it (after: the workflow's id once the run is over)."""
    built = {"name": name, "src": "tree/" + name, "source_digest": digest, "workflow_id_after": after or workflow_id}
    if workflow_id:
        built["workflow_id"] = workflow_id
    built.update(extra)
    return built


def test_the_batch_prefers_the_tree_and_uses_known_then_pending_ids(tmp_path):
    (tmp_path / "extracted" / "wf-1").mkdir(parents=True)
    batch = promotion.build_batch([{"name": "wf-1"}, {"name": "wf-2"}, {"name": "wf-3", "src": "/x.zip"}], str(tmp_path),
                                  {"wf-1": "a-1"}, {"wf-2": {"pending_id": "a-2"}},
                                  {"env_variables": {"wf-1": {"variables": []}}, "secret_values": {}})
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


# ------------------------------------------------------------------ identity is data

@pytest.mark.parametrize("value", ["********", "a-********-1", "invoice-********"])
def test_a_masked_id_is_refused_and_never_recorded(value):
    with pytest.raises(StoreError, match="holds the mask"):
        promotion.next_state({}, {}, [entry("wf-1", after=value)], [{"changed": True, "created": True, "status": "SUCCESS"}],
                             {}, True)


def test_the_id_of_a_creation_is_the_journals_not_the_modules_output():
    journal = {"wf-1": {"workflow_id": "a-77", "dock_status_id": "ds-1"}}
    assert promotion.workflow_id_of(entry("wf-1"), {"workflow_id": "********"}, journal) == "a-77"
    assert promotion.workflow_id_of(entry("wf-1", "a-1"), {"workflow_id": "a-2"}, journal) == "a-1"
    with pytest.raises(StoreError, match="holds the mask"):
        promotion.workflow_id_of(entry("wf-2"), {"workflow_id": "a-********"}, journal)


# ------------------------------------------------------------------ creations a dead run left

def test_a_journalled_id_becomes_pending_and_a_sent_creation_blocks_a_blind_one():
    journal = {"wf-1": {"workflow_id": "a-9", "since": "t1"}, "wf-2": {"workflow_id": None, "since": "t2"},
               "wf-3": {"workflow_id": "a-3", "since": "t3"}}
    state = promotion.fold_journal({}, {"wf-3": "a-3"}, journal)
    assert state == {"wf-1": {"imported": False, "deployed": False, "pending_id": "a-9"},
                     "wf-2": {"imported": False, "deployed": False, "sent": "t2"}}
    refusal = promotion.blocked_creations(["wf-1", "wf-2"], {}, state, [])
    assert "wf-2" in refusal and "wf-1" not in refusal.split(" was sent")[0]
    assert "promote_workflows_ids: {wf-2: <its id>}" in refusal and "promote_workflows_recreate: [wf-2]" in refusal
    assert promotion.blocked_creations(["wf-2"], {}, state, ["wf-2"]) is None
    assert promotion.blocked_creations(["wf-2"], {"wf-2": "a-2"}, state, []) is None


def test_a_pending_id_the_server_does_not_know_is_imported_anew():
    batch = [entry("wf-1", "a-9"), entry("wf-2", "a-2")]
    results = [{"failed": True, "http_status": 404}, {"failed": True, "http_status": 404}]
    redo = promotion.to_redo(batch, results, {"wf-1": {"pending_id": "a-9"}})
    assert [item["name"] for item in redo] == ["wf-1"] and "workflow_id" not in redo[0]


def test_a_failed_creation_records_no_id_only_a_pending_one_and_a_failure_before_sending_records_nothing():
    ids, state = promotion.next_state({}, {}, [entry("wf-1", after="a-9"), entry("wf-2")],
                                      [{"created": True, "failed": True, "status": "FAILED"},
                                       {"created": False, "failed": True, "msg": "upload refused"}], {}, True)
    assert ids == {}
    assert state == {"wf-1": {"pending_id": "a-9", "imported": False, "deployed": False},
                     "wf-2": {"imported": False, "deployed": False}}


def test_a_pending_id_that_fails_again_stays_pending():
    _ids, state = promotion.next_state({}, {"wf-1": {"pending_id": "a-9", "imported": False}}, [entry("wf-1", "a-9")],
                                       [{"failed": True, "http_status": 500}], {}, True)
    assert state["wf-1"]["pending_id"] == "a-9"


# ------------------------------------------------------------------ state after the run

def test_a_failed_deploy_keeps_the_id_and_records_the_content_held_not_deployed():
    result = {"created": True, "changed": True, "failed": True, "status": "SUCCESS", "deploy_dock_status_id": "ds-1"}
    ids, state = promotion.next_state({}, {}, [entry("wf-1", after="a-9")], [result], {}, True)
    assert ids == {"wf-1": "a-9"}
    assert state["wf-1"] == {"source_digest": DIGEST, "imported": True, "deployed": False}


def test_an_unchanged_workflow_left_undeployed_is_due_and_recorded_once_deployed():
    state = {"wf-1": {"imported": True, "deployed": False}, "wf-2": {"imported": True, "deployed": True}}
    batch = [entry("wf-1", "a-1"), entry("wf-2", "a-2")]
    results = [{"changed": False}, {"changed": False}]
    assert [item["name"] for item in promotion.deploys_due(batch, results, state, True)] == ["wf-1"]
    assert promotion.deploys_due(batch, results, state, False) == []
    _ids, after = promotion.next_state({"wf-1": "a-1", "wf-2": "a-2"}, state, batch, results, {"wf-1": True}, True)
    assert after["wf-1"] == {"source_digest": DIGEST, "imported": True, "deployed": True}
    assert after["wf-2"]["deployed"] is True


def test_a_workflow_not_started_keeps_its_state():
    state = {"wf-1": {"source_digest": OTHER, "imported": True, "deployed": True}}
    assert promotion.next_state({}, state, [entry("wf-1", "a-1")], [{"failed": True, "not_started": True}], {}, True)[1] == state


# ------------------------------------------------------------------ the gate compares content

def test_the_gate_compares_the_digest_each_earlier_environment_holds():
    earlier = [("staging", "ids/staging.state.yml", {"wf-1": {"imported": True, "deployed": True, "source_digest": OTHER},
                                                     "wf-2": {"imported": True, "deployed": False, "source_digest": DIGEST},
                                                     "wf-3": {"imported": True, "deployed": True, "source_digest": DIGEST}})]
    problems = promotion.gate_problems({"wf-1": DIGEST, "wf-2": DIGEST, "wf-3": DIGEST, "wf-4": DIGEST}, earlier)
    assert problems == [
        "staging does not hold this content of wf-1, wf-4 (its state, ids/staging.state.yml, records another or none): "
        "promote staging first",
        "staging has not deployed wf-2: rerun staging until its deploys succeed"]
    assert promotion.gate_problems({"wf-2": DIGEST}, earlier, deploy=False) == []
    assert promotion.gate_problems({"wf-1": DIGEST}, [("staging", "s.yml", None)]) == [
        "staging has no promotion state (s.yml): promote staging first"]


def test_the_gate_holds_once_every_environment_of_the_stage_before_holds_the_content():
    held = {"wf-1": {"imported": True, "deployed": True, "source_digest": DIGEST}}
    assert promotion.gate_problems({"wf-1": DIGEST}, [("prod-eu", "a", held), ("prod-us", "b", held)]) == []
    assert promotion.gate_problems({"wf-1": DIGEST}, [("prod-eu", "a", held), ("prod-us", "b", {})]) != []


# ------------------------------------------------------------------ report and summary

def test_the_plan_counts_the_redeploys_an_earlier_failed_deploy_left():
    batch = [entry("wf-1", would_deploy=True), entry("wf-2", "a-2", would_deploy=True), entry("wf-3", "a-3")]
    results = [{"changed": True, "created": True, "outcome": "created"}, {"changed": False, "outcome": "unchanged"},
               {"changed": False, "outcome": "unchanged"}]
    report = promotion.report_of("prod", "h", batch, results, {}, {}, True)
    assert [item["outcome"] for item in report["workflows"]] == ["would create", "unchanged", "unchanged"]
    row = promotion.summary_of(report, [""])
    assert (row["created"], row["unchanged"], row["deployed"]) == (1, 2, 2)
    assert sum(1 for row in promotion.ci_rows(report) if row["deployed"]) == 2  # the Markdown says what the console says
    table = promotion_summary({"prod": {"summary_row": row}}, ["prod"], True)
    assert "would deploy" in table[0] and table[1].split()[-2] == "2"


def test_a_failed_deploy_of_an_unchanged_workflow_is_that_workflows_failure():
    report = promotion.report_of("prod", "h", [entry("wf-1", "a-1")], [{"changed": False, "outcome": "unchanged"}],
                                 {"wf-1": {"deployed": False}}, {"wf-1": {"failed": True, "msg": "deploy FAILED"}}, False)
    assert report["workflows"][0]["outcome"] == "failed" and report["workflows"][0]["error"] == "deploy FAILED"
    assert promotion.summary_of(report, [])["failed"] == 1


def test_drift_names_each_workflow_and_member():
    batch = [entry("wf-1", "a-1"), entry("wf-2", "a-2"), entry("wf-3")]
    results = [{"changed": True, "members_changed": ["flow_definition.json"]}, {"changed": False},
               {"created": True, "changed": True}]
    assert promotion.drift_lines(batch, results) == [
        "wf-1 (a-1): flow_definition.json differ", "wf-3: not in the environment (no id known)"]


def test_the_summary_names_failures_as_the_export_role_does():
    batch = [entry(name) for name in ("wf-1", "wf-2", "wf-3", "wf-4")]
    results = [{"failed": True, "outcome": "failed", "msg": "import FAILED"},
               {"failed": True, "not_started": True, "outcome": "not started", "msg": "not started: 401"},
               {"failed": True, "not_started": True, "outcome": "not started", "msg": "not started: 401"},
               {"changed": True, "outcome": "updated"}]
    row = promotion.summary_of(promotion.report_of("prod", "h", batch, results, {}, {}, False), [])
    assert (row["failed"], row["updated"]) == (3, 1)
    assert row["lines"] == ["  FAILED wf-1: import FAILED", "  NOT STARTED 2 workflows: not started: 401"]
