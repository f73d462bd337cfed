# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the one classifier of secret values, and hiding them.

Members are recognised by a normalised name (lowercase, ``_``, ``-``, spaces and the
extension removed), so ``env_variables.json``, ``envVariables.json`` and
``EnvVariables.json`` are all the environment-variables member. In that member every
string or number is a secret except the fields naming a variable (``key``, ``name``).
In every member a value is a secret when its key names one (``password``, ``*token*``,
``*secret*``, ``cookie``, ...), when its shape is one (``Bearer ...``, a URL with
``user:password@``, a PEM private key, a JWT, a provider key such as ``sk-...``), or when
it is the ``value`` of a ``{key|name|header, value}`` item whose key names one
(``{"key": "Authorization", "value": "..."}``). Users extend and narrow the classifier.

Values are located by path steps; a list item is named by its ``id``, ``key`` or ``name``
(the identity pointer), so that a reorder moves nothing.

Hiding the values found (diffs, redacted trees, the scan of a tree) is in ``_redaction``.
"""

import fnmatch
import os
import posixpath
import re

PLACEHOLDER = "<redacted:koreai>"
PLACEHOLDER_PREFIX = "<redacted:koreai"

MEMBER_ROLES = {"flowdefinition": "flow", "appdefinition": "app", "envvariables": "env"}
IDENTITY_FIELDS = ("id", "key", "name")
HEADER_NAME_FIELDS = ("key", "name", "header")
VARIABLE_NAME_KEYS = frozenset(("key", "name", "variablename", "varname"))
SECRET_KEYS = ("password", "passwd", "pwd", "passphrase", "apikey", "cookie", "setcookie", "authorization",
               "proxyauthorization", "dsn", "pin")
SECRET_KEY_PATTERNS = ("*secret*", "*token*", "*password*", "*passwd*", "*passphrase*", "*private*key*", "*access*key*",
                       "*apikey*", "*api*key", "credential*", "*credentials", "*connection*string*", "*cookie*",
                       "*authorization", "*signing*key*", "*session*key*", "*encryption*key*", "*clientsecret*")
# A key naming what is about a secret, not the secret: tokenUrl, maxTokens, secretName, passwordPolicy...
NOT_SECRET_SUFFIXES = ("name", "names", "ref", "reference", "policy", "url", "uri", "endpoint", "type", "length", "expiry",
                       "expiresat", "expiresin", "ttl", "count", "limit", "limits", "header", "headername", "field",
                       "location", "path", "settings", "config", "enabled", "required", "usage", "used", "budget",
                       "format", "prefix", "placement", "param", "parameter")
TOKEN_COUNT_PREFIXES = ("max", "min", "num", "total", "prompt", "completion", "input", "output", "context")
VALUE_PATTERNS = (
    r"^\s*(?:bearer|basic|token|digest|bot|apikey|hmac|negotiate)\s+[A-Za-z0-9._~+/=:-]{6,}",
    r"\bbearer\s+[A-Za-z0-9._~+/=-]{8,}",
    r"[a-z][a-z0-9+.-]*://[^/\s:@?#]*:[^/\s@?#]+@",
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
    r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    r"\b(?:sk|rk|pk)[-_](?:live|test|proj|ant)?[-_]?[A-Za-z0-9_-]{16,}",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}", r"\bgithub_pat_[A-Za-z0-9_]{20,}", r"\bglpat-[A-Za-z0-9_-]{16,}",
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", r"\bAIza[0-9A-Za-z_-]{30,}",
    r"\bkg-[A-Za-z0-9][A-Za-z0-9-]{7,}",
    r"(?:^|;\s*)(?:session|sessionid|sid|jsessionid|phpsessid|connect\.sid|auth|token)=[^;\s]{8,}",
)


def _normalised_key(key):
    return "".join(char for char in str(key).lower() if char not in "_-. ")


class ClassifierError(ValueError):
    """A classifier option that cannot be used (its message names the option and the fix)."""


class Classifier:
    """Decides which values are secrets: by key name, by value shape, and in {key, value} header items.

    secret_keys and not_secret_keys are key names or glob patterns (matched case-insensitively, with
    ``_``, ``-``, ``.`` and spaces ignored); secret_value_patterns are regular expressions searched in values.
    """

    def __init__(self, secret_keys=(), not_secret_keys=(), secret_value_patterns=()):
        self.extra_keys = tuple(_normalised_key(pattern) for pattern in secret_keys or ())
        self.not_keys = tuple(_normalised_key(pattern) for pattern in not_secret_keys or ())
        patterns = []
        for index, pattern in enumerate(secret_value_patterns or ()):
            try:
                patterns.append(re.compile(pattern))
            except (re.error, TypeError) as exc:
                raise ClassifierError("secret_value_patterns[%d] is not a valid regular expression (%s); give a Python "
                                      "regular expression such as '^myco_[0-9a-f]{32}$'" % (index, exc))
        self.value_patterns = tuple(re.compile(pattern, re.IGNORECASE) for pattern in VALUE_PATTERNS) + tuple(patterns)
        self._key_verdicts = {}  # key -> key_is_secret(key): documents repeat their keys, the patterns are many

    def key_is_secret(self, key):
        """Whether a JSON key names a secret (``dbPassword``, ``client_secret``, ``X-Api-Key``, ``Cookie``...)."""
        verdict = self._key_verdicts.get(key)
        if verdict is None:
            verdict = self._key_verdicts[key] = self._key_names_secret(key)
        return verdict

    def _key_names_secret(self, key):
        norm = _normalised_key(key)
        if not norm or any(fnmatch.fnmatchcase(norm, pattern) for pattern in self.not_keys):
            return False
        if any(fnmatch.fnmatchcase(norm, pattern) for pattern in self.extra_keys):
            return True
        if norm.endswith(NOT_SECRET_SUFFIXES) or ("token" in norm and norm.startswith(TOKEN_COUNT_PREFIXES)):
            return norm in SECRET_KEYS
        return norm in SECRET_KEYS or any(fnmatch.fnmatchcase(norm, pattern) for pattern in SECRET_KEY_PATTERNS)

    def value_is_secret(self, value):
        """Whether a string looks like a credential (auth scheme, URL with a password, PEM, JWT, provider key...)."""
        return isinstance(value, str) and any(pattern.search(value) for pattern in self.value_patterns)

    def secret_under_key(self, key, value):
        """Whether value, under key, is a secret by the key's name (numbers under token-ish keys are not)."""
        if value is None or isinstance(value, bool) or not self.key_is_secret(key):
            return False
        return not (isinstance(value, (int, float)) and "token" in _normalised_key(key))

    def header_value_is_secret(self, item):
        """Whether item is a {key|name|header, value} entry whose key names a secret."""
        if not isinstance(item, dict) or "value" not in item:
            return False
        return any(isinstance(item.get(field), str) and self.key_is_secret(item[field]) for field in HEADER_NAME_FIELDS)


