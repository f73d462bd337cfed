# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the secrets of a promotion come from the target, whatever the source.

For every value the classifier (or the declarations) calls secret in the members to import, the value is, in this
order: what the user gives for this environment (``env_variables`` per variable, ``secret_values`` per pointer),
else the target's current value at the same identity (list items matched by their naming field, never by
position), else the workflow is refused, listing the pointers in ``missing_values``, in the form secret_values
takes. The source's own value is used only with ``carry_source_secrets``. A string's credential part (a URL's
token) is filled alone, the rest of the string coming from the source.

What neither classifier nor declarations know is kept by a three-way rule: a plain value that differs between the
target and the source, and that the baseline (``_baseline``) says no earlier promotion brought, is the target's
own (``edited_values``): kept, refused or overwritten as ``target_edits`` says. Without a baseline (a first
promotion), such values are listed in ``replaced_values``.

A pointer is ``<member>/<path>`` (see ``_secrets``): ``flow/nodes/crm-1/settings/auth/password``, ``env/API_TOKEN``
for an environment variable, ``env-metadata/<path>`` for what sits beside the variables.
"""

import copy
from dataclasses import dataclass

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.baseline import encoded, value_digest
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import normalised_key
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.given import (
    SecretsRefused, merged_variables, parse_env_variables, parse_secret_values, remember_secret, without_names,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import (
    ENV_METADATA, MISSING, PARTIAL, PLACEHOLDER, PLAIN, VARIABLE_NAME_KEYS, IdentityIndex, Unmatched, holds_placeholder,
    is_placeholder, segment_names_step, spliced, value_at_identity, value_or_missing, variable_name, variables_steps, walk,
)

CARRIED_SHOWN = 5  # carried values named in a warning
TARGET_EDITS = ("keep", "refuse", "overwrite")


@dataclass
class FillSettings:
    """What every workflow's fill of one task shares: the classifier, carry_source_secrets, target_edits, and the keys
    a server rewrites (left out of the three-way rule)."""

    classifier: object
    carry_source: bool = False
    target_edits: str = "keep"
    ignore_keys: tuple = ()


class SecretPlan:
    """One workflow's fill: the values given, the baseline, what was refused, kept, replaced and carried."""

    def __init__(self, where, settings, option_prefix="", secret_values=None, env_variables=None, baseline=None,
                 known=None):
        self.where = where
        self.settings = settings
        self.classifier = settings.classifier
        self.option_prefix = option_prefix
        self.given_by_pointer, env_given = parse_secret_values(secret_values, option_prefix + "secret_values")
        self.given_variables = merged_variables(parse_env_variables(env_variables, option_prefix + "env_variables"),
                                                env_given, option_prefix)
        self.given_names = {variable_name(item) for item in self.given_variables or ()}
        self.baseline = baseline
        self.known = known if known is not None else set()
        self.used, self.carried, self.refusals, self.edited, self.replaced = set(), [], [], [], []
        self.new_baseline = set()

    def remember(self, value):
        """Add a secret value (and its scalar parts) to the run's registry, for the exit path's scrub."""
        remember_secret(self.known, value)

    def results(self):
        """The result fields of the fill: missing_values, edited_values, replaced_values and the new baseline."""
        return dict(missing_values=missing_values(self), edited_values=list(self.edited),
                    replaced_values=list(self.replaced), baseline=encoded(self.new_baseline))


# --- filling one document -------------------------------------------------------------------------------------------


