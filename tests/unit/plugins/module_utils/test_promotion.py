# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The import and deploy operations through the runner and a real module, against the emulator."""

import json
import os

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.deploy import DeployOperation
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import ExportOperation
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export_plan import plan_requests
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.importing import ImportOperation
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError
from ansible_collections.koreai.ai_for_process.plugins.modules import workflow_deploy, workflow_export, workflow_import
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import patch_module_args, write_zip

FAST = dict(poll_interval=0.05, wait_timeout=10, retries=1, timeout=5)


def module_for(spec, emulator, env, **args):
    with patch_module_args(dict(FAST, host=emulator.url, api_key=emulator.keys[env], **args)):
        return KoreaiModule(spec, add_file_common_args=True)


def export(emulator, env, dest, ids, **args):
    """Export ids from env into dest (extract_to under dest/extracted); return {workflow_id: result}."""
    module = module_for(workflow_export.argument_spec(), emulator, env, dest=str(dest),
                        workflows=[{"workflow_id": wid} for wid in ids], **args)
    options = workflow_export.extract_options_from(module.params)
    results, _elapsed = module.run_operation(
        lambda client, settings: ExportOperation(module, client, settings, extract_options=options), plan_requests(module.params))
    return {result["workflow_id"]: result for result in results}


def import_(emulator, env, check_mode=False, diff=False, **args):
    """Run workflow_import's operation with args; return the results."""
    module = module_for(workflow_import.argument_spec(), emulator, env, _ansible_check_mode=check_mode,
                        _ansible_diff=diff, **args)
    requests, options = workflow_import.plan_imports(module.params)
    results, _elapsed = module.run_operation(lambda client, runner: ImportOperation(client, runner, options), requests)
    return results


def mutations(emulator):
    stats = emulator.stats()
    return stats["uploads"], stats["imports"]


