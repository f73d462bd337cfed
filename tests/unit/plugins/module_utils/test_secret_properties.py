# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the secrets model over generated export documents (Hypothesis), not one fixture.

Real exports nest differently, name their keys differently and carry metadata our emulator never produces. So the
documents are generated: nodes with and without ids (named by ``name`` then), credentials in every shape the
classifier knows (URL tokens, webhook paths, header items, argument lists, weak key names, provider tokens) under
innocuous names and at any depth, plain config beside them, env members with metadata beside their variables or as
plain mappings, and the target's nodes in another order. Each environment holds its own credential values; the rest
is the same everywhere.

Invariants: no secret in the review tree; the fill keeps the target's values by identity; each refusal's
missing_values, given back verbatim, lets the fill through; plan = apply (against the emulator); no identity field of
a result is ever masked. The runs are derandomized and bounded (max_examples), so CI is deterministic and fast.
"""

import copy
import itertools
import json
import random
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import Classifier
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import MASK
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import identity_texts, shown_result
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import redacted, unredacted_pointers
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.fill import (
    FillSettings, SecretPlan, fill_document, wanted_env_document,
)
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_promotion import export, import_

CLASSIFIER = Classifier()
PROPERTIES = settings(max_examples=30, derandomize=True, database=None, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])
INNOCUOUS = ("config", "opts", "target", "endpoint", "conn", "params", "cmd", "extra", "spec", "misc", "x1", "data")
ENVS = ("dev", "staging", "prod")


def token(env, slot, seed):
    """A credential of env for one slot of a template: unique, long enough to be masked, mixed characters."""
    rnd = random.Random("%s/%s/%s" % (env, slot, seed))
    return "%s%s%s" % (env[:3], "".join(char for char in slot if char.isalnum())[-12:],
                       "".join(rnd.choice(string.ascii_letters + string.digits) for _index in range(12)))


# Each shape: (a function of the credential giving the value, the key it sits under or None for any innocuous key).
SHAPES = (
    (lambda secret: "https://notify.example.invalid/n?channel=ops&access_token=%s" % secret, None),
    (lambda secret: "https://hooks.slack.com/services/T01/B01/%s" % secret, None),
    (lambda secret: "postgres://svc:%s@db.example.invalid:5432/app" % secret, None),
    (lambda secret: "Bearer %s" % secret, None),
    (lambda secret: ["--user", "svc", "--password", secret], None),
    (lambda secret: [{"key": "X-Auth", "value": secret}, {"key": "Accept", "value": "application/json"}], None),
    (lambda secret: {"host": "smtp.example.invalid", "pass": secret}, None),
    (lambda secret: secret, "hmacKey"),
    (lambda secret: secret, "salt"),
    (lambda secret: "svc:%s!" % secret, "auth"),
    (lambda secret: secret, "clientSecret"),
    (lambda secret: "ghp_%sabcdefghij1234" % secret, None),
)
PLAIN = st.one_of(st.integers(-5, 5000), st.booleans(), st.sampled_from(
    ["https://api.example.invalid/v1/orders", "gpt-4o-mini", "eu-west-1", "select * from t", "{{env.BASE_URL}}/x"]))


@st.composite
def settings_template(draw, depth=0):
    """A node's settings as a template: {key: ("shape", index) | ("plain", value) | nested template}."""
    keys = draw(st.lists(st.sampled_from(INNOCUOUS), min_size=1, max_size=4, unique=True))
    template = {}
    for key in keys:
        kind = draw(st.sampled_from(["shape", "plain", "nested"] if depth < 2 else ["shape", "plain"]))
        if kind == "shape":
            index = draw(st.integers(0, len(SHAPES) - 1))
            template[SHAPES[index][1] or key] = ("shape", index)
        elif kind == "plain":
            template[key] = ("plain", draw(PLAIN))
        else:
            template[key] = draw(settings_template(depth + 1))  # pylint: disable=no-value-for-parameter
    return template


@st.composite
def flow_template(draw):
    """A flow's nodes as templates, each named by id or by name, and the order the target holds them in."""
    count = draw(st.integers(1, 4))
    names = ["node-%d" % index for index in range(count)]
    nodes = [(draw(st.sampled_from(["id", "name"])), name, draw(settings_template())) for name in names]  # pylint: disable=no-value-for-parameter
    order = draw(st.permutations(list(range(count))))
    return {"nodes": nodes, "meta": draw(st.dictionaries(st.sampled_from(["revision", "flowId", "label"]), PLAIN,
                                                         max_size=2)), "order": order, "seed": draw(st.integers(0, 99))}


