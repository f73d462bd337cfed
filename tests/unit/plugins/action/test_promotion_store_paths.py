# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the promotion_store action puts an environment's files: the defaults the promote_workflows role relies on."""

import os

import pytest

from ansible_collections.koreai.ai_for_process.plugins.action.promotion_store import ActionModule
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError

BASE = os.path.join(os.sep, "project")


def paths(**args):
    """The open step's paths for args, relative paths resolving against BASE (the inventory's directory)."""
    action = object.__new__(ActionModule)  # the paths need no connection, task or loader
    return action._paths(dict(dict(environment="prod"), **args), {"inventory_dir": BASE}, True)


def under(*parts):
    return os.path.join(BASE, *parts)


@pytest.mark.parametrize("args, ids_file, report", [
    (dict(src="exports/dev"), under("exports", "ids", "prod.yml"), under("exports", "promotions", "prod.json")),
    (dict(src="dev"), under("ids", "prod.yml"), under("promotions", "prod.json")),
    (dict(src="exports/dev", ids_file="/srv/ids.yml", report="out/r.json"), "/srv/ids.yml", under("out", "r.json")),
    (dict(exported_src="/tmp/koreai-promote-x", ids_file="ids/prod.yml"), under("ids", "prod.yml"),
     under("promotions", "prod.json")),
])
def test_the_ids_file_and_the_report_default_to_beside_the_source_tree(args, ids_file, report):
    resolved = paths(**args)
    assert (resolved["ids_file"], resolved["report"], resolved["state_file"]) == (
        ids_file, report, ids_file[:-len(".yml")] + ".state.yml")


def test_the_ci_reports_are_named_for_the_environment_in_their_directories():
    resolved = paths(src="exports/dev", junit_dir="reports", markdown_dir="/abs/md")
    assert (resolved["junit"], resolved["markdown"]) == (under("reports", "prod.xml"), "/abs/md/prod.md")
    assert (paths(src="exports/dev")["junit"], paths(src="exports/dev")["markdown"]) == ("", "")


@pytest.mark.parametrize("args, message", [
    (dict(exported_src="/tmp/koreai-promote-x"), "set promote_workflows_ids_file: a live source has no tree"),
    (dict(ids_file="ids/prod.yml", workflows=[{"name": "wf-1"}]), "set promote_workflows_src .* has nowhere to come from"),
    (dict(src="exports/dev", environment=""), "environment .* is required"),
])
def test_what_cannot_be_placed_is_refused_naming_the_variable(args, message):
    with pytest.raises(StoreError, match=message):
        paths(**args)