def classifier_argument_spec():
    """The options that extend and narrow the classifier (documented by the secrets doc fragment)."""
    return dict(
        secret_keys=dict(type="list", elements="str", default=[], no_log=False),
        not_secret_keys=dict(type="list", elements="str", default=[], no_log=False),
        secret_value_patterns=dict(type="list", elements="str", default=[], no_log=False),
    )


def classifier_from_params(params):
    """The Classifier of a module's options; raises ClassifierError naming a bad one."""
    return Classifier(params.get("secret_keys"), params.get("not_secret_keys"), params.get("secret_value_patterns"))


DEFAULT_CLASSIFIER = Classifier()
_CONFIGURED = {"classifier": DEFAULT_CLASSIFIER}


def use_classifier(classifier):
    """Make classifier the one used where none is passed (a module sets it once from its options)."""
    _CONFIGURED["classifier"] = classifier or DEFAULT_CLASSIFIER


def current_classifier(classifier=None):
    """classifier, else the one set by use_classifier()."""
    return classifier or _CONFIGURED["classifier"]


def names_secret(key):
    """Whether a JSON key names a secret, for the classifier in use."""
    return current_classifier().key_is_secret(key)


def normalised_name(name):
    """A member name reduced to what identifies it: base name, lowercase, no extension, no ``_``/``-``/space."""
    base = posixpath.basename(name.replace("\\", "/"))
    stem = os.path.splitext(base)[0] if "." in base.lstrip(".") else base
    return "".join(char for char in stem.lower() if char not in "_- ")


def member_role(name):
    """``"flow"``, ``"app"`` or ``"env"`` for the three documented members (any spelling), else None."""
    return MEMBER_ROLES.get(normalised_name(name))


# --- paths: JSON pointers and identity pointers -------------------------------------------------------------


def item_identity(item):
    """(field, value) naming a list item: its ``id``, else ``key``, else ``name``; None when it carries none."""
    if isinstance(item, dict):
        for field in IDENTITY_FIELDS:
            value = item.get(field)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                return field, str(value)
    return None


def escape_pointer_segment(segment):
    return str(segment).replace("~", "~0").replace("/", "~1")


