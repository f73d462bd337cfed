# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: masking secrets in what a run shows, by value.

scrub() is the second line of defence: it masks every known secret, in every
spelling a message could hold it, in any text or result structure, by value: a
secret's whole value and its credential-looking pieces, never a plain word of it,
and never inside the texts it is told to keep (names, ids, paths).
"""

import json
import re
from urllib.parse import quote, quote_plus

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError

MASK = "********"


def secret_spellings(secret):
    """Every text form in which secret may reach a message: raw, repr, bytes repr, JSON, percent-encoded."""
    forms = {
        secret,
        repr(secret)[1:-1],
        repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    for encoded in (quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)):
        forms.update((encoded, encoded.lower()))
    if re.search(r"[\s\\]", secret):
        forms.update(piece for piece in re.split(r"[\s\\]+", secret) if credential_piece(piece))
    return forms


def credential_piece(piece):
    """Whether a piece of a secret split at spaces (the token of ``Bearer ...``, a line of a PEM block) is worth
    masking on its own: long, or not a plain word (``Bearer`` or ``horse`` are masked only as part of the whole)."""
    return len(piece) >= 16 or (len(piece) >= 8 and any(not char.isalpha() for char in piece))


class Masker:
    """Masks the spellings of secrets in texts, but inside the texts to keep.

    Written by hand rather than as one regular expression: an alternation of thousands of secrets (a batch's given
    and target values) compiles for seconds and scans a diff for as long. Here each secret spelling and each kept text
    is indexed by its first PREFIX characters, so a text is scanned once, with one dictionary lookup a position; at a
    position, the longest candidate that matches wins, a kept text staying as it is. A spelling shorter than PREFIX
    cannot mean a secret and is not masked.
    """

    PREFIX = 4

    def __init__(self, secrets, keep=()):
        forms = set()
        for secret in secrets:
            if isinstance(secret, bytes):
                secret = secret.decode("utf-8", "replace")
            if secret and secret.strip():
                forms.update(form for form in secret_spellings(secret) if len(form) >= self.PREFIX)
        self._index = {}
        self._add(forms, False)
        self._add({text for text in keep if isinstance(text, str) and self._finds(text)}, True)

    def _add(self, texts, kept):
        for text in texts:
            self._index.setdefault(text[:self.PREFIX], []).append((text, kept))
        for candidates in self._index.values():
            candidates.sort(key=lambda candidate: (-len(candidate[0]), candidate[1]))

    def _finds(self, text):
        return self.sub(text) != text

    def __bool__(self):
        return bool(self._index)

    def sub(self, text):
        """text with every secret spelling masked, but inside the kept texts."""
        pieces, position, last, prefix = [], 0, 0, self.PREFIX
        while position <= len(text) - prefix:
            for candidate, kept in self._index.get(text[position:position + prefix], ()):
                if text.startswith(candidate, position):
                    if not kept:
                        pieces.extend((text[last:position], MASK))
                        last = position + len(candidate)
                    position += len(candidate)
                    break
            else:
                position += 1
        return "".join(pieces) + text[last:] if pieces else text


def scrub(value, secrets, keep=()):
    """A copy of value (text, bytes or nested dicts/lists/tuples/sets) with every spelling of each secret masked, but
    inside the texts of keep (names, ids, paths the output must show whole). secrets may be a Masker built once for
    many calls.

    A KoreaiError is scrubbed in place (its message and details) and returned; other objects are returned as they are.
    """
    masker = secrets if isinstance(secrets, Masker) else Masker(secrets, keep)
    if not masker:
        return value
    return _scrub(value, masker)


def _scrub(value, masker):
    if isinstance(value, str):
        return masker.sub(value)
    if isinstance(value, bytes):
        text = value.decode("utf-8", "surrogateescape")
        return masker.sub(text).encode("utf-8", "surrogateescape")
    if isinstance(value, dict):
        return {_scrub(key, masker): _scrub(item, masker) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_scrub(item, masker) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, KoreaiError):
        value.message = _scrub(value.message, masker)
        value.args = (value.message,)
        value.details = _scrub(value.details, masker)
    return value
