# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the members of a workflow, read and compared.

A workflow is three JSON documents: the flow definition, the app definition and
the environment variables. They are found by their normalised name in an
archive written by workflow_export or in a directory (an extract_to tree kept in
git), and compared as parsed documents with the keys a server rewrites on import
removed at every depth.
"""

import json
import os
import zipfile
import zlib

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import DEFAULT_OPTIONS, check_extractable
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import canonical_json, framed, sha256_hex
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError, UnsafeArchive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import masked, placeholder_pointers
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import member_role

ROLES = ("flow", "app", "env")
ROLE_NAMES = {"flow": "flow definition", "app": "app definition", "env": "environment variables"}
DEFAULT_MEMBER_NAMES = {"flow": "flow_definition.json", "app": "app_definition.json", "env": "env_variables.json"}
MEMBER_SIZE_LIMIT = 64 * 1024 * 1024
DEFAULT_IGNORE_KEYS = ("workflowId", "toolId", "_id", "createdAt", "updatedAt", "createdBy", "updatedBy")


class Member:
    """One member of a workflow: its name where it was read and its parsed JSON document."""

    def __init__(self, name, document):
        self.name = name
        self.document = document

    def __repr__(self):
        return "Member(%r)" % self.name


class SourceError(KoreaiError):
    """A source that cannot be imported, with what to fix."""


def _parse(name, content, where):
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SourceError("%s: member %s is not valid JSON (%s)" % (where, name, exc))


def _add(members, name, document, where):
    role = member_role(name)
    if role is None:
        return
    if role in members:
        raise SourceError("%s holds two %s members (%s and %s); keep one" % (where, ROLE_NAMES[role], members[role].name, name))
    members[role] = Member(name, document)


def members_of_archive(path, where, limits=DEFAULT_OPTIONS):
    """{role: Member} of a zip archive, refusing archives with unsafe members or over the limits (ExtractOptions)."""
    members = {}
    try:
        with zipfile.ZipFile(path) as archive:
            check_extractable(archive, limits)
            for info in archive.infolist():
                if info.is_dir() or member_role(info.filename) is None:
                    continue
                if info.file_size > MEMBER_SIZE_LIMIT:
                    raise SourceError("%s: member %s is larger than %d bytes" % (where, info.filename, MEMBER_SIZE_LIMIT))
                _add(members, info.filename, _parse(info.filename, archive.read(info), where), where)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
        raise SourceError("%s is not a readable zip archive (%s)" % (where, exc))
    except UnsafeArchive as exc:
        raise SourceError("%s cannot be used: %s" % (where, exc.message))
    return members


def members_of_directory(path, where):
    """{role: Member} of the JSON files directly in a directory; links are not followed."""
    members = {}
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if name.startswith(".") or member_role(name) is None:
            continue
        if os.path.islink(full) or not os.path.isfile(full):
            raise SourceError("%s: %s is not a regular file (links are not followed)" % (where, name))
        if os.path.getsize(full) > MEMBER_SIZE_LIMIT:
            raise SourceError("%s: %s is larger than %d bytes" % (where, name, MEMBER_SIZE_LIMIT))
        with open(full, "rb") as handle:
            _add(members, name, _parse(name, handle.read(), where), where)
    return members


def load_source(src, option="src", limits=DEFAULT_OPTIONS):
    """The members of src (an archive, read within limits, or a directory); the flow and app definitions are
    required."""
    where = "%s %s" % (option, src)
    if not os.path.exists(src):
        raise SourceError("%s does not exist; give an archive written by workflow_export or its extracted directory" % where)
    try:
        members = members_of_directory(src, where) if os.path.isdir(src) else members_of_archive(src, where, limits)
    except OSError as exc:
        raise SourceError("%s cannot be read: %s" % (where, exc.strerror or exc))
    missing = [ROLE_NAMES[role] for role in ("flow", "app") if role not in members]
    if missing:
        raise SourceError("%s has no %s (a member such as %s); it cannot be imported" % (
            where, " and no ".join(missing), " or ".join(DEFAULT_MEMBER_NAMES[role] for role in ("flow", "app")
                                                         if ROLE_NAMES[role] in missing)))
    return members


def without_keys(document, ignore_keys):
    """document with every key in ignore_keys removed, at every depth."""
    if isinstance(document, dict):
        return {key: without_keys(value, ignore_keys) for key, value in document.items() if key not in ignore_keys}
    if isinstance(document, list):
        return [without_keys(value, ignore_keys) for value in document]
    return document


def changed_roles(wanted, current, ignore_keys, roles=ROLES):
    """The roles among roles whose documents differ once ignore_keys are removed (a missing member counts)."""
    changed = []
    for role in roles:
        before = current.get(role)
        after = wanted.get(role)
        if (before is None) != (after is None):
            changed.append(role)
        elif before is not None and without_keys(before.document, ignore_keys) != without_keys(after.document, ignore_keys):
            changed.append(role)
    return changed


def definition_digest(members, ignore_keys, classifier):
    """sha256 over the flow and app definitions as compared (ignore_keys removed): the same source, the same digest,
    whatever form it comes in (an archive, a review tree redacted with or without a key).

    Secret values are masked first and the environment variables left out, so that the digest, which may be
    kept beside a redacted tree, cannot be used to test guesses at them."""
    compared = [(role, masked(members[role].name, without_keys(members[role].document, ignore_keys), classifier))
                for role in ("flow", "app") if role in members]
    return sha256_hex(chunk for role, document in compared for chunk in framed(role, [canonical_json(document)]))


def differing_keys(before, after, path=""):
    """The JSON paths (``/a/b``) where two documents differ, for a warning."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            if before.get(key, _ABSENT) != after.get(key, _ABSENT):
                found.extend(differing_keys(before.get(key), after.get(key), "%s/%s" % (path, key)))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [found for index, (left, right) in enumerate(zip(before, after))
                for found in differing_keys(left, right, "%s/%d" % (path, index))]
    return [path or "/"]


_ABSENT = object()


def assert_no_placeholder(members, where):
    """Refuse to go on when any member still holds a placeholder."""
    for member in members.values():
        pointers = placeholder_pointers(member.document)
        if pointers:
            raise SourceError("%s: %s still holds a redacted placeholder at %s; refusing to upload it" % (
                where, member.name, ", ".join(pointers[:3])))
