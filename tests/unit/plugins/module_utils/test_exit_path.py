# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exit path: identity is data (names, ids, digests, paths leave unmasked), secrets are masked by value."""

import json
import re

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import MASK, scrub
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import start_export
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import (
    NO_LOG_PLACEHOLDER, KoreaiModule, identity_texts, shown_arguments, shown_result,
)
from ansible_collections.koreai.ai_for_process.plugins.modules import dock_status_info, workflow_import
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import new_client, patch_module_args
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_promotion import FAST, export
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_secret_promotion import run_module

LONG_SECRET = "given-staging-token-7c1e5a9b"
SHORT_VALUES = ("approval", "eu-west-1")  # ordinary values a variable holds, inside names and ids
IDS = ("a-approval-eu-west-1", "a-orders-approval")
NAMES = ("invoice-approval", "orders-eu-west-1")


@pytest.fixture
def named_like_values(emulator):
    for env in ("dev", "staging"):
        for workflow_id, name in zip(IDS, NAMES):
            emulator.put_workflow(env, workflow_id, flow_id="cf-" + workflow_id, name=name)
    return emulator


def batch(exported, check_mode=False):
    given = {"BASE_URL": SHORT_VALUES[1], "API_TOKEN": LONG_SECRET}
    return dict(workflows=[dict(src=exported[workflow_id]["dest"], workflow_id=workflow_id, name=name,
                                env_variables=given, secret_values={"env/STAGE": SHORT_VALUES[0]})
                           for workflow_id, name in zip(IDS, NAMES) if workflow_id in exported],
                _ansible_check_mode=check_mode)


@pytest.mark.parametrize("check_mode", [True, False])
def test_given_values_inside_names_and_ids_leave_them_unmasked(named_like_values, tmp_path, capsys, check_mode):
    exported = export(named_like_values, "dev", tmp_path, IDS)
    named_like_values.fault(IDS[1], "import_400_echo", env="staging")  # the server echoes the uploaded content
    out = run_module(capsys, dict(FAST, host=named_like_values.url, api_key=named_like_values.keys["staging"],
                                  fail_on_error=False, **batch(exported, check_mode)))
    result = json.loads(out)
    assert [(item["workflow_id"], item["name"], item["src"]) for item in result["results"]] == [
        (workflow_id, name, exported[workflow_id]["dest"]) for workflow_id, name in zip(IDS, NAMES)]
    assert all(re.match("^[0-9a-f]{64}$", item["source_digest"]) for item in result["results"])
    assert LONG_SECRET not in out and MASK not in json.dumps([item["name"] for item in result["results"]])
    # ansible-core 2.21 returns the invocation only where the controller asks for it (-vvv): the integration run checks it
    for item in result.get("invocation", {"module_args": {"workflows": []}})["module_args"]["workflows"]:
        assert (item["env_variables"], item["secret_values"]) == (NO_LOG_PLACEHOLDER, NO_LOG_PLACEHOLDER)
    if not check_mode:
        failed = result["results"][1]
        assert failed["failed"] and "Validation failed" in failed["msg"] and MASK in failed["msg"], failed["msg"]
        assert result["msg"].startswith("1 of 2 workflows failed: %s: " % NAMES[1]), result["msg"]


def test_values_too_short_are_not_registered_and_core_masks_no_substring(named_like_values, tmp_path, capsys):
    """A value of five characters means nothing as a mask: it is neither masked here nor by core's no_log pass."""
    exported = export(named_like_values, "dev", tmp_path, IDS[:1])
    args = batch(exported)
    args["workflows"][0]["env_variables"] = {"BASE_URL": "west-", "API_TOKEN": "eu-we"}
    out = run_module(capsys, dict(FAST, host=named_like_values.url, api_key=named_like_values.keys["staging"], **args))
    result = json.loads(out)
    assert result["results"][0]["workflow_id"] == IDS[0] and result["results"][0]["failed"] is False
    assert MASK not in out


def test_the_names_of_variables_given_as_the_member_stay_readable_in_the_diff(named_like_values, tmp_path, capsys):
    """A member given whole holds each variable's name as a value of the no_log option; core must not mask the name
    (in the diff, in {{env.NAME}} of the flow) while the value stays hidden."""
    exported = export(named_like_values, "dev", tmp_path, IDS[:1])
    args = batch(exported, check_mode=True)
    args["workflows"][0]["env_variables"] = {"variables": [{"key": "BASE_URL", "value": "https://staging.example.invalid"},
                                                           {"key": "API_TOKEN", "value": LONG_SECRET}]}
    args["workflows"][0]["workflow_id"] = None  # a new workflow: every member is in the diff
    out = run_module(capsys, dict(FAST, host=named_like_values.url, api_key=named_like_values.keys["staging"],
                                  _ansible_diff=True, **args))
    diff = json.dumps(json.loads(out)["diff"])
    assert '\\"key\\": \\"BASE_URL\\"' in diff and "{{env.BASE_URL}}" in diff
    assert LONG_SECRET not in out and "staging.example.invalid" not in diff


