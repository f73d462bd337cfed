# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stages of a promotion, read from the inventory's groups as a play's variables hold them."""

import pytest

from ansible import constants
from ansible.parsing.dataloader import DataLoader

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils import _stages as stages_module
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._stages import StageError

GROUPS = {"all": ["dev", "staging", "prod-eu", "prod-us"], "ungrouped": ["dev", "staging"],
          "prods": ["prod-eu", "prod-us"]}
TARGETS = {"staging", "prod-eu", "prod-us"}


def stages(**variables):
    return stages_module.stages_of(dict(variables, groups=GROUPS), DataLoader(), lambda host: host in TARGETS)


def test_by_default_each_target_is_its_own_stage_and_the_source_is_none():
    assert stages() == [["staging"], ["prod-eu"], ["prod-us"]]


def test_without_any_target_setting_every_host_is_a_stage():
    assert stages_module.default_stages(["a", "b"], lambda host: None) == [["a"], ["b"]]


@pytest.mark.parametrize("order", [["staging", "prods"], "staging,prods", " staging , prods "])
def test_a_stage_is_a_pattern_and_a_group_is_one_stage(order):
    assert stages(promote_workflows_hosts=order) == [["staging"], ["prod-eu", "prod-us"]]


def test_patterns_and_lazy_lists_of_any_kind_are_read():
    class LazyList(list):  # ansible-core 2.19 hands lookups and actions lists of its own types
        __hash__ = None
    assert stages(promote_workflows_hosts=LazyList(["staging", "prod-*"])) == [["staging"], ["prod-eu", "prod-us"]]
    assert stages(promote_workflows_hosts=["staging:prod-eu", "prod-us"]) == [["staging", "prod-eu"], ["prod-us"]]


def test_the_old_promote_order_string_is_still_a_chain():
    assert stages(promote_order="staging:prods") == [["staging"], ["prod-eu"], ["prod-us"]]
    assert stages(promote_order=["staging", "prods"]) == [["staging"], ["prod-eu", "prod-us"]]


@pytest.mark.parametrize("order, message", [
    (["staging", "nowhere"], "the stage 'nowhere' matches no inventory host"),
    (["prods", "prod-eu"], "prod-eu is in two stages, 'prods' and 'prod-eu'"),
    (["staging", ""], "holds an empty or non-text stage"),
    (42, "must be a list of inventory patterns"),
])
def test_bad_orders_name_the_variable_and_the_fix(order, message):
    with pytest.raises(StageError, match="promote_workflows_hosts") as raised:
        stages(promote_workflows_hosts=order)
    assert message in str(raised.value)


@pytest.mark.parametrize("mismatch", ["warning", "error", "ignore"])
def test_a_pattern_that_matches_nothing_is_named_whatever_host_pattern_mismatch_says(monkeypatch, mismatch):
    monkeypatch.setattr(constants, "HOST_PATTERN_MISMATCH", mismatch)
    with pytest.raises(StageError, match="the stage 'nowhere' matches no inventory host"):
        stages(promote_workflows_hosts=["staging", "nowhere"])


def test_the_stage_before_is_the_whole_stage():
    plan = [["staging"], ["prod-eu", "prod-us"], ["dr"]]
    assert stages_module.earlier_stage(plan, "staging") == []
    assert stages_module.earlier_stage(plan, "prod-us") == ["staging"]
    assert stages_module.earlier_stage(plan, "dr") == ["prod-eu", "prod-us"]
    assert stages_module.stage_index(plan, "dev") is None


def test_the_play_runs_each_stage_as_one_batch_of_the_hosts_it_may_run():
    plan = [["staging"], ["prod-eu", "prod-us"]]
    assert stages_module.play_plan(plan, ["dev", "staging", "prod-eu", "prod-us"]) == {
        "hosts": ["staging", "prod-eu", "prod-us"], "serial": [1, 2], "stages": [["staging"], ["prod-eu", "prod-us"]]}
    assert stages_module.play_plan(plan, ["prod-us"]) == {"hosts": ["prod-us"], "serial": [1], "stages": [["prod-us"]]}


def test_a_batch_of_two_stages_is_refused_naming_serial():
    plan = [["staging"], ["prod-eu", "prod-us"]]
    assert stages_module.batch_problem(plan, ["prod-eu", "prod-us"]) is None
    assert stages_module.batch_problem(plan, ["dev", "staging"]) is None
    problem = stages_module.batch_problem(plan, ["staging", "prod-eu"])
    assert "serial: 1" in problem and "staging; prod-eu, prod-us" in problem
