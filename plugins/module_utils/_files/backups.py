# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: backups of a target taken before an import changes it.

The export that the import downloads to compare is written straight into the backup
directory, as a temp file created 0600 with O_EXCL (private from its first byte). When the
import goes ahead, the temp file is renamed to ``<id>.<UTC timestamp>[.<name>].zip`` (id and
name percent-encoded, so ``.`` only separates fields) and the oldest backups of that workflow
beyond ``keep`` are removed; otherwise it is deleted. The directory holds the target's secrets.
"""

import os
import re
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import PRIVATE_DIR_MODE, make_private_dirs
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import remove_quietly
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError

DEFAULT_KEEP = 5
STAGING_PREFIX = ".koreai-backup-"
TIMESTAMP = re.compile(r"^\d{8}T\d{6}\.\d{6}Z$")


class BackupError(KoreaiError):
    """The backup could not be written: the import does not go ahead."""


@dataclass
class BackupSettings:
    """Where backups go (None: no backups) and how many are kept per workflow."""

    directory: str = None
    keep: int = DEFAULT_KEEP


def backup_settings(params):
    """BackupSettings from the module's backup_dir and backup_keep, or a PlanError naming the option."""
    keep = params.get("backup_keep")
    keep = DEFAULT_KEEP if keep is None else keep
    if keep < 1:
        raise PlanError("backup_keep must be 1 or more (the number of backups kept per workflow), not %d" % keep)
    directory = params.get("backup_dir")
    if directory:
        _check_writable(directory)
    return BackupSettings(directory or None, keep)


def _check_writable(directory):
    """A PlanError unless directory is (or can be created as) a writable directory: the plan fails as the apply would."""
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise PlanError("backup_dir %s is not a directory; give a directory for the backups" % directory)
    existing = directory
    while not os.path.exists(existing):
        existing = os.path.dirname(existing.rstrip(os.sep)) or "."
    if not (os.path.isdir(existing) and os.access(existing, os.W_OK | os.X_OK)):
        raise PlanError("backup_dir %s cannot be written (%s is not a writable directory); give a directory you can write"
                        % (directory, existing))


def _field(value):
    return quote(str(value), safe="-_")


def _utc_stamp():
    now = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + ".%06dZ" % int((now % 1) * 1000000)


GITIGNORE = b"# Backups of import targets hold their secrets (environment variables): never commit them.\n*\n"


def _keep_out_of_git(directory):
    """Write a .gitignore that ignores everything in directory, unless one is there: backup_dir often sits in the
    project's git tree (the promote_workflows role puts it beside the inventory)."""
    try:
        fd = os.open(os.path.join(directory, ".gitignore"), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(GITIGNORE)


class Backup:
    """One workflow's backup in the making: a private staging file, then kept or discarded."""

    def __init__(self, settings, workflow_id, name=None):
        self.settings = settings
        self.workflow_id = workflow_id
        self.name = name
        self.staging = None
        try:
            make_private_dirs(settings.directory, PRIVATE_DIR_MODE)
            _keep_out_of_git(settings.directory)
            fd, self.staging = tempfile.mkstemp(dir=settings.directory, prefix=STAGING_PREFIX, suffix=".part")
            os.close(fd)
        except OSError as exc:
            raise self._error(exc)

    def _error(self, exc):
        return BackupError("backup_dir %s: cannot write the backup of workflow %s (%s); nothing was imported: fix "
                           "backup_dir or its permissions" % (self.settings.directory, self.workflow_id, exc.strerror or exc))

    def keep(self):
        """Give the staged export its final name, prune the oldest beyond keep; return the backup's path."""
        stem = _field(self.workflow_id) + "." + _utc_stamp()
        final = os.path.join(self.settings.directory, stem + ("." + _field(self.name) if self.name else "") + ".zip")
        try:
            os.link(self.staging, final)  # never replaces an existing backup
        except FileExistsError:
            return self.keep()
        except OSError as exc:
            raise self._error(exc)
        self.discard()
        self._prune()
        return final

    def discard(self):
        if self.staging:
            remove_quietly(self.staging)
            self.staging = None

    def _prune(self):
        for old in backups_of(self.settings.directory, self.workflow_id)[:-self.settings.keep]:
            remove_quietly(os.path.join(self.settings.directory, old))


def backups_of(directory, workflow_id):
    """File names of workflow_id's backups in directory, oldest first."""
    prefix = _field(workflow_id) + "."
    found = []
    for name in os.listdir(directory):
        fields = name.split(".")
        if name.startswith(prefix) and name.endswith(".zip") and len(fields) >= 4 and TIMESTAMP.match(
                fields[1] + "." + fields[2]):
            found.append((fields[1] + fields[2], name))
    return [name for _stamp, name in sorted(found)]


def backup_owner(path):
    """The workflow id a backup's file name names (<id>.<UTC timestamp>[.<name>].zip), or None for another name."""
    fields = os.path.basename(path).split(".")
    if len(fields) >= 4 and fields[-1] == "zip" and TIMESTAMP.match(fields[1] + "." + fields[2]):
        return unquote(fields[0])
    return None


def start_backup(settings, workflow_id, name, check_mode):
    """A Backup for an import into workflow_id, or None (no backup_dir, a new workflow, or check mode)."""
    if not settings or not settings.directory or not workflow_id or check_mode:
        return None
    return Backup(settings, workflow_id, name)
