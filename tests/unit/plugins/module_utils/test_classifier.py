# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_classifier and _secrets: the shapes credentials take in real exports, hidden alone, plain config kept readable."""

import json

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import Classifier
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import find_unredacted, redacted
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import PLACEHOLDER, leaves

CLASSIFIER = Classifier()
P = PLACEHOLDER


def settings(value):
    return {"nodes": [{"id": "n1", "settings": value}]}


def shown(value, classifier=CLASSIFIER):
    return redacted("flow_definition.json", settings(value), classifier)["nodes"][0]["settings"]


@pytest.mark.parametrize("value, expected", [
    ({"url": "https://h.example/notify?channel=ops&access_token=qt-1f495-dev"},
     {"url": "https://h.example/notify?channel=ops&access_token=" + P}),
    ({"url": "https://h.example/x#access_token=frag-token-1&state=s"}, {"url": "https://h.example/x#access_token=%s&state=s" % P}),
    ({"url": "https://hooks.slack.com/services/T0001/B0001/XXXXdevXXXX"}, {"url": "https://hooks.slack.com/services/" + P}),
    ({"url": "https://discord.com/api/webhooks/123/tok-dev?wait=true"}, {"url": "https://discord.com/api/webhooks/123/%s?wait=true" % P}),
    ({"url": "https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def"},
     {"url": "https://acme.webhook.office.com/webhookb2/" + P}),
    ({"url": "https://api.telegram.org/bot123:ABC-dev/sendMessage"}, {"url": "https://api.telegram.org/bot%s/sendMessage" % P}),
    ({"url": "https://fn.azurewebsites.net/api/run?code=azfn-key-dev"}, {"url": "https://fn.azurewebsites.net/api/run?code=" + P}),
    ({"dsnText": "postgres://svc:pw-dev-1@db.example:5432/x"}, {"dsnText": "postgres://svc:%s@db.example:5432/x" % P}),
    ({"smtp": {"host": "smtp.example", "port": 587, "pass": "hunter2-smtp"}},
     {"smtp": {"host": "smtp.example", "port": 587, "pass": P}}),
    ({"smtp.pass": "hunter2-smtp"}, {"smtp.pass": P}),
    ({"headers": [{"key": "X-Auth", "value": "hdr-dev"}, {"key": "Accept", "value": "application/json"}]},
     {"headers": [{"key": "X-Auth", "value": P}, {"key": "Accept", "value": "application/json"}]}),
    ({"headers": [{"headerName": "Authorization", "headerValue": "opaque-dev"}]},
     {"headers": [{"headerName": "Authorization", "headerValue": P}]}),
    ({"hmacKey": "hk-dev", "HMAC_SECRET": "x", "salt": "pepper-dev", "signingSecret": "ss"},
     {"hmacKey": P, "HMAC_SECRET": P, "salt": P, "signingSecret": P}),
    ({"auth": "svc:Pa55word!", "authType": "basic"}, {"auth": P, "authType": "basic"}),
    ({"auth": "oauth2", "auth_scheme": "bearer"}, {"auth": "oauth2", "auth_scheme": "bearer"}),
    ({"auth": {"type": "oauth2", "clientId": "crm", "clientSecret": "cs-dev"}},
     {"auth": {"type": "oauth2", "clientId": "crm", "clientSecret": P}}),
    ({"args": ["--user", "svc", "--password", "hunter2-dev", "-v"]}, {"args": ["--user", "svc", "--password", P, "-v"]}),
    ({"args": ["--api-key=ak-dev-123", "--region=eu"]}, {"args": ["--api-key=" + P, "--region=eu"]}),
    ({"conn": "Server=db;User Id=svc;Password=p4ss-dev;"}, {"conn": "Server=db;User Id=svc;Password=%s;" % P}),
    ({"note": "call with ghp_0123456789abcdefghijABCDEFGHIJ"}, {"note": P}),
    ({"fallbacks": ["sk-live-0123456789abcdefABCD", "plain"]}, {"fallbacks": [P, "plain"]}),
    ({"password": "{{env.DB_PASSWORD}}", "token": "${TOKEN}"}, {"password": "{{env.DB_PASSWORD}}", "token": "${TOKEN}"}),
    ({"url": "https://user@h.example/x", "tokenUrl": "https://auth.example/token", "maxTokens": 512, "saltRounds": 10},
     {"url": "https://user@h.example/x", "tokenUrl": "https://auth.example/token", "maxTokens": 512, "saltRounds": 10}),
])
def test_credentials_are_hidden_alone_and_plain_config_kept(value, expected):
    assert shown(value) == expected


