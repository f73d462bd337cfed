# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Digests and JSON forms pinned to literal values: what manifests, state files and trees already hold never changes."""

import hashlib
import json

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import ExtractOptions, extract_archive, inspect_archive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import DEFAULT_CLASSIFIER
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import (
    canonical_json, file_sha256, framed, pretty_json, sha256_hex, sha256_hex_pair,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.manifest import render_manifest
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.members import DEFAULT_IGNORE_KEYS, Member, definition_digest
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import write_zip

FLOW = {"workflowId": "a-1", "name": "Überweisung ✓", "nodes": [{"id": 2, "b": None, "a": 1.5}], "apiKey": "s3cret", "z": True}
APP = {"toolId": "a-1", "x": [1, 2]}
ENV = {"variables": [{"key": "API_TOKEN", "value": "t0ken", "isSecured": True}]}


def pinned_archive(tmp_path):
    return write_zip(tmp_path / "a.zip", {
        "flow_definition.json": json.dumps(FLOW), "app_definition.json": json.dumps(APP),
        "env_variables.json": json.dumps(ENV), "bad.json": b"{oops", "attachments/blob.bin": b"\x00\xffraw"})


def test_archive_digests_are_pinned(tmp_path):
    path = pinned_archive(tmp_path)
    info = inspect_archive(path)
    assert info.content_digest == "34532ab9a18a582d05ae615efeb10d50a89c7f0e8d98c3ba636a77ca6080ef87"
    assert info.change_digest == "761bf0148118a4b2fb3e68037ce884c98aa3bd43993d87e245ff90e2371bcaec"
    keyed = inspect_archive(path, options=ExtractOptions(redaction_key="k3y"))
    assert keyed.content_digest == "b443dfe6e4e0fa92000c97bde6f5b67b8dc77d8dda3540292d8b824eb6e4d984"


def test_definition_digest_is_pinned():
    members = {"flow": Member("flow_definition.json", FLOW), "app": Member("app_definition.json", APP)}
    assert definition_digest(members, DEFAULT_IGNORE_KEYS, DEFAULT_CLASSIFIER) == "13fb01e5e2b36db818f20862d7d5b90b7b5e52de76fc8132648ba84952f27bb7"


def test_manifest_bytes_are_pinned(tmp_path):
    results = [{"workflow_id": "a-1", "name": "Überweisung ✓", "flow_id": None, "failed": False}]
    assert render_manifest("https://h.example", results, {}, str(tmp_path)) == (
        b'{\n  "host": "https://h.example",\n  "workflows": [\n    {\n      "flow_id": null,\n      "last_run": {\n'
        b'        "status": "ok"\n      },\n      "name": "\\u00dcberweisung \\u2713",\n      "workflow_id": "a-1"\n'
        b'    }\n  ]\n}\n')


def test_tree_files_and_state_file_are_pinned(tmp_path):
    path = write_zip(tmp_path / "a.zip", {"b/é.txt": b"1", "a.txt": b"2", "flow.json": json.dumps(FLOW)})
    extract_archive(path, str(tmp_path / "tree"), False, ExtractOptions(redact=False))
    assert (tmp_path / "tree" / ".koreai-extract.json").read_bytes() == (
        b'{\n  "about": "files written by koreai.ai_for_process; only these are ever deleted",\n  "files": {\n'
        b'    "a.txt": "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35",\n'
        b'    "b/\\u00e9.txt": "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",\n'
        b'    "flow.json": "03d36ea71c8a727311cce19a930a6d672a44177c1d16dc7d2e063fa68058c633"\n  }\n}\n')


def test_json_forms_are_pinned():
    document = {"b": [1, {"d": None, "c": "ü"}], "a": True}
    assert canonical_json(document) == '{"a":true,"b":[1,{"c":"ü","d":null}]}'.encode("utf-8")
    assert pretty_json(document) == '{\n  "a": true,\n  "b": [\n    1,\n    {\n      "c": "ü",\n      "d": null\n    }\n  ]\n}\n'.encode("utf-8")
    assert pretty_json(document, escape_non_ascii=True) == pretty_json(document).replace("ü".encode("utf-8"), b"\\u00fc")


def test_sha256_helpers_agree_with_hashlib(tmp_path):
    content = bytes(range(256)) * 9000  # more than one chunk
    (tmp_path / "f").write_bytes(content)
    expected = hashlib.sha256(content).hexdigest()
    assert file_sha256(str(tmp_path / "f")) == sha256_hex([content[:5], content[5:]]) == expected
    assert b"".join(framed("né", [b"a", b"b"])) == "né".encode("utf-8") + b"\0ab\0"
    assert sha256_hex_pair([(b"a", b"x"), (b"b", b"y")]) == (sha256_hex([b"ab"]), sha256_hex([b"xy"]))
