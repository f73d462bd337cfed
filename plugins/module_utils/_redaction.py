# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: hiding the secret values the classifier of ``_secrets`` finds.

Diffs show ``<hidden>`` (``<hidden, changed>`` when the value at the same identity differs).
Redacted trees replace each secret by a placeholder; with a key, the placeholder carries
a keyed digest (HMAC-SHA256 of member, identity pointer and value, truncated) so a reviewer
sees that a value changed between two exports made with the same key, and nothing else.
A tree is scanned for secret values left unredacted.
"""

import hashlib
import hmac
import json
import os
import posixpath

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets import (
    PLACEHOLDER, PLACEHOLDER_PREFIX, escape_pointer_segment, is_placeholder, member_role, normalised_name, secret_leaves,
    value_or_missing, walk_secrets,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._tree_writer import STATE_FILE

HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, changed>"
DIGEST_HEX_CHARS = 16
JSON_CHECK_LIMIT = 32 * 1024 * 1024


def masked_for_diff(name, before, after, classifier=None):
    """(before, after) documents of one member with secrets hidden; a hidden value that differs from the one at
    the same identity before reads ``<hidden, changed>`` (decided by comparison, never by a digest)."""
    in_env = member_role(name) == "env"
    hidden_before = walk_secrets(before, in_env, lambda leaf: HIDDEN, classifier) if before is not None else None

    def hide_after(leaf):
        if before is not None and value_or_missing(before, leaf.steps) == leaf.value:
            return HIDDEN
        return HIDDEN_CHANGED

    hidden_after = walk_secrets(after, in_env, hide_after, classifier) if after is not None else None
    return hidden_before, hidden_after


def redacted(name, document, key=None, classifier=None):
    """document with every secret replaced by a placeholder; with key (bytes or str), a keyed digest of
    member, identity pointer and value in the placeholder shows whether a value changed between exports."""
    in_env = member_role(name) == "env"
    secret = key.encode("utf-8") if isinstance(key, str) else key

    def placeholder(leaf):
        if is_placeholder(leaf.value):
            return leaf.value
        if not secret:
            return PLACEHOLDER
        message = json.dumps([normalised_name(name), "/" + leaf.identity, leaf.value], sort_keys=True, ensure_ascii=False)
        digest = hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()[:DIGEST_HEX_CHARS]
        return "%s:hmac-sha256:%s>" % (PLACEHOLDER_PREFIX, digest)

    return walk_secrets(document, in_env, placeholder, classifier)


def placeholder_pointers(document, pointer=""):
    """JSON pointers of every placeholder in document."""
    if isinstance(document, dict):
        return [found for key, value in document.items()
                for found in placeholder_pointers(value, pointer + "/" + escape_pointer_segment(key))]
    if isinstance(document, list):
        return [found for index, value in enumerate(document)
                for found in placeholder_pointers(value, "%s/%d" % (pointer, index))]
    return [pointer] if is_placeholder(document) else []


def unredacted_pointers(name, document, classifier=None):
    """JSON pointers of secret values in one member that are not placeholders."""
    return [leaf.pointer for leaf in secret_leaves(name, document, classifier) if not is_placeholder(leaf.value)]


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


def find_unredacted(tree_dir, classifier=None):
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
