# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: reading export archives.

The server rebuilds the zip on every export (new timestamps, member order,
JSON formatting), so archives are compared by a content digest: sha256 over the
members sorted by name, each as ``name NUL bytes NUL``, where a JSON member's
bytes are its canonical form (sorted keys, compact separators, UTF-8).
"""

import difflib
import hashlib
import json
import os
import posixpath
import stat
import zipfile
import zlib
from dataclasses import dataclass

from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import DownloadError, UnsafeArchive

CANONICAL_JSON_LIMIT = 32 * 1024 * 1024  # larger JSON members are hashed as raw bytes
MAX_MEMBER_SIZE = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
DIFF_SIZE_LIMIT = 64 * 1024
SECRET_MEMBER_MARKERS = ("env_variables", "secret")
CHUNK_SIZE = 1024 * 1024


@dataclass
class ArchiveInfo:
    """Verified facts about one export archive."""

    members: list
    content_digest: str


def canonical_json(document):
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def pretty_json(document):
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _is_json_member(info):
    return info.filename.lower().endswith(".json") and info.file_size <= CANONICAL_JSON_LIMIT


def _parsed_json(archive, info):
    """The member's parsed JSON document, or None when it is not valid JSON."""
    try:
        return json.loads(archive.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def _file_members(archive):
    return sorted((info for info in archive.infolist() if not info.is_dir()), key=lambda info: info.filename)


def _member_chunks(archive, info):
    """The bytes that stand for a member in the content digest."""
    if _is_json_member(info):
        document = _parsed_json(archive, info)
        if document is not None:
            yield canonical_json(document)
            return
    with archive.open(info) as member:
        yield from iter(lambda: member.read(CHUNK_SIZE), b"")


def inspect_archive(path, description="the download"):
    """Check that path is a readable zip and compute its member list and content digest."""
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
            if broken is not None:
                raise DownloadError("%s is a corrupt zip: member %s fails its CRC check" % (description, broken))
            digest = hashlib.sha256()
            members = []
            for info in _file_members(archive):
                members.append(info.filename)
                digest.update(info.filename.encode("utf-8") + b"\0")
                for chunk in _member_chunks(archive, info):
                    digest.update(chunk)
                digest.update(b"\0")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
        raise DownloadError("%s is not a readable zip archive (%s)" % (description, exc))
    return ArchiveInfo(members=members, content_digest=digest.hexdigest())


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _readable_members(path):
    """{name: text for diffing} of an archive, or {} when there is none to read."""
    if not path or not os.path.exists(path):
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            return {info.filename: _diff_text(archive, info) for info in _file_members(archive)}
    except (zipfile.BadZipFile, zlib.error, OSError):
        return {}


def _is_secret(name):
    return any(marker in name.lower() for marker in SECRET_MEMBER_MARKERS)


def _diff_text(archive, info):
    if _is_secret(info.filename):
        return "<values hidden, content digest %s>" % _member_digest(archive, info)
    if info.file_size > DIFF_SIZE_LIMIT or not _is_json_member(info):
        return "<%d bytes, content digest %s>" % (info.file_size, _member_digest(archive, info))
    document = _parsed_json(archive, info)
    return archive.read(info).decode("utf-8", "replace") if document is None else pretty_json(document).decode("utf-8")


def _member_digest(archive, info):
    digest = hashlib.sha256()
    for chunk in _member_chunks(archive, info):
        digest.update(chunk)
    return digest.hexdigest()


def archive_diff(old_path, new_path, label):
    """An Ansible diff listing added, removed and changed members, with unified diffs of readable JSON ones."""
    before, after = _readable_members(old_path), _readable_members(new_path)
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            lines.append("+ member added: %s" % name)
        elif name not in after:
            lines.append("- member removed: %s" % name)
        elif before[name] != after[name]:
            lines.append("~ member changed: %s%s" % (name, " (values hidden: it may hold secrets)" if _is_secret(name) else ""))
            if not before[name].startswith("<"):
                lines.extend(difflib.unified_diff(before[name].splitlines(), after[name].splitlines(),
                                                  "a/" + name, "b/" + name, lineterm=""))
    return {"before_header": label, "after_header": label, "prepared": "\n".join(lines) + "\n" if lines else ""}


def _unsafe_reason(info):
    name = info.filename
    mode = info.external_attr >> 16
    if name.startswith(("/", "\\")) or posixpath.isabs(name) or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "climbs out of the directory with '..'"
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if info.file_size > MAX_MEMBER_SIZE:
        return "is larger than %d bytes" % MAX_MEMBER_SIZE
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO and info.file_size > CHUNK_SIZE:
        return "expands %d times (a decompression bomb?)" % (info.file_size // info.compress_size)
    return None


def check_extractable(archive):
    """Raise UnsafeArchive naming the first member that must not be written to disk."""
    for info in archive.infolist():
        reason = _unsafe_reason(info)
        if reason:
            raise UnsafeArchive("refusing to extract member %r: it %s" % (info.filename, reason))


def extracted_files(path):
    """{relative path: bytes} as the archive is written out for review: JSON pretty-printed with sorted keys."""
    files = {}
    with zipfile.ZipFile(path) as archive:
        check_extractable(archive)
        for info in _file_members(archive):
            document = _parsed_json(archive, info) if _is_json_member(info) else None
            files[posixpath.normpath(info.filename)] = pretty_json(document) if document is not None else archive.read(info)
    return files
