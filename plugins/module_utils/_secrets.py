# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: which values of an export are secrets, and hiding them.

Members are recognised by a normalised name (lowercase, ``_``, ``-``, spaces and the
extension removed), so ``env_variables.json``, ``envVariables.json`` and
``EnvVariables.json`` are all the environment-variables member. In that member every
string or number is a secret except the fields naming a variable (``key``, ``name``);
in every member, values of keys that name secrets (``password``, ``token``, ...) are.

Redacted trees replace each secret by a placeholder; with a key, the placeholder carries
a keyed digest (HMAC-SHA256 of member, JSON pointer and value, truncated) so a reviewer
sees that a value changed between two exports made with the same key, and nothing else.
"""

import hashlib
import hmac
import json
import os
import posixpath

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files import STATE_FILE

PLACEHOLDER = "<redacted:koreai>"
PLACEHOLDER_PREFIX = "<redacted:koreai"
HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, changed>"
DIGEST_HEX_CHARS = 16
JSON_CHECK_LIMIT = 32 * 1024 * 1024

MEMBER_ROLES = {"flowdefinition": "flow", "appdefinition": "app", "envvariables": "env"}
SECRET_KEY_SUFFIXES = (
    "password", "passwords", "passwd", "secret", "secrets", "token", "tokens", "apikey", "apikeys",
    "privatekey", "credential", "credentials", "clientsecret", "authorization",
)
VARIABLE_NAME_KEYS = frozenset(("key", "name", "variablename", "varname"))


def normalised_name(name):
    """A member name reduced to what identifies it: base name, lowercase, no extension, no ``_``/``-``/space."""
    base = posixpath.basename(name.replace("\\", "/"))
    stem = os.path.splitext(base)[0] if "." in base.lstrip(".") else base
    return "".join(char for char in stem.lower() if char not in "_- ")


def member_role(name):
    """``"flow"``, ``"app"`` or ``"env"`` for the three documented members (any spelling), else None."""
    return MEMBER_ROLES.get(normalised_name(name))


def _normalised_key(key):
    return "".join(char for char in str(key).lower() if char not in "_- ")


def names_secret(key):
    """Whether a JSON key names a secret (``dbPassword``, ``client_secret``, ``X-Api-Key``, ``Authorization``...)."""
    return _normalised_key(key).endswith(SECRET_KEY_SUFFIXES)


def _is_secret_leaf(value, in_env, key):
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (dict, list)):
        return False
    return in_env and _normalised_key(key) not in VARIABLE_NAME_KEYS


def _pointer(parent, key):
    return parent + "/" + str(key).replace("~", "~0").replace("/", "~1")


def walk_secrets(document, in_env, replace, pointer=""):
    """A copy of document with replace(pointer, value) in place of every secret value (a whole subtree
    under a key that names a secret, every string or number of the env member but the variable names)."""
    if isinstance(document, dict):
        copy = {}
        for key, value in document.items():
            child = _pointer(pointer, key)
            if names_secret(key) and value is not None and not isinstance(value, bool):
                copy[key] = replace(child, value)
            elif _is_secret_leaf(value, in_env, key):
                copy[key] = replace(child, value)
            else:
                copy[key] = walk_secrets(value, in_env, replace, child) if isinstance(value, (dict, list)) else value
        return copy
    if isinstance(document, list):
        return [walk_secrets(item, in_env, replace, _pointer(pointer, index)) if isinstance(item, (dict, list))
                else (replace(_pointer(pointer, index), item) if _is_secret_leaf(item, in_env, "") else item)
                for index, item in enumerate(document)]
    if _is_secret_leaf(document, in_env, ""):
        return replace(pointer, document)
    return document


def _lookup(document, pointer):
    """The value at a JSON pointer built by walk_secrets, or a sentinel when there is none."""
    current = document
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


_MISSING = object()


def masked_for_diff(name, before, after):
    """(before, after) documents of one member with secrets hidden; a hidden value that differs from the
    one at the same place before reads ``<hidden, changed>`` (decided by comparison, never by a digest)."""
    in_env = member_role(name) == "env"
    hidden_before = walk_secrets(before, in_env, lambda pointer, value: HIDDEN) if before is not None else None

    def hide_after(pointer, value):
        return HIDDEN if before is not None and _lookup(before, pointer) == value else HIDDEN_CHANGED

    hidden_after = walk_secrets(after, in_env, hide_after) if after is not None else None
    return hidden_before, hidden_after


def redacted(name, document, key=None):
    """document with every secret replaced by a placeholder; with key (bytes or str), a keyed digest of
    member, pointer and value in the placeholder shows whether a value changed between exports."""
    in_env = member_role(name) == "env"
    secret = key.encode("utf-8") if isinstance(key, str) else key

    def placeholder(pointer, value):
        if not secret:
            return PLACEHOLDER
        message = json.dumps([normalised_name(name), pointer, value], sort_keys=True, ensure_ascii=False)
        digest = hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()[:DIGEST_HEX_CHARS]
        return "%s:hmac-sha256:%s>" % (PLACEHOLDER_PREFIX, digest)

    return walk_secrets(document, in_env, placeholder)


def is_placeholder(value):
    """Whether value is a placeholder written by redacted()."""
    return isinstance(value, str) and value.startswith(PLACEHOLDER_PREFIX) and value.endswith(">")


def placeholder_pointers(document, pointer=""):
    """JSON pointers of every placeholder in document."""
    if isinstance(document, dict):
        return [found for key, value in document.items() for found in placeholder_pointers(value, _pointer(pointer, key))]
    if isinstance(document, list):
        return [found for index, value in enumerate(document) for found in placeholder_pointers(value, _pointer(pointer, index))]
    return [pointer] if is_placeholder(document) else []


def contains_placeholder(document):
    """Whether any value in document is a placeholder (an import must refuse to upload it)."""
    return bool(placeholder_pointers(document))


def unredacted_pointers(name, document):
    """JSON pointers of secret values in one member that are not placeholders."""
    found = []

    def note(pointer, value):
        if not is_placeholder(value):
            found.append(pointer)
        return value

    walk_secrets(document, member_role(name) == "env", note)
    return found


def _tree_json_files(tree_dir):
    """Relative paths of the .json files below tree_dir (links neither followed nor listed), state file aside."""
    found = []
    for directory, _subdirs, names in os.walk(tree_dir):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, tree_dir).replace(os.sep, "/")
            if name.lower().endswith(".json") and relative != STATE_FILE and not os.path.islink(path):
                found.append(relative)
    return sorted(found)


def find_unredacted(tree_dir):
    """[(relative path, JSON pointer)] of secret values in a review tree that are not placeholders.

    A JSON file that cannot be read or parsed is listed with the pointer ``""``: it cannot be checked.
    """
    found = []
    for relative in _tree_json_files(tree_dir):
        try:
            with open(os.path.join(tree_dir, *relative.split("/")), "rb") as handle:
                content = handle.read(JSON_CHECK_LIMIT + 1)
            if len(content) > JSON_CHECK_LIMIT:
                raise ValueError("too large")
            found.extend((relative, pointer) for pointer in unredacted_pointers(relative, json.loads(content.decode("utf-8"))))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            found.append((relative, ""))
    return found
