# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One environment's promotion run, with the modules it runs played by a fake: what it records, what it refuses,
and that the lock never outlives it."""

import json
import os

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.creation_journal import CreationJournal
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils import _promotion_run as run_module
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils import _paths as paths_module
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._promotion_run import ARGUMENT_SPEC, PromotionRun

IMPORT = "koreai.ai_for_process.workflow_import"
DEPLOY = "koreai.ai_for_process.workflow_deploy"


class FakeAction:
    """The action as PromotionRun sees it; modules answer from replies (module name -> function of its args)."""

    connection_name = "local"
    diff_mode = False

    def __init__(self, replies, check_mode=False):
        self.loader = DataLoader()
        self.replies = replies
        self.check_mode = check_mode
        self.calls = []

    def execute_module(self, name, args, task_vars, check_mode):
        self.calls.append((name, args, check_mode))
        return self.replies[name](args)


def created(ids):
    """An import reply that creates the new workflows, journals their ids as the module does, and returns them
    masked, as ansible-core's no_log masking would have."""
    def reply(args):
        results = []
        for item in args["workflows"]:
            if item.get("workflow_id"):
                results.append({"changed": False, "outcome": "unchanged", "workflow_id": item["workflow_id"]})
                continue
            journal = CreationJournal(args["journal"])
            journal.sending(item["name"])
            journal.created(item["name"], ids[item["name"]], "ds-" + item["name"])
            results.append({"changed": True, "created": True, "status": "SUCCESS", "deployed": True, "outcome": "created",
                            "workflow_id": "********", "dock_status_id": "ds-" + item["name"],
                            "baseline": "v1:" + item["name"]})
        return {"results": results}
    return reply