def json_pointer(steps):
    """The JSON pointer (list indexes) of a path of steps."""
    return "".join("/" + escape_pointer_segment(step[1]) for step in steps)


def identity_pointer(steps):
    """The pointer naming each list item by its identity (``#<index>`` for an item without one)."""
    parts = []
    for step in steps:
        if step[0] == "key":
            parts.append(escape_pointer_segment(step[1]))
        else:
            identity = step[2]
            parts.append(escape_pointer_segment(identity[1]) if identity else "#%d" % step[1])
    return "/".join(parts)


def _list_step(document, index):
    item = document[index]
    return ("item", index, item_identity(item), item)


class Leaf:
    """A secret value found by walk_secrets: its path steps and value."""

    def __init__(self, steps, value):
        self.steps = steps
        self.value = value

    @property
    def pointer(self):
        return json_pointer(self.steps)

    @property
    def identity(self):
        return identity_pointer(self.steps)


def _is_env_secret(key, value):
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return False
    return _normalised_key(key) not in VARIABLE_NAME_KEYS


def _child_is_secret(classifier, in_env, parent, key, value):
    if is_placeholder(value):
        return True
    if in_env and _is_env_secret(key, value):
        return True
    if classifier.secret_under_key(key, value):
        return True
    if key == "value" and isinstance(parent, dict) and classifier.header_value_is_secret(parent) and value is not None:
        return True
    return classifier.value_is_secret(value)


def walk_secrets(document, in_env, replace, classifier=None, steps=()):
    """A copy of document with replace(Leaf) in place of every secret value (a whole subtree under a key that
    names a secret; every string or number of the env member but the variable names)."""
    classifier = current_classifier(classifier)
    if isinstance(document, dict):
        copy = {}
        for key, value in document.items():
            child = steps + (("key", key),)
            if _child_is_secret(classifier, in_env, document, key, value):
                copy[key] = replace(Leaf(child, value))
            elif isinstance(value, (dict, list)):
                copy[key] = walk_secrets(value, in_env, replace, classifier, child)
            else:
                copy[key] = value
        return copy
    if isinstance(document, list):
        copy = []
        for index, value in enumerate(document):
            child = steps + (_list_step(document, index),)
            if isinstance(value, (dict, list)):
                copy.append(walk_secrets(value, in_env, replace, classifier, child))
            elif is_placeholder(value) or classifier.value_is_secret(value) or (in_env and _is_env_secret("", value)):
                copy.append(replace(Leaf(child, value)))
            else:
                copy.append(value)
        return copy
    if is_placeholder(document) or classifier.value_is_secret(document) or (in_env and _is_env_secret("", document)):
        return replace(Leaf(steps, document))
    return document


def secret_leaves(name, document, classifier=None):
    """Every secret Leaf of one member."""
    found = []

    def note(leaf):
        found.append(leaf)
        return leaf.value

    walk_secrets(document, member_role(name) == "env", note, classifier)
    return found


# --- finding a value at the same identity ------------------------------------------------------------------

_MISSING = object()


class Unmatched(Exception):
    """No single value at the same identity: the reason says why (no identity, duplicates, absent)."""


def _matching_item(items, step):
    """The one item of items with the identity of the source item in step, trying id, then key, then name."""
    source_item = step[3]
    if not isinstance(source_item, dict) or item_identity(source_item) is None:
        raise Unmatched("the list item at position %d has no id, key or name to match it by" % step[1])
    for field in IDENTITY_FIELDS:
        wanted = source_item.get(field)
        if wanted is None or wanted == "":
            continue
        matches = [item for item in items if isinstance(item, dict) and item.get(field) == wanted]
        if len(matches) > 1:
            raise Unmatched("more than one item has %s %r" % (field, wanted))
        if matches:
            return matches[0]
    raise Unmatched("absent")


def value_at_identity(document, steps):
    """The value of document at the identity of steps; raises Unmatched when none (or no single one) is there."""
    current = document
    for step in steps:
        if step[0] == "key":
            if not isinstance(current, dict) or step[1] not in current:
                raise Unmatched("absent")
            current = current[step[1]]
        elif isinstance(current, list):
            current = _matching_item(current, step)
        else:
            raise Unmatched("absent")
    return current


def value_or_missing(document, steps):
    try:
        return value_at_identity(document, steps)
    except Unmatched:
        return _MISSING


def is_placeholder(value):
    """Whether value is a placeholder written by redacted()."""
    return isinstance(value, str) and value.startswith(PLACEHOLDER_PREFIX) and value.endswith(">")
