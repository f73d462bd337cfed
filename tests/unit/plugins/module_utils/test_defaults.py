# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each default has one home in Python; the literals Ansible needs (docs, roles' defaults and specs) equal it."""

import dataclasses
import os

import pytest
import yaml

from ansible_collections.koreai.ai_for_process.plugins.doc_fragments import archive_limits
from ansible_collections.koreai.ai_for_process.plugins.doc_fragments.runner import ModuleDocFragment
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import archive_limits_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import connection_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.members import DEFAULT_IGNORE_KEYS
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner import Settings
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner_options import (
    RUNNER_DEFAULTS, RUNNER_OPTION_TYPES, runner_argument_spec,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.upload import DEFAULT_CHUNK_SIZE, DEFAULT_FILE_CONTEXT
from ansible_collections.koreai.ai_for_process.plugins.modules import promotion, workflow_deploy, workflow_export, workflow_import
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.promotion_options import (
    DEFAULT_LOCK_TIMEOUT, promotion_argument_spec,
)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
RUNNER_OPTIONS = sorted(RUNNER_OPTION_TYPES)
# The options each role passes on (as <role>_<option>), with the default of their Python home.
ROLE_OPTIONS = {
    "export_workflows": {option: RUNNER_DEFAULTS[option] for option in RUNNER_OPTIONS},
    "promote_workflows": dict({option: RUNNER_DEFAULTS[option] for option in RUNNER_OPTIONS if option != "max_jobs"},
                              ignore_keys=list(DEFAULT_IGNORE_KEYS)),
}


def load_yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def test_the_runner_doc_fragment_documents_each_runner_option_with_its_default_and_type():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert sorted(documented) == RUNNER_OPTIONS
    for option in RUNNER_OPTIONS:
        assert (documented[option]["type"], documented[option]["default"]) == (RUNNER_OPTION_TYPES[option],
                                                                               RUNNER_DEFAULTS[option]), option


@pytest.mark.parametrize("module", [workflow_export, workflow_import], ids=lambda module: module.__name__)
def test_the_archive_limits_fragment_documents_the_limits_each_reading_module_takes(module):
    documented = yaml.safe_load(archive_limits.ModuleDocFragment.DOCUMENTATION)["options"]
    spec = archive_limits_argument_spec()
    assert {option: (doc["type"], doc["default"]) for option, doc in documented.items()} == {
        option: (entry["type"], entry["default"]) for option, entry in spec.items()}
    assert {option: module.argument_spec()[option] for option in spec} == spec
    assert "koreai.ai_for_process.archive_limits" in yaml.safe_load(module.DOCUMENTATION)["extends_documentation_fragment"]


def test_the_argument_spec_and_the_runner_settings_take_the_runner_defaults():
    assert runner_argument_spec() == {option: dict(type=RUNNER_OPTION_TYPES[option], default=RUNNER_DEFAULTS[option])
                                      for option in RUNNER_OPTIONS}
    settings = Settings()
    shared = [field.name for field in dataclasses.fields(Settings) if field.name in RUNNER_DEFAULTS]
    assert shared == ["wait", "wait_timeout", "poll_interval", "concurrency", "max_jobs"]
    assert {option: getattr(settings, option) for option in shared} == {option: RUNNER_DEFAULTS[option] for option in shared}


@pytest.mark.parametrize("module", [workflow_export, workflow_import, workflow_deploy], ids=lambda module: module.__name__)
def test_each_module_documents_the_defaults_of_its_argument_spec(module):
    documented = yaml.safe_load(module.DOCUMENTATION)["options"]
    spec = module.argument_spec()
    for option in set(documented) & set(spec):
        assert documented[option].get("default") == spec[option].get("default"), option


def test_the_import_options_take_their_defaults_from_their_homes():
    spec = workflow_import.argument_spec()
    assert (spec["ignore_keys"]["default"], spec["chunk_size"]["default"], spec["file_context"]["default"]) == (
        list(DEFAULT_IGNORE_KEYS), DEFAULT_CHUNK_SIZE, DEFAULT_FILE_CONTEXT)
    assert workflow_export.argument_spec()["wait"]["default"] == RUNNER_DEFAULTS["wait"]


@pytest.mark.parametrize("role", sorted(ROLE_OPTIONS))
def test_the_roles_defaults_and_argument_specs_equal_the_python_homes(role):
    defaults = load_yaml("roles", role, "defaults", "main.yml")
    specs = load_yaml("roles", role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    for option, default in ROLE_OPTIONS[role].items():
        variable = "%s_%s" % (role, option)
        assert (defaults[variable], specs[variable]["default"]) == (default, default), variable


def test_the_lock_timeout_literals_equal_the_stores_default():
    documented = yaml.safe_load(promotion.DOCUMENTATION)["options"]["lock_timeout"]["default"]
    role_default = load_yaml("roles", "promote_workflows", "defaults", "main.yml")["promote_workflows_lock_timeout"]
    role_spec = load_yaml("roles", "promote_workflows", "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert documented == role_default == role_spec["promote_workflows_lock_timeout"]["default"] == DEFAULT_LOCK_TIMEOUT


def test_the_promote_roles_defaults_equal_the_promotion_actions():
    """Each promote_workflows_<option> the role passes to the promotion action defaults as the action does (where the
    role's default is a literal), and the action's docs say the same."""
    defaults = load_yaml("roles", "promote_workflows", "defaults", "main.yml")
    action = promotion_argument_spec()
    documented = yaml.safe_load(promotion.DOCUMENTATION)["options"]
    passed = {variable[len("promote_workflows_"):]: default for variable, default in defaults.items()
              if variable[len("promote_workflows_"):] in action and "{{" not in str(default)}
    assert len(passed) > 20
    own = ("host", "api_key", "ca_path")  # the role's empty string stands for unset
    assert {option: default for option, default in passed.items() if option not in own} == {
        option: action[option].get("default") for option in passed if option not in own}
    assert {option: documented[option].get("default") for option in passed if option in documented} == {
        option: action[option].get("default") for option in passed if option in documented}


@pytest.mark.parametrize("role", sorted(ROLE_OPTIONS))
def test_each_role_variable_has_one_default_in_its_defaults_and_its_argument_spec(role):
    defaults = load_yaml("roles", role, "defaults", "main.yml")
    specs = load_yaml("roles", role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(specs)
    templated = [variable for variable, default in defaults.items() if "{{" in str(default)]  # documented in words
    assert {variable: spec.get("default") for variable, spec in specs.items() if variable not in templated} == {
        variable: default for variable, default in defaults.items() if variable not in templated}


def test_the_export_roles_defaults_equal_the_modules_and_the_promote_roles():
    defaults = load_yaml("roles", "export_workflows", "defaults", "main.yml")
    module = dict(connection_argument_spec(), **workflow_export.argument_spec())
    for option in ("validate_certs", "kind", "backup"):
        assert defaults["export_workflows_" + option] == module[option]["default"], option
    promote = load_yaml("roles", "promote_workflows", "defaults", "main.yml")
    for option in ("validate_certs", "kind", "secure_logging", "fail_on_error"):
        assert defaults["export_workflows_" + option] == promote["promote_workflows_" + option], option
