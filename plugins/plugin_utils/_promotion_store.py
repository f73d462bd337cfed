# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: one environment's lasting promotion files, as one store.

The ids file (name -> workflow id), the state file beside it (``<stem>.state.yml``) and the creation journal
(``<stem>.journal``), locked from read to write (``<ids file>.lock``). With a git store, the ids and the state are
read from the tip of the remote branch (fetched first, so that a job started from an older commit decides on what
the last job pushed) and published there after they are written locally; otherwise they are the project's files.
"""

import os

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.creation_journal import read_journal
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError, acquire_lock, release_lock
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._store_files import VaultFile

IDS_HEADER = "name -> workflow id in this environment; written by koreai.ai_for_process.promote_workflows: commit it"
STATE_HEADER = "last promotion state per workflow (content held, deployed, pending creations): commit it with the ids"


class EnvironmentStore:
    """The ids, state, journal and lock of one environment; git is a GitStore or None (the project's files)."""

    def __init__(self, loader, paths, git=None):
        self.loader = loader
        self.paths = paths
        self.git = git
        self.ids_file = VaultFile(loader, paths["ids_file"])
        self.state_file = VaultFile(loader, paths["state_file"])
        self.locked = False
        self.since = None  # with a git store: the remote's tip this run read the store at

    # ------------------------------------------------------------------ lock
    def lock(self, timeout):
        """Take the ids file's lock for this process (the action's worker, alive for the whole promotion)."""
        acquire_lock(self.paths["lock_file"], os.getpid(), timeout)
        self.locked = True

    def unlock(self):
        if self.locked:
            release_lock(self.paths["lock_file"], os.getpid())
            self.locked = False

    # ------------------------------------------------------------------ read
    def fetch(self):
        """With a git store, fetch the remote branch (StoreError when it cannot be reached); what is read from now on
        and published later is decided against that tip."""
        if self.git:
            self.since = self.git.fetch()

    def raw(self, path):
        """The bytes of a store file, from the remote's tip with a git store (for a file of the checkout), else from
        disk; None when absent."""
        if self.git and os.path.realpath(path).startswith(self.git.top + os.sep):
            return self.git.read(path)
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError("%s cannot be read: %s" % (path, exc.strerror)) from None

    def where(self, path):
        return "%s (at the tip of the git remote's branch)" % path if self.git else path

    def read(self):
        """(the ids file's map, the state's workflows), read strictly; a state without its ids file is refused, and
        so, with a git store, is a local ids file the remote's branch does not hold (it would be lost)."""
        if self.git and os.path.exists(self.ids_file.path) and self.raw(self.ids_file.path) is None:
            raise StoreError("%s exists here but not on the git remote's branch that keeps the store: commit and push it "
                             "first, or the promotion would decide without the ids it holds" % self.ids_file.path)
        ids = self.ids_file.parse(self.raw(self.ids_file.path), self.where(self.ids_file.path))
        state = self.state_file.parse(self.raw(self.state_file.path), self.where(self.state_file.path))
        if not self.ids_file.exists and self.state_file.exists and state.get("workflows"):
            raise StoreError("%s is missing but %s records earlier promotions: restore the ids file (from git) before "
                             "promoting, or every workflow would be created again"
                             % (self.where(self.ids_file.path), self.where(self.state_file.path)))
        return ids, dict(state.get("workflows") or {})

    def state_of(self, path):
        """Another environment's state (its workflows), read as this store reads its own; None when it has none."""
        raw = self.raw(path)
        if raw is None:
            return None
        return dict(VaultFile(self.loader, path).parse(raw, self.where(path)).get("workflows") or {})

    def exists(self, path):
        return self.raw(path) is not None

    def journal(self):
        """The creations the journal recorded ({} when there is none)."""
        return read_journal(self.paths["journal"])

    # ------------------------------------------------------------------ write
    def write(self, ids, state, message):
        """Write the ids and the state (encrypted as they were read): to the project's files, or with a git store to
        the remote's branch only, which the checkout takes with its next pull (files written here too would make
        that pull refuse)."""
        self.state_file.encrypt_like(self.ids_file)
        self.ids_file.encrypt_like(self.state_file)
        documents = ((self.ids_file, ids, IDS_HEADER), (self.state_file, {"workflows": state}, STATE_HEADER))
        if self.git:
            files = {file_.path: file_.render(doc, header) for file_, doc, header in documents}
            self.since = self.git.publish(files, message, since=self.since)
            return
        for file_, doc, header in documents:
            file_.write(doc, header)

    def clear_journal(self):
        """Remove the journal once what it holds is in the ids and the state."""
        try:
            os.unlink(self.paths["journal"])
        except FileNotFoundError:
            pass
