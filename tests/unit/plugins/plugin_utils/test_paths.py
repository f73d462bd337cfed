# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the files a play writes go: one base for relative paths, never inside the installed collection; as the
roles place them through the output_path lookup."""

import os

import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._paths import (
    COLLECTION_ROOT, PathError, base_of, refuse_inside_collection, resolve,
)

LOOKUPS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "lookup")
PROJECT = os.path.join(os.sep, "srv", "project")


@pytest.mark.parametrize("task_vars, base", [
    ({"inventory_dir": PROJECT, "playbook_dir": "/srv/playbooks"}, PROJECT),
    ({"inventory_dir": None, "playbook_dir": "/srv/playbooks"}, "/srv/playbooks"),
    ({"inventory_dir": "None", "playbook_dir": "/srv/playbooks"}, "/srv/playbooks"),  # -i localhost, (no file)
    ({}, os.getcwd()),
])
def test_the_base_is_the_inventorys_directory_else_the_playbooks_else_the_current_one(task_vars, base):
    assert base_of(task_vars) == base


@pytest.mark.parametrize("path, resolved", [
    ("exports", PROJECT + "/exports"),
    ("reports/../reports/x.md", PROJECT + "/reports/x.md"),
    ("/abs/exports/", "/abs/exports"),
    ("$KOREAI_TEST_DIR/exports", "/from/variable/exports"),
    ("~/exports", os.path.expanduser("~/exports")),
])
def test_a_path_resolves_against_the_base_after_its_variables_and_home(monkeypatch, path, resolved):
    monkeypatch.setenv("KOREAI_TEST_DIR", "/from/variable")
    assert resolve(path, PROJECT) == resolved


@pytest.mark.parametrize("inside", ["", "roles", "playbooks/exports/dev"])
def test_nothing_is_written_inside_the_installed_collection(inside):
    path = os.path.join(COLLECTION_ROOT, inside)
    with pytest.raises(PathError) as info:
        refuse_inside_collection(path, "export_workflows_dest")
    assert str(info.value) == (
        "export_workflows_dest resolves to %s, inside the installed collection, which the next collection install "
        "replaces: give an absolute path, or run with an inventory file (-i) so that relative paths resolve against "
        "its directory" % path)


def test_beside_the_collection_is_fine():
    refuse_inside_collection(COLLECTION_ROOT + "-exports", "export_workflows_dest")
    refuse_inside_collection(os.path.dirname(COLLECTION_ROOT), "export_workflows_dest")


@pytest.fixture
def output_path():
    """The lookup as the collection ships it, with these task variables."""
    lookup_loader.add_directory(os.path.abspath(LOOKUPS))

    def run(terms, task_vars, **options):
        return lookup_loader.get("output_path").run(terms, task_vars, **options)
    return run


def test_the_lookup_resolves_each_path_against_the_inventorys_directory(output_path):
    assert output_path(["exports", "/abs/r.md"], {"inventory_dir": PROJECT}) == [PROJECT + "/exports", "/abs/r.md"]


def test_the_lookup_refuses_a_path_in_the_collection_naming_the_option(output_path):
    playbooks = os.path.join(COLLECTION_ROOT, "playbooks")
    with pytest.raises(AnsibleLookupError, match="^export_workflows_dest resolves to %s/exports, inside the installed "
                                                 "collection" % playbooks):
        output_path(["exports"], {"playbook_dir": playbooks}, option="export_workflows_dest")


def test_the_lookup_refuses_an_empty_path_naming_the_option(output_path):
    with pytest.raises(AnsibleLookupError, match="^export_workflows_dest is empty: set it to a path of your own$"):
        output_path([""], {"inventory_dir": PROJECT}, option="export_workflows_dest")