@pytest.mark.parametrize("secret", ["s3cr3t", "s3cr3t-11ch"])  # the shortest masked (6) and one under the old 12
def test_secrets_from_six_characters_are_masked_in_messages(named_like_values, tmp_path, capsys, secret):
    exported = export(named_like_values, "dev", tmp_path, IDS[:1])
    named_like_values.fault(IDS[0], "import_400_echo", env="staging")
    args = dict(src=exported[IDS[0]]["dest"], workflow_id=IDS[0], env_variables={"API_TOKEN": secret, "BASE_URL": "b"})
    out = run_module(capsys, dict(FAST, host=named_like_values.url, api_key=named_like_values.keys["staging"], **args))
    result = json.loads(out)
    assert result["failed"] and "Validation failed" in result["msg"] and secret not in out, result["msg"]


def test_shown_result_keeps_identity_and_masks_the_rest():
    result = {"workflow_id": "a-approval-1", "name": "invoice-approval", "source_digest": "d5ae1fapproval",
              "msg": "invoice-approval: token approval refused", "members_changed": ["approval.json"],
              "results": [{"name": "x-approval", "msg": "approval", "missing_values": ["env/approval"]}],
              "diff": {"before": "value: approval"}}
    keep = identity_texts(result, {"workflows": [{"src": "/srv/approval/src"}]})
    shown = shown_result(result, ["approval"], keep)
    assert {key: shown[key] for key in ("workflow_id", "name", "source_digest", "members_changed")} == {
        key: result[key] for key in ("workflow_id", "name", "source_digest", "members_changed")}
    assert shown["msg"] == "invoice-approval: token %s refused" % MASK
    assert shown["results"] == [{"name": "x-approval", "msg": MASK, "missing_values": ["env/approval"]}]
    assert shown["diff"] == {"before": "value: " + MASK}
    assert scrub("in /srv/approval/src: approval", ["approval"], keep) == "in /srv/approval/src: " + MASK


def test_shown_arguments_hide_no_log_options_whole_at_any_depth():
    spec = workflow_import.argument_spec()
    spec["api_key"] = dict(type="str", no_log=True)
    params = {"api_key": "kg-1", "workflows": [{"name": "n", "env_variables": {"A": "1"}, "secret_values": None}],
              "ignore_keys": ["x"]}
    assert shown_arguments(params, spec) == {
        "api_key": NO_LOG_PLACEHOLDER, "ignore_keys": ["x"],
        "workflows": [{"name": "n", "env_variables": NO_LOG_PLACEHOLDER, "secret_values": None}]}


def test_the_error_being_handled_is_masked_too_for_the_traceback_core_may_show(emulator, capsys):
    """ansible-core may put the pending exception's message in the result (traceback display): it is masked first."""
    with patch_module_args(dict(FAST, host=emulator.url, api_key=emulator.keys["staging"], src="s", workflow_id="a-1")):
        module = KoreaiModule(workflow_import.argument_spec())
        module.known_secrets.add(LONG_SECRET)
        try:
            raise ApiError("the server said %s" % LONG_SECRET)
        except ApiError as exc:
            with pytest.raises(SystemExit):
                module.fail_from_error(exc)
            assert LONG_SECRET not in exc.message and LONG_SECRET not in str(exc)
    assert LONG_SECRET not in capsys.readouterr().out


def test_dock_status_info_shows_no_signature_of_a_download_url(emulator, capsys):
    emulator.config(shape="status_url")
    emulator.fault("a-0001", "job_signed_url")
    client = new_client(emulator)
    try:
        dock_status_id = start_export(client, "a-0001").dock_status_id
    finally:
        client.close()
    with patch_module_args(dict(host=emulator.url, api_key=emulator.keys["dev"], dock_status_id=dock_status_id, retries=1)):
        with pytest.raises(SystemExit):
            dock_status_info.main()
    result = json.loads(capsys.readouterr().out)
    assert result["download_url"].endswith("/api/v1/account/exports/" + result["download_url"].rsplit("/", 1)[1])
    text = json.dumps(result)
    assert "sig-" not in text, text[text.index("sig-") - 200:text.index("sig-") + 50]
