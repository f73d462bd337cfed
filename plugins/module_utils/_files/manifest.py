# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the manifest.json of a batch.

An entry describes the file on disk (``file``, ``sha256``, ``content_digest``, ``size``,
``exported_at`` and the ids of the export that wrote it) and, apart, the outcome of the
last attempt (``last_run``: ``{"status": "ok"}``, or ``{"status": "failed", "error", "at"}``).
A workflow with no file on disk has no ``file``. A rerun that changes nothing leaves the
manifest byte for byte as it was. URLs in errors are stored without their query string.
"""

import json
import os
import re
import time

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import file_sha256, pretty_json
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import apply_attributes, file_options_from
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import write_private

FILE_KEYS = ("sha256", "content_digest", "size", "dock_status_id", "export_job_id")
URL_QUERY = re.compile(r"(https?://[^\s?#'\"]+)[?#][^\s'\"]*")


def without_url_queries(text):
    """text with the query string and fragment of every URL removed (signed URLs carry credentials there)."""
    return URL_QUERY.sub(r"\1", text or "")


def _read_manifest(path):
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
        return {entry["workflow_id"]: entry for entry in document.get("workflows", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}


def _file_facts(result, manifest_dir, now):
    facts = {key: result.get(key) for key in FILE_KEYS}
    facts.update(file=os.path.relpath(result["dest"], manifest_dir), exported_at=now)
    return facts


def _previous_facts(previous, result):
    """The previous entry's file facts while its file is still on disk as recorded, else {}."""
    dest = result.get("dest")
    if not previous or not previous.get("file") or not dest or not os.path.isfile(dest):
        return {}
    if (result.get("sha256") or file_sha256(dest)) != previous.get("sha256"):
        return {}
    return {key: previous[key] for key in FILE_KEYS + ("file", "exported_at") if key in previous}


def manifest_entry(result, previous, manifest_dir, now):
    """The entry for one result: file facts (kept from previous while the file is the same) and last_run."""
    entry = {"workflow_id": result["workflow_id"], "name": result.get("name"), "flow_id": result.get("flow_id")}
    if result["failed"]:
        entry.update(_previous_facts(previous, result))
        entry["last_run"] = {"status": "failed", "error": without_url_queries(result.get("msg")), "at": now}
        return entry
    if result.get("sha256") and result.get("dest"):
        entry.update(_previous_facts(previous, result) or _file_facts(result, manifest_dir, now))
    entry["last_run"] = {"status": "ok"}
    return entry


def render_manifest(host, results, previous_entries, manifest_dir):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    entries = [manifest_entry(result, previous_entries.get(result["workflow_id"]), manifest_dir, now) for result in results]
    document = {"host": host, "workflows": sorted(entries, key=lambda entry: entry["workflow_id"])}
    return pretty_json(document, escape_non_ascii=True)


def save_manifest(path, host, results, options=None, check_mode=False):
    """Write the manifest (privately, atomically) when its content changed; return whether it did (or, in
    check mode, would). A corrupt previous manifest is replaced. OSError propagates; no temp file is left."""
    content = render_manifest(host, results, _read_manifest(path), os.path.dirname(os.path.abspath(path)))
    try:
        with open(path, "rb") as handle:
            if handle.read(len(content) + 1) == content:
                return False
    except FileNotFoundError:
        pass
    if not check_mode:
        write_private(path, content, options)
    return True


def write_manifest(module, path, host, results):
    """save_manifest with the task's file options; return whether the manifest (or its attributes) changed."""
    changed = save_manifest(path, host, results, file_options_from(module.params), module.check_mode)
    if module.check_mode and changed:
        return True
    return apply_attributes(module, path, replaced=changed)
