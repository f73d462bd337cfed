# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_file_options, _file_writes and _tree_writer: private files from the first byte, atomic replacement, and trees that never follow a link."""

import errno
import json
import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import FileOptionError, FileOptions, make_private_dirs, parse_mode
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import place_private, remove_quietly, temp_file_beside, write_private
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.review_tree import STATE_FILE, UnsafePath, sync_tree_from
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import sources, sync_tree
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_runner import run

FILES = {"flow_definition.json": b'{\n  "a": 1\n}\n', "nested/deeper/env_variables.json": b"{}\n", "nested/app.json": b"[]\n"}


def tree(root):
    """{relative path: bytes} of every file under root (state file aside), plus the set of directories."""
    files, dirs = {}, set()
    for directory, subdirs, names in os.walk(root):
        for name in subdirs:
            dirs.add(os.path.relpath(os.path.join(directory, name), root))
        for name in names:
            path = os.path.join(directory, name)
            if os.path.relpath(path, root) != STATE_FILE:
                with open(path, "rb") as handle:
                    files[os.path.relpath(path, root)] = handle.read()
    return files, dirs


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def open_umask():
    """Run with umask 0, so any file not created private on purpose is world-readable."""
    old = os.umask(0)
    yield
    os.umask(old)


# --- trees: writing ----------------------------------------------------------------


def test_sync_tree_writes_private_files(tmp_path, open_umask):
    root = tmp_path / "out" / "wf"
    changed = sync_tree(str(root), FILES, False)
    assert changed == sorted(FILES)
    files, dirs = tree(root)
    assert files == FILES
    assert dirs == {"nested", os.path.join("nested", "deeper")}
    for name in list(FILES) + [STATE_FILE]:
        assert mode(root / name) == 0o600
    for directory in (tmp_path / "out", root, root / "nested", root / "nested" / "deeper"):
        assert mode(directory) == 0o700


def test_sync_tree_second_call_changes_nothing(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), FILES, False)
    before = {name: os.stat(root / name) for name in list(FILES) + [STATE_FILE]}
    report = sync_tree_from(str(root), sources(FILES), False)
    assert not report.changed and report.kept == []
    for name, info in before.items():
        after = os.stat(root / name)
        assert (after.st_ino, after.st_mtime_ns) == (info.st_ino, info.st_mtime_ns)


def test_sync_tree_replaces_files_never_in_place(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), {"a.json": b"old"}, False)
    os.link(root / "a.json", tmp_path / "alias")
    sync_tree(str(root), {"a.json": b"new"}, False)
    assert (root / "a.json").read_bytes() == b"new"
    assert (tmp_path / "alias").read_bytes() == b"old"


def test_sync_tree_applies_mode_owner_and_group(tmp_path, open_umask):
    root = tmp_path / "wf"
    options = FileOptions(mode="0640", owner=str(os.getuid()), group=str(os.getgid()))
    sync_tree(str(root), FILES, False, options)
    assert mode(root / "nested" / "app.json") == 0o640
    assert mode(root / "nested") == mode(root) == 0o750
    readable = sync_tree_from(str(root), sources(FILES), False, FileOptions(mode="u=rw,go=r"))
    assert readable.attributes == sorted(FILES) and not readable.written
    assert mode(root / "flow_definition.json") == 0o644


def test_sync_tree_without_mode_keeps_the_mode_of_existing_files(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), FILES, False)
    os.chmod(root / "nested" / "app.json", 0o644)  # as a git checkout leaves it
    assert sync_tree(str(root), dict(FILES, **{"nested/app.json": b"[1]\n"}), False) == ["nested/app.json"]
    assert mode(root / "nested" / "app.json") == 0o644


def test_sync_tree_refuses_unknown_owner_before_writing(tmp_path):
    root = tmp_path / "wf"
    with pytest.raises(FileOptionError) as info:
        sync_tree(str(root), FILES, False, FileOptions(owner="no-such-user-koreai"))
    assert info.value.message == "owner=no-such-user-koreai: no such user on this host"
    assert not root.exists()