def test_round_trip_then_rerun_is_unchanged(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0001"])["a-0001"]
    (first,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0001")
    assert first["failed"] is False, first["msg"]
    assert (first["changed"], first["verified"], first["created"]) == (True, True, False)
    assert sorted(first["file_ids"]) == ["app", "env", "flow"]
    assert mutations(emulator) == (3, 1)
    staging = emulator.workflow("staging", "a-0001")["members"]
    dev = emulator.workflow("dev", "a-0001")["members"]
    assert staging["flow_definition.json"]["nodes"] == dev["flow_definition.json"]["nodes"]

    (again,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0001")
    assert (again["changed"], again["failed"]) == (False, False)
    assert mutations(emulator) == (3, 1)  # nothing uploaded, nothing imported


def test_check_mode_plans_without_mutating(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0002"])["a-0002"]
    (plan,) = import_(emulator, "staging", check_mode=True, diff=True, src=exported["dest"], workflow_id="a-0002")
    assert (plan["changed"], plan["failed"]) == (True, False)
    assert mutations(emulator) == (0, 0)
    shown = plan["diff"]["before"] + plan["diff"]["after"]
    for value in emulator.secrets("dev", "a-0002") + emulator.secrets("staging", "a-0002"):
        assert value not in shown
    (real,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0002")
    assert real["changed"] is True
    (plan_after,) = import_(emulator, "staging", check_mode=True, src=exported["dest"], workflow_id="a-0002")
    assert plan_after["changed"] is False


def test_redacted_tree_keeps_the_target_variables(emulator, tmp_path):
    export(emulator, "dev", tmp_path, ["a-0003"], extract_to=str(tmp_path / "extracted"))
    tree = str(tmp_path / "extracted" / "a-0003")
    before = emulator.workflow("staging", "a-0003")["members"]["env_variables.json"]
    (result,) = import_(emulator, "staging", src=tree, workflow_id="a-0003")
    assert (result["changed"], result["failed"], result["verified"]) == (True, False, True), result["msg"]
    assert emulator.workflow("staging", "a-0003")["members"]["env_variables.json"] == before
    for upload in emulator.uploads():
        assert "<redacted" not in (upload.get("text") or "")
    (again,) = import_(emulator, "staging", src=tree, workflow_id="a-0003")
    assert again["changed"] is False


def test_env_variables_override_and_new_import(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0004"])["a-0004"]
    own = {"variables": [{"key": "BASE_URL", "value": "https://staging.example.invalid", "isSecured": False},
                         {"key": "API_TOKEN", "value": "staging-own-token", "isSecured": True}]}
    (created,) = import_(emulator, "staging", src=exported["dest"], name="copy of a-0004", env_variables=json.dumps(own))
    assert (created["changed"], created["created"], created["failed"]) == (True, True, False), created["msg"]
    assert created["workflow_id"] and created["workflow_id"] != "a-0004"
    assert emulator.workflow("staging", created["workflow_id"])["members"]["env_variables.json"] == own
    (again,) = import_(emulator, "staging", src=exported["dest"], workflow_id=created["workflow_id"], env_variables=own)
    assert again["changed"] is False


@pytest.mark.parametrize("make_src, message", [
    (lambda tmp: str(tmp / "missing.zip"), "does not exist"),
    (lambda tmp: (tmp / "text.zip").write_text("no zip") and str(tmp / "text.zip"), "is not a readable zip archive"),
    (lambda tmp: write_zip(tmp / "noflow.zip", {"app_definition.json": "{}"}), "has no flow definition"),
    (lambda tmp: write_zip(tmp / "unsafe.zip", {"../x.json": "{}", "flow_definition.json": "{}",
                                                "app_definition.json": "{}"}), "refusing"),
])
def test_bad_sources_fail_before_any_request(emulator, tmp_path, make_src, message):
    (result,) = import_(emulator, "staging", src=make_src(tmp_path), workflow_id="a-0001")
    assert result["failed"] is True and message in result["msg"]
    assert emulator.log() == []


def test_the_archive_limits_bound_the_source_and_the_compare_export(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0001"])["a-0001"]
    requests = len(emulator.log())
    (source,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0001", max_members=2)
    assert source["failed"] is True and "more than max_members=2" in source["msg"]
    assert len(emulator.log()) == requests  # the source is refused before any request
    tree = os.path.join(str(tmp_path), "tree")
    os.mkdir(tree)
    for name in ("flow_definition.json", "app_definition.json"):
        with open(os.path.join(tree, name), "w") as handle:
            handle.write("{}")
    (compared,) = import_(emulator, "staging", src=tree, workflow_id="a-0001", max_members=2)
    assert compared["failed"] is True and "more than max_members=2" in compared["msg"]
    assert mutations(emulator) == (0, 0)


def test_an_archive_limit_must_be_positive(emulator, tmp_path):
    with pytest.raises(PlanError, match="max_member_bytes must be greater than 0"):
        import_(emulator, "staging", src=str(tmp_path), workflow_id="a-0001", max_member_bytes=0)


def test_workflow_id_or_name_is_required(emulator, tmp_path):
    with pytest.raises(PlanError, match="workflow_id or name is required"):
        import_(emulator, "staging", src=str(tmp_path))
    assert os.listdir(str(tmp_path)) == []


def deploy(emulator, env, check_mode=False, **args):
    """Run workflow_deploy's operation with args; return the results."""
    module = module_for(workflow_deploy.argument_spec(), emulator, env, _ansible_check_mode=check_mode, **args)
    results, _elapsed = module.run_operation(
        lambda client, settings: DeployOperation(client, settings, module.params["state"]),
        workflow_deploy.deploy_requests(module.params))
    return results


def deploy_count(emulator):
    return emulator.stats()["deploys"]


def test_deploy_and_undeploy(emulator):
    (checked,) = deploy(emulator, "staging", check_mode=True, workflow_id="a-0005")
    assert checked["changed"] is True and emulator.log() == []
    (undeployed,) = deploy(emulator, "staging", workflow_id="a-0005", state="undeployed")
    assert (undeployed["changed"], undeployed["failed"]) == (True, False), undeployed["msg"]
    assert emulator.workflow("staging", "a-0005")["deployed"] is False
    results = deploy(emulator, "staging", workflows=[{"workflow_id": "a-0005"}, {"workflow_id": "a-0006"}])
    assert [result["failed"] for result in results] == [False, False]
    assert emulator.workflow("staging", "a-0005")["deployed"] is True
    assert deploy_count(emulator) == 2


def test_import_deploys_only_what_changed(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0007"])["a-0007"]
    (first,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0007", deploy=True)
    assert (first["changed"], first["deployed"], first["failed"]) == (True, True, False), first["msg"]
    assert deploy_count(emulator) == 1
    (again,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0007", deploy=True)
    assert again["changed"] is False and deploy_count(emulator) == 1


def test_failed_deploy_is_that_workflows_failure(emulator):
    emulator.fault("a-0008", "deploy_failed")
    results = deploy(emulator, "staging", workflows=[{"workflow_id": "a-0008"}, {"workflow_id": "a-0009"}])
    assert results[0]["failed"] is True and "deploy of workflow a-0008" in results[0]["msg"]
    assert results[1]["failed"] is False


@pytest.fixture(params=["workflow", "tool"])
def kind(request, emulator):
    """Each test that takes it runs against AI for Process workflows and against Agent Platform tools."""
    emulator.config(entity="tools" if request.param == "tool" else "workflows")
    return request.param


def test_export_import_deploy_round_trip_in_each_kind(emulator, tmp_path, kind):
    exported = export(emulator, "dev", tmp_path, ["a-0010"], kind=kind)["a-0010"]
    assert exported["failed"] is False, exported["msg"]
    assert exported["export_job_id"].startswith("%s-ej-" % kind)
    (imported,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0010", deploy=True, kind=kind)
    assert (imported["changed"], imported["verified"], imported["deployed"]) == (True, True, True), imported["msg"]
    (created,) = import_(emulator, "staging", src=exported["dest"], name="new-%s" % kind, kind=kind,
                         env_variables={"BASE_URL": "https://staging.example.invalid", "API_TOKEN": "tok-staging"})
    assert created["created"] and created["workflow_id"], created["msg"]
    (again,) = import_(emulator, "staging", src=exported["dest"], workflow_id=created["workflow_id"], kind=kind)
    assert again["changed"] is False
    routes = {entry["path"].split("/")[3] for entry in emulator.log() if entry["path"].startswith("/api/public/") and
              "/dock-status/" not in entry["path"] and "/files" not in entry["path"]}
    assert routes == {kind + "s"}


def test_the_wrong_kind_is_named(emulator, tmp_path):
    emulator.config(entity="tools")
    result = export(emulator, "dev", tmp_path, ["a-0011"])["a-0011"]
    assert result["failed"] is True
    assert "no export route answered" in result["msg"] and result["msg"].endswith("set kind: tool")
    emulator.config(entity="workflows")
    result = export(emulator, "dev", tmp_path, ["a-0011"], kind="tool")["a-0011"]
    assert result["msg"].endswith("set kind: workflow")


def test_a_file_refused_as_too_large_goes_through_a_session_in_smaller_chunks(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0012"])["a-0012"]
    emulator.config(upload_limit=300)
    (result,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0012")
    assert (result["changed"], result["failed"], result["verified"]) == (True, False, True), result["msg"]
    uploads = emulator.uploads()
    assert any(upload["via"] == "session" for upload in uploads)
    assert all(upload["via"] == "session" for upload in uploads if upload["size"] > 300)


def test_a_failed_import_names_its_reason_once(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0013"])["a-0013"]
    emulator.fault("a-0013", "import_failed", env="staging")
    (result,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0013")
    assert result["failed"] is True and "FAILED on the server" in result["msg"]
    reason = result["msg"].split("(", 1)[1]
    assert all(reason.count(part) == 1 for part in reason.rstrip(")").split("; "))


def test_a_failed_deploy_after_an_import_keeps_the_import_facts(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0014", "a-0015"])
    emulator.fault("a-0014", "deploy_failed", env="staging")
    results = import_(emulator, "staging", deploy=True, workflows=[
        {"src": exported[wid]["dest"], "workflow_id": wid} for wid in ("a-0014", "a-0015")])
    failed, fine = results
    assert failed["failed"] is True and "deploy of workflow a-0014" in failed["msg"]
    assert failed["verified"] is None and failed["dock_status_id"] != failed["deploy_dock_status_id"]
    assert failed["deploy_status"] == "FAILED" and failed["status"] == "SUCCESS"
    assert fine["failed"] is False and fine["deployed"] is True
