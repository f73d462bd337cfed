# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: reading export archives.

The server rebuilds the zip on every export (new timestamps, member order,
JSON formatting), so archives are compared by a content digest: sha256 over the
members sorted by name, each as ``name NUL bytes NUL``, where a JSON member's
bytes are its canonical form (sorted keys, compact separators, UTF-8). Two are
computed: ``change_digest`` over the members as they are (decides ``changed``;
never shown), and ``content_digest`` over their redacted form (secrets replaced
by placeholders, keyed with the redaction key when one is set), which is the one
returned and written to manifests: it cannot be used to test guesses of a secret.

Extraction into a review tree refuses, before anything is written, archives over the
budgets (total uncompressed bytes, member count, bytes per member, compression ratio),
members that could escape or confuse the tree (absolute paths, ``..``, links, components
starting with ``.``, names that collide after normalisation), and streams each member
to disk: JSON members up to CANONICAL_JSON_LIMIT are parsed, redacted and pretty-printed,
other members are copied raw.
"""

import json
import os
import posixpath
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import DEFAULT_CLASSIFIER
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import (
    canonical_json, framed_pairs, pretty_json, read_chunks, sha256_hex, sha256_hex_pair,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import DownloadError, UnsafeArchive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import FileOptions
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.review_tree import STATE_FILE, sync_tree_from
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import masked_for_diff, redacted
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import PLACEHOLDER, member_role
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import check_positive

MIB = 1024 * 1024
CANONICAL_JSON_LIMIT = 32 * MIB  # larger JSON members are hashed (and extracted) as raw bytes
DEFAULT_MAX_ARCHIVE_BYTES = 512 * MIB
DEFAULT_MAX_MEMBERS = 10000
DEFAULT_MAX_MEMBER_BYTES = 256 * MIB
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_FROM = 64 * 1024  # smaller members cannot expand to much, whatever their ratio
DIFF_SIZE_LIMIT = 64 * 1024


def download_cap(max_archive_bytes=None):
    """Bytes a download may bring for archives whose members add up to max_archive_bytes (default the budget's
    default): the members, plus 1/64 and a MiB for the zip's own headers and directory."""
    budget = DEFAULT_MAX_ARCHIVE_BYTES if max_archive_bytes is None else max_archive_bytes
    return budget + budget // 64 + MIB


@dataclass(frozen=True)
class ExtractOptions:
    """Budgets and rules for reading an archive (max_*) and writing its review tree; classifier is the _classifier.Classifier
    that redacts the tree, hides secrets in diffs and decides what the content digest leaves out."""

    max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES
    max_members: int = DEFAULT_MAX_MEMBERS
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES
    allow_dot_members: bool = False
    redact: bool = True
    redaction_key: str = None
    classifier: object = DEFAULT_CLASSIFIER


DEFAULT_OPTIONS = ExtractOptions()
ARCHIVE_LIMITS = ("max_archive_bytes", "max_members", "max_member_bytes")


def archive_limits_argument_spec():
    """The options bounding the archives a module reads (documented by the archive_limits doc fragment)."""
    return {option: dict(type="int", default=getattr(DEFAULT_OPTIONS, option)) for option in ARCHIVE_LIMITS}


def archive_limits_from(params):
    """The ExtractOptions fields of the archive limits given; a PlanError for one that is not positive."""
    check_positive(params, ARCHIVE_LIMITS)
    return {option: params[option] for option in ARCHIVE_LIMITS}


@dataclass
class ArchiveInfo:
    """Verified facts about one export archive: content_digest (redacted, fit to show), change_digest (internal) and
    owners ({flow or app definition member: the workflow or tool id it names, or None})."""

    members: list
    content_digest: str
    change_digest: str = None
    owners: dict = field(default_factory=dict)


def _is_json_member(info):
    return info.filename.lower().endswith(".json") and info.file_size <= CANONICAL_JSON_LIMIT