def instantiate(template, env, seed, slot="s"):
    """The settings of one environment: each shape filled with env's credential."""
    settings_ = {}
    for key, spec in template.items():
        if isinstance(spec, dict):
            settings_[key] = instantiate(spec, env, seed, slot + key)
        elif spec[0] == "plain":
            settings_[key] = spec[1]
        else:
            settings_[key] = SHAPES[spec[1]][0](token(env, slot + key, seed))
    return settings_


def flow_of(template, env, ordered=False):
    nodes = [{field: name, "type": "apiNode", "settings": instantiate(tree, env, template["seed"], name)}
             for field, name, tree in template["nodes"]]
    if ordered:
        nodes = [nodes[index] for index in template["order"]]
    return dict(template["meta"], nodes=nodes)


def credentials(template, env):
    """Every credential of env in a flow made from template."""
    found = []

    def collect(tree, slot):
        for key, spec in tree.items():
            if isinstance(spec, dict):
                collect(spec, slot + key)
            elif spec[0] == "shape":
                found.append(token(env, slot + key, template["seed"]))

    for _field, name, tree in template["nodes"]:
        collect(tree, name)
    return found


def by_identity(flow):
    return {node.get("id") or node.get("name"): node for node in flow["nodes"]}


def plan_for(secret_values=None, env_variables=None):
    return SecretPlan("src x", FillSettings(CLASSIFIER), secret_values=secret_values, env_variables=env_variables)


@PROPERTIES
@given(flow_template())
def test_no_secret_in_the_review_tree(template):
    tree = redacted("flow_definition.json", flow_of(template, "dev"), CLASSIFIER)
    text = json.dumps(tree)
    assert not [secret for secret in credentials(template, "dev") if secret in text]
    assert unredacted_pointers("flow_definition.json", tree, CLASSIFIER) == []
    assert "https://notify.example.invalid/n?channel=ops" in text or "notify" not in json.dumps(flow_of(template, "dev"))


@PROPERTIES
@given(flow_template(), st.booleans())
def test_the_fill_keeps_the_targets_values_by_identity(template, from_tree):
    source = flow_of(template, "dev")
    if from_tree:
        source = redacted("flow_definition.json", source, CLASSIFIER)
    target = flow_of(template, "staging", ordered=True)
    plan = plan_for()
    filled = fill_document(plan, "flow", source, target)
    assert plan.refusals == []
    assert by_identity(filled) == by_identity(target)
    assert not [secret for secret in credentials(template, "dev") if secret in json.dumps(filled)]


@PROPERTIES
@given(flow_template(), st.data())
def test_each_refusal_given_back_verbatim_lets_the_fill_through(template, data):
    source = redacted("flow_definition.json", flow_of(template, "dev"), CLASSIFIER)
    target = flow_of(template, "staging", ordered=True)
    dropped = data.draw(st.sets(st.sampled_from([name for _field, name, _tree in template["nodes"]])))
    target["nodes"] = [node for node in target["nodes"] if (node.get("id") or node.get("name")) not in dropped]
    refused = plan_for()
    fill_document(refused, "flow", source, target)
    missing = list(dict.fromkeys(address for address, _reason in refused.refusals))
    given_values = {pointer: "prod-given-%d-value" % index for index, pointer in enumerate(missing)}
    accepted = plan_for(secret_values=given_values)
    filled = fill_document(accepted, "flow", source, target)
    assert accepted.refusals == [] and accepted.used == set(given_values)
    assert sorted(value for value in given_values.values() if value in json.dumps(filled)) == sorted(given_values.values())


@st.composite
def env_member(draw):
    """An env member: a variables list with metadata beside it (maybe under a wrapper), or a plain mapping."""
    names = draw(st.lists(st.sampled_from(["API_TOKEN", "BASE_URL", "REGION", "DB_PASS"]), min_size=1, unique=True))
    shape = draw(st.sampled_from(["list", "wrapped", "mapping"]))
    metadata = draw(st.dictionaries(st.sampled_from(["workflowId", "environment", "revision"]), PLAIN, max_size=3))
    return shape, names, metadata