class _Fill:
    """One document's fill: each leaf of the source resolved against the target (see fill_document)."""

    def __init__(self, plan, target):
        self.plan = plan
        self.target = target
        self.index = IdentityIndex()

    def visit(self, leaf):
        if self.ignored(leaf):
            return leaf.value
        if leaf.kind == PLAIN:
            self.plan.new_baseline.add(value_digest(leaf.address, leaf.value))
            return self.plain(leaf)
        if leaf.kind == PARTIAL:
            self.plan.new_baseline.add(value_digest(leaf.address, self.shape(leaf.value)))
        for text in (leaf.part_values().values() if leaf.kind == PARTIAL else [leaf.value]):
            self.plan.remember(text)
        return self.secret(leaf)

    def ignored(self, leaf):
        """Whether the leaf is under a key the server rewrites (never a secret there: workflowId, createdAt...)."""
        return leaf.kind == PLAIN and any(step[0] == "key" and step[1] in self.plan.settings.ignore_keys
                                          for step in leaf.steps)

    def shape(self, text):
        """A string with its credential parts masked: what of it is not secret."""
        parts = self.plan.classifier.credential_parts(text) if isinstance(text, str) else ()
        return spliced(text, parts, lambda part, value: PLACEHOLDER) if parts else text

    def plain(self, leaf):
        """A plain value: the source's, unless the three-way rule says the target's differing value is its own."""
        found = value_or_missing(self.target, leaf.steps, self.index) if self.target is not None else MISSING
        if found is MISSING or found == leaf.value:
            return leaf.value
        return found if self.target_keeps(leaf.address, found) else leaf.value

    def target_keeps(self, address, target_shape):
        """Whether the target keeps its value where it differs from the source: not when a baseline says an earlier
        promotion brought it (nor when there is no baseline: then it is listed as replaced), else as target_edits
        says (the value is listed as edited)."""
        plan = self.plan
        if plan.baseline is None:
            plan.replaced.append(address)
            return False
        if value_digest(address, target_shape) in plan.baseline:
            return False
        plan.edited.append(address)
        return plan.settings.target_edits == "keep"

    def secret(self, leaf):
        """A secret (or a string with credential parts): given, else the target's at the same identity, else refused."""
        plan = self.plan
        if leaf.variable is not None and leaf.variable in plan.given_names:
            return leaf.value  # the given variable replaced the source's item
        given = _given_for(plan, leaf)
        if given is not MISSING:
            plan.remember(given)
            return given
        if plan.settings.carry_source and not holds_placeholder(leaf.value):
            plan.carried.append(leaf.address)
            return leaf.value
        if self.target is None:
            return _refused(plan, leaf, "there is no target workflow to keep a value from")
        try:
            found = value_at_identity(self.target, leaf.steps, self.index)
        except Unmatched as exc:
            return _refused(plan, leaf, "the target has none at the same identity" if str(exc) == "absent" else str(exc))
        return self.from_target(leaf, found) if leaf.kind == PARTIAL else self.whole_from_target(leaf, found)

    def whole_from_target(self, leaf, found):
        if holds_placeholder(found):
            return _refused(self.plan, leaf, "the target holds a placeholder there")
        self.plan.remember(found)
        return found

    def from_target(self, leaf, found):
        """A string with credential parts: the target's parts spliced into the source's string (or the target's whole
        string, when the rest of it is the target's own)."""
        if not isinstance(found, str):
            return _refused(self.plan, leaf, "the target's value there is not text")
        target_shape = self.shape(found)
        if target_shape != self.shape(leaf.value) and self.target_keeps(leaf.address, target_shape):
            return self.whole_from_target(leaf, found)
        target_parts = {part.name: found[part.start:part.end] for part in self.plan.classifier.credential_parts(found)}
        lacking = [part.name for part in leaf.parts if part.name not in target_parts or is_placeholder(target_parts[part.name])]
        if lacking:
            return _refused(self.plan, leaf, "the target has no %s in that value" % ", ".join(lacking))
        for text in target_parts.values():
            self.plan.remember(text)
        return spliced(leaf.value, leaf.parts, lambda part, text: target_parts[part.name])


def _refused(plan, leaf, reason):
    plan.refusals.append((leaf.address, reason))
    return leaf.value


def _given_for(plan, leaf):
    """The value given in secret_values at the leaf's pointer, or MISSING."""
    prefix = ENV_METADATA if leaf.role == "env" else leaf.role
    for pointer, (segments, value) in plan.given_by_pointer.get(prefix, {}).items():
        if len(segments) == len(leaf.steps) and all(segment_names_step(seg, step) for seg, step in zip(segments, leaf.steps)):
            plan.used.add(pointer)
            return value
    return MISSING


def fill_document(plan, role, document, target):
    """A copy of the source document with each secret resolved and each plain value decided by the three-way rule;
    refusals are collected in plan (see raise_refusals)."""
    return walk(document, role, plan.classifier, _Fill(plan, target).visit, plain=True)


# --- the environment variables --------------------------------------------------------------------------------------


def variables_of(document):
    """The variables of an env member (its variables list or mapping, or the document when it is a plain mapping), or
    None when it holds none."""
    if document is None:
        return None
    node = document
    for key in variables_steps(document):
        node = node[key]
    return node if isinstance(node, (list, dict)) else None


def _name_field(item):
    for field, value in item.items():
        if normalised_key(field) in VARIABLE_NAME_KEYS and isinstance(value, str) and value:
            return field
    return "key"


def _with_given(old, given):
    """The variable item given, in the shape of the item it replaces (its name field, its flags)."""
    name = variable_name(given)
    old_field = _name_field(old) if isinstance(old, dict) else _name_field(given)
    merged = {key: value for key, value in (old or {}).items() if isinstance(value, bool) or value is None}
    merged.update(without_names(given))
    merged[old_field] = name
    return merged


def _mapping_entry(old, given):
    """A given variable as the entry of a plain name -> value mapping: its value, or its fields when the entry is a
    dict."""
    fields = without_names(given)
    if isinstance(old, dict):
        return dict({key: value for key, value in old.items() if isinstance(value, bool) or value is None}, **fields)
    return fields["value"] if list(fields) == ["value"] else fields