def _parsed_json(archive, info):
    """The member's parsed JSON document, or None when it is not valid JSON."""
    try:
        return json.loads(archive.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _file_members(archive):
    return sorted((info for info in archive.infolist() if not info.is_dir()), key=lambda info: info.filename)


def _raw_chunks(archive, info):
    """A member's bytes in chunks, never more than its declared size."""
    left = info.file_size
    with archive.open(info) as member:
        for chunk in read_chunks(member):
            left -= len(chunk)
            if left < 0:
                raise UnsafeArchive("refusing member %r: it holds more bytes than it declares" % info.filename)
            yield chunk


def _member_chunks(archive, info):
    """The bytes that stand for a member in the content digest."""
    if _is_json_member(info):
        document = _parsed_json(archive, info)
        try:
            canonical = canonical_json(document) if document is not None else None
        except RecursionError:
            canonical = None
        if canonical is not None:
            yield canonical
            return
    yield from _raw_chunks(archive, info)


OWNER_KEYS = ("workflowId", "toolId")  # top-level keys of the flow and app definitions that name their workflow


def owner_named(document):
    """The workflow (or tool) id a flow or app definition names at its top level, or None."""
    named = [document.get(key) for key in OWNER_KEYS] if isinstance(document, dict) else []
    named = [str(value).strip() for value in named if isinstance(value, (str, int)) and str(value).strip()]
    return named[0] if named else None


def _digest_pairs(archive, info, options, owners):
    """(chunk as it is, chunk as shown) pairs of a member: equal for raw members, JSON canonical then redacted.
    The id a flow or app definition names goes into owners."""
    if _is_json_member(info):
        document = _parsed_json(archive, info)
        if member_role(info.filename) in ("flow", "app"):
            owners[info.filename] = owner_named(document)
        try:
            if document is not None:
                yield canonical_json(document), canonical_json(redacted(info.filename, document, options.classifier,
                                                                        options.redaction_key))
                return
        except RecursionError:
            pass
    shown_placeholder = member_role(info.filename) == "env"  # unreadable variables: their bytes are secrets
    if shown_placeholder:
        yield b"", canonical_json(PLACEHOLDER)
    for chunk in _raw_chunks(archive, info):
        yield chunk, b"" if shown_placeholder else chunk


def _checked_pairs(archive, info, description, options, owners):
    """_digest_pairs of a member read whole once, so zipfile checks its CRC on the way."""
    try:
        yield from _digest_pairs(archive, info, options, owners)
    except zipfile.BadZipFile as exc:
        if "CRC" not in str(exc):
            raise
        raise DownloadError("%s is a corrupt zip: member %s fails its CRC check" % (description, info.filename))


def _budget_problem(infos, options):
    files = [info for info in infos if not info.is_dir()]
    if len(files) > options.max_members:
        return "it holds %d members, more than max_members=%d" % (len(files), options.max_members)
    for info in files:
        if info.file_size > options.max_member_bytes:
            return "member %r has %d bytes, more than max_member_bytes=%d" % (
                info.filename, info.file_size, options.max_member_bytes)
    total = sum(info.file_size for info in files)
    if total > options.max_archive_bytes:
        return "its members add up to %d bytes, more than max_archive_bytes=%d" % (total, options.max_archive_bytes)
    return None


def check_budgets(archive, options=DEFAULT_OPTIONS, description="the archive"):
    """Raise UnsafeArchive when the archive's declared sizes or member count exceed the budgets."""
    problem = _budget_problem(archive.infolist(), options)
    if problem:
        raise UnsafeArchive("refusing %s: %s" % (description, problem))


def _archive_pairs(archive, description, options, owners):
    """The (as it is, as shown) chunk pairs of every member, each framed by its name, in name order."""
    for info in _file_members(archive):
        yield from framed_pairs(info.filename, _checked_pairs(archive, info, description, options, owners))


def inspect_archive(path, description="the download", options=DEFAULT_OPTIONS):
    """Check that path is a readable zip within the budgets and compute its member list, both digests and the ids its
    definitions name, reading each member once."""
    owners = {}
    try:
        with zipfile.ZipFile(path) as archive:
            check_budgets(archive, options, description)
            members = [info.filename for info in _file_members(archive)]
            change, shown = sha256_hex_pair(_archive_pairs(archive, description, options, owners))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
        raise DownloadError("%s is not a readable zip archive (%s)" % (description, exc))
    return ArchiveInfo(members=members, content_digest=shown, change_digest=change, owners=owners)


def check_owners(owners, workflow_id, kind="workflow"):
    """Raise UnsafeArchive when one of owners ({member name: id it names, or None}) is another workflow (or tool) than
    workflow_id. kind is the connection's Kind (or its name), for the message. Members that name no id pass."""
    name = getattr(kind, "name", kind)
    for member, owner in sorted(owners.items()):
        if owner is not None and owner != str(workflow_id):
            raise UnsafeArchive("the archive downloaded for %s %s belongs to %s %s (%s names it): refused, nothing was "
                                "written or imported from it; a rerun exports again, and if the server keeps answering "
                                "another %s's archive, report it to its administrators"
                                % (name, workflow_id, name, owner, member, name))


# --- diff ----------------------------------------------------------------------------


def _diff_view(archive, info):
    """(content digest, parsed JSON document or None when it is not shown) of one member."""
    digest = sha256_hex(_member_chunks(archive, info))
    if info.file_size > DIFF_SIZE_LIMIT or not _is_json_member(info):
        return digest, None
    return digest, _parsed_json(archive, info)


def _diff_views(path):
    """{name: (digest, document)} of an archive, or {} when there is none to read."""
    if not path or not os.path.exists(path):
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            check_budgets(archive)
            return {info.filename: _diff_view(archive, info) for info in _file_members(archive)}
    except (zipfile.BadZipFile, zlib.error, OSError, UnsafeArchive):
        return {}


def _changed_member_lines(name, before, after, classifier):
    """The header and unified diff of one changed member, secrets hidden; other content never shown raw."""
    if before is None or after is None:
        return ["~ member changed: %s (not shown: not JSON, or larger than %d bytes)" % (name, DIFF_SIZE_LIMIT)]
    try:
        shown_before, shown_after = masked_for_diff(name, before, after, classifier)
    except RecursionError:
        return ["~ member changed: %s (not shown: nested too deeply)" % name]
    hidden = shown_before != before or shown_after != after
    header = "~ member changed: %s%s" % (name, " (values hidden: it may hold secrets)" if hidden else "")
    import difflib  # only diff mode needs it: not imported at every module start
    return [header] + list(difflib.unified_diff(pretty_json(shown_before).decode("utf-8").splitlines(),
                                                pretty_json(shown_after).decode("utf-8").splitlines(),
                                                "a/" + name, "b/" + name, lineterm=""))


def archive_diff(old_path, new_path, label, classifier):
    """An Ansible diff listing added, removed and changed members, with unified diffs of readable JSON ones.

    Values of secret keys and of the environment-variables member read ``<hidden>``, or ``<hidden, changed>``
    when they differ from the value before; non-JSON members are never shown.
    """
    before, after = _diff_views(old_path), _diff_views(new_path)
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            lines.append("+ member added: %s" % name)
        elif name not in after:
            lines.append("- member removed: %s" % name)
        elif before[name][0] != after[name][0]:
            lines.extend(_changed_member_lines(name, before[name][1], after[name][1], classifier))
    return {"before_header": label, "after_header": label, "prepared": "\n".join(lines) + "\n" if lines else ""}


# --- checks before extraction ------------------------------------------------------


def normalised_member_path(name):
    """The relative path a member is written to ('./a//b.json' -> 'a/b.json')."""
    return posixpath.normpath(name.replace("\\", "/"))


def _collision_key(path):
    return unicodedata.normalize("NFC", path).casefold()


def _unsafe_reason(info, options):
    name = info.filename
    mode = info.external_attr >> 16
    if name.startswith(("/", "\\")) or posixpath.isabs(name) or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    parts = normalised_member_path(name).split("/")
    if ".." in name.replace("\\", "/").split("/") or ".." in parts:
        return "climbs out of the directory with '..'"
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if _collision_key(normalised_member_path(name)) == STATE_FILE:
        return "has the name of the tree's state file"
    if not options.allow_dot_members and any(part.startswith(".") for part in parts):
        return "has a path component starting with '.' (allow_dot_members lets it through)"
    if (info.compress_size and info.file_size > RATIO_CHECK_FROM
            and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO):
        return "expands %d times (a decompression bomb?)" % (info.file_size // info.compress_size)
    return None


def _collision(paths):
    """(path, earlier path) of the first two members that would land on one file (or a file and its
    directory), comparing names case-insensitively; None when there is none."""
    seen = {}
    for path, original in paths:
        key = _collision_key(path)
        if key in seen:
            return original, seen[key]
        seen[key] = original
    for path, original in paths:
        parts = _collision_key(path).split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            if prefix in seen:
                return original, seen[prefix]
    return None


def check_extractable(archive, options=DEFAULT_OPTIONS):
    """Raise UnsafeArchive naming the first member that must not be written to disk (or the budget the
    archive exceeds); return [(relative path, ZipInfo)] of the files to write, sorted by path."""
    check_budgets(archive, options, "to extract the archive")
    for info in archive.infolist():
        reason = _unsafe_reason(info, options)
        if reason:
            raise UnsafeArchive("refusing to extract member %r: it %s" % (info.filename, reason))
    files = [(normalised_member_path(info.filename), info) for info in archive.infolist() if not info.is_dir()]
    collision = _collision([(path, info.filename) for path, info in files])
    if collision:
        raise UnsafeArchive("refusing to extract member %r: it lands on the same file as member %r "
                            "(names are compared after normalisation, case-insensitively)" % collision)
    return sorted(files, key=lambda item: item[0])


# --- the review tree ---------------------------------------------------------------


def _tree_chunks(archive, path, info, options):
    """The bytes of one member as written to the review tree."""
    if _is_json_member(info) or (options.redact and member_role(path) == "env" and info.file_size <= CANONICAL_JSON_LIMIT):
        document = _parsed_json(archive, info)
        try:
            if document is not None:
                return [pretty_json(redacted(path, document, options.classifier, options.redaction_key)
                                    if options.redact else document)]
        except RecursionError:
            pass
    if options.redact and (path.lower().endswith(".json") or member_role(path) == "env"):
        return [pretty_json(PLACEHOLDER)]  # cannot be parsed, so cannot be redacted value by value
    return _raw_chunks(archive, info)


def extract_archive(path, root, check_mode, options=DEFAULT_OPTIONS, file_options=None):
    """Make directory root hold the archive's members (see sync_tree_from); return its TreeReport.

    Everything is checked before anything is written; members are streamed one at a time."""
    try:
        with zipfile.ZipFile(path) as archive:
            files = check_extractable(archive, options)
            sources = {name: (lambda name=name, info=info: _tree_chunks(archive, name, info, options))
                       for name, info in files}
            return sync_tree_from(root, sources, check_mode, file_options or FileOptions())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
        raise DownloadError("%s is not a readable zip archive (%s)" % (path, exc))
