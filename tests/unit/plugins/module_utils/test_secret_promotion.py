# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secrets model of a promotion, against the emulator's flows with integration nodes.

A promotion moves logic, never credentials: from every source form the target keeps its own secrets on the
node they were on, nothing of the source's reaches it, the plan fails exactly where the apply does, and the
module's output holds no secret value the run knows.
"""

import copy
import json

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import MASK
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError
from ansible_collections.koreai.ai_for_process.plugins.modules import workflow_import
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import patch_module_args
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_promotion import FAST, export, import_

FLOW = "flow_definition.json"
WID = "a-0100"


@pytest.fixture
def integrations(emulator):
    """Workflow a-0100 with integration nodes in dev, staging and prod (each with its own secret values)."""
    for env in ("dev", "staging", "prod"):
        emulator.put_workflow(env, WID, flow_id="cf-0100", name="Integrations", integrations=True)
    return emulator


def secrets_of(emulator, env):
    return emulator.workflow(env, WID)["integration_secrets"]


def stored(emulator, env):
    return emulator.workflow(env, WID)["members"]


def node_secrets(flow):
    """{node identity: [every string under the node]} of a flow, to see which value sits on which node."""
    def strings(value):
        if isinstance(value, dict):
            return [found for item in value.values() for found in strings(item)]
        if isinstance(value, list):
            return [found for item in value for found in strings(item)]
        return [value] if isinstance(value, str) else []
    return {node.get("id") or node.get("name"): sorted(strings(node)) for node in flow["nodes"]}


def assert_target_kept_its_secrets(emulator, env, before):
    """Every secret of env is still on the node it was on, and no dev secret value is anywhere in env."""
    after = stored(emulator, env)
    assert node_secrets(after[FLOW])["crm-1"] == node_secrets(before[FLOW])["crm-1"]
    for node in ("db-1", "s3-1", "llm-1", "partner-webhook"):
        assert node_secrets(after[FLOW])[node] == node_secrets(before[FLOW])[node], node
    assert after["env_variables.json"] == before["env_variables.json"]
    text = json.dumps(after)
    for value in list(secrets_of(emulator, "dev").values()) + emulator.secrets("dev", WID):
        assert value not in text and json.dumps(value)[1:-1] not in text
    assert "S3CR3T-dev" not in text


def test_review_tree_holds_no_integration_secret_and_keeps_plain_config(integrations, tmp_path):
    export(integrations, "dev", tmp_path, [WID], extract_to=str(tmp_path / "tree"))
    text = (tmp_path / "tree" / WID / FLOW).read_text()
    for value in secrets_of(integrations, "dev").values():
        assert json.dumps(value)[1:-1] not in text
    assert "S3CR3T" not in text
    flow = json.loads(text)
    crm = flow["nodes"][[node.get("id") for node in flow["nodes"]].index("crm-1")]["settings"]
    assert crm["url"] == "https://crm.example.invalid/api/v2/contacts"
    assert (crm["tokenUrl"], crm["maxTokens"], crm["timeoutMs"]) == ("https://auth.example.invalid/oauth/token", 512, 3000)
    assert crm["headers"][0] == {"key": "Accept", "value": "application/json"}
    assert crm["auth"]["clientId"] == "crm-client"


@pytest.mark.parametrize("form", ["redacted_tree", "archive"])
@pytest.mark.parametrize("env", ["staging", "prod"])
def test_promotion_keeps_each_target_secret_on_its_node(integrations, tmp_path, form, env):
    exported = export(integrations, "dev", tmp_path, [WID], extract_to=str(tmp_path / "tree"))[WID]
    src = str(tmp_path / "tree" / WID) if form == "redacted_tree" else exported["dest"]
    before = stored(integrations, env)
    (plan,) = import_(integrations, env, check_mode=True, diff=True, src=src, workflow_id=WID)
    assert (plan["failed"], plan["changed"]) == (False, True), plan["msg"]
    shown = plan["diff"]["before"] + plan["diff"]["after"]
    assert "S3CR3T" not in shown
    (result,) = import_(integrations, env, src=src, workflow_id=WID)
    assert (result["failed"], result["changed"], result["verified"]) == (False, True, True), result["msg"]
    assert_target_kept_its_secrets(integrations, env, before)
    for upload in integrations.uploads():
        assert "S3CR3T-dev" not in (upload.get("text") or "")
    (again,) = import_(integrations, env, src=src, workflow_id=WID)
    assert again["changed"] is False


def reorder_and_add_node(emulator, new_node):
    """Dev reverses its nodes and inserts a node holding a secret (an edit in the UI)."""
    flow = copy.deepcopy(stored(emulator, "dev")[FLOW])
    flow["nodes"] = [new_node] + list(reversed(flow["nodes"]))
    emulator.edit("dev", WID, FLOW, document=flow)


def test_added_and_reordered_nodes_move_no_value(integrations, tmp_path):
    reorder_and_add_node(integrations, {"id": "crm-2", "type": "apiNode", "settings": {"password": "S3CR3T-dev-crm2"}})
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    before = stored(integrations, "staging")
    pointer = "flow/nodes/crm-2/settings/password"
    (plan,) = import_(integrations, "staging", check_mode=True, src=exported["dest"], workflow_id=WID)
    (refused,) = import_(integrations, "staging", src=exported["dest"], workflow_id=WID)
    assert plan["failed"] and refused["failed"] and plan["msg"] == refused["msg"]
    assert "at %s (" % pointer in refused["msg"] and "secret_values" in refused["msg"] and "S3CR3T" not in refused["msg"]
    assert integrations.stats()["uploads"] == 0
    (result,) = import_(integrations, "staging", src=exported["dest"], workflow_id=WID,
                        secret_values={pointer: "staging-crm2-password"})
    assert result["failed"] is False, result["msg"]
    assert_target_kept_its_secrets(integrations, "staging", before)
    nodes = node_secrets(stored(integrations, "staging")[FLOW])
    assert "staging-crm2-password" in nodes["crm-2"]


def test_given_values_win_and_carry_is_an_explicit_opt_in(integrations, tmp_path):
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    given = {"flow/nodes/partner-webhook/settings/headers/X-Webhook-Token/value": "staging-given-webhook"}
    (result,) = import_(integrations, "staging", src=exported["dest"], workflow_id=WID, secret_values=json.dumps(given),
                        env_variables={"API_TOKEN": "staging-given-token"})
    assert result["failed"] is False, result["msg"]
    members = stored(integrations, "staging")
    assert "staging-given-webhook" in node_secrets(members[FLOW])["partner-webhook"]
    assert {item["key"]: item["value"] for item in members["env_variables.json"]["variables"]}["API_TOKEN"] == \
        "staging-given-token"
    (carried,) = import_(integrations, "prod", src=exported["dest"], workflow_id=WID, carry_source_secrets=True)
    assert carried["failed"] is False
    assert any("carry_source_secrets" in warning and "flow/nodes/crm-1/settings/headers/Authorization/value" in warning
               for warning in carried["warnings"])
    assert secrets_of(integrations, "dev")["bearer"] in json.dumps(stored(integrations, "prod"))


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_new_workflow_refusal_lists_missing_values_that_secret_values_takes_verbatim(integrations, tmp_path, check_mode):
    """The refusal's missing_values, given back with values, make the same import succeed, plan and apply alike."""
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    (refused,) = import_(integrations, "staging", check_mode=check_mode, src=exported["dest"], name="fresh")
    missing = refused["missing_values"]
    assert refused["failed"] and {"env/BASE_URL", "env/API_TOKEN"} <= set(missing), refused
    assert "flow/nodes/crm-1/settings/headers/Authorization/value" in missing
    assert all(pointer in refused["msg"] for pointer in missing) and "in secret_values" in refused["msg"]
    assert "S3CR3T" not in refused["msg"] and integrations.stats()["uploads"] == 0
    given = {pointer: "staging-given-" + pointer.rpartition("/")[2] for pointer in missing}
    (result,) = import_(integrations, "staging", check_mode=check_mode, src=exported["dest"], name="fresh",
                        secret_values=given)
    assert (result["failed"], result["changed"], result["created"]) == (False, True, True), result["msg"]
    assert result["missing_values"] == []
    if not check_mode:
        created = integrations.workflow("staging", result["workflow_id"])["members"]
        variables = {item["key"]: item["value"] for item in created["env_variables.json"]["variables"]}
        assert variables == {"BASE_URL": "staging-given-BASE_URL", "API_TOKEN": "staging-given-API_TOKEN"}
        assert "S3CR3T-dev" not in json.dumps(created)


