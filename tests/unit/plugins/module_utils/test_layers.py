# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private module_utils are grouped by layer, and a file's package says its floor: no import climbs a layer, and
no file imports itself back through others."""

import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "module_utils")
PREFIX = "ansible_collections.koreai.ai_for_process.plugins.module_utils."
# Bottom to top: each layer may import its own and the layers below it.
LAYERS = ("_core", "_files", "_secrets", "_archive", "_transport", "_jobs", "_operations", "_module")


def modules():
    """{module path relative to module_utils, dotted: its imports of the collection's module_utils}."""
    found = {}
    for directory, _subdirs, names in os.walk(ROOT):
        for name in names:
            if not name.endswith(".py") or name == "__init__.py":
                continue
            path = os.path.join(directory, name)
            dotted = os.path.relpath(path, ROOT)[:-len(".py")].replace(os.sep, ".")
            with open(path, encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
            found[dotted] = sorted({node.module[len(PREFIX):] for node in ast.walk(tree)
                                    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PREFIX)})
    return found


def layer(dotted):
    return LAYERS.index(dotted.split(".")[0])


def test_every_private_module_sits_in_a_layer():
    assert sorted({dotted.split(".")[0] for dotted in modules()}) == sorted(LAYERS)


@pytest.mark.parametrize("module, imported", sorted(modules().items()))
def test_no_import_climbs_a_layer(module, imported):
    assert [name for name in imported if layer(name) > layer(module)] == []


def test_no_module_imports_itself_back():
    graph = modules()
    cycles = []

    def visit(module, path):
        for imported in graph.get(module, ()):
            if imported in path:
                cycles.append(path[path.index(imported):] + [imported])
            elif imported in graph:
                visit(imported, path + [imported])

    for module in graph:
        visit(module, [module])
    assert cycles == []
