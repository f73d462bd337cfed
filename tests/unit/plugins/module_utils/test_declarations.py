# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_secrets_file's pointer patterns, _structured's one reading of data or JSON text, and what signs a download URL."""

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import Classifier, classifier_from_params
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.downloads import signing_values
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import redacted
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import PLACEHOLDER
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.declarations import (
    NOT_SECRET, OWNED, Declarations, load_declarations,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.structured import NotJson, json_or_data


@pytest.mark.parametrize("pattern, address, expected", [
    ("flow/nodes/*/settings/webhookUrl", "flow/nodes/crm-1/settings/webhookUrl", True),
    ("flow/nodes/*/settings/webhookUrl", "flow/nodes/crm-1/settings/url", False),
    ("flow/nodes/crm-*", "flow/nodes/crm-1/settings/a/b", True),  # a parent names what is below it
    ("flow/**/password", "flow/nodes/x/deep/er/password", True),
    ("flow/**/password", "flow/password", True),
    ("flow/**/password", "app/password", False),
    ("env/REGION", "env/REGION", True),
    ("env/REGION", "env/REGIONS", False),
])
def test_patterns_match_a_pointer_or_its_parents(pattern, address, expected):
    assert (Declarations(owned=[pattern]).verdict(address) == OWNED) is expected


def test_environment_owned_wins_over_not_secret():
    declared = Declarations(owned=["flow/a/*"], not_secret=["flow/a/b", "flow/c"])
    assert [declared.verdict(address) for address in ("flow/a/b", "flow/c", "flow/d")] == [OWNED, NOT_SECRET, None]


def test_a_secrets_file_extends_the_options_lists(tmp_path):
    path = tmp_path / "secrets.yml"
    path.write_text("secret_keys: [tenant]\nnot_secret_keys: [apiKey]\nnot_secret: [flow/x/password]\n")
    classifier = classifier_from_params({"secret_keys": ["other"], "secrets_file": str(path)})
    shown = redacted("flow_definition.json", {"x": {"password": "p4ss-1", "tenant": "acme", "other": "o", "apiKey": "k"}},
                     classifier)
    assert shown == {"x": {"password": "p4ss-1", "tenant": PLACEHOLDER, "other": PLACEHOLDER, "apiKey": "k"}}
    assert load_declarations(None).verdict("flow/x") is None and load_declarations("").owned == ()


def test_an_empty_secrets_file_declares_nothing(tmp_path):
    (tmp_path / "empty.yml").write_text("# nothing declared yet\n")
    assert load_declarations(str(tmp_path / "empty.yml")).verdict("flow/x") is None
    assert Classifier(declarations=load_declarations(str(tmp_path / "empty.yml"))).declared("flow/x") is None


@pytest.mark.parametrize("value, expected", [
    ({"a": 1}, {"a": 1}), ([1], [1]), (' {"a": 1}', {"a": 1}), ("[1, 2]", [1, 2]), ("plain text", "plain text"), (5, 5),
    (None, None),
])
def test_json_or_data_reads_json_text_and_leaves_data(value, expected):
    assert json_or_data(value, "opt") == expected


@pytest.mark.parametrize("value, reason", [("{not json", "Expecting property name"), ("[" * 100000, "it nests too deeply")])
def test_json_or_data_names_the_option_of_text_that_is_not_json(value, reason):
    with pytest.raises(NotJson) as refused:
        json_or_data(value, "workflows[2].env_variables")
    assert str(refused.value).startswith("workflows[2].env_variables is not valid JSON (") and reason in str(refused.value)


def test_what_signs_a_download_url_is_its_query_values_and_userinfo():
    url = "https://u:pw-123456@store.example/x?X-Amz-Signature=sig-0123456789&X-Amz-Expires=600#frag=abcdefgh"
    assert set(signing_values(url)) == {"u:pw-123456", "sig-0123456789", "abcdefgh",
                                        "X-Amz-Signature=sig-0123456789&X-Amz-Expires=600"}
