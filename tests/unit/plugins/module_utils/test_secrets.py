# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_secrets: member roles by normalised name, secret keys, diff masking, redaction and the tree check."""

import hashlib
import json

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import (
    HIDDEN, HIDDEN_CHANGED, find_unredacted, masked_for_diff, placeholder_pointers, redacted,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import Classifier, ClassifierError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import PLACEHOLDER, is_placeholder, member_role

CLASSIFIER = Classifier()

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
    assert CLASSIFIER.key_is_secret(key)


@pytest.mark.parametrize("key", ["key", "name", "tokenUrl", "secretName", "url", "description", "passwordPolicy"])
def test_names_no_secret(key):
    assert not CLASSIFIER.key_is_secret(key)


def test_masked_for_diff_marks_changed_values_by_comparison():
    after = json.loads(json.dumps(ENV))
    after["variables"][1]["value"] = "tok-456"
    before_shown, after_shown = masked_for_diff("envVariables.json", ENV, after, CLASSIFIER)
    assert [item["value"] for item in before_shown["variables"]] == [HIDDEN, HIDDEN]
    assert [item["value"] for item in after_shown["variables"]] == [HIDDEN, HIDDEN_CHANGED]
    assert [item["key"] for item in after_shown["variables"]] == ["BASE_URL", "API_TOKEN"]
    assert after_shown["variables"][1]["isSecured"] is True
    assert masked_for_diff("flow.json", None, {"token": "t"}, CLASSIFIER) == (None, {"token": HIDDEN_CHANGED})


def test_redacted_keeps_names_and_structure():
    document = redacted("env_variables.json", ENV, CLASSIFIER)
    assert document == {"variables": [
        {"key": "BASE_URL", "value": PLACEHOLDER, "isSecured": False},
        {"key": "API_TOKEN", "value": PLACEHOLDER, "isSecured": True, "port": PLACEHOLDER}]}
    flow = redacted("flow_definition.json", {"nodes": [{"settings": {"url": "u", "auth": {"password": "p"},
                                                                     "credentials": {"user": "u", "pin": 1}}}]},
                    CLASSIFIER)
    assert flow == {"nodes": [{"settings": {"url": "u", "auth": {"password": PLACEHOLDER}, "credentials": PLACEHOLDER}}]}


def test_keyed_placeholders_show_changes_without_revealing_values():
    one = redacted("env_variables.json", ENV, CLASSIFIER, key="k1")
    again = redacted("env_variables.json", ENV, CLASSIFIER, key=b"k1")
    other_key = redacted("env_variables.json", ENV, CLASSIFIER, key="k2")
    assert one == again != other_key
    values = [item["value"] for item in one["variables"]]
    assert all(is_placeholder(value) and value.startswith("<redacted:koreai:hmac-sha256:") for value in values)
    assert values[0] != values[1]
    changed = json.loads(json.dumps(ENV))
    changed["variables"][1]["value"] = "tok-456"
    assert redacted("env_variables.json", changed, CLASSIFIER, key="k1")["variables"][1]["value"] != values[1]
    text = json.dumps(one)
    for secret in ("tok-123", "https://dev.example.invalid"):
        assert secret not in text
        assert hashlib.sha256(secret.encode()).hexdigest()[:16] not in text


def test_placeholders_are_found():
    document = redacted("env_variables.json", ENV, CLASSIFIER)
    assert placeholder_pointers(document) and not placeholder_pointers(ENV)
    assert placeholder_pointers(document) == ["/variables/0/value", "/variables/1/value", "/variables/1/port"]
    assert not is_placeholder("<redacted>") and not is_placeholder(5)


def test_find_unredacted(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "env_variables.json").write_text(json.dumps(redacted("env_variables.json", ENV, CLASSIFIER)))
    (tmp_path / "flow_definition.json").write_text(json.dumps({"a": {"apiKey": "leaked"}, "b": {"token": PLACEHOLDER}}))
    (tmp_path / "sub" / "envVariables.json").write_text(json.dumps(ENV))
    (tmp_path / "sub" / "broken.json").write_text("{")
    (tmp_path / "notes.txt").write_text("password=x")
    (tmp_path / "link.json").symlink_to(tmp_path / "sub" / "envVariables.json")
    assert find_unredacted(str(tmp_path), CLASSIFIER) == [
        ("flow_definition.json", "/a/apiKey"), ("sub/broken.json", ""),
        ("sub/envVariables.json", "/variables/0/value"), ("sub/envVariables.json", "/variables/1/value"),
        ("sub/envVariables.json", "/variables/1/port")]


@pytest.mark.parametrize("key", ["pwd", "passphrase", "secretAccessKey", "privateKeyPem", "clientSecretValue", "Cookie",
                                 "Set-Cookie", "dsn", "connectionString", "db.connection_string", "accessKeyId",
                                 "authorization", "credentialsJson", "sessionToken", "signingKey"])
def test_the_classifier_knows_more_secret_keys(key):
    assert CLASSIFIER.key_is_secret(key)


@pytest.mark.parametrize("key", ["maxTokens", "tokenLimit", "tokenType", "promptTokens", "cookieName", "apiKeyHeader",
                                 "username", "clientId", "model", "region"])
def test_the_classifier_keeps_keys_about_secrets_readable(key):
    assert not CLASSIFIER.key_is_secret(key)


@pytest.mark.parametrize("value", [
    "Bearer abc.def-123456", "basic dXNlcjpwYXNzd29yZA==", "Token 0123456789abcdef", "session=0123456789abcdef; Path=/",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
    "sk-proj-0123456789abcdefABCDEF", "ghp_0123456789abcdefghijABCDEFGHIJ", "xoxb-123456789-abcdefgh", "AKIAIOSFODNN7EXAMPLE",
    "kg-1234abcd-5678"])
def test_the_classifier_knows_secret_shapes(value):
    assert CLASSIFIER.value_is_secret(value)


@pytest.mark.parametrize("value", [
    "https://api.example.invalid/v1/orders?limit=5", "https://user@host.example.invalid/", "{{env.BASE_URL}}/orders",
    "a-0001", "gpt-4o-mini", "Bearer token", "select * from orders", "application/json", "cf-0001", "risk-assessment"])
def test_the_classifier_does_not_over_redact(value):
    assert not CLASSIFIER.value_is_secret(value)


def test_redaction_by_key_shape_and_header_item_keeps_plain_config():
    flow = {"nodes": [{"id": "n1", "settings": {
        "url": "https://crm.example.invalid/api", "maxTokens": 512, "tokens": 7, "tokenUrl": "https://auth.example.invalid/t",
        "headers": [{"key": "Authorization", "value": "opaque"}, {"name": "X-Trace", "value": "on"},
                    {"header": "Cookie", "value": "c"}],
        "note": "postgres://u:pw@db/x", "plain": "postgres://db/x", "pwd": "p", "enabled": True}}]}
    settings = redacted("flow_definition.json", flow, CLASSIFIER)["nodes"][0]["settings"]
    assert settings["headers"] == [{"key": "Authorization", "value": PLACEHOLDER}, {"name": "X-Trace", "value": "on"},
                                   {"header": "Cookie", "value": PLACEHOLDER}]
    assert (settings["note"], settings["pwd"]) == ("postgres://u:%s@db/x" % PLACEHOLDER, PLACEHOLDER)
    kept = ("url", "maxTokens", "tokens", "tokenUrl", "plain", "enabled")
    assert {key: settings[key] for key in kept} == {key: flow["nodes"][0]["settings"][key] for key in kept}


def test_users_extend_and_narrow_the_classifier():
    classifier = Classifier(secret_keys=["*pin*", "tenant"], not_secret_keys=["sessionToken"],
                            secret_value_patterns=[r"^myco_[0-9a-f]{8}$"])
    document = {"userPin": "1234", "tenant": "acme", "sessionToken": "opaque", "ref": "myco_0123abcd", "other": "x",
                "shaped": {"sessionToken": "Bearer 0123456789"}}
    shown = redacted("app_definition.json", document, classifier)
    assert shown == {"userPin": PLACEHOLDER, "tenant": PLACEHOLDER, "sessionToken": "opaque", "ref": PLACEHOLDER,
                     "other": "x", "shaped": {"sessionToken": PLACEHOLDER}}
    with pytest.raises(ClassifierError, match=r"secret_value_patterns\[1\] is not a valid regular expression"):
        Classifier(secret_value_patterns=["ok", "("])


def test_masked_for_diff_matches_by_identity_not_position():
    before = {"nodes": [{"id": "a", "password": "pa"}, {"id": "b", "password": "pb"}]}
    after = {"nodes": [{"id": "new", "password": "pn"}, {"id": "b", "password": "pb"}, {"id": "a", "password": "pa2"}]}
    _shown_before, shown_after = masked_for_diff("flow_definition.json", before, after, CLASSIFIER)
    assert [node["password"] for node in shown_after["nodes"]] == [HIDDEN_CHANGED, HIDDEN, HIDDEN_CHANGED]


def test_find_unredacted_uses_the_classifier(tmp_path):
    (tmp_path / "flow_definition.json").write_text(json.dumps(
        {"headers": [{"key": "Authorization", "value": "opaque"}], "dsn": PLACEHOLDER, "url": "https://x.invalid"}))
    assert find_unredacted(str(tmp_path), CLASSIFIER) == [("flow_definition.json", "/headers/0/value")]
    assert find_unredacted(str(tmp_path), Classifier(not_secret_keys=["authorization"])) == []
