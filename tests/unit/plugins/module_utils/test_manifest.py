# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_manifest: entries change only when the file on disk changes or the workflow fails."""

import json
import os

from ansible_collections.koreai.ai_for_process.plugins.module_utils._manifest import render_manifest

HOST = "https://process.kore.ai"
OLD_TIME = "2020-01-02T03:04:05Z"


def result(workflow_id, dest_dir, changed=True, failed=False, sha256=None, msg=""):
    return dict(workflow_id=workflow_id, name=None, flow_id="cf-" + workflow_id, sha256=sha256 or "sha-" + workflow_id,
                content_digest="cd-" + workflow_id, size=123, status="FAILED" if failed else "SUCCESS", changed=changed,
                failed=failed, msg=msg, dock_status_id="ds-" + workflow_id, export_job_id="ej-" + workflow_id,
                dest=os.path.join(dest_dir, workflow_id + ".zip"))


def entries_of(content):
    return {entry["workflow_id"]: entry for entry in json.loads(content.decode("utf-8"))["workflows"]}


def aged(content):
    """Previous entries as read back from a manifest, dated in the past."""
    return {key: dict(entry, exported_at=OLD_TIME) for key, entry in entries_of(content).items()}


def test_first_manifest(tmp_path):
    content = render_manifest(HOST, [result("a-2", str(tmp_path)), result("a-1", str(tmp_path / "sub"))], {}, str(tmp_path))
    document = json.loads(content.decode("utf-8"))
    assert content.endswith(b"\n")
    assert document["host"] == HOST
    assert [entry["workflow_id"] for entry in document["workflows"]] == ["a-1", "a-2"]
    first = document["workflows"][0]
    assert first["file"] == os.path.join("sub", "a-1.zip")
    assert (first["sha256"], first["content_digest"], first["size"], first["status"]) == ("sha-a-1", "cd-a-1", 123, "SUCCESS")
    assert "error" not in first and first["exported_at"].endswith("Z")


def test_unchanged_results_give_the_same_bytes(tmp_path):
    first = render_manifest(HOST, [result("a-1", str(tmp_path)), result("a-2", str(tmp_path))], {}, str(tmp_path))
    previous = aged(first)
    unchanged = [result("a-1", str(tmp_path), changed=False), result("a-2", str(tmp_path), changed=False)]
    second = render_manifest(HOST, unchanged, previous, str(tmp_path))
    third = render_manifest(HOST, unchanged, entries_of(second), str(tmp_path))
    assert second == third
    assert entries_of(second) == previous  # the previous entries, exported_at included


def test_entry_is_replaced_when_the_file_changes(tmp_path):
    previous = aged(render_manifest(HOST, [result("a-1", str(tmp_path)), result("a-2", str(tmp_path))], {}, str(tmp_path)))
    content = render_manifest(HOST, [result("a-1", str(tmp_path), changed=False, sha256="sha-new"),
                                     result("a-2", str(tmp_path), changed=True)], previous, str(tmp_path))
    entries = entries_of(content)
    assert entries["a-1"]["sha256"] == "sha-new" and entries["a-1"]["exported_at"] != OLD_TIME
    assert entries["a-2"]["exported_at"] != OLD_TIME


def test_failed_entry_keeps_file_facts_and_records_error(tmp_path):
    previous = aged(render_manifest(HOST, [result("a-1", str(tmp_path))], {}, str(tmp_path)))
    failed = result("a-1", str(tmp_path), changed=False, failed=True, sha256="ignored", msg="export of workflow a-1 FAILED")
    entry = entries_of(render_manifest(HOST, [failed], previous, str(tmp_path)))["a-1"]
    assert entry == dict(previous["a-1"], status="FAILED", error="export of workflow a-1 FAILED")
    recovered = entries_of(render_manifest(HOST, [result("a-1", str(tmp_path), changed=False)], {"a-1": entry},
                                           str(tmp_path)))["a-1"]
    assert "error" not in recovered and recovered["status"] == "SUCCESS"


def test_failed_entry_without_previous(tmp_path):
    failed = result("a-9", str(tmp_path), changed=False, failed=True, msg="boom")
    entry = entries_of(render_manifest(HOST, [failed], {}, str(tmp_path)))["a-9"]
    assert (entry["sha256"], entry["content_digest"], entry["size"]) == (None, None, None)
    assert (entry["status"], entry["error"], entry["file"]) == ("FAILED", "boom", "a-9.zip")
