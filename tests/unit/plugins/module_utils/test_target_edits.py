# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A target's own values are never silently overwritten: the baseline, target_edits, and the declarations file."""

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.baseline import DIGEST_BYTES, decoded
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError
from ansible_collections.koreai.ai_for_process.plugins.modules import workflow_import
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_promotion import export, import_, module_for

FLOW = "flow_definition.json"
WID = "a-0001"
METHOD = "flow/nodes/api-1/settings/method"


def node(emulator, env, node_id):
    flow = emulator.workflow(env, WID)["members"][FLOW]
    return next(item for item in flow["nodes"] if item.get("id") == node_id)


@pytest.fixture
def promoted(emulator, tmp_path):
    """dev's a-0001 promoted into staging once, without a baseline; returns (source archive, first result)."""
    source = export(emulator, "dev", tmp_path, [WID])[WID]["dest"]
    (first,) = import_(emulator, "staging", src=source, workflow_id=WID)
    assert first["failed"] is False, first["msg"]
    return source, first


def test_a_first_promotion_lists_the_plain_values_it_replaces(emulator, tmp_path):
    source = export(emulator, "dev", tmp_path, [WID])[WID]["dest"]
    (plan,) = import_(emulator, "staging", check_mode=True, src=source, workflow_id=WID)
    (result,) = import_(emulator, "staging", src=source, workflow_id=WID)
    assert plan["replaced_values"] == result["replaced_values"] and result["edited_values"] == []
    assert "flow/nodes/ai-1/settings/prompt" in result["replaced_values"]
    assert not [pointer for pointer in result["replaced_values"] if pointer.startswith("env")]  # the variables are kept
    assert plan["baseline"] == result["baseline"] and len(decoded(result["baseline"], "x")) > 10


@pytest.mark.parametrize("target_edits", ["keep", "refuse", "overwrite"])
def test_a_value_the_target_changed_by_hand_is_listed_and_handled_as_asked(emulator, promoted, target_edits):
    source, first = promoted
    emulator.edit("staging", WID, FLOW, set={"nodes.2.settings.method": "POST"})  # a hand edit in staging
    items = dict(src=source, workflow_id=WID, baseline=first["baseline"], target_edits=target_edits)
    (plan,) = import_(emulator, "staging", check_mode=True, **items)
    (result,) = import_(emulator, "staging", **items)
    assert (plan["edited_values"], plan["failed"], plan["changed"]) == (result["edited_values"], result["failed"],
                                                                        result["changed"])
    assert result["edited_values"] == [METHOD] and result["replaced_values"] == []
    expected = {"keep": (False, False, "POST"), "refuse": (True, False, "POST"), "overwrite": (False, True, "GET")}
    assert (result["failed"], result["changed"], node(emulator, "staging", "api-1")["settings"]["method"]) == \
        expected[target_edits], result["msg"]
    if target_edits == "refuse":
        assert METHOD in result["msg"] and "target_edits=overwrite" in result["msg"]


def test_a_source_change_goes_through_and_the_kept_edit_stays(emulator, promoted, tmp_path):
    source, first = promoted
    emulator.edit("staging", WID, FLOW, set={"nodes.2.settings.method": "POST"})
    emulator.edit("dev", WID, FLOW, set={"nodes.1.settings.temperature": 0.7})
    source = export(emulator, "dev", tmp_path, [WID])[WID]["dest"]
    (result,) = import_(emulator, "staging", src=source, workflow_id=WID, baseline=first["baseline"])
    assert (result["failed"], result["changed"], result["edited_values"]) == (False, True, [METHOD]), result["msg"]
    assert node(emulator, "staging", "ai-1")["settings"]["temperature"] == 0.7
    assert node(emulator, "staging", "api-1")["settings"]["method"] == "POST"
    (again,) = import_(emulator, "staging", src=source, workflow_id=WID, baseline=result["baseline"])
    assert (again["changed"], again["edited_values"]) == (False, [METHOD])


