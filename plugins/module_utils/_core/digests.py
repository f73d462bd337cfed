# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the JSON forms documents take, and sha256 digests of byte streams.

``canonical_json`` (sorted keys, compact separators, UTF-8) is what digests are computed over; ``pretty_json``
(sorted keys, two-space indent, a final newline) is what is written to disk. Digests of several documents or
members frame each as ``name NUL bytes NUL``. Manifests and review trees already hold digests and files made
this way: the bytes must never change.
"""

import hashlib
import json

CHUNK_SIZE = 1024 * 1024


def canonical_json(document):
    """The compact form of document that digests are computed over."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def pretty_json(document, escape_non_ascii=False):
    """The indented form of document written to disk (non-ASCII characters as \\u escapes when asked)."""
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=escape_non_ascii) + "\n").encode("utf-8")


def read_chunks(handle):
    """The bytes of an open binary file (or zip member), CHUNK_SIZE at a time."""
    return iter(lambda: handle.read(CHUNK_SIZE), b"")


def sha256_hex(chunks):
    """The sha256 (hex) of an iterable of byte chunks."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path):
    """The sha256 (hex) of the file at path."""
    with open(path, "rb") as handle:
        return sha256_hex(read_chunks(handle))


def framed_pairs(name, pairs):
    """Pairs of chunks of one named record, framed as ``name NUL chunks NUL`` on both sides."""
    header = name.encode("utf-8") + b"\0"
    yield header, header
    yield from pairs
    yield b"\0", b"\0"


def framed(name, chunks):
    """The chunks of one named record, framed as ``name NUL chunks NUL``."""
    return (first for first, _second in framed_pairs(name, ((chunk, chunk) for chunk in chunks)))


def sha256_hex_pair(pairs):
    """The sha256 (hex) of the first chunks of pairs and that of the second chunks, in one pass."""
    first, second = hashlib.sha256(), hashlib.sha256()
    for first_chunk, second_chunk in pairs:
        first.update(first_chunk)
        second.update(second_chunk)
    return first.hexdigest(), second.hexdigest()
