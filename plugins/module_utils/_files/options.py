# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the task's file options (ansible.builtin.files) and private directories.

Without ``mode``, new files are 0600 and existing files keep their mode; with ``mode``, every file written gets
it. ``owner``/``group`` apply to every file written. Directories this code creates are 0700, plus read and
search for group or others when ``mode`` lets them read the files (0640 gives 0750 directories, 0644 gives 0755).
"""

import grp
import os
import pwd
import stat
from dataclasses import dataclass

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.modes import symbolic_mode

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


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


def set_owner(fd_or_path, uid, gid, required):
    """Change owner/group; a failure matters only when the user asked for them."""
    if uid == -1 and gid == -1:
        return
    try:
        os.chown(fd_or_path, uid, gid)
    except OSError as exc:
        if required:
            raise FileOptionError("cannot set owner/group %s:%s: %s" % (uid, gid, exc.strerror or exc))


def apply_attributes(module, path, replaced):
    """Give path the task's file options it does not have yet, through AnsibleModule: all of them to a file left in
    place; to one just replaced, which got its mode, owner and group before the rename, only the SELinux context and
    attribute flags. Return replaced or whether anything changed."""
    file_args = module.load_file_common_arguments(module.params, path=path)
    if replaced:
        file_args.update(mode=None, owner=None, group=None)
    return module.set_fs_attributes_if_different(file_args, replaced)


def make_private_dirs(path, mode=PRIVATE_DIR_MODE):
    """Create path and its missing parents, each with mode (os.makedirs applies its mode to the leaf only)."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        os.mkdir(directory, mode)
        os.chmod(directory, mode)


# The options of the files the controller writes for a promotion: the store (ids, state) private, reports readable.
PRIVATE_FILE = FileOptions(mode=PRIVATE_FILE_MODE)
REPORT_FILE = FileOptions(mode=0o644)
