# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: where the secrets of a workflow's members are, and how they are named.

Members are recognised by a normalised name (lowercase, ``_``, ``-``, spaces and the extension removed), so
``env_variables.json``, ``envVariables.json`` and ``EnvVariables.json`` are all the environment-variables member.

In that member, the variables are what an environment owns: the items of its variables list (or mapping), found at
the top or under a wrapper, or, when the document is a plain name -> value mapping, its entries. Every string or
number of a variable but its name is the environment's. Fields beside the variables (``workflowId``,
``environment``, ``revision``) are metadata, judged by the classifier like any other member.

Everywhere, the classifier (``_classifier``) decides: a value is a secret as a whole, or holds credential parts
(a URL's token), or is plain.

Values are located by path steps; a list item is named by its identity (its ``id``, ``key``, ``name`` or another
naming field; a value in an argument list by the flag before it), so that a reorder moves nothing. The pointer a
user gives or reads (``secret_values``, ``missing_values``) is ``<member>/<path>``: ``flow/nodes/crm-1/settings/
password``; an environment variable is ``env/<NAME>``, and the env member's metadata ``env-metadata/<path>``.
"""

import os
import posixpath
import re

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import (
    HEADER_VALUE_FIELDS, normalised_key,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.declarations import NOT_SECRET, OWNED

PLACEHOLDER = "<redacted:koreai>"
PLACEHOLDER_PREFIX = "<redacted:koreai"
EMBEDDED_PLACEHOLDER = re.compile(r"<redacted:koreai(?::[a-z0-9-]+:[0-9a-f]+)?>")

MEMBER_ROLES = {"flowdefinition": "flow", "appdefinition": "app", "envvariables": "env"}
IDENTITY_FIELDS = ("id", "key", "name", "nodeId", "header", "headerName", "field", "label", "variableName", "varName")
VARIABLE_NAME_KEYS = frozenset(("key", "name", "variablename", "varname", "variable", "envname"))
VARIABLES_KEYS = frozenset(("variables", "envvariables", "environmentvariables", "vars", "variable"))
WRAPPER_DEPTH = 3  # how deep a variables list may sit under wrappers ({"data": {"variables": [...]}})
SECRET, PARTIAL, PLAIN = "secret", "partial", "plain"
ENV_METADATA = "env-metadata"


def normalised_name(name):
    """A member name reduced to what identifies it: base name, lowercase, no extension, no ``_``/``-``/space."""
    base = posixpath.basename(name.replace("\\", "/"))
    stem = os.path.splitext(base)[0] if "." in base.lstrip(".") else base
    return "".join(char for char in stem.lower() if char not in "_- ")


def member_role(name):
    """``"flow"``, ``"app"`` or ``"env"`` for the three documented members (any spelling), else None."""
    return MEMBER_ROLES.get(normalised_name(name))


def is_placeholder(value):
    """Whether value is a placeholder written by redaction."""
    return isinstance(value, str) and value.startswith(PLACEHOLDER_PREFIX) and value.endswith(">")


def holds_placeholder(value):
    """Whether a string holds a placeholder anywhere (a URL whose token was redacted), or a dict or list one."""
    if isinstance(value, dict):
        return any(holds_placeholder(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_placeholder(item) for item in value)
    return isinstance(value, str) and bool(EMBEDDED_PLACEHOLDER.search(value))


# --- the variables of the env member --------------------------------------------------------------------------


def variables_steps(document):
    """The keys from the env member's top to its variables (a list or mapping under a key named like ``variables``,
    at most WRAPPER_DEPTH dicts down); () when the document itself is the variables (a list, or a plain mapping)."""
    level = [((), document)]
    for _depth in range(WRAPPER_DEPTH):
        deeper = []
        for keys, node in level:
            if not isinstance(node, dict):
                continue
            for key, value in node.items():
                if normalised_key(key) in VARIABLES_KEYS and isinstance(value, (list, dict)):
                    return keys + (key,)
                if isinstance(value, dict):
                    deeper.append((keys + (key,), value))
        level = deeper
    return ()


def variable_name(item):
    """The name of a variable item ({"key": "NAME", ...}), or None."""
    if isinstance(item, dict):
        for field, value in item.items():
            if normalised_key(field) in VARIABLE_NAME_KEYS and isinstance(value, str) and value:
                return value
    return None


# --- paths and pointers ---------------------------------------------------------------------------------------------


def _flag_identity(items, index):
    """The identity of a value in an argument list: ("after", flag) after a flag, ("flag", flag) for ``--flag=...``."""
    item = items[index]
    if isinstance(item, str) and re.match(r"^-{1,2}[A-Za-z][A-Za-z0-9_.-]*=", item):
        return "flag", item.split("=", 1)[0]
    before = items[index - 1] if index else None
    if isinstance(before, str) and re.match(r"^-{1,2}[A-Za-z][A-Za-z0-9_.-]*$", before) and not (
            isinstance(item, str) and item.startswith("-")):
        return "after", before
    return None


def item_identity(items, index):
    """(field, value) naming items[index]: a dict's first naming field, a flag for an argument; None for none."""
    item = items[index]
    if isinstance(item, dict):
        for field in IDENTITY_FIELDS:
            value = item.get(field)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                return field, str(value)
        return None
    return _flag_identity(items, index)