def test_sync_tree_check_mode_writes_nothing(tmp_path):
    root = tmp_path / "wf"
    assert sync_tree(str(root), FILES, True) == sorted(FILES)
    assert not root.exists()
    sync_tree(str(root), FILES, False)
    snapshot = tree(root), (root / STATE_FILE).read_bytes()
    wanted = {"flow_definition.json": b"changed", "brand/new.json": b"{}"}
    assert sync_tree(str(root), wanted, True) == ["brand/new.json", "flow_definition.json",
                                                  "nested/app.json", "nested/deeper/env_variables.json"]
    assert (tree(root), (root / STATE_FILE).read_bytes()) == snapshot


# --- trees: deleting only what the collection wrote --------------------------------


def test_sync_tree_deletes_stale_files_it_wrote_and_prunes_dirs(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), dict(FILES, **{"old/only.json": b"1", "stale.txt": b"2"}), False)
    wanted = dict(FILES, **{"flow_definition.json": b"{}\n"})
    report = sync_tree_from(str(root), sources(wanted), False)
    assert (report.written, report.deleted, report.kept) == (["flow_definition.json"], ["old/only.json", "stale.txt"], [])
    files, dirs = tree(root)
    assert files == wanted
    assert "old" not in dirs
    assert json.loads((root / STATE_FILE).read_bytes())["files"].keys() == wanted.keys()
    assert not [name for name in os.listdir(root) if name.endswith(".part")]


def test_sync_tree_leaves_files_it_did_not_write(tmp_path):
    root = tmp_path / "wf"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "notes.md").write_bytes(b"mine")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_bytes(b"ref")
    report = sync_tree_from(str(root), sources({"a.json": b"{}"}), False)
    assert report.written == ["a.json"] and report.deleted == []
    assert report.kept == [".git/HEAD", "sub/notes.md"]
    assert tree(root)[0] == {"a.json": b"{}", "sub/notes.md": b"mine", os.path.join(".git", "HEAD"): b"ref"}


def test_sync_tree_keeps_a_stale_file_the_user_edited(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), {"a.json": b"1", "b.json": b"2"}, False)
    (root / "b.json").write_bytes(b"edited by hand")
    report = sync_tree_from(str(root), sources({"a.json": b"1"}), False)
    assert report.deleted == [] and report.kept == ["b.json"]
    assert (root / "b.json").read_bytes() == b"edited by hand"
    assert list(json.loads((root / STATE_FILE).read_bytes())["files"]) == ["a.json"]


def test_sync_tree_ignores_a_corrupt_state_file(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), {"a.json": b"1", "b.json": b"2"}, False)
    (root / STATE_FILE).write_bytes(b"{not json")
    report = sync_tree_from(str(root), sources({"a.json": b"1"}), False)
    assert report.deleted == [] and report.kept == ["b.json"]


# --- trees: links ------------------------------------------------------------------


def victim_dir(tmp_path):
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "precious.txt").write_bytes(b"precious")
    (victim / "sub" / "id_rsa").write_bytes(b"key")
    return victim


def test_sync_tree_refuses_a_root_that_is_a_link(tmp_path):
    victim = victim_dir(tmp_path)
    (tmp_path / "extract").mkdir()
    root = tmp_path / "extract" / "wf"
    root.symlink_to(victim, target_is_directory=True)
    state = json.dumps({"files": {"precious.txt": "x", "sub/id_rsa": "y"}}).encode()
    (victim / STATE_FILE).write_bytes(state)
    for check_mode in (True, False):
        with pytest.raises(UnsafePath) as info:
            sync_tree(str(root), {"flow.json": b"{}"}, check_mode)
        assert info.value.message == ("refusing to extract into %s: it is a symbolic link; nothing below it is "
                                      "followed" % root)
    assert sorted(os.listdir(victim)) == [STATE_FILE, "precious.txt", "sub"]
    assert (victim / "sub" / "id_rsa").read_bytes() == b"key"


def test_sync_tree_refuses_a_linked_subdirectory_before_writing_anything(tmp_path):
    root, outside = tmp_path / "wf", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePath) as info:
        sync_tree(str(root), {"link/x.json": b"x", "a.json": b"{}"}, False)
    assert info.value.message == "refusing to extract into %s: it is a symbolic link; nothing below it is followed" % (
        root / "link")
    assert not os.listdir(outside)
    assert sorted(os.listdir(root)) == ["link"]


