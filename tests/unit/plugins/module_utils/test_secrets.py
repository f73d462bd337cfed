# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_secrets: member roles by normalised name, secret keys, diff masking, redaction and the tree check."""

import hashlib
import json

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets import (
    HIDDEN, HIDDEN_CHANGED, PLACEHOLDER, contains_placeholder, find_unredacted, is_placeholder, masked_for_diff,
    member_role, names_secret, placeholder_pointers, redacted,
)

ENV = {"variables": [{"key": "BASE_URL", "value": "https://dev.example.invalid", "isSecured": False},
                     {"key": "API_TOKEN", "value": "tok-123", "isSecured": True, "port": 5432}]}


@pytest.mark.parametrize("name, role", [
    ("env_variables.json", "env"), ("envVariables.json", "env"), ("env-variables.json", "env"),
    ("EnvVariables.json", "env"), ("export/ENV_VARIABLES.JSON", "env"), ("env variables", "env"),
    ("flow_definition.json", "flow"), ("flowDefinition.json", "flow"), ("App-Definition.JSON", "app"),
    ("env_variables.json.bak", None), ("notes.txt", None), ("variables.json", None),
])
def test_member_role(name, role):
    assert member_role(name) == role


@pytest.mark.parametrize("key", ["password", "dbPassword", "PASSWD", "client_secret", "clientSecret", "secrets",
                                 "accessToken", "refresh-token", "apiKey", "X-API-KEY", "api_key", "privateKey",
                                 "credential", "Credentials", "Authorization"])
def test_names_secret(key):
    assert names_secret(key)


@pytest.mark.parametrize("key", ["key", "name", "tokenUrl", "secretName", "url", "description", "passwordPolicy"])
def test_names_no_secret(key):
    assert not names_secret(key)


def test_masked_for_diff_marks_changed_values_by_comparison():
    after = json.loads(json.dumps(ENV))
    after["variables"][1]["value"] = "tok-456"
    before_shown, after_shown = masked_for_diff("envVariables.json", ENV, after)
    assert [item["value"] for item in before_shown["variables"]] == [HIDDEN, HIDDEN]
    assert [item["value"] for item in after_shown["variables"]] == [HIDDEN, HIDDEN_CHANGED]
    assert [item["key"] for item in after_shown["variables"]] == ["BASE_URL", "API_TOKEN"]
    assert after_shown["variables"][1]["isSecured"] is True
    assert masked_for_diff("flow.json", None, {"token": "t"}) == (None, {"token": HIDDEN_CHANGED})


def test_redacted_keeps_names_and_structure():
    document = redacted("env_variables.json", ENV)
    assert document == {"variables": [
        {"key": "BASE_URL", "value": PLACEHOLDER, "isSecured": False},
        {"key": "API_TOKEN", "value": PLACEHOLDER, "isSecured": True, "port": PLACEHOLDER}]}
    flow = redacted("flow_definition.json", {"nodes": [{"settings": {"url": "u", "auth": {"password": "p"},
                                                                     "credentials": {"user": "u", "pin": 1}}}]})
    assert flow == {"nodes": [{"settings": {"url": "u", "auth": {"password": PLACEHOLDER}, "credentials": PLACEHOLDER}}]}


def test_keyed_placeholders_show_changes_without_revealing_values():
    one = redacted("env_variables.json", ENV, key="k1")
    again = redacted("env_variables.json", ENV, key=b"k1")
    other_key = redacted("env_variables.json", ENV, key="k2")
    assert one == again != other_key
    values = [item["value"] for item in one["variables"]]
    assert all(is_placeholder(value) and value.startswith("<redacted:koreai:hmac-sha256:") for value in values)
    assert values[0] != values[1]
    changed = json.loads(json.dumps(ENV))
    changed["variables"][1]["value"] = "tok-456"
    assert redacted("env_variables.json", changed, key="k1")["variables"][1]["value"] != values[1]
    text = json.dumps(one)
    for secret in ("tok-123", "https://dev.example.invalid"):
        assert secret not in text
        assert hashlib.sha256(secret.encode()).hexdigest()[:16] not in text


def test_placeholders_are_found():
    document = redacted("env_variables.json", ENV)
    assert contains_placeholder(document) and not contains_placeholder(ENV)
    assert placeholder_pointers(document) == ["/variables/0/value", "/variables/1/value", "/variables/1/port"]
    assert not is_placeholder("<redacted>") and not is_placeholder(5)


def test_find_unredacted(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "env_variables.json").write_text(json.dumps(redacted("env_variables.json", ENV)))
    (tmp_path / "flow_definition.json").write_text(json.dumps({"a": {"apiKey": "leaked"}, "b": {"token": PLACEHOLDER}}))
    (tmp_path / "sub" / "envVariables.json").write_text(json.dumps(ENV))
    (tmp_path / "sub" / "broken.json").write_text("{")
    (tmp_path / "notes.txt").write_text("password=x")
    (tmp_path / "link.json").symlink_to(tmp_path / "sub" / "envVariables.json")
    assert find_unredacted(str(tmp_path)) == [
        ("flow_definition.json", "/a/apiKey"), ("sub/broken.json", ""),
        ("sub/envVariables.json", "/variables/0/value"), ("sub/envVariables.json", "/variables/1/value"),
        ("sub/envVariables.json", "/variables/1/port")]
