# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_files: private temp files and sync_tree."""

import os
import stat

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files import (
    make_private_dirs, remove_quietly, sync_tree, temp_file_beside,
)

FILES = {"flow_definition.json": b'{\n  "a": 1\n}\n', "nested/deeper/env_variables.json": b"{}\n", "nested/app.json": b"[]\n"}


def tree(root):
    """{relative path: bytes} of every file under root, plus the set of directories."""
    files, dirs = {}, set()
    for directory, subdirs, names in os.walk(root):
        for name in subdirs:
            dirs.add(os.path.relpath(os.path.join(directory, name), root))
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root)] = handle.read()
    return files, dirs


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_sync_tree_writes_private_files(tmp_path):
    root = tmp_path / "out" / "wf"
    changed = sync_tree(str(root), FILES, False)
    assert changed == sorted(FILES)
    files, dirs = tree(root)
    assert files == FILES
    assert dirs == {"nested", os.path.join("nested", "deeper")}
    for name in FILES:
        assert mode(root / name) == 0o600
    for directory in (tmp_path / "out", root, root / "nested", root / "nested" / "deeper"):
        assert mode(directory) == 0o700


def test_sync_tree_second_call_changes_nothing(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), FILES, False)
    before = {name: os.stat(root / name) for name in FILES}
    assert sync_tree(str(root), dict(FILES), False) == []
    for name, info in before.items():
        after = os.stat(root / name)
        assert (after.st_ino, after.st_mtime_ns) == (info.st_ino, info.st_mtime_ns)


def test_sync_tree_rewrites_changed_and_removes_vanished(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), dict(FILES, **{"old/only.json": b"1", "stale.txt": b"2"}), False)
    wanted = dict(FILES, **{"flow_definition.json": b"{}\n"})
    changed = sync_tree(str(root), wanted, False)
    assert changed == ["flow_definition.json", "old/only.json", "stale.txt"]
    files, dirs = tree(root)
    assert files == wanted
    assert "old" not in dirs
    assert not [name for name in os.listdir(root) if name.endswith(".part")]


def test_sync_tree_removes_files_it_did_not_write(tmp_path):
    root = tmp_path / "wf"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "notes.md").write_bytes(b"mine")
    assert sync_tree(str(root), {"a.json": b"{}"}, False) == ["a.json", "sub/notes.md"]
    assert tree(root) == ({"a.json": b"{}"}, set())


def test_sync_tree_prunes_nested_empty_dirs(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), {"a/b/c.json": b"1", "top.json": b"2"}, False)
    assert sync_tree(str(root), {"top.json": b"2"}, False) == ["a/b/c.json"]
    assert tree(root) == ({"top.json": b"2"}, set())


def test_sync_tree_check_mode_writes_nothing(tmp_path):
    root = tmp_path / "wf"
    assert sync_tree(str(root), FILES, True) == sorted(FILES)
    assert not root.exists()
    sync_tree(str(root), FILES, False)
    snapshot = tree(root)
    wanted = {"flow_definition.json": b"changed", "brand/new.json": b"{}"}
    assert sync_tree(str(root), wanted, True) == ["brand/new.json", "flow_definition.json",
                                                  "nested/app.json", "nested/deeper/env_variables.json"]
    assert tree(root) == snapshot


@pytest.mark.parametrize("name", ["../escape.json", "a/../../escape.json", "nested/../../escape.json"])
def test_sync_tree_refuses_paths_outside_root(tmp_path, name):
    root = tmp_path / "wf"
    with pytest.raises(ValueError) as info:
        sync_tree(str(root), {"ok.json": b"{}", name: b"x"}, False)
    assert str(info.value) == "refusing to extract %s: it would land outside %s" % (name, root)
    assert not root.exists()
    assert not (tmp_path / "escape.json").exists()


def test_sync_tree_refuses_a_symlinked_subdirectory(tmp_path):
    root, outside = tmp_path / "wf", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError) as info:
        sync_tree(str(root), {"link/x.json": b"x", "ok.json": b"{}"}, False)
    assert "link/x.json" in str(info.value)
    assert not os.listdir(outside)
    assert not (root / "ok.json").exists()


def test_sync_tree_refuses_a_symlinked_file_pointing_outside(tmp_path):
    root, target = tmp_path / "wf", tmp_path / "target.json"
    root.mkdir()
    target.write_bytes(b"keep")
    (root / "a.json").symlink_to(target)
    with pytest.raises(ValueError):
        sync_tree(str(root), {"a.json": b"new"}, False)
    assert (root / "a.json").is_symlink()
    assert target.read_bytes() == b"keep"


def test_temp_file_beside(tmp_path):
    dest = tmp_path / "wf.zip"
    path, handle = temp_file_beside(str(dest))
    with handle:
        handle.write(b"data")
    name = os.path.basename(path)
    assert os.path.dirname(path) == str(tmp_path)
    assert name.startswith(".wf.zip.") and name.endswith(".part")
    assert mode(path) == 0o600
    remove_quietly(path)
    remove_quietly(path)
    assert not os.listdir(tmp_path)


def test_make_private_dirs(tmp_path):
    deep = tmp_path / "a" / "b" / "c"
    make_private_dirs(str(deep))
    assert [mode(path) for path in (tmp_path / "a", tmp_path / "a" / "b", deep)] == [0o700] * 3
    make_private_dirs(str(deep))