def test_an_unchanged_target_takes_every_source_change_without_a_listing(emulator, promoted, tmp_path):
    _source, first = promoted
    emulator.edit("dev", WID, FLOW, set={"nodes.2.settings.method": "PUT"})
    source = export(emulator, "dev", tmp_path, [WID])[WID]["dest"]
    (result,) = import_(emulator, "staging", src=source, workflow_id=WID, baseline=first["baseline"])
    assert (result["changed"], result["edited_values"], result["replaced_values"]) == (True, [], [])
    assert node(emulator, "staging", "api-1")["settings"]["method"] == "PUT"


@pytest.mark.parametrize("baseline", ["x", "v1:%%%", "v1:AAA="])
def test_a_baseline_that_is_none_an_import_returned_is_refused(emulator, baseline):
    module = module_for(workflow_import.argument_spec(), emulator, "staging", src="s", workflow_id=WID, baseline=baseline)
    with pytest.raises(PlanError, match="baseline is not a baseline returned by workflow_import"):
        workflow_import.plan_imports(module.params)


def test_the_baseline_holds_four_bytes_a_plain_value_and_no_secret(emulator, promoted):
    _source, first = promoted
    raw = decoded(first["baseline"], "x")
    assert all(len(digest) == DIGEST_BYTES for digest in raw)
    for value in emulator.secrets("dev", WID) + emulator.secrets("staging", WID):
        assert value not in first["baseline"]


def write_declarations(tmp_path, text):
    path = tmp_path / "secrets.yml"
    path.write_text(text)
    return str(path)


def test_declared_environment_owned_values_are_the_targets_and_not_secret_ones_move(emulator, tmp_path):
    declared = write_declarations(tmp_path, "environment_owned:\n  - flow/nodes/api-1/settings/method\n"
                                            "not_secret:\n  - env/BASE_URL\n")
    emulator.edit("staging", WID, FLOW, set={"nodes.2.settings.method": "PATCH"})
    exported = export(emulator, "dev", tmp_path, [WID], extract_to=str(tmp_path / "tree"), secrets_file=declared)[WID]
    tree = (tmp_path / "tree" / WID / FLOW).read_text()
    assert '"method": "<redacted:koreai>"' in tree
    assert "https://dev.example.invalid" in (tmp_path / "tree" / WID / "env_variables.json").read_text()
    (result,) = import_(emulator, "staging", src=str(tmp_path / "tree" / WID), workflow_id=WID, secrets_file=declared)
    assert result["failed"] is False, result["msg"]
    assert node(emulator, "staging", "api-1")["settings"]["method"] == "PATCH"
    variables = {item["key"]: item["value"] for item in emulator.workflow("staging", WID)["members"]["env_variables.json"]["variables"]}
    assert variables["BASE_URL"].startswith("https://dev.example.invalid") and not variables["API_TOKEN"].startswith("secret-dev")
    assert exported["failed"] is False


@pytest.mark.parametrize("text, message", [
    ("environment_owned: [nodes/x]\n", "must be a pointer starting with flow/, app/, env/, env-metadata/"),
    ("environment_owned: flow/x\n", "environment_owned must be a list of strings"),
    ("owned: [flow/x]\n", "unknown entry owned"),
    ("[flow/x]\n", "must hold a mapping"),
    ("environment_owned: [flow/x\n", "is not valid YAML"),
    ("secret_value_patterns: ['(']\n", "secret_value_patterns[0] is not a valid regular expression"),
])
def test_a_secrets_file_that_cannot_be_used_is_refused_naming_the_entry(emulator, tmp_path, text, message):
    declared = write_declarations(tmp_path, text)
    module = module_for(workflow_import.argument_spec(), emulator, "staging", src="s", workflow_id=WID, secrets_file=declared)
    with pytest.raises(PlanError) as refused:
        workflow_import.plan_imports(module.params)
    assert message in str(refused.value)


def test_a_missing_secrets_file_is_refused(emulator, tmp_path):
    module = module_for(workflow_import.argument_spec(), emulator, "staging", src="s", workflow_id=WID,
                        secrets_file=str(tmp_path / "nope.yml"))
    with pytest.raises(PlanError, match="secrets_file .*nope.yml cannot be read"):
        workflow_import.plan_imports(module.params)
