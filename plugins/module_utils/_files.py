# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: files on disk, private from their first byte.

Every file that may hold secrets (the archive, its backup, the manifest, tree files) is
written to a temp file created 0600 with O_EXCL beside its destination, given its final
mode and owner, and only then renamed onto the destination: no other user can read it at
any moment, and a failure leaves the previous file as it was.

File options: without ``mode``, new files are 0600 and existing files keep their mode;
with ``mode``, every file written gets it. ``owner``/``group`` apply to every file written.
Directories this code creates are 0700, plus read and search for group or others when
``mode`` lets them read the files (0640 gives 0750 directories, 0644 gives 0755).

Extracted trees are written below a root that is never a symbolic link, through
directory descriptors opened with O_NOFOLLOW one component at a time, so no link
anywhere below the root is followed. A state file in the root lists the files written
with their sha256; a file is deleted only when that list names it and it still holds
what was written. Other files are left alone and reported.
"""

import errno
import grp
import hashlib
import json
import os
import pwd
import secrets
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field

from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._modes import symbolic_mode

DEFAULT_FILE_MODE = "0600"
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
STATE_FILE = ".koreai-extract.json"
TEMP_PREFIX = ".koreai-tmp-"
CHUNK_SIZE = 1024 * 1024
UNSAFE_WRITE_ERRNOS = (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES, errno.ETXTBSY)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


class UnsafePath(KoreaiError):
    """A path below an extract root is a link or not what it must be; nothing was followed."""


class FileOptionError(KoreaiError):
    """The task's mode, owner or group cannot be applied."""


@dataclass(frozen=True)
class FileOptions:
    """The task's file options: mode (octal int or string, or symbolic), owner, group, unsafe_writes."""

    mode: object = None
    owner: str = None
    group: str = None
    unsafe_writes: bool = False

    def file_mode(self, existing_mode=None):
        """The mode for a file written now: mode when set (symbolic relative to the current one), else the
        existing file's mode, else 0600."""
        base = PRIVATE_FILE_MODE if existing_mode is None else existing_mode
        if self.mode is None:
            return base
        return parse_mode(self.mode, base)

    def dir_mode(self):
        """Mode for directories created: 0700, plus r-x for group/others when mode lets them read files."""
        mode = self.file_mode()
        return PRIVATE_DIR_MODE | (0o050 if mode & 0o040 else 0) | (0o005 if mode & 0o004 else 0)

    def ids(self):
        """(uid, gid) asked for, -1 where not set; raises FileOptionError for unknown names."""
        return _lookup_id(self.owner, pwd.getpwnam, "owner", "user"), _lookup_id(self.group, grp.getgrnam, "group", "group")


def _lookup_id(name, lookup, option, what):
    if name is None or name == "":
        return -1
    if str(name).isdigit():
        return int(name)
    try:
        return lookup(name)[2]
    except KeyError:
        raise FileOptionError("%s=%s: no such %s on this host" % (option, name, what))


def parse_mode(mode, base=PRIVATE_FILE_MODE):
    """An int mode from an int, an octal string or a symbolic string (applied to base)."""
    if isinstance(mode, int):
        parsed = mode
    else:
        try:
            parsed = int(str(mode), 8)
        except ValueError:
            parsed = _symbolic_mode(str(mode), base)
    if parsed != stat.S_IMODE(parsed):
        raise FileOptionError("mode=%s: only permission bits are allowed" % (mode,))
    return parsed


def _symbolic_mode(mode, base):
    try:
        return symbolic_mode(mode, base)
    except ValueError as exc:
        raise FileOptionError("mode=%s must be in octal or symbolic form (%s)" % (mode, exc))


def file_options_from(params):
    """FileOptions from a module's params (the ansible.builtin.files options)."""
    return FileOptions(mode=params.get("mode"), owner=params.get("owner"), group=params.get("group"),
                       unsafe_writes=bool(params.get("unsafe_writes")))


# --- single files: archive, backup, manifest ---------------------------------------


def temp_file_beside(dest, module=None):
    """Create an empty 0600 temp file (O_EXCL) in dest's directory; return (path, open binary handle)."""
    fd, path = tempfile.mkstemp(dir=os.path.dirname(dest) or ".", prefix="." + os.path.basename(dest) + ".", suffix=".part")
    if module is not None:
        module.add_cleanup_file(path)
    return path, os.fdopen(fd, "wb")


def remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _regular_stat(path):
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def _chown(fd_or_path, uid, gid, required):
    """Change owner/group; a failure matters only when the user asked for them."""
    if uid == -1 and gid == -1:
        return
    try:
        os.chown(fd_or_path, uid, gid)
    except OSError as exc:
        if required:
            raise FileOptionError("cannot set owner/group %s:%s: %s" % (uid, gid, exc.strerror or exc))


