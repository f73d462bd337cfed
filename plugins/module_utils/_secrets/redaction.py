# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: hiding the secret values the classifier of ``_secrets`` finds.

Diffs show ``<hidden>`` (``<hidden, changed>`` when the value at the same identity differs).
Redacted trees replace each secret by a placeholder (a credential part of a string alone, so that a reviewer still
sees a URL's host and path); with a key, the placeholder carries
a keyed digest (HMAC-SHA256 of member, identity pointer and value, truncated) so a reviewer
sees that a value changed between two exports made with the same key, and nothing else.
A tree is scanned for secret values left unredacted.
"""

import hashlib
import hmac
import json
import os
import posixpath

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import (
    PARTIAL, PLACEHOLDER, PLACEHOLDER_PREFIX, escape_pointer_segment, holds_placeholder, is_placeholder, leaves,
    member_role, normalised_name, spliced, value_or_missing, walk,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.review_tree import STATE_FILE

HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, changed>"
DIGEST_HEX_CHARS = 16
JSON_CHECK_LIMIT = 32 * 1024 * 1024


def _parts_before(before, leaf, classifier):
    """{part name: text} of the value at the leaf's identity in before (a PARTIAL leaf's counterpart)."""
    value = value_or_missing(before, leaf.steps)
    if not isinstance(value, str):
        return {}
    return {part.name: value[part.start:part.end] for part in classifier.credential_parts(value)}


def masked_for_diff(name, before, after, classifier):
    """(before, after) documents of one member with secrets hidden (a credential part alone, in its string); a
    hidden value that differs from the one at the same identity before reads ``<hidden, changed>`` (decided by
    comparison, never by a digest)."""
    role = member_role(name)

    def hide_before(leaf):
        return spliced(leaf.value, leaf.parts, lambda part, text: HIDDEN) if leaf.kind == PARTIAL else HIDDEN

    def hide_after(leaf):
        if leaf.kind == PARTIAL:
            earlier = _parts_before(before, leaf, classifier) if before is not None else {}
            return spliced(leaf.value, leaf.parts,
                           lambda part, text: HIDDEN if earlier.get(part.name) == text else HIDDEN_CHANGED)
        if before is not None and value_or_missing(before, leaf.steps) == leaf.value:
            return HIDDEN
        return HIDDEN_CHANGED

    hidden_before = walk(before, role, classifier, hide_before) if before is not None else None
    hidden_after = walk(after, role, classifier, hide_after) if after is not None else None
    return hidden_before, hidden_after


def redacted(name, document, classifier, key=None):
    """document with every secret (or credential part) replaced by a placeholder; with key (bytes or str), a keyed
    digest of member, identity pointer and value in the placeholder shows whether a value changed between exports."""
    secret = key.encode("utf-8") if isinstance(key, str) else key

    def placeholder(leaf, part_name, value):
        if is_placeholder(value):
            return value
        if not secret:
            return PLACEHOLDER
        about = [normalised_name(name), "/" + leaf.identity, value] if part_name is None else \
            [normalised_name(name), "/" + leaf.identity, part_name, value]
        message = json.dumps(about, sort_keys=True, ensure_ascii=False)
        digest = hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()[:DIGEST_HEX_CHARS]
        return "%s:hmac-sha256:%s>" % (PLACEHOLDER_PREFIX, digest)

    def replace(leaf):
        if leaf.kind == PARTIAL:
            return spliced(leaf.value, leaf.parts, lambda part, text: placeholder(leaf, part.name, text))
        return placeholder(leaf, None, leaf.value)

    return walk(document, member_role(name), classifier, replace)


def masked(name, document, classifier):
    """document with every secret (or credential part) as the bare placeholder, a keyed one included: the same
    document from an archive or from a tree redacted with any key reads the same."""
    def replace(leaf):
        if leaf.kind == PARTIAL:
            return spliced(leaf.value, leaf.parts, lambda part, text: PLACEHOLDER)
        return PLACEHOLDER

    return walk(document, member_role(name), classifier, replace)


def placeholder_pointers(document, pointer=""):
    """JSON pointers of every string in document that holds a placeholder (in whole or in part)."""
    if isinstance(document, dict):
        return [found for key, value in document.items()
                for found in placeholder_pointers(value, pointer + "/" + escape_pointer_segment(key))]
    if isinstance(document, list):
        return [found for index, value in enumerate(document)
                for found in placeholder_pointers(value, "%s/%d" % (pointer, index))]
    return [pointer] if holds_placeholder(document) else []


def unredacted_pointers(name, document, classifier):
    """JSON pointers of secret values (or credential parts) in one member that are not placeholders."""
    found = []
    for leaf in leaves(name, document, classifier):
        texts = list(leaf.part_values().values()) if leaf.kind == PARTIAL else [leaf.value]
        if not all(is_placeholder(text) for text in texts):
            found.append(leaf.pointer)
    return found


def _tree_json_files(tree_dir):
    """Relative paths of the .json files below tree_dir (links neither followed nor listed), state files aside."""
    found = []
    for directory, _subdirs, names in os.walk(tree_dir):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, tree_dir).replace(os.sep, "/")
            if name.lower().endswith(".json") and name != posixpath.basename(STATE_FILE) and not os.path.islink(path):
                found.append(relative)
    return sorted(found)


def find_unredacted(tree_dir, classifier):
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
            document = json.loads(content.decode("utf-8"))
            found.extend((relative, pointer) for pointer in unredacted_pointers(relative, document, classifier))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            found.append((relative, ""))
    return found
