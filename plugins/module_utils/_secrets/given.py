# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the values a task gives for its environment, read and registered.

``secret_values`` is a mapping of pointer to value (``flow/...``, ``app/...``, ``env-metadata/...``, and
``env/<NAME>`` for an environment variable); ``env_variables`` the env member's document, its JSON text, or a
mapping of variable name to value. Both are checked before any request, and every value given is registered for
the exit path's scrub before anything can fail.
"""

import copy

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import normalised_key
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import MASK, credential_piece
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import (
    ENV_METADATA, VARIABLE_NAME_KEYS, is_placeholder, unescape_pointer_segment, variable_name,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.structured import NotJson, json_or_data

POINTER_PREFIXES = ("flow", "app", ENV_METADATA)
ENV_SHAPES = ('the member\'s document ({"variables": [{"key": "NAME", "value": "VALUE"}, ...]}), its JSON text, '
              'or a mapping of variable name to value ({"NAME": "VALUE"})')
POINTER_EXAMPLE = "{'flow/nodes/crm-1/settings/password': '...', 'env/API_TOKEN': '...'}"
MIN_SCRUBBED_LENGTH = 6  # shorter values are not registered for scrubbing: masking them would hide words, not secrets
MASKS = (MASK, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")  # what output shows instead of a value: never a value itself


class SecretsRefused(KoreaiError):
    """A workflow whose secrets cannot all be given a value for this environment."""


def remember_secret(known, value, min_length=MIN_SCRUBBED_LENGTH):
    """Add value's strings (those of a dict or list too) of at least min_length characters to known; of a text with
    spaces, the pieces that look like credentials (the token of ``Bearer ...``, the lines of a PEM block)."""
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
        known.update(piece for piece in text.split() if credential_piece(piece))


def without_names(item):
    return {key: value for key, value in item.items() if normalised_key(key) not in VARIABLE_NAME_KEYS} \
        if isinstance(item, dict) else item


def remember_given(known, secret_values, env_variables):
    """Register the values a task gives (a mapping, a document or its JSON text) before anything can fail."""
    for value in (secret_values, env_variables):
        try:
            value = json_or_data(value, "")
        except NotJson:
            pass  # text that is not JSON is remembered as it is
        if isinstance(value, dict) and isinstance(value.get("variables"), list):
            value = [without_names(entry) for entry in value["variables"]]
        remember_secret(known, value)


# --- the given values ---------------------------------------------------------------------------------------------


def refuse_masked(value, option):
    """A SecretsRefused for a given value holding a mask (copied from a task's output): it is no value."""
    texts = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    for text in texts:
        if isinstance(text, (dict, list)):
            refuse_masked(text, option)
        elif isinstance(text, str) and any(mask in text for mask in MASKS):
            raise SecretsRefused("%s holds %s, what output shows instead of a value, not a value: give the value itself"
                                 % (option, next(mask for mask in MASKS if mask in text)))


def _data(value, option):
    try:
        return json_or_data(value, option)
    except NotJson as exc:
        raise SecretsRefused("%s; give %s" % (exc, ENV_SHAPES if option.endswith("env_variables") else
                                              "a mapping of pointer to value, such as " + POINTER_EXAMPLE))


def _env_item(pointer, parts, item, option):
    if len(parts) != 2 or not parts[1]:
        raise SecretsRefused("%s: the pointer %r names no variable: an environment variable is env/<NAME>, such as "
                             "'env/API_TOKEN'" % (option, pointer))
    name = unescape_pointer_segment(parts[1])
    if isinstance(item, dict):
        return dict(without_names(item), key=name)
    return {"key": name, "value": item}


def parse_secret_values(value, option):
    """({pointer prefix: {pointer: (segments, value)}}, [variable item given by env/<NAME>]) from secret_values; a
    SecretsRefused names a bad entry."""
    if value is None or value == "":
        return {}, []
    value = _data(value, option)
    if not isinstance(value, dict):
        raise SecretsRefused("%s must be a mapping of pointer to value, such as %s" % (option, POINTER_EXAMPLE))
    given, variables = {}, []
    for pointer, item in value.items():
        parts = str(pointer).strip("/").split("/")
        if item is None:
            raise SecretsRefused("%s[%r] is null; give the value for this environment" % (option, str(pointer)))
        refuse_masked(item, "%s[%r]" % (option, str(pointer)))
        if parts[0] == "env":
            variables.append(_env_item(str(pointer), parts, item, option))
        elif parts[0] in POINTER_PREFIXES and len(parts) > 1:
            given.setdefault(parts[0], {})[str(pointer)] = ([unescape_pointer_segment(part) for part in parts[1:]], item)
        else:
            raise SecretsRefused("%s: the pointer %r must start with flow/, app/, env/ or %s/, then the path of the value, "
                                 "each list item named by its id, key or name, e.g. 'flow/nodes/crm-1/settings/password'"
                                 " or 'env/API_TOKEN'" % (option, str(pointer), ENV_METADATA))
    return given, variables


def _env_items(document, option):
    variables = document.get("variables")
    if not isinstance(variables, list) or not all(isinstance(item, dict) and variable_name(item) for item in variables):
        raise SecretsRefused("%s: every item of variables must be a dict with a key (or name); give %s" % (option, ENV_SHAPES))
    return variables


def parse_env_variables(value, option):
    """[variable item] from env_variables in any of its accepted forms; None when not given."""
    if value is None or value == "":
        return None
    value = _data(value, option)
    refuse_masked(value, option)
    if isinstance(value, dict) and "variables" in value:
        return copy.deepcopy(_env_items(value, option))
    if isinstance(value, dict) and value and all(not isinstance(item, (dict, list)) for item in value.values()):
        return [{"key": str(name), "value": item} for name, item in value.items()]
    kind = "a dict without variables" if isinstance(value, dict) else "a %s" % type(value).__name__
    raise SecretsRefused("%s must be %s; got %s" % (option, ENV_SHAPES, kind))


def merged_variables(from_option, from_pointers, prefix):
    """The variables given in env_variables and as env/<NAME> in secret_values; one given twice differently is
    refused. None when neither gives any."""
    if from_option is None and not from_pointers:
        return None
    merged = {variable_name(item): item for item in from_option or ()}
    for item in from_pointers:
        name = variable_name(item)
        if name in merged and without_names(merged[name]) != without_names(item):
            raise SecretsRefused("env/%s is given in both %ssecret_values and %senv_variables, with different values; "
                                 "give it once" % (name, prefix, prefix))
        merged[name] = item
    return list(merged.values())
