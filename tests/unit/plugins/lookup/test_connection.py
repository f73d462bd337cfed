# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection lookup: the role's settings over the controller's KOREAI_* variables, for the host in KOREAI_HOST."""

import os

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.loader import lookup_loader

from ansible_collections.koreai.ai_for_process.plugins.lookup import connection as connection_lookup
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import connection_argument_spec

LOOKUPS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "lookup")

ENV_HOST = "https://process.example.com"
CONTROLLER = {"KOREAI_HOST": ENV_HOST, "KOREAI_API_KEY": "kg-controller-key", "KOREAI_CA_PATH": "/etc/ca.pem",
              "KOREAI_KIND": "tool", "KOREAI_VALIDATE_CERTS": "false"}


@pytest.fixture
def connection(monkeypatch):
    """Resolve the given role settings with the controller's environment set to environ."""
    def resolve(environ, **given):
        for name in CONTROLLER:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        lookup_loader.add_directory(os.path.abspath(LOOKUPS))  # the plugin as the collection ships it, options and all
        (resolved,) = lookup_loader.get("connection").run([], {}, **given)
        return resolved
    return resolve


def test_an_empty_host_takes_the_environments_host_with_its_key_tls_settings_and_kind(connection):
    assert connection(CONTROLLER) == {"host": ENV_HOST, "api_key": "kg-controller-key", "validate_certs": False,
                                      "ca_path": "/etc/ca.pem", "kind": "tool"}


def test_a_host_of_its_own_never_receives_the_controllers_key_or_settings(connection):
    assert connection(CONTROLLER, host="https://other.example.com") == {
        "host": "https://other.example.com", "api_key": "", "validate_certs": True, "ca_path": "", "kind": "workflow"}


def test_the_roles_own_settings_win_and_the_environment_only_turns_validation_off(connection):
    own = dict(api_key="kg-own", ca_path="/own.pem", kind="tool", validate_certs=False)
    assert connection(dict(CONTROLLER, KOREAI_VALIDATE_CERTS="true", KOREAI_KIND="workflow"), host=ENV_HOST, **own) == {
        "host": ENV_HOST, "api_key": "kg-own", "validate_certs": False, "ca_path": "/own.pem", "kind": "tool"}


@pytest.mark.parametrize("value, validate", [("", True), ("TRUE", True), ("on", True), ("t", True), ("y", True),
                                             ("0", False), ("no", False), ("F", False)])
def test_koreai_validate_certs_reads_as_the_modules_read_it(connection, value, validate):
    assert connection(dict(CONTROLLER, KOREAI_VALIDATE_CERTS=value))["validate_certs"] is validate
    assert boolean(value or True) is validate  # the rule of a bool option's env_fallback in the modules


@pytest.mark.parametrize("value", ["ture", "disabled", "2"])
def test_a_koreai_validate_certs_neither_true_nor_false_is_refused_not_taken_as_false(connection, value):
    with pytest.raises(AnsibleLookupError, match="KOREAI_VALIDATE_CERTS .* neither true nor false: set it to true or false"):
        connection(dict(CONTROLLER, KOREAI_VALIDATE_CERTS=value))


def test_without_any_environment_nothing_is_invented(connection):
    assert connection({}) == {"host": "", "api_key": "", "validate_certs": True, "ca_path": "", "kind": "workflow"}


def test_the_lookup_documents_the_modules_defaults_and_kinds():
    documented = yaml.safe_load(connection_lookup.DOCUMENTATION)["options"]
    spec = connection_argument_spec()
    for option in ("validate_certs", "kind"):
        assert documented[option]["default"] == spec[option]["default"], option
    assert documented["kind"]["choices"] == spec["kind"]["choices"]