def escape_pointer_segment(segment):
    return str(segment).replace("~", "~0").replace("/", "~1")


def unescape_pointer_segment(segment):
    return segment.replace("~1", "/").replace("~0", "~")


def identity_segment(step):
    """The pointer segment of one step: a key, or a list item's identity (``#<index>`` for an item with none)."""
    if step[0] == "key":
        return escape_pointer_segment(step[1])
    identity = step[2]
    if identity is None:
        return "#%d" % step[1]
    return escape_pointer_segment(identity[1] + "=" if identity[0] == "flag" else identity[1])


def json_pointer(steps):
    """The JSON pointer (list indexes) of a path of steps."""
    return "".join("/" + escape_pointer_segment(step[1]) for step in steps)


def identity_pointer(steps):
    """The path of steps with each list item named by its identity."""
    return "/".join(identity_segment(step) for step in steps)


def list_step(items, index):
    return ("item", index, item_identity(items, index), items[index])


class Leaf:
    """A value found by a walk: where it is (role, steps, the variable it belongs to), what it is (kind: SECRET,
    PARTIAL or PLAIN), and for PARTIAL the credential Parts inside it."""

    __slots__ = ("role", "steps", "value", "kind", "parts", "variable", "in_variable")

    def __init__(self, role, steps, value, kind, parts=(), variable=None, in_variable=0):
        self.role = role
        self.steps = steps
        self.value = value
        self.kind = kind
        self.parts = parts
        self.variable = variable
        self.in_variable = in_variable  # where in steps the variable's own path starts

    @property
    def pointer(self):
        return json_pointer(self.steps)

    @property
    def identity(self):
        return identity_pointer(self.steps)

    @property
    def address(self):
        """The pointer a user reads and gives: ``env/<NAME>`` for a variable's value, ``env/<NAME>/<field>`` for its
        plain fields (its name, its flags), else ``<member>/<identity path>``."""
        address = leaf_address(self.role, self.steps, self.variable)
        if self.variable is not None and self.kind == PLAIN and self.in_variable < len(self.steps):
            address += "/" + identity_pointer(self.steps[self.in_variable:])
        return address

    def part_values(self):
        """{part name: text} of a PARTIAL leaf."""
        return {part.name: self.value[part.start:part.end] for part in self.parts}


def leaf_address(role, steps, variable=None):
    if variable is not None:
        return "env/" + escape_pointer_segment(variable)
    prefix = ENV_METADATA if role == "env" else role
    path = identity_pointer(steps)
    return "%s/%s" % (prefix, path) if prefix else path


# --- the walk -------------------------------------------------------------------------------------------------------


