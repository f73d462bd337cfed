# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for the KOREAI_* settings, as every module applies it (tests/unit/plugins/lookup/test_connection.py
applies it as the roles do): the settings of KOREAI_HOST go to that host only."""

import json
import re

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.modules import workflow_export
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import patch_module_args

ENV_HOST = "https://process.example.com"
OWN_HOST = "https://other.example.com"
CONTROLLER_KEY = "kg-controller-5ecret-key"
VARIABLES = ["KOREAI_HOST", "KOREAI_API_KEY", "KOREAI_VALIDATE_CERTS", "KOREAI_CA_PATH", "KOREAI_KIND", "KOREAI_TIMEOUT",
             "KOREAI_RETRIES"]


@pytest.fixture
def module_with(monkeypatch, capsys, tmp_path):
    """Build a module from args with the controller's environment set to environ: ('ok', its params) or ('failed',
    what it exited with)."""
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("not read before a request\n")
    monkeypatch.setenv("CA_DIR", str(tmp_path))

    def build(environ, make=lambda: KoreaiModule({}), **args):
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        with patch_module_args(args):
            try:
                return "ok", make().params
            except SystemExit:
                return "failed", json.loads(capsys.readouterr().out)
    return build


CONTROLLER = {"KOREAI_HOST": ENV_HOST, "KOREAI_API_KEY": CONTROLLER_KEY, "KOREAI_VALIDATE_CERTS": "false",
              "KOREAI_CA_PATH": "$CA_DIR/ca.pem", "KOREAI_KIND": "tool", "KOREAI_TIMEOUT": "7"}
CONNECTION = ("host", "api_key", "validate_certs", "ca_path", "kind", "timeout")


def connection_of(params):
    return {name: params[name] for name in CONNECTION}


def test_a_task_with_a_host_of_its_own_never_takes_the_controllers_key(module_with):
    outcome, result = module_with(CONTROLLER, host=OWN_HOST)
    assert outcome == "failed"
    assert result["msg"] == "api_key is not set; set api_key, or KOREAI_API_KEY for the host in KOREAI_HOST"
    assert CONTROLLER_KEY not in json.dumps(result)


def test_a_host_of_its_own_keeps_its_own_tls_settings_and_kind_and_takes_the_controllers_timeout(module_with):
    outcome, params = module_with(CONTROLLER, host=OWN_HOST, api_key="kg-own-key-of-other")
    assert (outcome, connection_of(params)) == ("ok", dict(host=OWN_HOST, api_key="kg-own-key-of-other",
                                                           validate_certs=True, ca_path=None, kind="workflow", timeout=7))


def test_an_unset_host_takes_koreai_host_and_its_settings(module_with, tmp_path):
    outcome, params = module_with(CONTROLLER)
    assert (outcome, connection_of(params)) == ("ok", dict(host=ENV_HOST, api_key=CONTROLLER_KEY, validate_certs=False,
                                                           ca_path=str(tmp_path / "ca.pem"), kind="tool", timeout=7))


def test_the_host_of_koreai_host_named_by_the_task_takes_its_settings_under_the_tasks_own(module_with):
    outcome, params = module_with(CONTROLLER, host=ENV_HOST, ca_path="$CA_DIR/ca.pem", kind="tool")
    assert outcome == "ok" and params["api_key"] == CONTROLLER_KEY and params["validate_certs"] is False


def test_the_key_taken_from_the_environment_is_masked_as_a_no_log_option_is(module_with):
    captured = {}

    def make():
        module = KoreaiModule({})
        captured["no_log_values"] = module.no_log_values
        return module

    assert module_with(CONTROLLER, make=make)[0] == "ok"
    assert CONTROLLER_KEY in captured["no_log_values"]


@pytest.mark.parametrize("variable, value", [("KOREAI_VALIDATE_CERTS", "maybe"), ("KOREAI_VALIDATE_CERTS", "2"),
                                             ("KOREAI_KIND", "tools")])
def test_a_koreai_setting_that_cannot_be_used_is_refused_naming_the_variable(module_with, variable, value):
    outcome, result = module_with(dict(CONTROLLER, **{variable: value}))
    assert outcome == "failed"
    assert result["msg"].startswith(variable + " in the controller's environment is ")
    assert "set it to" in result["msg"] and CONTROLLER_KEY not in json.dumps(result)


def test_a_misspelled_option_is_named_before_the_options_it_leaves_missing(module_with, tmp_path):
    outcome, result = module_with(CONTROLLER, make=workflow_export.main, workflowid="a-0001", dest=str(tmp_path))
    assert outcome == "failed"
    assert re.match(r"Unsupported parameters for \(.*\) module: workflowid\. Supported parameters include: ", result["msg"])


def test_without_the_misspelling_the_missing_option_is_named(module_with, tmp_path):
    outcome, result = module_with(CONTROLLER, make=workflow_export.main, dest=str(tmp_path))
    assert (outcome, result["msg"]) == ("failed", "one of the following is required: workflow_id, workflows")