def env_document(member, env):
    shape, names, metadata = member
    if shape == "mapping":
        return {name: "%s-%s-value" % (env, name) for name in names}
    variables = [{"key": name, "value": "%s-%s-value" % (env, name), "isSecured": True} for name in names]
    return dict(metadata, variables=variables) if shape == "list" else {"data": dict(metadata, variables=variables)}


@PROPERTIES
@given(env_member())
def test_metadata_is_never_asked_for_and_variables_given_back_verbatim_go_through(member):
    source = redacted("env_variables.json", env_document(member, "dev"), CLASSIFIER)
    refused = plan_for()
    wanted_env_document(refused, source, None)
    missing = list(dict.fromkeys(address for address, _reason in refused.refusals))
    assert missing == ["env/%s" % name for name in member[1]]
    accepted = plan_for(secret_values={pointer: "prod-" + pointer for pointer in missing})
    document = wanted_env_document(accepted, source, None)
    assert accepted.refusals == [] and "dev-" not in json.dumps(document)
    if member[0] != "mapping":
        assert {key: (document if member[0] == "list" else document["data"])[key] for key in member[2]} == member[2]


@PROPERTIES
@given(st.lists(st.sampled_from(["approval", "eu-west-1", "invoice", "s3cr3t-tok", "orders"]), min_size=1, max_size=3,
                unique=True), st.text(string.ascii_lowercase + "-", min_size=0, max_size=6))
def test_no_identity_field_is_ever_masked(secrets, affix):
    names = ["%s%s-%d" % (affix, secret, index) for index, secret in enumerate(secrets)]
    result = {"changed": True, "msg": "%d workflows: %s" % (len(names), ", ".join(secrets)), "results": [
        {"name": name, "workflow_id": "a-%s" % name, "source_digest": "d5ae1f" + name, "src": "/srv/%s/tree" % name,
         "missing_values": ["env/%s" % name], "msg": "imported %s with %s" % (name, secret)}
        for name, secret in zip(names, secrets)]}
    original = copy.deepcopy(result)
    shown = shown_result(result, secrets, identity_texts(result, {}))
    for before, after in zip(original["results"], shown["results"]):
        identity = [key for key in before if key != "msg"]
        assert {key: after[key] for key in identity} == {key: before[key] for key in identity}
        assert after["msg"] == "imported %s with %s" % (before["name"], MASK)
    assert not [secret for secret in secrets if secret in shown["msg"]]


NEW_IDS = itertools.count(1)
COMPARED = ("failed", "changed", "missing_values", "edited_values", "replaced_values", "members_changed", "source_digest")


@settings(max_examples=6, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow_template(), st.data())
def test_the_plan_is_the_apply(emulator_process, tmp_path_factory, template, data):
    """Against the emulator: the plan (check mode) returns what the run returns, refusals included."""
    workflow_id = "a-9%03d" % next(NEW_IDS)
    dropped = data.draw(st.sets(st.sampled_from([name for _field, name, _tree in template["nodes"]]), max_size=1))
    for env in ("dev", "staging"):
        emulator_process.put_workflow(env, workflow_id, flow_id="cf-" + workflow_id, name=workflow_id)
        flow = flow_of(template, env, ordered=env == "staging")
        flow["nodes"] = [node for node in flow["nodes"] if env == "dev" or (node.get("id") or node.get("name")) not in dropped]
        emulator_process.edit(env, workflow_id, "flow_definition.json", document=flow)
    source = export(emulator_process, "dev", tmp_path_factory.mktemp("plan"), [workflow_id])[workflow_id]["dest"]
    (plan,) = import_(emulator_process, "staging", check_mode=True, src=source, workflow_id=workflow_id)
    (applied,) = import_(emulator_process, "staging", src=source, workflow_id=workflow_id)
    assert {key: plan[key] for key in COMPARED} == {key: applied[key] for key in COMPARED}
    assert plan["msg"] == applied["msg"] if plan["failed"] else plan["msg"].startswith("check mode: would import")
    dropped_nodes = {"nodes": [node for node in template["nodes"] if node[1] in dropped], "seed": template["seed"]}
    assert plan["failed"] == bool(dropped and credentials(dropped_nodes, "dev"))