class _Walk:
    """One walk over one member; see walk()."""

    def __init__(self, role, classifier, visit, plain):
        self.role = role
        self.classifier = classifier
        self.visit = visit
        self.plain = plain
        self.declared = bool(classifier.declarations.owned or classifier.declarations.not_secret)
        self.container = None
        self.in_variable = 0

    def run(self, document):
        self.container = variables_steps(document) if self.role == "env" else None
        self.in_variable = len(self.container) + 1 if self.container is not None else 0
        return self.node(document, (), None, None, None)

    def node(self, value, steps, key, parent, variable):
        kind, parts = self.verdict(value, steps, key, parent, variable)
        if kind in (SECRET, PARTIAL):
            return self.visit(Leaf(self.role, steps, value, kind, parts, variable, self.in_variable))
        if isinstance(value, dict):
            return {child_key: self.node(child, steps + (("key", child_key),), child_key, value,
                                         self.variable_of(steps, child_key, child, variable))
                    for child_key, child in value.items()}
        if isinstance(value, list):
            return [self.node(child, steps + (list_step(value, index),), None, value,
                              self.variable_of(steps, "#%d" % index, child, variable))
                    for index, child in enumerate(value)]
        return self.visit(Leaf(self.role, steps, value, PLAIN, (), variable, self.in_variable)) if self.plain else value

    def variable_of(self, steps, name, child, variable):
        """The variable a child (named name: its key, or ``#<index>``) of the node at steps belongs to: the one it is
        when that node holds the variables, else the node's."""
        if variable is not None or self.container is None or len(steps) != len(self.container):
            return variable
        if not all(step[0] == "key" and step[1] == key for step, key in zip(steps, self.container)):
            return None
        return (variable_name(child) or name) if name.startswith("#") else name

    def verdict(self, value, steps, key, parent, variable):
        """(kind, parts) of the value at steps; (None, ()) to walk into a dict or list, or for a plain scalar."""
        if self.declared:
            declared = self.classifier.declared(leaf_address(self.role, steps, variable))
            if declared == OWNED and steps:
                return SECRET, ()
            if declared == NOT_SECRET:
                return None, ()
        if variable is not None and self.owned_by_variable(value, steps, key):
            return SECRET, ()
        if isinstance(value, (dict, list)):
            return (SECRET, ()) if key is not None and self.classifier.key_strength(key) == "strong" else (None, ())
        return self.scalar_verdict(value, steps, key, parent)

    def owned_by_variable(self, value, steps, key):
        """Whether a scalar of a variable is the environment's: all but the variable's name and its flags."""
        if isinstance(value, (dict, list, bool)) or value is None:
            return False
        is_entry = len(steps) == len(self.container) + 1 and steps[-1][0] == "key"  # NAME: value of a mapping
        return is_entry or key is None or normalised_key(key) not in VARIABLE_NAME_KEYS

    def scalar_verdict(self, value, steps, key, parent):
        classifier = self.classifier
        if is_placeholder(value):
            return SECRET, ()
        if key is not None and classifier.secret_under_key(key, value):
            return SECRET, ()
        if (key is not None and normalised_key(key) in HEADER_VALUE_FIELDS and value is not None
                and classifier.names_secret_header(parent)):
            return SECRET, ()
        if key is None and steps and steps[-1][2] and steps[-1][2][0] == "after" and value is not None \
                and classifier.flag_names_secret(steps[-1][2][1]):
            return SECRET, ()
        if classifier.value_is_secret(value):
            return SECRET, ()
        parts = classifier.credential_parts(value)
        if parts:
            covered = "".join(value[part.start:part.end] for part in parts)
            if len(EMBEDDED_PLACEHOLDER.findall(value)) > len(EMBEDDED_PLACEHOLDER.findall(covered)):
                return SECRET, ()  # a placeholder outside the parts: only a whole value can replace it
            return PARTIAL, parts
        return (SECRET, ()) if holds_placeholder(value) else (None, ())


