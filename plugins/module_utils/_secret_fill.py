# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the secrets of a promotion come from the target, whatever the source.

For every value the classifier calls secret in the members to import, the value is, in this order:
what the user gives for this environment (``env_variables`` per variable, ``secret_values`` per
pointer), else the target's current value at the same identity (list items matched by ``id``,
``key`` or ``name``, never by position), else the workflow is refused, naming the pointer and the
option that sets it. The source's own value is used only with ``carry_source_secrets``.

A pointer is ``<member>/<path>``: the member (``flow`` or ``app``), then the keys down to the value,
each list item named by its id, key or name (``#<index>`` for an item with none), ``/`` and ``~``
escaped as in a JSON pointer, for example ``flow/nodes/crm-1/settings/auth/password``.
"""

import copy
import json

from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets import (
    IDENTITY_FIELDS, Unmatched, is_placeholder, member_role, value_at_identity, walk_secrets,
)

POINTER_ROLES = ("flow", "app")
ENV_SHAPES = ('the member\'s document ({"variables": [{"key": "NAME", "value": "VALUE"}, ...]}), its JSON text, '
              'or a mapping of variable name to value ({"NAME": "VALUE"})')
CARRIED_SHOWN = 5  # carried values named in a warning
MIN_SCRUBBED_LENGTH = 6


class SecretsRefused(KoreaiError):
    """A workflow whose secrets cannot all be given a value for this environment."""


class SecretPlan:
    """What one workflow's fill needs: values given by pointer and by variable, the options, the run's registry."""

    def __init__(self, where, option_prefix="", secret_values=None, env_variables=None, carry_source=False,
                 classifier=None, known=None):
        self.where = where
        self.option_prefix = option_prefix
        self.given_by_pointer = parse_secret_values(secret_values, option_prefix + "secret_values")
        self.given_variables = parse_env_variables(env_variables, option_prefix + "env_variables")
        self.carry_source = carry_source
        self.classifier = classifier
        self.known = known if known is not None else set()
        self.used = set()
        self.carried = []
        self.refusals = []

    def remember(self, value):
        """Add a secret value (and its scalar parts) to the run's registry, for the exit path's scrub."""
        remember_secret(self.known, value)


def remember_secret(known, value, min_length=MIN_SCRUBBED_LENGTH):
    """Add value's strings (those of a dict or list too) of at least min_length characters to known."""
    if isinstance(value, dict):
        for item in value.values():
            remember_secret(known, item, min_length)
    elif isinstance(value, list):
        for item in value:
            remember_secret(known, item, min_length)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and not is_placeholder(value):
        text = str(value)
        if not any(char.isspace() for char in text):
            if len(text) >= min_length:
                known.add(text)
            return
        for piece in text.split():  # the credential of "Bearer ...", the lines of a PEM block; not plain words
            if len(piece) >= 16 or (len(piece) >= 8 and any(not char.isalpha() for char in piece)):
                known.add(piece)


def remember_given(known, secret_values, env_variables):
    """Register the values a task gives (a mapping, a document or its JSON text) before anything can fail."""
    for value in (secret_values, env_variables):
        try:
            value = json_or_data(value)
        except ValueError:
            pass  # text that is not JSON is remembered as it is
        if isinstance(value, dict) and isinstance(value.get("variables"), list):
            value = [{key: item for key, item in entry.items() if key not in ("key", "name")} if isinstance(entry, dict)
                     else entry for entry in value["variables"]]
        remember_secret(known, value, min_length=4)


def json_or_data(value):
    """The data of value when it is JSON text (as a lookup returns it), else value itself; a ValueError for text that
    is not JSON, or nests too deeply to parse."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except RecursionError as exc:
        raise ValueError(str(exc))


def _unescape(segment):
    return segment.replace("~1", "/").replace("~0", "~")


def parse_secret_values(value, option):
    """{role: {pointer: (segments, value)}} from the secret_values option; a SecretsRefused names a bad entry."""
    if value is None or value == "":
        return {}
    try:
        value = json_or_data(value)
    except ValueError:
        value = None  # refused below, as any value that is not a mapping
    if not isinstance(value, dict):
        raise SecretsRefused("%s must be a mapping of pointer to value, such as {'flow/nodes/crm-1/settings/password': "
                             "'...'}" % option)
    given = {}
    for pointer, item in value.items():
        parts = str(pointer).strip("/").split("/")
        if parts[0] not in POINTER_ROLES or len(parts) < 2:
            hint = " (environment variables are set by env_variables)" if parts[0] == "env" else ""
            raise SecretsRefused("%s: the pointer %r must start with flow/ or app/, then the path of the value, each list "
                                 "item named by its id, key or name, e.g. 'flow/nodes/crm-1/settings/password'%s" % (
                                     option, str(pointer), hint))
        if item is None:
            raise SecretsRefused("%s[%r] is null; give the value for this environment" % (option, str(pointer)))
        given.setdefault(parts[0], {})[str(pointer)] = ([_unescape(part) for part in parts[1:]], item)
    return given


def _env_items(document, option):
    variables = document.get("variables")
    if not isinstance(variables, list) or not all(isinstance(item, dict) and _variable_name(item) for item in variables):
        raise SecretsRefused("%s: every item of variables must be a dict with a key (or name); give %s" % (option, ENV_SHAPES))
    return variables


def parse_env_variables(value, option):
    """[variable item] from env_variables in any of its accepted forms; None when not given."""
    if value is None or value == "":
        return None
    try:
        value = json_or_data(value)
    except ValueError as exc:
        raise SecretsRefused("%s is not valid JSON (%s); give %s" % (option, exc, ENV_SHAPES))
    if isinstance(value, dict) and "variables" in value:
        return copy.deepcopy(_env_items(value, option))
    if isinstance(value, dict) and value and all(not isinstance(item, (dict, list)) for item in value.values()):
        return [{"key": str(name), "value": item} for name, item in value.items()]
    kind = "a dict without variables" if isinstance(value, dict) else "a %s" % type(value).__name__
    raise SecretsRefused("%s must be %s; got %s" % (option, ENV_SHAPES, kind))


def _variable_name(item):
    for field in ("key", "name"):
        if isinstance(item.get(field), str) and item[field]:
            return field, item[field]
    return None


def _segment_matches(segment, step):
    if step[0] == "key":
        return segment == str(step[1])
    item = step[3]
    if segment == "#%d" % step[1]:
        return True
    return isinstance(item, dict) and any(segment == str(item.get(field)) for field in IDENTITY_FIELDS
                                          if item.get(field) not in (None, ""))


def _given_for(plan, role, steps):
    for pointer, (segments, value) in plan.given_by_pointer.get(role, {}).items():
        if len(segments) == len(steps) and all(_segment_matches(seg, step) for seg, step in zip(segments, steps)):
            plan.used.add(pointer)
            return value
    return None


def _describe(role, leaf):
    if role == "env":
        return "environment variable %s" % leaf.identity.split("/")[1] if leaf.identity.startswith("variables/") \
            else "the environment variables value at %s" % leaf.identity
    return "%s/%s" % (role, leaf.identity)


def _given_variable(plan, leaf):
    if not plan.given_variables or len(leaf.steps) < 2 or leaf.steps[1][0] != "item" or not isinstance(leaf.steps[1][3], dict):
        return False
    named = _variable_name(leaf.steps[1][3])
    return named is not None and named[1] in {_variable_name(item)[1] for item in plan.given_variables}


def _resolve(plan, role, target, leaf):
    if role == "env" and _given_variable(plan, leaf):
        return leaf.value
    given = _given_for(plan, role, leaf.steps) if role != "env" else None
    if given is not None:
        plan.remember(given)
        return given
    if plan.carry_source and not is_placeholder(leaf.value):
        plan.carried.append(_describe(role, leaf))
        return leaf.value
    reason = "the target has no value at the same identity"
    if target is not None:
        try:
            found = value_at_identity(target, leaf.steps)
            if not is_placeholder(found):
                plan.remember(found)
                return found
        except Unmatched as exc:
            reason = "the target has none at the same identity" if str(exc) == "absent" else str(exc)
    else:
        reason = "there is no target workflow to keep it from"
    plan.refusals.append((role, _describe(role, leaf), reason))
    return leaf.value


def fill_document(plan, role, name, document, target):
    """A copy of document with each secret resolved; refusals are collected in plan (see raise_refusals)."""
    def resolve(leaf):
        plan.remember(leaf.value)
        return _resolve(plan, role, target, leaf)

    return walk_secrets(document, member_role(name) == "env", resolve, plan.classifier)


def _variables_of(document):
    if isinstance(document, dict) and isinstance(document.get("variables"), list):
        return document["variables"]
    return None


def _with_given(old, given):
    """The variable item given, in the shape of the item it replaces (its name field, its flags)."""
    field, name = _variable_name(given)
    old_field = (_variable_name(old) or (field, name))[0] if isinstance(old, dict) else field
    merged = {key: value for key, value in (old or {}).items() if isinstance(value, bool) or value is None}
    merged.update({key: value for key, value in given.items() if key != field})
    merged[old_field] = name
    return merged


def _env_base(plan, source_doc, target_doc):
    if _variables_of(source_doc):
        return copy.deepcopy(source_doc)
    if target_doc is not None:
        return copy.deepcopy(target_doc)  # the source names no variable: the target keeps its own
    if source_doc is not None:
        return copy.deepcopy(source_doc)
    return {"variables": []} if plan.given_variables else None


def wanted_env_document(plan, name, source_doc, target_doc):
    """The environment variables to import: the source's variables (plus those given, plus the target's others),
    each value given in env_variables, else the target's for the same variable, else refused."""
    base = _env_base(plan, source_doc, target_doc)
    if base is None:
        return None
    items = _variables_of(base)
    if plan.given_variables and items is None:
        raise SecretsRefused("%s: env_variables cannot be applied: the environment variables member has no variables list"
                             % plan.where)
    if items is not None:
        index = {(_variable_name(item) or (None, None))[1]: position for position, item in enumerate(items)
                 if isinstance(item, dict)}
        for given in plan.given_variables or []:
            given_name = _variable_name(given)[1]
            if given_name in index:
                items[index[given_name]] = _with_given(items[index[given_name]], given)
            else:
                index[given_name] = len(items)
                items.append(_with_given(None, given))
        for kept in _variables_of(target_doc) or []:
            kept_name = (_variable_name(kept) or (None, None))[1] if isinstance(kept, dict) else None
            if kept_name is not None and kept_name not in index:
                index[kept_name] = len(items)
                items.append(copy.deepcopy(kept))
    for given in plan.given_variables or []:
        plan.remember(given)
    return fill_document(plan, "env", name, base, target_doc)


