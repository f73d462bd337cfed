# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_manifest: entries describe the file on disk; the last attempt is a separate field; writes are private and atomic."""

import hashlib
import json
import os
import stat

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.manifest import (
    render_manifest, save_manifest, without_url_queries,
)

HOST = "https://process.kore.ai"
OLD_TIME = "2020-01-02T03:04:05Z"


def result(workflow_id, dest_dir, changed=True, failed=False, sha256=None, msg=""):
    dest = os.path.join(str(dest_dir), workflow_id + ".zip")
    if not failed and not os.path.exists(dest):
        with open(dest, "wb") as handle:
            handle.write(b"zip of " + workflow_id.encode())
    return dict(workflow_id=workflow_id, name=None, flow_id="cf-" + workflow_id,
                sha256=None if failed else sha256 or "sha-" + workflow_id, content_digest=None if failed else "cd-" + workflow_id,
                size=None if failed else 123, status="FAILED" if failed else "SUCCESS", changed=changed, failed=failed,
                msg=msg, dock_status_id="ds-" + workflow_id, export_job_id="ej-" + workflow_id, dest=dest)


def entries_of(content):
    return {entry["workflow_id"]: entry for entry in json.loads(content.decode("utf-8"))["workflows"]}


def aged(content):
    """Previous entries as read back from a manifest, dated in the past."""
    return {key: dict(entry, exported_at=OLD_TIME) if "exported_at" in entry else entry
            for key, entry in entries_of(content).items()}


def test_first_manifest(tmp_path):
    (tmp_path / "sub").mkdir()
    content = render_manifest(HOST, [result("a-2", tmp_path), result("a-1", tmp_path / "sub")], {}, str(tmp_path))
    document = json.loads(content.decode("utf-8"))
    assert content.endswith(b"\n")
    assert document["host"] == HOST
    assert [entry["workflow_id"] for entry in document["workflows"]] == ["a-1", "a-2"]
    first = document["workflows"][0]
    assert first["file"] == os.path.join("sub", "a-1.zip")
    assert (first["sha256"], first["content_digest"], first["size"]) == ("sha-a-1", "cd-a-1", 123)
    assert first["last_run"] == {"status": "ok"} and first["exported_at"].endswith("Z")
    assert "changed" not in first and "status" not in first


def test_unchanged_results_give_the_same_bytes(tmp_path):
    first = render_manifest(HOST, [result("a-1", tmp_path), result("a-2", tmp_path)], {}, str(tmp_path))
    previous = aged(first)
    unchanged = [result("a-1", tmp_path, changed=False), result("a-2", tmp_path, changed=False)]
    second = render_manifest(HOST, unchanged, previous, str(tmp_path))
    third = render_manifest(HOST, unchanged, entries_of(second), str(tmp_path))
    assert second == third
    assert entries_of(second) == previous  # the previous entries, exported_at included


def test_entry_is_replaced_when_the_file_changes(tmp_path):
    previous = aged(render_manifest(HOST, [result("a-1", tmp_path), result("a-2", tmp_path)], {}, str(tmp_path)))
    content = render_manifest(HOST, [result("a-1", tmp_path, changed=False, sha256="sha-new"),
                                     result("a-2", tmp_path, changed=True, sha256="sha-2b")], previous, str(tmp_path))
    entries = entries_of(content)
    assert entries["a-1"]["sha256"] == "sha-new" and entries["a-1"]["exported_at"] != OLD_TIME
    assert entries["a-2"]["exported_at"] != OLD_TIME