def test_sync_tree_refuses_a_linked_file(tmp_path):
    root, target = tmp_path / "wf", tmp_path / "target.json"
    root.mkdir()
    target.write_bytes(b"keep")
    (root / "a.json").symlink_to(target)
    with pytest.raises(UnsafePath) as info:
        sync_tree(str(root), {"a.json": b"new"}, False)
    assert info.value.message == "refusing to extract a.json: %s is a symbolic link" % (root / "a.json")
    assert (root / "a.json").is_symlink()
    assert target.read_bytes() == b"keep"


def test_stale_files_behind_a_link_are_not_deleted(tmp_path):
    root = tmp_path / "wf"
    victim = victim_dir(tmp_path)
    sync_tree(str(root), {"sub/id_rsa": b"key", "precious.txt": b"precious", "a.json": b"1"}, False)
    (root / "precious.txt").unlink()
    (root / "precious.txt").symlink_to(victim / "precious.txt")
    report = sync_tree_from(str(root), sources({"a.json": b"1"}), False)
    assert report.deleted == ["sub/id_rsa"] and report.kept == ["precious.txt"]
    sync_tree(str(root), {"sub/id_rsa": b"key", "a.json": b"1"}, False)
    os.rename(root / "sub", tmp_path / "moved")
    (root / "sub").symlink_to(victim / "sub", target_is_directory=True)
    with pytest.raises(UnsafePath):
        sync_tree(str(root), {"a.json": b"1"}, False)
    assert (victim / "precious.txt").read_bytes() == b"precious"
    assert (victim / "sub" / "id_rsa").read_bytes() == b"key"


@pytest.mark.parametrize("name", ["../escape.json", "a/../../escape.json", "nested/../../escape.json", "/abs.json",
                                  STATE_FILE])
def test_sync_tree_refuses_paths_outside_root(tmp_path, name):
    root = tmp_path / "wf"
    with pytest.raises(UnsafePath) as info:
        sync_tree(str(root), {"ok.json": b"{}", name: b"x"}, False)
    assert info.value.message.startswith("refusing to extract %s: it would land outside" % name)
    assert not root.exists()
    assert not (tmp_path / "escape.json").exists()


def test_sync_tree_does_not_open_a_fifo(tmp_path):
    root = tmp_path / "wf"
    sync_tree(str(root), {"a.json": b"1", "b.json": b"2"}, False)
    (root / "b.json").unlink()
    os.mkfifo(root / "b.json")
    report = sync_tree_from(str(root), sources({"a.json": b"1"}), False)
    assert report.kept == ["b.json"] and report.deleted == []


# --- single files ------------------------------------------------------------------


def test_temp_file_beside(tmp_path, open_umask):
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


def test_make_private_dirs(tmp_path, open_umask):
    deep = tmp_path / "a" / "b" / "c"
    make_private_dirs(str(deep))
    assert [mode(path) for path in (tmp_path / "a", tmp_path / "a" / "b", deep)] == [0o700] * 3
    make_private_dirs(str(deep))


def test_place_private_creates_new_files_0600_whatever_the_umask(tmp_path, open_umask):
    dest = tmp_path / "a.zip"
    write_private(str(dest), b"secret")
    assert (mode(dest), dest.read_bytes()) == (0o600, b"secret")
    write_private(str(dest), b"other", FileOptions(mode="0640"))
    assert mode(dest) == 0o640
    os.chmod(dest, 0o644)
    write_private(str(dest), b"third")
    assert mode(dest) == 0o644  # without mode, an existing file keeps its own
    assert os.listdir(tmp_path) == ["a.zip"]


def test_place_private_replaces_dest_never_in_place(tmp_path):
    dest, alias = tmp_path / "a.zip", tmp_path / "alias.zip"
    write_private(str(dest), b"old")
    os.link(dest, alias)
    inode = os.stat(dest).st_ino
    write_private(str(dest), b"new")
    assert dest.read_bytes() == b"new" and alias.read_bytes() == b"old"
    assert os.stat(dest).st_ino != inode