def unchanged(args):
    return {"results": [{"changed": False, "outcome": "unchanged", "workflow_id": item.get("workflow_id")}
                        for item in args["workflows"]]}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with dev's tree of two workflows and an inventory directory (pytest keeps it below the collection's
    tests/output, which the rule 'nothing written inside the installed collection' must not see here)."""
    monkeypatch.setattr(paths_module, "COLLECTION_ROOT", os.path.join(os.sep, "nonexistent-collection"))
    for name in ("wf-1", "wf-2"):
        tree = tmp_path / "exports" / "dev" / "extracted" / name
        tree.mkdir(parents=True)
        (tree / "flow_definition.json").write_text(json.dumps({"nodes": [{"id": "n1", "prompt": name}]}))
        (tree / "app_definition.json").write_text(json.dumps({"name": name}))
    return tmp_path


def task_vars(project, environment="staging", hosts=("staging", "prod"), **extra):
    hostvars = {host: {"promote_workflows_host": "https://%s.example.invalid" % host} for host in hosts}
    variables = {"inventory_hostname": environment, "inventory_dir": str(project), "ansible_play_batch": [environment],
                 "groups": {"all": list(hosts), "ungrouped": list(hosts)}, "hostvars": hostvars}
    variables.update(extra)
    return variables


def arguments(**given):
    args = {name: option.get("default") for name, option in ARGUMENT_SPEC.items()}
    args.update(host="https://staging.example.invalid", api_key="kg-staging", src="exports/dev",
                workflows=[{"name": "wf-1"}, {"name": "wf-2"}], poll_interval=0.1)
    args.update(given)
    return args


def promote(action, project, args=None, **variables):
    run = PromotionRun(action, args or arguments(), task_vars(project, **variables))
    try:
        return run.run()
    finally:
        run.close()


def read(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_new_ids_come_from_the_journal_never_from_masked_output(project):
    action = FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})})
    result = promote(action, project)
    assert read(project / "exports" / "ids" / "staging.yml") == {"wf-1": "a-1", "wf-2": "a-2"}
    assert [entry["workflow_id"] for entry in result["results"]] == ["a-1", "a-2"]
    assert not (project / "exports" / "ids" / "staging.journal").exists()
    assert "********" not in json.dumps(result) and "********" not in (project / "exports" / "ids" / "staging.state.yml").read_text()


def test_each_workflows_baseline_is_kept_and_given_back_with_the_secrets_file_resolved(project):
    (project / "secrets.yml").write_text("not_secret: [flow/nodes/*/prompt]\n")
    promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project, arguments(secrets_file="secrets.yml"))
    state = read(project / "exports" / "ids" / "staging.state.yml")["workflows"]
    assert [state[name]["baseline"] for name in ("wf-1", "wf-2")] == ["v1:wf-1", "v1:wf-2"]
    action = FakeAction({IMPORT: unchanged})
    promote(action, project, arguments(secrets_file="secrets.yml", target_edits="refuse"))
    (_name, args, _check), = action.calls
    assert [item["baseline"] for item in args["workflows"]] == ["v1:wf-1", "v1:wf-2"]
    assert (args["secrets_file"], args["target_edits"]) == (str(project / "secrets.yml"), "refuse")


def test_an_unchanged_rerun_writes_nothing(project):
    promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project)
    before = (project / "exports" / "ids" / "staging.state.yml").stat().st_mtime_ns
    result = promote(FakeAction({IMPORT: unchanged}), project)
    assert result["changed"] is False and result["store_written"] is False
    assert (project / "exports" / "ids" / "staging.state.yml").stat().st_mtime_ns == before


def disk_full(args):
    raise OSError(28, "No space left on device", args["journal"])


@pytest.mark.parametrize("reply", [lambda args: {"failed": True, "msg": "module crashed"}, disk_full])
def test_the_lock_is_released_whatever_fails(project, reply):
    with pytest.raises((run_module.ModuleRunFailed, OSError)):
        promote(FakeAction({IMPORT: reply}), project)
    assert not (project / "exports" / "ids" / "staging.yml.lock").exists()


def test_a_lost_ids_file_whose_state_records_promotions_stops_before_any_request(project):
    (project / "exports" / "ids").mkdir()
    (project / "exports" / "ids" / "staging.state.yml").write_text("workflows: {wf-1: {imported: true}}\n")
    action = FakeAction({})
    with pytest.raises(StoreError, match="staging.yml is missing but .*staging.state.yml records earlier promotions"):
        promote(action, project)
    assert action.calls == []


def test_an_awx_job_that_would_lose_new_ids_is_refused_naming_the_fixes(project):
    action = FakeAction({})
    with pytest.raises(StoreError, match="this AWX/AAP job .42. would create wf-1, wf-2.*promote_workflows_git_push: true"):
        promote(action, project, awx_job_id=42)
    assert action.calls == []


def test_a_creation_sent_without_an_answer_is_not_sent_again(project):
    (project / "exports" / "ids").mkdir()
    CreationJournal(str(project / "exports" / "ids" / "staging.journal")).sending("wf-2")
    action = FakeAction({})
    with pytest.raises(StoreError, match=r"promote_workflows_recreate: \[wf-2\]"):
        promote(action, project)
    assert action.calls == []
    # The journal was folded into the state, so the refusal outlives it.
    assert read(project / "exports" / "ids" / "staging.state.yml")["workflows"]["wf-2"]["sent"]
    result = promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project,
                     arguments(recreate=["wf-2"]))
    assert [entry["outcome"] for entry in result["results"]] == ["created", "created"]


def test_the_stage_before_gates_by_content_and_the_plan_only_warns(project):
    promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project)
    state_file = project / "exports" / "ids" / "staging.state.yml"
    state = read(state_file)
    state["workflows"]["wf-1"]["source_digest"] = "0" * 64  # staging holds another version of wf-1
    state_file.write_text(yaml.safe_dump(state))
    prod = arguments(host="https://prod.example.invalid", api_key="kg-prod")
    with pytest.raises(StoreError, match="staging does not hold this content of wf-1 "):
        promote(FakeAction({}), project, prod, environment="prod")
    plan = promote(FakeAction({IMPORT: unchanged}, check_mode=True), project, prod, environment="prod")
    assert any("the apply will refuse: staging does not hold this content of wf-1 " in warning for warning in plan["warnings"])


def test_gate_verify_exports_the_stage_before_with_its_own_connection_and_refuses_what_it_does_not_hold(project):
    promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project)
    prod = arguments(host="https://prod.example.invalid", api_key="kg-prod", gate="verify")
    hostvars = {"staging": {"promote_workflows_host": "https://staging.example.invalid", "promote_workflows_api_key": "kg-s"},
                "prod": {"promote_workflows_host": "https://prod.example.invalid"}}

    def staging_differs(args):
        return {"results": [{"changed": args["host"].startswith("https://staging"), "members_changed": ["flow_definition.json"],
                             "workflow_id": item.get("workflow_id")} for item in args["workflows"]]}

    action = FakeAction({IMPORT: staging_differs})
    with pytest.raises(StoreError, match="staging does not hold this content of wf-1, as its export shows: flow_definition"):
        promote(action, project, prod, environment="prod", hostvars=hostvars)
    (name, args, check_mode), = action.calls
    assert (name, args["host"], args["api_key"], check_mode, "journal" in args, args["target_edits"]) == (
        IMPORT, "https://staging.example.invalid", "kg-s", True, False, "overwrite")
    assert [item["workflow_id"] for item in args["workflows"]] == ["a-1", "a-2"]


def test_the_plan_counts_the_redeploys_a_failed_deploy_left(project):
    promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project)
    state_file = project / "exports" / "ids" / "staging.state.yml"
    state = read(state_file)
    state["workflows"]["wf-2"]["deployed"] = False
    state_file.write_text(yaml.safe_dump(state))
    plan = promote(FakeAction({IMPORT: unchanged}, check_mode=True), project)
    assert plan["summary_row"]["deployed"] == 1
    assert [row["deployed"] for row in plan["ci_rows"]] == [False, True]
    applied = promote(FakeAction({IMPORT: unchanged, DEPLOY: lambda args: {"results": [{"changed": True}]}}), project)
    assert applied["summary_row"]["deployed"] == 1
    assert read(state_file)["workflows"]["wf-2"]["deployed"] is True


def git_store(publish):
    """A GitStore whose remote holds nothing yet and whose publish(files, message) is given."""
    class FakeGitStore:
        tip, top = None, ""  # every file is the checkout's

        def __init__(self, *args, **kwargs):
            pass

        def fetch(self):
            return None

        def read(self, path):
            return None

        def publish(self, files, message, since=None):
            return publish(files, message)

    return FakeGitStore


def refused_push(files, message):
    raise StoreError("the promotion files could not be pushed to origin, branch main: refused")


def test_a_failed_publish_to_the_git_store_fails_the_environment_and_releases_the_lock(project, monkeypatch):
    monkeypatch.setattr(run_module, "GitStore", git_store(refused_push))
    with pytest.raises(StoreError, match="could not be pushed"):
        promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project, arguments(git_push=True))
    assert not (project / "exports" / "ids" / "staging.yml.lock").exists()


def test_a_plan_with_the_git_store_reads_the_tip_and_publishes_nothing(project, monkeypatch):
    published = []
    monkeypatch.setattr(run_module, "GitStore", git_store(lambda files, message: published.append(message)))
    plan = promote(FakeAction({IMPORT: lambda args: {"results": [
        {"changed": True, "created": True, "outcome": "created"} for item in args["workflows"]]}}, check_mode=True),
        project, arguments(git_push=True))
    assert [entry["outcome"] for entry in plan["results"]] == ["would create", "would create"]
    assert published == []


def test_drift_compares_with_the_tree_itself_whatever_target_edits_says(project):
    promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project)
    action = FakeAction({IMPORT: unchanged})
    result = promote(action, project, arguments(mode="drift"))
    (_name, args, check_mode), = action.calls
    assert (check_mode, args["target_edits"], args["deploy"], result["failed"]) == (True, "overwrite", False, False)


def test_a_host_that_is_no_stage_is_skipped(project):
    result = promote(FakeAction({}), project, environment="dev", hosts=("dev", "staging"),
                     hostvars={"dev": {}, "staging": {"promote_workflows_host": "https://s.example.invalid"}})
    assert result["skipped"] and "dev is not a stage" in result["skip_reason"]


def imported_names(action):
    """The names each workflow_import run was given, run by run."""
    return [[item["name"] for item in args["workflows"]] for name, args, _check in action.calls if name == IMPORT]


def first_promotion(project, **given):
    promote(FakeAction({IMPORT: created({"wf-1": "a-1", "wf-2": "a-2"})}), project, arguments(**given))


def test_compare_changed_trusts_the_state_and_an_unchanged_rerun_runs_no_module(project):
    first_promotion(project)
    action = FakeAction({})
    result = promote(action, project, arguments(compare="changed"))
    assert action.calls == []
    assert [(entry["outcome"], entry["trusted"]) for entry in result["results"]] == [("unchanged", True)] * 2
    assert result["changed"] is False and result["store_written"] is False
    assert "2 unchanged workflows trusted to the promotion state, not compared" in "\n".join(result["summary_row"]["lines"])


def test_compare_all_compares_every_workflow_whatever_the_state_records(project):
    first_promotion(project)
    action = FakeAction({IMPORT: unchanged})
    result = promote(action, project)
    assert imported_names(action) == [["wf-1", "wf-2"]]
    assert [entry["trusted"] for entry in result["results"]] == [False, False]


def test_compare_changed_imports_only_the_workflow_whose_content_changed(project):
    first_promotion(project)
    flow = project / "exports" / "dev" / "extracted" / "wf-2" / "flow_definition.json"
    flow.write_text(json.dumps({"nodes": [{"id": "n1", "prompt": "wf-2, reviewed again"}]}))
    action = FakeAction({IMPORT: lambda args: {"results": [{"changed": True, "status": "SUCCESS", "deployed": True}]}})
    result = promote(action, project, arguments(compare="changed"))
    assert imported_names(action) == [["wf-2"]]
    assert [(entry["name"], entry["outcome"], entry["trusted"]) for entry in result["results"]] == [
        ("wf-1", "unchanged", True), ("wf-2", "updated", False)]
    state = read(project / "exports" / "ids" / "staging.state.yml")["workflows"]
    assert state["wf-2"]["source_digest"] == result["results"][1]["source_digest"] != state["wf-1"]["source_digest"]


@pytest.mark.parametrize("record", [{"deployed": False}, {"imported": False}, {"source_digest": "0" * 64},
                                    {"pending_id": "a-9"}, {"sent": "2026-01-01T00:00:00Z"}])
def test_compare_changed_compares_what_the_state_does_not_record_as_held_and_deployed(project, record):
    first_promotion(project)
    state_file = project / "exports" / "ids" / "staging.state.yml"
    state = read(state_file)
    state["workflows"]["wf-1"].update(record)
    state_file.write_text(yaml.safe_dump(state))
    action = FakeAction({IMPORT: unchanged, DEPLOY: lambda args: {"results": [{"changed": True}]}})
    promote(action, project, arguments(compare="changed"))
    assert imported_names(action) == [["wf-1"]]


def test_compare_changed_compares_a_workflow_given_another_id(project):
    first_promotion(project)
    action = FakeAction({IMPORT: unchanged})
    promote(action, project, arguments(compare="changed", ids={"wf-2": "a-22"}))
    assert imported_names(action) == [["wf-2"]]


def test_given_values_are_recorded_keyed_by_the_api_key_and_a_change_is_compared(project):
    first_promotion(project, env_variables={"wf-1": {"REGION": "eu-west-1"}})
    state_text = (project / "exports" / "ids" / "staging.state.yml").read_text()
    assert "eu-west-1" not in state_text and "given_digest" in state_text
    trusted = FakeAction({})
    promote(trusted, project, arguments(compare="changed", env_variables={"wf-1": {"REGION": "eu-west-1"}}))
    assert trusted.calls == []
    for changed in (arguments(compare="changed", env_variables={"wf-1": {"REGION": "eu-central-1"}}),
                    arguments(compare="changed", env_variables={"wf-1": {"REGION": "eu-west-1"}}, api_key="kg-rotated")):
        action = FakeAction({IMPORT: unchanged})
        promote(action, project, changed)
        assert imported_names(action) == [["wf-1"]]