def test_failed_entry_keeps_the_file_facts_apart_from_the_error(tmp_path):
    previous = aged(render_manifest(HOST, [result("a-1", tmp_path, sha256="x")], {}, str(tmp_path)))
    previous["a-1"]["sha256"] = sha_of(tmp_path / "a-1.zip")
    failed = result("a-1", tmp_path, changed=False, failed=True,
                    msg="download of https://cdn.example/a-1.zip?X-Signature=abc&token=def failed")
    entry = entries_of(render_manifest(HOST, [failed], previous, str(tmp_path)))["a-1"]
    assert {key: entry[key] for key in ("file", "sha256", "exported_at")} == {
        key: previous["a-1"][key] for key in ("file", "sha256", "exported_at")}
    assert entry["last_run"]["status"] == "failed" and entry["last_run"]["at"].endswith("Z")
    assert entry["last_run"]["error"] == "download of https://cdn.example/a-1.zip failed"
    recovered = entries_of(render_manifest(HOST, [result("a-1", tmp_path, changed=False, sha256=entry["sha256"])],
                                           {"a-1": entry}, str(tmp_path)))["a-1"]
    assert recovered["last_run"] == {"status": "ok"} and recovered["exported_at"] == OLD_TIME


def sha_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_workflow_without_a_file_has_no_file(tmp_path):
    failed = result("a-9", tmp_path, failed=True, msg="did not finish within wait_timeout")
    entry = entries_of(render_manifest(HOST, [failed], {}, str(tmp_path)))["a-9"]
    assert set(entry) == {"workflow_id", "name", "flow_id", "last_run"}
    stale = {"a-9": {"workflow_id": "a-9", "file": "a-9.zip", "sha256": "gone", "size": 1, "exported_at": OLD_TIME}}
    entry = entries_of(render_manifest(HOST, [failed], stale, str(tmp_path)))["a-9"]
    assert "file" not in entry and "sha256" not in entry


def test_without_url_queries():
    assert without_url_queries("get http://h/a?x=1 and 'https://h/b#frag', https://h/c") == (
        "get http://h/a and 'https://h/b', https://h/c")


# --- save_manifest: real files --------------------------------------------------------


def test_save_manifest_writes_privately_and_reruns_byte_identical(tmp_path):
    path = tmp_path / "manifest.json"
    old = os.umask(0)
    try:
        assert save_manifest(str(path), HOST, [result("a-1", tmp_path)]) is True
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = path.read_bytes()
    os.link(path, tmp_path / "alias")
    assert save_manifest(str(path), HOST, [result("a-1", tmp_path, changed=False)]) is False
    assert path.read_bytes() == first
    assert save_manifest(str(path), HOST, [result("a-1", tmp_path, failed=True, msg="boom")]) is True
    assert (tmp_path / "alias").read_bytes() == first != path.read_bytes()  # replaced, never written in place


def test_save_manifest_replaces_a_corrupt_manifest(tmp_path):
    path = tmp_path / "manifest.json"
    for corrupt in (b"{not json", b"[]", b'{"workflows": [{"no_id": 1}]}', b"[" * 100000):
        path.write_bytes(corrupt)
        assert save_manifest(str(path), HOST, [result("a-1", tmp_path)]) is True
        assert list(entries_of(path.read_bytes())) == ["a-1"]


def test_save_manifest_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "manifest.json"
    assert save_manifest(str(path), HOST, [result("a-1", tmp_path)], check_mode=True) is True
    assert not path.exists()
    save_manifest(str(path), HOST, [result("a-1", tmp_path)])
    before = path.read_bytes()
    assert save_manifest(str(path), HOST, [result("a-1", tmp_path, changed=False)], check_mode=True) is False
    assert save_manifest(str(path), HOST, [result("a-2", tmp_path)], check_mode=True) is True
    assert path.read_bytes() == before


def test_save_manifest_write_error_leaves_no_temp_file(tmp_path):
    path = tmp_path / "manifest.json"
    path.mkdir()
    with pytest.raises(OSError) as info:
        save_manifest(str(path), HOST, [result("a-1", tmp_path)])
    assert info.value.filename is None or "manifest.json" in str(info.value.filename)
    assert sorted(os.listdir(tmp_path)) == ["a-1.zip", "manifest.json"]
