# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the manifest.json of a batch.

An entry describes the export that produced the file on disk, so it only
changes when that file changes (or its workflow fails): a rerun that changes
nothing leaves the manifest byte for byte as it was.
"""

import json
import os
import time

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files import apply_attributes, place_file, temp_file_beside

ENTRY_KEYS = ("workflow_id", "name", "flow_id", "sha256", "content_digest", "size", "status", "changed",
              "dock_status_id", "export_job_id")


def _read_manifest(path):
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
        return {entry["workflow_id"]: entry for entry in document.get("workflows", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _entry(result, manifest_dir, now):
    entry = {key: result.get(key) for key in ENTRY_KEYS}
    dest = result.get("dest")
    entry["file"] = os.path.relpath(dest, manifest_dir) if dest else None
    entry["exported_at"] = now
    return entry


def manifest_entry(result, previous, manifest_dir, now):
    """The entry for one result, reusing the previous entry when the file on disk is the same."""
    if result["failed"]:
        entry = dict(previous) if previous else _entry(dict(result, sha256=None, content_digest=None, size=None), manifest_dir, now)
        entry.update(status="FAILED", error=result["msg"])
        return entry
    if previous and not result["changed"] and previous.get("sha256") == result.get("sha256") and "error" not in previous:
        return previous
    return _entry(result, manifest_dir, now)


def render_manifest(host, results, previous_entries, manifest_dir):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    entries = [manifest_entry(result, previous_entries.get(result["workflow_id"]), manifest_dir, now) for result in results]
    document = {"host": host, "workflows": sorted(entries, key=lambda entry: entry["workflow_id"])}
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_manifest(module, path, host, results):
    """Write the manifest when its content changed (never in check mode); return whether it did (or would)."""
    content = render_manifest(host, results, _read_manifest(path), os.path.dirname(os.path.abspath(path)))
    if os.path.exists(path):
        with open(path, "rb") as handle:
            if handle.read() == content:
                return apply_attributes(module, path, created=False, changed=False)
    if module.check_mode:
        return True
    existed = os.path.exists(path)
    temp, handle = temp_file_beside(path, module)
    with handle:
        handle.write(content)
    place_file(module, temp, path, backup=False)
    return apply_attributes(module, path, created=not existed, changed=True)