def _merge_given(variables, given_items):
    if isinstance(variables, dict):
        for given in given_items:
            name = variable_name(given)
            variables[name] = _mapping_entry(variables.get(name), given)
        return
    index = {variable_name(item): position for position, item in enumerate(variables) if variable_name(item)}
    for given in given_items:
        name = variable_name(given)
        if name in index:
            variables[index[name]] = _with_given(variables[index[name]], given)
        else:
            index[name] = len(variables)
            variables.append(_with_given(None, given))


def _add_target_only(variables, target_variables):
    """Add the target's variables the source does not name (the target keeps its own)."""
    if isinstance(variables, dict) and isinstance(target_variables, dict):
        for name, value in target_variables.items():
            variables.setdefault(name, copy.deepcopy(value))
    elif isinstance(variables, list) and isinstance(target_variables, list):
        names = {variable_name(item) for item in variables}
        variables.extend(copy.deepcopy(item) for item in target_variables
                         if variable_name(item) is not None and variable_name(item) not in names)


def _env_base(plan, source_doc, target_doc):
    """The document the variables are filled into: the source's variables under the target's own metadata (the
    fields beside a variables list: its workflow id, its environment's label, its revision), which no promotion
    moves; the source's whole where there is no target to keep them from."""
    if variables_of(source_doc):
        base = copy.deepcopy(source_doc)
        if isinstance(target_doc, dict) and variables_of(target_doc) is not None:
            base = dict({key: copy.deepcopy(value) for key, value in target_doc.items() if key != "variables"},
                        variables=base["variables"])
        return base
    if target_doc is not None:
        return copy.deepcopy(target_doc)  # the source names no variable: the target keeps its own
    if source_doc is not None:
        return copy.deepcopy(source_doc)
    return {"variables": []} if plan.given_variables else None


def wanted_env_document(plan, source_doc, target_doc):
    """The environment variables to import: the source's variables (plus those given, plus the target's others),
    each value given, else the target's for the same variable, else refused."""
    base = _env_base(plan, source_doc, target_doc)
    if base is None:
        return None
    variables = variables_of(base)
    if plan.given_variables and variables is None:
        raise SecretsRefused("%s: env_variables cannot be applied: the environment variables member has no variables list"
                             % plan.where)
    if variables is not None:
        _merge_given(variables, plan.given_variables or [])
        _add_target_only(variables, variables_of(target_doc))
    for given in plan.given_variables or []:
        plan.remember(without_names(given))
    return fill_document(plan, "env", base, target_doc)


# --- refusals and warnings ------------------------------------------------------------------------------------------


def missing_values(plan):
    """The pointers refused for want of a value, each once, in the order met: what secret_values takes."""
    return list(dict.fromkeys(address for address, _reason in plan.refusals))


def _missing_problem(plan):
    by_reason = {}
    for address, reason in plan.refusals:
        by_reason.setdefault(reason, [])
        if address not in by_reason[reason]:
            by_reason[reason].append(address)
    named = "; ".join("%s (%s)" % (", ".join(addresses), reason) for reason, addresses in by_reason.items())
    many = len(missing_values(plan)) > 1
    return "no value for this environment at %s: give %s in %ssecret_values, keyed by %s as missing_values lists %s " \
        "(an env/<NAME> variable also in %senv_variables)" % (
            named, "them" if many else "it", plan.option_prefix, "these pointers" if many else "this pointer",
            "them" if many else "it", plan.option_prefix)


def raise_refusals(plan):
    """Refuse the workflow when a secret has no value, a given pointer matched nothing, or (target_edits=refuse) the
    target changed a value since the last promotion."""
    problems = [_missing_problem(plan)] if plan.refusals else []
    unused = sorted(pointer for prefix in plan.given_by_pointer.values() for pointer in prefix if pointer not in plan.used)
    problems.extend("%ssecret_values[%r] matches no secret value of the source: a pointer is <member>/<path>, each list "
                    "item named by its id, key or name (e.g. 'flow/nodes/crm-1/settings/password'); add a key the "
                    "classifier misses to secret_keys" % (plan.option_prefix, pointer) for pointer in unused)
    if plan.edited and plan.settings.target_edits == "refuse":
        problems.append("the target changed %s since the last promotion (edited_values lists them): target_edits=keep "
                        "keeps its values, target_edits=overwrite replaces them" % ", ".join(plan.edited))
    if problems:
        raise SecretsRefused("%s: refusing to import: %s; the source's own secret values are never carried unless "
                             "carry_source_secrets=true" % (plan.where, "; ".join(problems)),
                             **{key: value for key, value in plan.results().items() if key != "baseline"})


def carried_warning(plan):
    """A warning naming the secrets carried from the source (carry_source_secrets), or None."""
    carried = list(dict.fromkeys(plan.carried))
    if not carried:
        return None
    shown = ", ".join(carried[:CARRIED_SHOWN]) + (" and %d more" % (len(carried) - CARRIED_SHOWN)
                                                  if len(carried) > CARRIED_SHOWN else "")
    return "%s: carry_source_secrets=true: the source's own values were kept for %s" % (plan.where, shown)