def bad_source_tree(tmp_path, emulator):
    """A redacted tree whose crm-1 node carries no id any more (its placeholder cannot be matched)."""
    export(emulator, "dev", tmp_path, [WID], extract_to=str(tmp_path / "tree"))
    path = tmp_path / "tree" / WID / FLOW
    flow = json.loads(path.read_text())
    for node in flow["nodes"]:
        if node.get("id") == "crm-1":
            del node["id"]
    path.write_text(json.dumps(flow))
    return str(tmp_path / "tree" / WID)


def test_the_plan_fails_exactly_where_the_apply_fails(integrations, tmp_path):
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    items = [
        dict(src=exported["dest"], workflow_id=WID),  # fine
        dict(src=exported["dest"], workflow_id=WID, env_variables=["API_TOKEN"]),
        dict(src=exported["dest"], workflow_id=WID, env_variables={"variables": "x"}),
        dict(src=exported["dest"], workflow_id=WID, env_variables=5),
        dict(src=exported["dest"], workflow_id=WID, secret_values={"flow/nodes/nope/password": "x"}),
        dict(src=exported["dest"], workflow_id=WID, secret_values={"vars/API_TOKEN": "x"}),
        dict(src=bad_source_tree(tmp_path, integrations), workflow_id=WID),
        dict(src=exported["dest"], name="brand-new"),
    ]
    plan = import_(integrations, "staging", check_mode=True, workflows=items)
    assert integrations.stats()["uploads"] == 0
    applied = import_(integrations, "staging", workflows=items)
    assert [result["failed"] for result in plan] == [False] + [True] * 7
    assert [result["msg"] for result in plan[1:]] == [result["msg"] for result in applied[1:]]
    for result, expected in zip(plan[1:], ["env_variables must be", "every item of variables", "got a int",
                                           "matches no secret value", "must start with flow/, app/, env/",
                                           "no id, key or name", "env/BASE_URL, env/API_TOKEN"]):
        assert expected in result["msg"] and "workflows[" in result["msg"]
    assert applied[0]["failed"] is False and integrations.stats()["imports"] == 1