def walk(document, role, classifier, visit, plain=False):
    """A copy of document with visit(Leaf) in place of every secret (a whole subtree under a strong key name, a
    scalar otherwise) and every string holding credential parts; with plain, of every other scalar too. role is the
    member's (``flow``, ``app``, ``env``, or None for another JSON file)."""
    return _Walk(role, classifier, visit, plain).run(document)


def leaves(name, document, classifier, plain=False):
    """The Leaves of one member (secret and partial ones; with plain, every scalar)."""
    found = []

    def note(leaf):
        found.append(leaf)
        return leaf.value

    walk(document, member_role(name), classifier, note, plain)
    return found


# --- finding a value at the same identity ------------------------------------------------------------------

MISSING = object()


class Unmatched(Exception):
    """No single value at the same identity: the reason says why (no identity, duplicates, absent)."""


class IdentityIndex:
    """The items of a document's lists by naming field and value, built once per list: finding every value of a large
    document at its identity stays linear."""

    def __init__(self):
        self._lists = {}

    def matches(self, items, field, wanted):
        by_field = self._lists.setdefault(id(items), (items, {}))[1]
        if field not in by_field:
            found = by_field[field] = {}
            for item in items:
                value = item.get(field) if isinstance(item, dict) else None
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    found.setdefault(value, []).append(item)
        return by_field[field].get(wanted, []) if isinstance(wanted, (str, int)) else []


def _matching_flag_value(items, identity):
    kind, flag = identity
    if kind == "flag":
        matches = [item for item in items if isinstance(item, str) and item.split("=", 1)[0] == flag and "=" in item]
    else:
        matches = [items[index + 1] for index, item in enumerate(items[:-1]) if item == flag]
    if len(matches) > 1:
        raise Unmatched("the flag %s appears more than once" % flag)
    if not matches:
        raise Unmatched("absent")
    return matches[0]


def _matching_item(items, step, index):
    """The one item of items with the identity of the source item in step, trying its naming fields in order."""
    identity = step[2]
    if identity is None:
        raise Unmatched("the list item at position %d has no id, key or name to match it by" % step[1])
    if identity[0] in ("flag", "after"):
        return _matching_flag_value(items, identity)
    source_item = step[3]
    for field in IDENTITY_FIELDS:
        wanted = source_item.get(field)
        if wanted is None or wanted == "" or isinstance(wanted, bool):
            continue
        matches = index.matches(items, field, wanted)
        if len(matches) > 1:
            raise Unmatched("more than one item has %s %r" % (field, wanted))
        if matches:
            return matches[0]
    raise Unmatched("absent")


def value_at_identity(document, steps, index=None):
    """The value of document at the identity of steps; raises Unmatched when none (or no single one) is there. index
    (an IdentityIndex of document) speeds up many lookups in one document."""
    index = index or IdentityIndex()
    current = document
    for step in steps:
        if step[0] == "key":
            if not isinstance(current, dict) or step[1] not in current:
                raise Unmatched("absent")
            current = current[step[1]]
        elif isinstance(current, list):
            current = _matching_item(current, step, index)
        else:
            raise Unmatched("absent")
    return current


def value_or_missing(document, steps, index=None):
    """The value of document at the identity of steps, or MISSING."""
    try:
        return value_at_identity(document, steps, index)
    except Unmatched:
        return MISSING


def segment_names_step(segment, step):
    """Whether a pointer segment a user gave names a step: its key, an item's identity, or ``#<index>``."""
    if step[0] == "key":
        return segment == str(step[1])
    if segment == "#%d" % step[1]:
        return True
    item = step[3]
    if isinstance(item, dict):
        return any(segment == str(item.get(field)) for field in IDENTITY_FIELDS if item.get(field) not in (None, ""))
    return step[2] is not None and segment == unescape_pointer_segment(identity_segment(step))


def spliced(text, parts, replacement):
    """text with each Part replaced by replacement(part, the part's text)."""
    pieces, position = [], 0
    for part in parts:
        pieces.extend((text[position:part.start], replacement(part, text[part.start:part.end])))
        position = part.end
    pieces.append(text[position:])
    return "".join(pieces)
