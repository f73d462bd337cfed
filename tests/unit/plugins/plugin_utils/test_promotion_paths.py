# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the promotion puts an environment's files (the defaults the promote_workflows role relies on), and the
evidence that an environment whose ids file is missing was promoted before."""

import os

import pytest

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._paths import PathError
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._promotion_paths import lost_store_evidence, promotion_paths

BASE = os.path.join(os.sep, "project")


def paths(environment="prod", base=BASE, **args):
    """The paths of args, relative paths resolving against base (the inventory's directory)."""
    return promotion_paths(args, environment, base, True)


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
    stem = ids_file[:-len(".yml")]
    assert (resolved["ids_file"], resolved["report"], resolved["state_file"], resolved["journal"], resolved["lock_file"]) == (
        ids_file, report, stem + ".state.yml", stem + ".journal", ids_file + ".lock")


def test_the_ci_reports_are_named_for_the_environment_in_their_directories():
    resolved = paths(src="exports/dev", junit_dir="reports", markdown_dir="/abs/md")
    assert (resolved["junit"], resolved["markdown"]) == (under("reports", "prod.xml"), "/abs/md/prod.md")
    assert (paths(src="exports/dev")["junit"], paths(src="exports/dev")["markdown"]) == ("", "")


@pytest.mark.parametrize("args, message", [
    (dict(exported_src="/tmp/koreai-promote-x"), "set promote_workflows_ids_file: a live source has no tree"),
    (dict(ids_file="ids/prod.yml", workflows=[{"name": "wf-1"}]), "set promote_workflows_src .* has nowhere to come from"),
])
def test_what_cannot_be_placed_is_refused_naming_the_variable(args, message):
    with pytest.raises(StoreError, match=message):
        paths(**args)


def test_a_path_inside_the_installed_collection_is_refused_outside_check_mode():
    collection = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    args = dict(src="exports/dev", mode="promote")
    with pytest.raises(PathError, match="promote_workflows_ids_file resolves to .* inside the installed collection"):
        promotion_paths(args, "prod", collection, False)
    assert promotion_paths(args, "prod", collection, True)["ids_file"].startswith(collection)


def _read(path):
    return open(path, "rb").read() if os.path.exists(path) else None


def test_a_mistyped_ids_path_finds_the_environments_earlier_promotions_of_these_workflows(tmp_path):
    (tmp_path / "exports" / "ids").mkdir(parents=True)
    (tmp_path / "exports" / "ids" / "staging.state.yml").write_text("workflows: {wf-1: {imported: true}}\n")
    (tmp_path / "backups" / "staging").mkdir(parents=True)
    args = dict(src="exports/dev", ids_file="exports/ids/stagin.yml", backup_dir="backups/staging")
    resolved = promotion_paths(args, "staging", str(tmp_path), True)
    assert lost_store_evidence(args, resolved, "staging", ["wf-1"], _read) == [
        str(tmp_path / "exports" / "ids" / "staging.state.yml")]
    (tmp_path / "backups" / "staging" / "a-1.20261201T000000.000000Z.wf-1.zip").write_bytes(b"PK")
    (tmp_path / "exports" / "promotions").mkdir()
    (tmp_path / "exports" / "promotions" / "staging.json").write_text('{"workflows": [{"name": "wf-1"}]}')
    assert lost_store_evidence(args, resolved, "staging", ["wf-1"], _read) == [
        str(tmp_path / "exports" / "ids" / "staging.state.yml"), str(tmp_path / "exports" / "promotions" / "staging.json"),
        str(tmp_path / "backups" / "staging" / "a-1.20261201T000000.000000Z.wf-1.zip")]


def test_another_set_of_workflows_in_its_own_store_is_no_evidence(tmp_path):
    (tmp_path / "exports" / "ids").mkdir(parents=True)
    (tmp_path / "exports" / "ids" / "staging.yml").write_text("wf-1: a-1\n")
    args = dict(src="exports/dev", ids_file="team-b/staging.yml", backup_dir="backups/staging")
    resolved = promotion_paths(args, "staging", str(tmp_path), True)
    assert lost_store_evidence(args, resolved, "staging", ["wf-2"], _read) == []
    assert lost_store_evidence(args, resolved, "staging", ["wf-1", "wf-2"], _read) == [
        str(tmp_path / "exports" / "ids" / "staging.yml")]


def test_a_first_promotion_has_no_evidence(tmp_path):
    args = dict(src="exports/dev", backup_dir="backups/staging")
    resolved = promotion_paths(args, "staging", str(tmp_path), True)
    assert lost_store_evidence(args, resolved, "staging", ["wf-1"], _read) == []
