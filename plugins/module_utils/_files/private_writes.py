# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: single files (archive, backup, manifest), private from their first byte.

Every file that may hold secrets is written to a temp file created 0600 with O_EXCL beside its destination,
given its final mode and owner, and only then renamed onto the destination: no other user can read it at any
moment, and a failure leaves the previous file as it was.
"""

import errno
import os
import shutil
import stat
import tempfile
import time

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import CHUNK_SIZE
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import (
    FileOptions, file_options_from, set_owner,
)

UNSAFE_WRITE_ERRNOS = (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES, errno.ETXTBSY)


def temp_file_beside(dest, module=None):
    """Create an empty 0600 temp file (O_EXCL) in dest's directory; return (path, open binary handle)."""
    return _private_temp(os.path.dirname(dest) or ".", "." + os.path.basename(dest) + ".", ".part", module)


def temp_archive(prefix, module=None):
    """Create an empty 0600 temp file (O_EXCL) in the system's temp directory for an archive that is only read, never
    put in place; return (path, open binary handle)."""
    return _private_temp(None, prefix, ".zip", module)


def _private_temp(directory, prefix, suffix, module):
    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
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


def _prepare(source, existing, options):
    """Give source the mode and owner dest must have, before it takes dest's place."""
    os.chmod(source, options.file_mode(stat.S_IMODE(existing.st_mode) if existing else None))
    uid, gid = options.ids()
    set_owner(source, uid, gid, required=True)
    if existing and (uid, gid) == (-1, -1):
        set_owner(source, existing.st_uid, existing.st_gid, required=False)


def private_copy(path, copy_path):
    """Copy path to copy_path through a 0600 temp file, then give it path's mode, owner and times."""
    info = os.stat(path)
    temp, handle = temp_file_beside(copy_path)
    try:
        with handle, open(path, "rb") as original:
            shutil.copyfileobj(original, handle, CHUNK_SIZE)
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            set_owner(handle.fileno(), info.st_uid, info.st_gid, required=False)
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


def write_private(dest, content, options=None, durable=False, make_dirs=False):
    """Write bytes to dest through a private temp file and an atomic rename; no temp file survives a failure.
    durable: the bytes reach the disk before the rename (a file that guards against duplicates); make_dirs: dest's
    directory is created when missing."""
    if make_dirs:
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    temp, handle = temp_file_beside(dest)
    try:
        with handle:
            handle.write(content)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        place_private(temp, dest, options)
    except BaseException:
        remove_quietly(temp)
        raise


def place_file(module, source, dest, backup):
    """Move the temp file source onto dest with the task's mode, owner and group (apply_attributes gives it the
    other file options); return the backup path or None."""
    return place_private(source, dest, file_options_from(module.params), backup)