def _prepare(source, existing, options):
    """Give source the mode and owner dest must have, before it takes dest's place."""
    os.chmod(source, options.file_mode(stat.S_IMODE(existing.st_mode) if existing else None))
    uid, gid = options.ids()
    _chown(source, uid, gid, required=True)
    if existing and (uid, gid) == (-1, -1):
        _chown(source, existing.st_uid, existing.st_gid, required=False)


def private_copy(path, copy_path):
    """Copy path to copy_path through a 0600 temp file, then give it path's mode, owner and times."""
    info = os.stat(path)
    temp, handle = temp_file_beside(copy_path)
    try:
        with handle, open(path, "rb") as original:
            shutil.copyfileobj(original, handle, CHUNK_SIZE)
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            _chown(handle.fileno(), info.st_uid, info.st_gid, required=False)
        os.utime(temp, ns=(info.st_atime_ns, info.st_mtime_ns))
        os.replace(temp, copy_path)
    except BaseException:
        remove_quietly(temp)
        raise
    return copy_path


def backup_path(dest):
    """Ansible's backup name: dest.PID.YYYY-MM-DD@HH:MM:SS~."""
    return "%s.%s.%s" % (dest, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime()))


def _write_in_place(source, dest):
    """unsafe_writes: copy source's bytes into dest itself (for bind-mounted files that cannot be renamed over)."""
    fd = os.open(dest, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
    with os.fdopen(fd, "wb") as out, open(source, "rb") as data:
        shutil.copyfileobj(data, out, CHUNK_SIZE)
        os.fchmod(out.fileno(), stat.S_IMODE(os.stat(source).st_mode))
    remove_quietly(source)


def place_private(source, dest, options=None, backup=False):
    """Give the temp file source its final mode and owner, keep a private backup of dest if asked, and
    rename source onto dest (copying in place only with unsafe_writes, when the rename is refused).
    Return the backup path or None."""
    options = options or FileOptions()
    existing = _regular_stat(dest)
    _prepare(source, existing, options)
    backup_file = private_copy(dest, backup_path(dest)) if backup and existing else None
    try:
        os.replace(source, dest)
    except OSError as exc:
        if not (options.unsafe_writes and existing and exc.errno in UNSAFE_WRITE_ERRNOS):
            raise
        _write_in_place(source, dest)
    return backup_file


def write_private(dest, content, options=None):
    """Write bytes to dest through a private temp file and an atomic rename; no temp file survives a failure."""
    temp, handle = temp_file_beside(dest)
    try:
        with handle:
            handle.write(content)
        place_private(temp, dest, options)
    except BaseException:
        remove_quietly(temp)
        raise


def place_file(module, source, dest, backup):
    """Move the temp file source onto dest with the task's file options; return the backup path or None."""
    return place_private(source, dest, file_options_from(module.params), backup)


def apply_attributes(module, dest, created, changed):
    """Apply the task's file options to dest; new files default to 0600 because exports may hold secrets."""
    file_args = module.load_file_common_arguments(module.params, path=dest)
    if file_args.get("mode") is None and created:
        file_args["mode"] = DEFAULT_FILE_MODE
    return module.set_fs_attributes_if_different(file_args, changed)


def make_private_dirs(path, mode=PRIVATE_DIR_MODE):
    """Create path and its missing parents, each with mode (os.makedirs applies its mode to the leaf only)."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        os.mkdir(directory, mode)
        os.chmod(directory, mode)


# --- extracted trees -------------------------------------------------------------


@dataclass
class TreeReport:
    """What sync_tree did (or, in check mode, would do) to a tree."""

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
            _chown(fd, *self.options.ids(), required=True)
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
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest(), info


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
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


class _Writer:
    """Writes one tree's files; see sync_tree."""

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
            digest = _digest_of(chunks)
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
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fchmod(fd, self.options.file_mode(existing_mode))
            _chown(fd, *self.options.ids(), required=True)
        return digest.hexdigest()

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
                _chown(fd, *self.options.ids(), required=True)
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
        if _sha256_at(root_fd, STATE_FILE)[0] == hashlib.sha256(content).hexdigest():
            return
        temp, fd = _new_temp(root_fd)
        try:
            self._fill(fd, [content])
            os.replace(temp, STATE_FILE, src_dir_fd=root_fd, dst_dir_fd=root_fd)
        except BaseException:
            _unlink_quietly(temp, root_fd)
            raise


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


def _digest_of(chunks):
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


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


def sync_tree(root, files, check_mode, options=None):
    """Make root hold files ({relative path: bytes}) as sync_tree_from does; return the sorted paths changed."""
    sources = {name: (lambda content=content: [content]) for name, content in files.items()}
    return sync_tree_from(root, sources, check_mode, options).changed_paths()
