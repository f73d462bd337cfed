# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the journal of the workflows an import creates.

No API finds a workflow by its name, so a new workflow whose id is lost would be created again by the next run.
The journal is an append-only file of JSON lines (0600 from its first byte): before the import of a new workflow is
sent, a line says it is being sent; the moment the server's answer (or its dock status) names the new workflow's id,
a line records the id and the job's dock status id. Each line is synced to disk before the run goes on, so a run
killed at any point leaves either no line (nothing was sent), a ``sending`` line (the request may have reached the
server: a rerun must not create the workflow blindly) or the id (a rerun imports into it, or creates anew when the
server no longer has it). The promotion reads the journal on its next run and folds it into the environment's store.
"""

import json
import os
import time

SENDING = "sending"
CREATED = "created"


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class CreationJournal:
    """Appends the creations of one run to the journal at path."""

    def __init__(self, path):
        self.path = path

    def _append(self, record):
        line = (json.dumps(record, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def sending(self, name):
        """Record that the import creating the workflow name is about to be sent."""
        self._append({"event": SENDING, "name": name, "at": _now()})

    def created(self, name, workflow_id, dock_status_id):
        """Record the id the server gave the new workflow name, and the dock status id of its import."""
        self._append({"event": CREATED, "name": name, "workflow_id": workflow_id, "dock_status_id": dock_status_id,
                      "at": _now()})


def read_journal(path):
    """{name: {"workflow_id": id or None, "dock_status_id": id or None, "since": time}} of a journal, {} when there is
    none. A line that does not parse (the last one, torn by a crash) is skipped: its workflow's ``sending`` line is
    already there, so the workflow stays one whose request may have been sent."""
    entries = {}
    try:
        with open(path, "rb") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return entries
    for line in lines:
        try:
            record = json.loads(line.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            continue
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            continue
        entry = entries.setdefault(record["name"], {"workflow_id": None, "dock_status_id": None, "since": record.get("at")})
        if record.get("event") == CREATED and isinstance(record.get("workflow_id"), str) and record["workflow_id"]:
            entry.update(workflow_id=record["workflow_id"], dock_status_id=record.get("dock_status_id"))
    return entries
