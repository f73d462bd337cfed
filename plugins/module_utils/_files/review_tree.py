# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the review-tree writer.

Extracted trees are written below a root that is never a symbolic link, through
directory descriptors opened with O_NOFOLLOW one component at a time, so no link
anywhere below the root is followed. Each file is created 0600 and given the task's
file options before it is renamed into place. A state file in the root lists the files
written with their sha256; a file is deleted only when that list names it and it still
holds what was written. Other files are left alone and reported.
"""

import json
import os
import secrets
import stat
from dataclasses import dataclass, field

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import pretty_json, read_chunks, sha256_hex
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import (
    PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, FileOptions, make_private_dirs, set_owner,
)

STATE_FILE = ".koreai-extract.json"
TEMP_PREFIX = ".koreai-tmp-"
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


class UnsafePath(KoreaiError):
    """A path below an extract root is a link or not what it must be; nothing was followed."""


@dataclass
class TreeReport:
    """What sync_tree_from did (or, in check mode, would do) to a tree."""

    written: list = field(default_factory=list)
    deleted: list = field(default_factory=list)
    attributes: list = field(default_factory=list)
    kept: list = field(default_factory=list)

    @property
    def changed(self):
        return bool(self.written or self.deleted or self.attributes)

    def changed_paths(self):
        return sorted(set(self.written + self.deleted + self.attributes))


def _valid_name(name):
    return bool(name) and name.lower() != STATE_FILE and not any(part in ("", ".", "..") for part in name.split("/"))


def _split(name):
    if not _valid_name(name):
        raise UnsafePath("refusing to extract %s: it would land outside the extract directory or on its state file"
                         % name)
    return name.split("/")


def _explain(dir_fd, part):
    try:
        info = os.lstat(part, dir_fd=dir_fd)
    except OSError:
        return "cannot be opened"
    return "is a symbolic link" if stat.S_ISLNK(info.st_mode) else "is not a directory"


class _Tree:
    """Directory descriptors below one extract root, never following a link."""

    def __init__(self, root, options, check_mode):
        self.root = root
        self.options = options
        self.check_mode = check_mode
        self.fds = {}
        self.created = set()

    def open_root(self, create):
        parent, name = os.path.split(os.path.abspath(self.root))
        if not os.path.isdir(parent):
            if not create:
                return False
            make_private_dirs(parent, self.options.dir_mode())
        parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return self._open_dir(parent_fd, name, (), self.root, create)
        finally:
            os.close(parent_fd)

    def _open_dir(self, parent_fd, part, key, shown, create):
        try:
            fd = os.open(part, DIR_FLAGS, dir_fd=parent_fd)
        except FileNotFoundError:
            if not create:
                return False
            os.mkdir(part, PRIVATE_DIR_MODE, dir_fd=parent_fd)
            fd = os.open(part, DIR_FLAGS, dir_fd=parent_fd)
            os.fchmod(fd, self.options.dir_mode())
            set_owner(fd, *self.options.ids(), required=True)
            self.created.add(key)
        except OSError:
            raise UnsafePath("refusing to extract into %s: it %s; nothing below it is followed"
                             % (shown, _explain(parent_fd, part)))
        self.fds[key] = fd
        return True

    def directory(self, parts, create=None):
        """The fd of the directory holding parts[-1] (missing ones created unless in check mode or create is
        false), or None when it is missing."""
        create = not self.check_mode if create is None else create and not self.check_mode
        key = ()
        if key not in self.fds and not self.open_root(create):
            return None
        for part in parts[:-1]:
            parent, key = self.fds[key], key + (part,)
            if key not in self.fds and not self._open_dir(parent, part, key, os.path.join(self.root, *key), create):
                return None
        return self.fds[key]

    def leaf(self, parts):
        """lstat of a file below the root (None when missing); raises UnsafePath for a link or directory."""
        dir_fd = self.directory(parts, create=False)
        if dir_fd is None:
            return None
        try:
            info = os.lstat(parts[-1], dir_fd=dir_fd)
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePath("refusing to extract %s: %s %s" % (
                "/".join(parts), os.path.join(self.root, *parts),
                "is a symbolic link" if stat.S_ISLNK(info.st_mode) else "is not a regular file"))
        return info

    def close(self):
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


def _sha256_at(dir_fd, name):
    """(sha256, fstat) of a regular file, or (None, None) when it is missing, a link or not a regular file."""
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None, None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, None
        return sha256_hex(read_chunks(handle)), info


def _new_temp(dir_fd):
    while True:
        name = TEMP_PREFIX + secrets.token_hex(8) + ".part"
        try:
            return name, os.open(name, NEW_FILE_FLAGS, PRIVATE_FILE_MODE, dir_fd=dir_fd)
        except FileExistsError:
            continue


def _read_state(tree):
    dir_fd = tree.fds.get(())
    if dir_fd is None:
        return {}
    try:
        fd = os.open(STATE_FILE, READ_FLAGS, dir_fd=dir_fd)
        with os.fdopen(fd, "rb") as handle:
            files = json.loads(handle.read(16 * 1024 * 1024).decode("utf-8"))["files"]
        return {str(name): str(digest) for name, digest in files.items() if _valid_name(str(name))}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _state_bytes(files):
    document = {"about": "files written by koreai.ai_for_process; only these are ever deleted", "files": files}
    return pretty_json(document, escape_non_ascii=True)


class _Writer:
    """Writes one tree's files; see sync_tree_from."""

    def __init__(self, root, options, check_mode):
        self.tree = _Tree(root, options, check_mode)
        self.options = options
        self.check_mode = check_mode
        self.report = TreeReport()

    def write(self, name, chunks):
        """Write one file from an iterable of byte chunks unless it already holds them; return its sha256."""
        parts = _split(name)
        dir_fd = self.tree.directory(parts)
        existing_digest, existing = _sha256_at(dir_fd, parts[-1]) if dir_fd is not None else (None, None)
        if self.check_mode:
            digest = sha256_hex(chunks)
            if digest != existing_digest:
                self.report.written.append(name)
            elif self._wrong_attributes(existing):
                self.report.attributes.append(name)
            return digest
        temp, fd = _new_temp(dir_fd)
        try:
            digest = self._fill(fd, chunks, stat.S_IMODE(existing.st_mode) if existing else None)
            if digest == existing_digest:
                os.unlink(temp, dir_fd=dir_fd)
                self._fix_attributes(dir_fd, parts[-1], existing, name)
                return digest
            os.replace(temp, parts[-1], src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            _unlink_quietly(temp, dir_fd)
            raise
        self.report.written.append(name)
        return digest

    def _fill(self, fd, chunks, existing_mode=None):
        with os.fdopen(fd, "wb") as handle:
            digest = sha256_hex(_written(handle, chunks))
            handle.flush()
            os.fchmod(fd, self.options.file_mode(existing_mode))
            set_owner(fd, *self.options.ids(), required=True)
        return digest

    def _wrong_attributes(self, info):
        if info is None or self.options.mode is None and self.options.owner is None and self.options.group is None:
            return False
        uid, gid = self.options.ids()
        mode = self.options.file_mode(stat.S_IMODE(info.st_mode))
        return stat.S_IMODE(info.st_mode) != mode or uid not in (-1, info.st_uid) or gid not in (-1, info.st_gid)

    def _fix_attributes(self, dir_fd, part, info, name):
        if not self._wrong_attributes(info):
            return
        fd = os.open(part, READ_FLAGS, dir_fd=dir_fd)
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fchmod(fd, self.options.file_mode(stat.S_IMODE(info.st_mode)))
                set_owner(fd, *self.options.ids(), required=True)
                self.report.attributes.append(name)
        finally:
            os.close(fd)

    def delete_if_ours(self, name, recorded_digest):
        """Delete a stale file only when it still holds what was written; else report it kept."""
        parts = _split(name)
        dir_fd = self.tree.directory(parts, create=False)
        digest, _info = _sha256_at(dir_fd, parts[-1]) if dir_fd is not None else (None, None)
        if digest is None:
            if dir_fd is not None and _exists(dir_fd, parts[-1]):
                self.report.kept.append(name)
            return
        if digest != recorded_digest:
            self.report.kept.append(name)
            return
        if not self.check_mode:
            os.unlink(parts[-1], dir_fd=dir_fd)
            self._prune(parts)
        self.report.deleted.append(name)

    def _prune(self, parts):
        """Remove the directories that deleting parts emptied (rmdir fails on any that still hold something)."""
        for depth in range(len(parts) - 1, 0, -1):
            key = tuple(parts[:depth])
            try:
                os.rmdir(parts[depth - 1], dir_fd=self.tree.fds[key[:-1]])
            except OSError:
                return
            os.close(self.tree.fds.pop(key))

    def foreign_files(self, ours):
        """Files below the root the collection did not write (links included), without following links."""
        root_fd = self.tree.fds.get(())
        if root_fd is None:
            return []
        found = []
        for directory, subdirs, names, dir_fd in os.fwalk(".", dir_fd=root_fd):
            relative = os.path.normpath(directory)
            prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
            linked = [name for name in subdirs if _is_link(dir_fd, name)]
            for name in names + linked:
                path = prefix + name
                if path not in ours and path != STATE_FILE and not name.startswith(TEMP_PREFIX):
                    found.append(path)
        return sorted(found)

    def save_state(self, files):
        root_fd = self.tree.fds.get(())
        if self.check_mode or root_fd is None:
            return
        content = _state_bytes(files)
        if _sha256_at(root_fd, STATE_FILE)[0] == sha256_hex([content]):
            return
        temp, fd = _new_temp(root_fd)
        try:
            self._fill(fd, [content])
            os.replace(temp, STATE_FILE, src_dir_fd=root_fd, dst_dir_fd=root_fd)
        except BaseException:
            _unlink_quietly(temp, root_fd)
            raise


def _written(handle, chunks):
    """chunks, each written to handle as it passes."""
    for chunk in chunks:
        handle.write(chunk)
        yield chunk


def _is_link(dir_fd, name):
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _exists(dir_fd, name):
    try:
        os.lstat(name, dir_fd=dir_fd)
    except OSError:
        return False
    return True


def _unlink_quietly(name, dir_fd):
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def sync_tree_from(root, sources, check_mode, options=None):
    """Make root hold the files of sources ({relative path: callable returning an iterable of byte chunks}).

    Checks every target before writing anything; deletes only stale files its state file lists and that still
    hold what was written; leaves every other file alone and lists it in the report's ``kept``.
    """
    options = options or FileOptions()
    options.ids()  # an unknown owner, group or mode fails before anything is created
    options.file_mode()
    writer = _Writer(root, options, check_mode)
    try:
        state = _check_targets(writer.tree, sources)
        written = {}
        try:
            for name in sorted(sources):
                written[name] = writer.write(name, sources[name]())
            for name in sorted(set(state) - set(sources)):
                writer.delete_if_ours(name, state[name])
        finally:
            kept_from_state = {name: digest for name, digest in state.items()
                               if name not in written and name not in writer.report.deleted
                               and name not in writer.report.kept}
            writer.save_state(dict(kept_from_state, **written))
        writer.report.kept = sorted(set(writer.report.kept) | set(writer.foreign_files(set(written) | set(state))))
        return writer.report
    finally:
        writer.tree.close()


def _check_targets(tree, sources):
    """Raise UnsafePath for a target (or a stale file's directory) behind a link, before anything is written;
    return the state of the previous run."""
    if () not in tree.fds:
        tree.open_root(create=False)
    for name in sorted(sources):
        tree.leaf(_split(name))
    state = _read_state(tree)
    for name in sorted(set(state) - set(sources)):
        tree.directory(_split(name), create=False)
    return state
