# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: files on disk.

Downloads go to a 0600 temp file beside the destination and reach it only by
an atomic move once verified; extracted trees are written file by file the
same way, so a failure never leaves a half-written file in place.
"""

import os
import tempfile

DEFAULT_FILE_MODE = "0600"
PRIVATE_DIR_MODE = 0o700


def temp_file_beside(dest, module=None):
    """Create an empty private temp file in dest's directory; return (path, open binary handle)."""
    fd, path = tempfile.mkstemp(dir=os.path.dirname(dest) or ".", prefix="." + os.path.basename(dest) + ".", suffix=".part")
    if module is not None:
        module.add_cleanup_file(path)
    return path, os.fdopen(fd, "wb")


def remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def place_file(module, source, dest, backup):
    """Atomically move source onto dest (keeping a backup if asked); return the backup path or None."""
    backup_file = module.backup_local(dest) if backup and os.path.exists(dest) else None
    module.atomic_move(source, dest)
    return backup_file or None


def apply_attributes(module, dest, created, changed):
    """Apply the task's file options to dest; new files default to 0600 because exports may hold secrets."""
    file_args = module.load_file_common_arguments(module.params, path=dest)
    if file_args.get("mode") is None and created:
        file_args["mode"] = DEFAULT_FILE_MODE
    return module.set_fs_attributes_if_different(file_args, changed)


def _inside(root, path):
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path)]) == real_root


def _existing_files(root):
    found = set()
    for directory, _subdirs, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/"))
    return found


def _same_content(path, content):
    if not os.path.isfile(path) or os.path.islink(path) or os.path.getsize(path) != len(content):
        return False
    with open(path, "rb") as handle:
        return handle.read() == content


def make_private_dirs(path):
    """Create path and its missing parents, each 0700 (os.makedirs applies its mode to the leaf only)."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        os.mkdir(directory, PRIVATE_DIR_MODE)


def _write_private(path, content):
    make_private_dirs(os.path.dirname(path))
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".extract.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(temp, path)
    except BaseException:
        remove_quietly(temp)
        raise


def _prune_empty_dirs(root):
    for directory, _subdirs, _names in os.walk(root, topdown=False):
        if directory != root and not os.listdir(directory):
            os.rmdir(directory)


def sync_tree(root, files, check_mode):
    """Make directory root hold exactly files ({relative path: bytes}); return the list of paths changed."""
    targets = {name: os.path.join(root, *name.split("/")) for name in files}
    outside = [name for name, path in targets.items() if not _inside(root, path)]
    if outside:
        raise ValueError("refusing to extract %s: it would land outside %s" % (outside[0], root))
    stale = sorted(_existing_files(root) - set(files)) if os.path.isdir(root) else []
    changed = [name for name in sorted(files) if not _same_content(targets[name], files[name])] + stale
    if check_mode:
        return changed
    make_private_dirs(root)
    for name in changed:
        if name in files:
            _write_private(targets[name], files[name])
        else:
            os.unlink(os.path.join(root, *name.split("/")))
    _prune_empty_dirs(root)
    return changed