def test_env_variables_forms_and_an_empty_source_keeps_the_target(integrations, tmp_path):
    tree = tmp_path / "tree" / WID
    export(integrations, "dev", tmp_path, [WID], extract_to=str(tmp_path / "tree"))
    (tree / "env_variables.json").write_text(json.dumps({"variables": []}))
    before = stored(integrations, "staging")["env_variables.json"]
    (kept,) = import_(integrations, "staging", src=str(tree), workflow_id=WID)
    assert kept["failed"] is False and stored(integrations, "staging")["env_variables.json"] == before
    for form in ({"API_TOKEN": "tok-a"}, json.dumps({"API_TOKEN": "tok-b"}),
                 {"variables": [{"key": "API_TOKEN", "value": "tok-c", "isSecured": True}]}):
        (result,) = import_(integrations, "staging", src=str(tree), workflow_id=WID, env_variables=form)
        assert result["failed"] is False, result["msg"]
        variables = stored(integrations, "staging")["env_variables.json"]["variables"]
        assert [item["key"] for item in variables] == ["BASE_URL", "API_TOKEN"]
        assert variables[1]["isSecured"] is True and variables[0] == before["variables"][0]
    assert variables[1]["value"] == "tok-c"


def run_module(capsys, args):
    """Run workflow_import's main() with args; return its JSON output as text."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            workflow_import.main()
    return capsys.readouterr().out


def test_the_exit_path_scrubs_every_secret_the_run_knows(integrations, tmp_path, capsys):
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    integrations.fault(WID, "import_400_echo", env="staging")
    given = {"flow/nodes/db-1/settings/pwd": "given-staging-db-pwd"}
    out = run_module(capsys, dict(FAST, host=integrations.url, api_key=integrations.keys["staging"], src=exported["dest"],
                                  workflow_id=WID, secret_values=json.dumps(given),
                                  env_variables=json.dumps({"API_TOKEN": "given-staging-api-token"})))
    result = json.loads(out)
    assert result["failed"] is True and "Validation failed for the uploaded content" in result["msg"]
    assert MASK in result["msg"]
    for value in ["given-staging-db-pwd", "given-staging-api-token", secrets_of(integrations, "staging")["pg"],
                  secrets_of(integrations, "staging")["jwt"], "S3CR3T-staging-a-0100-bearer-7f3a"]:
        assert value not in out


@pytest.mark.parametrize("args", [dict(env_variables="{not json"), dict(env_variables=[1]), dict(secret_values="[]"),
                                  dict(secret_values={"nodes/x/password": "v"})])
def test_given_values_of_the_wrong_shape_fail_before_any_request(integrations, tmp_path, args):
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    before = len(integrations.log())
    (result,) = import_(integrations, "staging", src=exported["dest"], workflow_id=WID, **args)
    assert result["failed"] and ("env_variables" in result["msg"] or "secret_values" in result["msg"])
    assert len(integrations.log()) == before


@pytest.mark.parametrize("option", ["env_variables", "secret_values"])
def test_json_text_nested_too_deeply_is_refused_as_any_text_that_is_not_json(integrations, tmp_path, capsys, option):
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    out = run_module(capsys, dict(FAST, host=integrations.url, api_key=integrations.keys["staging"], src=exported["dest"],
                                  workflow_id=WID, **{option: "[" * 100000}))
    result = json.loads(out)
    assert result["failed"] is True and "%s is not valid JSON (it nests too deeply)" % option in result["msg"], result["msg"]


@pytest.mark.parametrize("given", [{"API_TOKEN": "<redacted:koreai>"},
                                   {"variables": [{"key": "API_TOKEN", "value": "<redacted:koreai:hmac-sha256:0123abcd>"}]}])
@pytest.mark.parametrize("check_mode", [True, False])
def test_a_placeholder_given_as_a_value_is_refused_and_never_uploaded(integrations, tmp_path, given, check_mode):
    """A placeholder copied into env_variables (the redacted member, filled in only in part) is refused, plan and apply."""
    export(integrations, "dev", tmp_path, [WID])
    uploads_before = integrations.stats()["uploads"]
    (result,) = import_(integrations, "staging", check_mode=check_mode, src=str(tmp_path / (WID + ".zip")),
                        workflow_id=WID, env_variables=given)
    assert result["failed"] is True and "placeholder" in result["msg"], result["msg"]
    assert integrations.stats()["uploads"] == uploads_before


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_placeholder_on_the_target_is_no_value_and_the_refusal_names_secret_values(integrations, tmp_path, check_mode):
    """A target holding a placeholder (a redacted tree imported by hand) gives no value: the pointer is missing."""
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    flow = copy.deepcopy(stored(integrations, "staging")[FLOW])
    crm = next(node for node in flow["nodes"] if node.get("id") == "crm-1")
    crm["settings"]["headers"][1]["value"] = "<redacted:koreai>"
    integrations.edit("staging", WID, FLOW, document=flow)
    (refused,) = import_(integrations, "staging", check_mode=check_mode, src=exported["dest"], workflow_id=WID)
    pointer = "flow/nodes/crm-1/settings/headers/Authorization/value"
    assert refused["failed"] and refused["missing_values"] == [pointer], refused
    assert "%s (the target holds a placeholder there)" % pointer in refused["msg"] and "in secret_values" in refused["msg"]
    (given,) = import_(integrations, "staging", check_mode=check_mode, src=exported["dest"], workflow_id=WID,
                       secret_values={pointer: "Bearer staging-given-after-placeholder"})
    assert given["failed"] is False, given["msg"]


def with_metadata(emulator, env, workflow_id):
    """The env member of a workflow with metadata beside its variables, as real exports carry it."""
    members = emulator.workflow(env, workflow_id)["members"]
    document = {"workflowId": workflow_id, "environment": env, "revision": 1, "names": ["BASE_URL", "API_TOKEN"],
                "variables": members["env_variables.json"]["variables"]}
    emulator.edit(env, workflow_id, "env_variables.json", document=document)


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_new_workflow_whose_env_member_carries_metadata_needs_its_variables_only(emulator, tmp_path, check_mode):
    with_metadata(emulator, "dev", "a-0003")
    exported = export(emulator, "dev", tmp_path, ["a-0003"], extract_to=str(tmp_path / "tree"))["a-0003"]
    tree_env = json.loads((tmp_path / "tree" / "a-0003" / "env_variables.json").read_text())
    assert (tree_env["workflowId"], tree_env["environment"], tree_env["revision"]) == ("a-0003", "dev", 1)
    (refused,) = import_(emulator, "staging", check_mode=check_mode, src=exported["dest"], name="with-metadata")
    assert refused["missing_values"] == ["env/BASE_URL", "env/API_TOKEN"], refused["msg"]
    (created,) = import_(emulator, "staging", check_mode=check_mode, src=str(tmp_path / "tree" / "a-0003"),
                         name="with-metadata", env_variables={"BASE_URL": "https://staging.invalid", "API_TOKEN": "st-tok-1"})
    assert (created["failed"], created["created"]) == (False, True), created["msg"]
    if not check_mode:
        env = emulator.workflow("staging", created["workflow_id"])["members"]["env_variables.json"]
        assert {item["key"]: item["value"] for item in env["variables"]} == {"BASE_URL": "https://staging.invalid",
                                                                             "API_TOKEN": "st-tok-1"}


def shapes_node(env):
    """A node holding each shape a classifier once missed, with the values of env."""
    return {"id": "shapes-1", "type": "apiNode", "settings": {
        "url": "https://notify.example.invalid/notify?channel=ops&access_token=qt-%s-f495-notify" % env,
        "webhook": "https://hooks.slack.com/services/T0%s/B0%s/XX%sXX" % (env, env, env),
        "smtp": {"host": "smtp.example.invalid", "pass": "smtp-pass-%s" % env},
        "headers": [{"key": "X-Auth", "value": "x-auth-%s" % env}, {"key": "Accept", "value": "application/json"}],
        "hmacKey": "hmac-%s-key" % env, "salt": "salt-%s-value" % env, "auth": "svc:Pa55word-%s!" % env,
        "args": ["--user", "svc", "--password", "hunter2-%s" % env], "timeoutMs": 3000}}


def test_every_shape_round_trips_tree_to_staging_and_prod_keeping_each_environments_values(integrations, tmp_path):
    for env in ("dev", "staging", "prod"):
        flow = copy.deepcopy(stored(integrations, env)[FLOW])
        flow["nodes"].append(shapes_node(env))
        integrations.edit(env, WID, FLOW, document=flow)
    export(integrations, "dev", tmp_path, [WID], extract_to=str(tmp_path / "tree"))
    tree = (tmp_path / "tree" / WID / FLOW).read_text()
    for value in ("qt-dev", "XXdevXX", "smtp-pass-dev", "x-auth-dev", "hmac-dev", "salt-dev", "Pa55word-dev", "hunter2-dev"):
        assert value not in tree, value
    for kept in ("https://notify.example.invalid/notify?channel=ops&access_token=", "https://hooks.slack.com/services/",
                 "smtp.example.invalid", "application/json", "--password"):
        assert kept in tree, kept
    for env in ("staging", "prod"):
        before = next(node for node in stored(integrations, env)[FLOW]["nodes"] if node.get("id") == "shapes-1")
        (result,) = import_(integrations, env, src=str(tmp_path / "tree" / WID), workflow_id=WID)
        assert result["failed"] is False, result["msg"]
        after = next(node for node in stored(integrations, env)[FLOW]["nodes"] if node.get("id") == "shapes-1")
        assert after == before == shapes_node(env)


@pytest.mark.parametrize("args", [dict(secret_values={"flow/nodes/db-1/settings/pwd": "********"}),
                                  dict(env_variables={"API_TOKEN": "tok-********"}),
                                  dict(env_variables={"variables": [{"key": "API_TOKEN",
                                                                     "value": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}]})])
def test_a_mask_copied_from_output_is_never_taken_for_a_value(integrations, tmp_path, args):
    exported = export(integrations, "dev", tmp_path, [WID])[WID]
    before = len(integrations.log())
    (result,) = import_(integrations, "staging", src=exported["dest"], workflow_id=WID, **args)
    assert result["failed"] and "holds " in result["msg"] and "give the value itself" in result["msg"], result["msg"]
    assert len(integrations.log()) == before


@pytest.mark.parametrize("args", [dict(workflow_id="a-********"), dict(name="invoice-********")])
def test_a_mask_copied_from_output_is_never_taken_for_an_identity(integrations, args):
    with pytest.raises(PlanError, match=r"holds \*{8}, a mask from some output, not an identity"):
        import_(integrations, "staging", src="s", **args)


def test_the_env_files_metadata_is_the_targets_own_and_a_rerun_is_unchanged(emulator, tmp_path):
    """A server whose env file carries its workflow id, environment and revision beside the variables: the import
    keeps the target's, so a promotion of unchanged content imports nothing the second time."""
    emulator.config(env_metadata=True)
    try:
        exported = export(emulator, "dev", tmp_path, ["a-0029"])["a-0029"]
        (first,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0029")
        (second,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0029")
    finally:
        emulator.config(env_metadata=False)
    assert (first["failed"], second["failed"], second["changed"]) == (False, False, False), (first["msg"], second["msg"])
    assert "env_variables.json" not in second["members_changed"]
