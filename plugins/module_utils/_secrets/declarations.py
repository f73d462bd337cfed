# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the project's declaration of what belongs to each environment.

The classifier is a first line; the declaration, one YAML (or JSON) file per project, names what it cannot know::

    environment_owned:          # values each environment keeps its own, secret or not
      - flow/nodes/*/settings/webhookUrl
      - env/REGION
    not_secret:                 # values that only look like secrets: shown in trees, moved by a promotion
      - flow/nodes/*/settings/headers/X-Trace-Token/value
    secret_keys: [tenantKey]    # as the modules' options of these names, added to them
    not_secret_keys: []
    secret_value_patterns: []

An entry is a pointer in the form ``secret_values`` takes (``flow/...``, ``app/...``, ``env/<VARIABLE>``, and
``env-metadata/...`` for what sits beside the variables), where a segment may be a glob (``*``, ``crm-*``) and ``**``
stands for any number of segments. An entry names the value at its pointer and every value below it. Where both lists
name a value, environment_owned wins.
"""

import fnmatch
import json

POINTER_PREFIXES = ("flow", "app", "env", "env-metadata")
LIST_FIELDS = ("environment_owned", "not_secret", "secret_keys", "not_secret_keys", "secret_value_patterns")
FILE_LIMIT = 1024 * 1024
OWNED = "owned"
NOT_SECRET = "not secret"


class DeclarationError(ValueError):
    """A secrets file that cannot be used; the message names the file, the entry and the fix."""


class Declarations:
    """Pointer patterns declared environment-owned or not secret, and the file's classifier lists."""

    def __init__(self, owned=(), not_secret=(), secret_keys=(), not_secret_keys=(), secret_value_patterns=()):
        self.owned = tuple(pattern.split("/") for pattern in owned)
        self.not_secret = tuple(pattern.split("/") for pattern in not_secret)
        self.secret_keys = tuple(secret_keys)
        self.not_secret_keys = tuple(not_secret_keys)
        self.secret_value_patterns = tuple(secret_value_patterns)

    def verdict(self, address):
        """OWNED or NOT_SECRET when a pattern names address (a pointer) or one of its parents, else None."""
        if not (self.owned or self.not_secret) or address is None:
            return None
        segments = address.split("/")
        if any(_names(pattern, segments) for pattern in self.owned):
            return OWNED
        if any(_names(pattern, segments) for pattern in self.not_secret):
            return NOT_SECRET
        return None


def _names(pattern, segments):
    """Whether the pattern's segments match segments or a prefix of them (a parent names what is below it)."""
    if not pattern:
        return True
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_names(rest, segments[index:]) for index in range(len(segments) + 1))
    return bool(segments) and fnmatch.fnmatchcase(segments[0], head) and _names(rest, segments[1:])


def _parsed(path):
    """The document of the file at path (YAML, or JSON where PyYAML is missing)."""
    try:
        with open(path, "rb") as handle:
            content = handle.read(FILE_LIMIT + 1)
    except OSError as exc:
        raise DeclarationError("secrets_file %s cannot be read: %s" % (path, exc.strerror or exc))
    if len(content) > FILE_LIMIT:
        raise DeclarationError("secrets_file %s is larger than %d bytes" % (path, FILE_LIMIT))
    # imported here: only a task with a secrets file pays for loading PyYAML
    from ansible.module_utils.common.yaml import HAS_YAML, yaml_load  # pylint: disable=import-outside-toplevel

    try:
        text = content.decode("utf-8-sig")
        return yaml_load(text) if HAS_YAML else json.loads(text)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # the YAML library's errors have no common base
        raise DeclarationError("secrets_file %s is not valid YAML: %s" % (path, exc))


def _entries(document, field, path):
    entries = document.get(field) or []
    if not isinstance(entries, list) or not all(isinstance(entry, str) and entry.strip() for entry in entries):
        raise DeclarationError("secrets_file %s: %s must be a list of strings" % (path, field))
    entries = [entry.strip().strip("/") if field in ("environment_owned", "not_secret") else entry for entry in entries]
    for entry in entries if field in ("environment_owned", "not_secret") else ():
        if entry.split("/")[0] not in POINTER_PREFIXES or "/" not in entry:
            raise DeclarationError("secrets_file %s: %s entry %r must be a pointer starting with %s, e.g. "
                                   "'flow/nodes/*/settings/webhookUrl' or 'env/REGION'"
                                   % (path, field, entry, ", ".join(prefix + "/" for prefix in POINTER_PREFIXES)))
    return entries


def load_declarations(path):
    """The Declarations of the secrets file at path (empty ones for no path); a DeclarationError names what is
    wrong."""
    if not path:
        return Declarations()
    document = _parsed(path)
    if document is None:
        return Declarations()
    if not isinstance(document, dict):
        raise DeclarationError("secrets_file %s must hold a mapping with %s" % (path, ", ".join(LIST_FIELDS)))
    unknown = sorted(str(key) for key in document if key not in LIST_FIELDS)
    if unknown:
        raise DeclarationError("secrets_file %s: unknown entry %s; the entries are %s" % (
            path, ", ".join(unknown), ", ".join(LIST_FIELDS)))
    owned, not_secret, keys, not_keys, patterns = (_entries(document, field, path) for field in LIST_FIELDS)
    return Declarations(owned, not_secret, keys, not_keys, patterns)