def test_place_private_fails_on_unknown_owner_before_touching_dest(tmp_path):
    dest = tmp_path / "a.zip"
    write_private(str(dest), b"old")
    with pytest.raises(FileOptionError) as info:
        write_private(str(dest), b"new", FileOptions(owner="no-such-user-koreai"))
    assert info.value.message == "owner=no-such-user-koreai: no such user on this host"
    assert dest.read_bytes() == b"old" and mode(dest) == 0o600
    assert os.listdir(tmp_path) == ["a.zip"]
    with pytest.raises(FileOptionError):
        write_private(str(tmp_path / "new.zip"), b"new", FileOptions(group="no-such-group-koreai"))
    assert os.listdir(tmp_path) == ["a.zip"]


def test_backup_is_a_private_copy_of_the_old_file(tmp_path, open_umask):
    dest = tmp_path / "a.zip"
    write_private(str(dest), b"old")
    temp, handle = temp_file_beside(str(dest))
    with handle:
        handle.write(b"new")
    backup = place_private(temp, str(dest), FileOptions(), backup=True)
    assert os.path.dirname(backup) == str(tmp_path) and os.path.basename(backup).startswith("a.zip.")
    assert (open(backup, "rb").read(), mode(backup)) == (b"old", 0o600)
    assert dest.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == sorted(["a.zip", os.path.basename(backup)])


def test_unsafe_writes_copies_in_place_only_when_the_rename_is_refused(tmp_path, monkeypatch):
    dest = tmp_path / "a.zip"
    write_private(str(dest), b"old")
    real_replace = os.replace

    def busy(src, dst, **kwargs):
        if dst == str(dest):
            raise OSError(errno.EBUSY, "Device or resource busy")
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", busy)
    with pytest.raises(OSError):
        write_private(str(dest), b"new")
    assert dest.read_bytes() == b"old" and os.listdir(tmp_path) == ["a.zip"]
    write_private(str(dest), b"new", FileOptions(unsafe_writes=True))
    assert dest.read_bytes() == b"new" and mode(dest) == 0o600
    assert os.listdir(tmp_path) == ["a.zip"]


def test_write_private_leaves_no_temp_file_on_failure(tmp_path):
    dest = tmp_path / "taken"
    dest.mkdir()
    with pytest.raises(OSError):
        write_private(str(dest), b"x")
    assert os.listdir(tmp_path) == ["taken"]


@pytest.mark.parametrize("given, base, expected", [
    ("0640", 0o600, 0o640), ("640", 0o600, 0o640), (0o644, 0o600, 0o644), ("u=rw,g=r", 0o600, 0o640),
    ("g+r", 0o644, 0o644), ("o-r", 0o644, 0o640),
])
def test_parse_mode(given, base, expected):
    assert parse_mode(given, base) == expected


@pytest.mark.parametrize("given", ["0o7777777", "x=rw", 0o10000])
def test_parse_mode_refuses_nonsense(given):
    with pytest.raises(FileOptionError) as info:
        parse_mode(given)
    assert info.value.message.startswith("mode=")


def test_an_export_gives_each_file_option_once(emulator, tmp_path, monkeypatch):
    """A replaced archive gets its mode, owner and group before the rename, and AnsibleModule only the SELinux context
    and attribute flags after it; an archive left in place gets every option from AnsibleModule."""
    calls = []
    real_set = AnsibleModule.set_fs_attributes_if_different

    def recording_set(self, file_args, changed, *args, **kwargs):
        calls.append((file_args["mode"], file_args["owner"], file_args["group"]))
        return real_set(self, file_args, changed, *args, **kwargs)

    monkeypatch.setattr(AnsibleModule, "set_fs_attributes_if_different", recording_set)
    options = dict(mode="0640", owner=str(os.getuid()), group=str(os.getgid()))
    dest = run(emulator, tmp_path, ["a-0001"], **options)["a-0001"]["dest"]
    assert (mode(dest), calls) == (0o640, [(None, None, None)])
    os.chmod(dest, 0o600)
    del calls[:]
    assert run(emulator, tmp_path, ["a-0001"], **options)["a-0001"]["changed"]
    assert (mode(dest), calls) == (0o640, [("0640", options["owner"], options["group"])])
