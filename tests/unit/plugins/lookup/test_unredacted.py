# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unredacted lookup (what check_tree runs): an empty secrets_file is no file."""

import json
import os

from ansible.plugins.loader import lookup_loader

LOOKUPS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "lookup")


def lookup(tree, **options):
    lookup_loader.add_directory(os.path.abspath(LOOKUPS))  # the plugin as the collection ships it, options and all
    return lookup_loader.get("unredacted").run([str(tree)], {}, **options)


def test_a_redacted_tree_passes_with_or_without_an_empty_secrets_file(tmp_path, monkeypatch):
    tree = tmp_path / "exports" / "wf-1"
    tree.mkdir(parents=True)
    (tree / "env_variables.json").write_text(json.dumps({"variables": [{"key": "A", "value": "<redacted:koreai>"}]}))
    monkeypatch.chdir(tmp_path)  # as check_tree runs: an empty path once resolved to this directory
    assert lookup(tmp_path / "exports") == []
    assert lookup(tmp_path / "exports", secrets_file="") == []


def test_a_value_in_clear_is_named(tmp_path):
    tree = tmp_path / "wf-1"
    tree.mkdir()
    (tree / "env_variables.json").write_text(json.dumps({"variables": [{"key": "API_TOKEN", "value": "tok-in-clear-42"}]}))
    assert lookup(tmp_path) == ["%s at /variables/0/value" % (tree / "env_variables.json")]
