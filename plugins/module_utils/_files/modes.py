# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: symbolic file modes (``u=rw,g+r``) applied to a regular file's mode.

The same grammar and meaning as the ``mode`` option of ansible.builtin.file for a regular file: clauses separated
by commas, each ``[ugoa]*`` then one or more ``[-+=]`` operators with ``[rwxXstugo]*`` permissions; no users
means ``a`` with the bits of the umask left alone; ``X`` is ``x`` only when some execute bit is already set.
"""

import os
import re
import stat

_CLAUSE = re.compile(r"^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$")
_ACTION = re.compile(r"([-+=])([rwxXstugo]*)")
# For each class: its read, write, execute and special bits, and the mask '=' resets.
_CLASS_BITS = {
    "u": dict(r=stat.S_IRUSR, w=stat.S_IWUSR, x=stat.S_IXUSR, s=stat.S_ISUID, t=0, shift=6),
    "g": dict(r=stat.S_IRGRP, w=stat.S_IWGRP, x=stat.S_IXGRP, s=stat.S_ISGID, t=0, shift=3),
    "o": dict(r=stat.S_IROTH, w=stat.S_IWOTH, x=stat.S_IXOTH, s=0, t=stat.S_ISVTX, shift=0),
}
_RESET = {"u": stat.S_IRWXU | stat.S_ISUID, "g": stat.S_IRWXG | stat.S_ISGID, "o": stat.S_IRWXO | stat.S_ISVTX}
_EXECUTE = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


def current_umask():
    """The process's umask, read without changing it where /proc tells it (other threads may be creating files)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def _copied_bits(who, source, mode):
    """The rwx bits of class source in mode, moved to class who."""
    bits = (mode >> _CLASS_BITS[source]["shift"]) & 0o7
    return bits << _CLASS_BITS[who]["shift"]


def _bits_for(who, perms, mode):
    """The bits perms stands for in class who, for a regular file whose mode is mode."""
    bits = 0
    for perm in perms:
        if perm in "ugo":
            bits |= _copied_bits(who, perm, mode)
        elif perm == "X":
            bits |= _CLASS_BITS[who]["x"] if mode & _EXECUTE else 0
        else:
            bits |= _CLASS_BITS[who][perm]
    return bits


def _apply(mode, who, operator, bits):
    if operator == "=":
        return (mode & ~_RESET[who]) | bits
    if operator == "+":
        return mode | bits
    return mode & ~bits


def symbolic_mode(text, base):
    """The mode that symbolic mode text gives a regular file whose mode is base; ValueError names a bad clause."""
    mode = stat.S_IMODE(base)
    for clause in text.split(","):
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError("bad symbolic permission for mode: %s" % clause)
        users = match.group(1)
        keep = current_umask() if users == "" else 0
        classes = "ugo" if users in ("", "a") or "a" in users else users
        for operator, perms in _ACTION.findall(match.group(2)):
            for who in classes:
                bits = _bits_for(who, perms, mode) & ~keep
                mode = _apply(mode, who, operator, bits)
    return mode
