# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: what the last promotion brought into a target, kept small and free of secrets.

No classifier knows every secret, so a promotion also keeps what a target changed by hand. To tell a target's own
edit from a value an earlier promotion brought, the controller keeps, per workflow and target, the baseline an
import returns and passes it to the next import:

- the baseline is a set of 32-bit digests of (pointer, value) pairs: every value of the source that the
  classifier and the declarations leave plain (the values a review tree shows in clear anyway), a string's
  credential parts masked, the environment's variables and its secrets left out. So it holds no secret value and
  grows by 4 bytes a value; it is written ``v1:`` and the digests, sorted, in base64;
- on the next import, a plain value that differs between the target and the source is the target's own when the
  baseline does not hold the target's value at that pointer: no promotion brought it there.
"""

import base64
import binascii
import hashlib
import json

VERSION = "v1:"
DIGEST_BYTES = 4


class BaselineError(ValueError):
    """A baseline that is not one an import returned."""


def value_digest(address, value):
    """The digest of one value at one pointer."""
    text = json.dumps([address, value], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:DIGEST_BYTES]


def encoded(digests):
    """The baseline text of a set of digests."""
    return VERSION + base64.b64encode(b"".join(sorted(digests))).decode("ascii")


def decoded(text, option):
    """The set of digests of a baseline text (None for none given); a BaselineError names option."""
    if text is None or text == "":
        return None
    if not isinstance(text, str) or not text.startswith(VERSION):
        raise BaselineError("%s is not a baseline returned by workflow_import (it starts with %r); pass the baseline "
                            "of the last import's result, or omit it for a first promotion" % (option, VERSION))
    try:
        raw = base64.b64decode(text[len(VERSION):].encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise BaselineError("%s is not a baseline returned by workflow_import (%s)" % (option, exc))
    if len(raw) % DIGEST_BYTES:
        raise BaselineError("%s is not a baseline returned by workflow_import (its length is wrong)" % option)
    return {raw[index:index + DIGEST_BYTES] for index in range(0, len(raw), DIGEST_BYTES)}