def test_a_keyed_placeholder_of_a_part_stays_in_its_string_and_is_no_leak():
    flow = settings({"url": "https://h.example/n?access_token=tok-dev-1", "other": "https://h.example/n?access_token=tok-2"})
    tree = redacted("flow_definition.json", flow, CLASSIFIER, key="k")
    url = tree["nodes"][0]["settings"]["url"]
    assert url.startswith("https://h.example/n?access_token=<redacted:koreai:hmac-sha256:") and "tok-dev-1" not in url
    assert url != tree["nodes"][0]["settings"]["other"].replace("tok-2", "x")
    assert not [leaf for leaf in leaves("flow_definition.json", tree, CLASSIFIER)
                if any(not text.startswith("<redacted") for text in leaf.part_values().values())]


def test_pointers_name_values_by_identity_and_flags():
    flow = settings({"args": ["--password", "hunter2-dev", "--token=abcd1234"], "fallbacks": ["sk-live-0123456789abcdefABCD"],
                     "headers": [{"headerName": "X-Auth", "headerValue": "v-dev-123"}]})
    assert sorted(leaf.address for leaf in leaves("flow_definition.json", flow, CLASSIFIER)) == [
        "flow/nodes/n1/settings/args/--password", "flow/nodes/n1/settings/args/--token=",
        "flow/nodes/n1/settings/fallbacks/#0", "flow/nodes/n1/settings/headers/X-Auth/headerValue"]


def test_bare_secret_strings_in_a_list_are_redacted_and_found_in_a_tree(tmp_path):
    flow = settings({"fallbacks": ["xoxb-123456789-abcdefgh", "plain", "AKIAIOSFODNN7EXAMPLE"]})
    assert shown(flow["nodes"][0]["settings"]) == {"fallbacks": [P, "plain", P]}
    (tmp_path / "flow_definition.json").write_text(json.dumps(flow))
    assert find_unredacted(str(tmp_path), CLASSIFIER) == [("flow_definition.json", "/nodes/0/settings/fallbacks/0"),
                                                          ("flow_definition.json", "/nodes/0/settings/fallbacks/2")]


@pytest.mark.parametrize("env, expected", [
    ({"workflowId": "a-1", "environment": "dev", "revision": 3, "names": ["x"],
      "variables": [{"key": "API_TOKEN", "value": "tok", "isSecured": True}, {"key": "REGION", "value": "eu"}]},
     {"workflowId": "a-1", "environment": "dev", "revision": 3, "names": ["x"],
      "variables": [{"key": "API_TOKEN", "value": P, "isSecured": True}, {"key": "REGION", "value": P}]}),
    ({"data": {"meta": {"env": "dev"}, "vars": {"A": "1", "B": 2}}, "name": "x"},
     {"data": {"meta": {"env": "dev"}, "vars": {"A": P, "B": P}}, "name": "x"}),
    ({"A": "1", "name": "plain mapping entry"}, {"A": P, "name": P}),
    ([{"name": "A", "value": "1"}, "B=2"], [{"name": "A", "value": P}, P]),
    ({"environment": "dev", "variables": [], "apiToken": "meta-token"},
     {"environment": "dev", "variables": [], "apiToken": P}),
])
def test_the_env_member_owns_its_variables_and_judges_its_metadata_as_any_value(env, expected):
    assert redacted("env_variables.json", env, CLASSIFIER) == expected


def test_variables_are_addressed_by_name_and_metadata_beside_them():
    env = {"environment": "dev", "apiToken": "meta-token",
           "variables": [{"key": "API_TOKEN", "value": "t", "isSecured": True}, {"name": "REGION", "value": "eu"}]}
    found = {(leaf.address, leaf.kind) for leaf in leaves("env_variables.json", env, CLASSIFIER, plain=True)}
    assert found == {("env-metadata/environment", "plain"), ("env-metadata/apiToken", "secret"),
                     ("env/API_TOKEN", "secret"), ("env/API_TOKEN/key", "plain"), ("env/API_TOKEN/isSecured", "plain"),
                     ("env/REGION", "secret"), ("env/REGION/name", "plain")}