def _variables_problem(plan, variables):
    plural = len(variables) > 1
    return "environment variable%s %s %s no value for this environment (neither given nor on the target): give %s in " \
        "%senv_variables" % ("s" if plural else "", ", ".join(variables), "have" if plural else "has",
                             "them" if plural else "it", plan.option_prefix)


def _pointers_problem(plan, reason, pointers):
    plural = len(pointers) > 1
    return "no value for this environment at %s (%s): give %s in %ssecret_values, keyed by %s" % (
        ", ".join(pointers), reason, "them" if plural else "it", plan.option_prefix, "these pointers" if plural else "this pointer")


def raise_refusals(plan):
    """Refuse the workflow when a secret has no value or a given pointer matched nothing."""
    prefix = "environment variable "
    variables = [pointer[len(prefix):] for role, pointer, _reason in plan.refusals
                 if role == "env" and pointer.startswith(prefix)]
    problems = [_variables_problem(plan, variables)] if variables else []
    reasons = {}
    for role, pointer, reason in plan.refusals:
        if not (role == "env" and pointer.startswith(prefix)):
            reasons.setdefault(reason, []).append(pointer)
    problems.extend(_pointers_problem(plan, reason, pointers) for reason, pointers in reasons.items())
    unused = sorted(pointer for role in plan.given_by_pointer.values() for pointer in role if pointer not in plan.used)
    problems.extend("%ssecret_values[%r] matches no secret value of the source: a pointer is <member>/<path>, each list "
                    "item named by its id, key or name (e.g. 'flow/nodes/crm-1/settings/password'); add a key the "
                    "classifier misses to secret_keys" % (plan.option_prefix, pointer) for pointer in unused)
    if problems:
        raise SecretsRefused("%s: refusing to import: %s; the source's own secret values are never carried unless "
                             "carry_source_secrets=true" % (plan.where, "; ".join(problems)))


def carried_warning(plan):
    """A warning naming the secrets carried from the source (carry_source_secrets), or None."""
    if not plan.carried:
        return None
    shown = ", ".join(plan.carried[:CARRIED_SHOWN]) + (" and %d more" % (len(plan.carried) - CARRIED_SHOWN)
                                                       if len(plan.carried) > CARRIED_SHOWN else "")
    return "%s: carry_source_secrets=true: the source's own values were kept for %s" % (plan.where, shown)
