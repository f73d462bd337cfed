# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_errors: scrub() removes every spelling of a secret from texts, structures and errors."""

import json
from collections import namedtuple
from urllib.parse import quote

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, KoreaiError, RateLimited
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import MASK, Masker, scrub

KEY = "kg-AAAA1111\nkg-BBBB2222"
PLAIN_KEY = "kg-5ecret/Value+1=="


@pytest.mark.parametrize("text", [
    "header value %s is invalid" % KEY,
    "Invalid header value %r" % KEY,
    "Invalid header value %r" % KEY.encode(),
    "body %s" % json.dumps({"key": KEY}),
    "url ?key=%s" % quote(KEY, safe=""),
    "url ?key=%s" % quote(KEY, safe="").lower(),
    "one line of it: kg-BBBB2222",
])
def test_scrub_removes_every_spelling_of_a_key_with_a_line_break(text):
    scrubbed = scrub(text, [KEY])
    assert MASK in scrubbed
    for piece in ("kg-AAAA1111", "kg-BBBB2222"):
        assert piece not in scrubbed


@pytest.mark.parametrize("spelling", [
    PLAIN_KEY, quote(PLAIN_KEY, safe=""), quote(PLAIN_KEY, safe="").lower(), json.dumps(PLAIN_KEY)[1:-1],
    repr(PLAIN_KEY.encode())[2:-1],
])
def test_scrub_removes_spellings_of_a_plain_key(spelling):
    assert scrub("before %s after" % spelling, [PLAIN_KEY]) == "before %s after" % MASK


def test_scrub_walks_nested_structures_and_keeps_their_types():
    Pair = namedtuple("Pair", "left right")
    value = {
        "msg": "refused %s" % PLAIN_KEY,
        PLAIN_KEY: [("x", PLAIN_KEY), {PLAIN_KEY}, Pair(1, PLAIN_KEY)],
        "raw": b"bytes " + PLAIN_KEY.encode(),
        "count": 3, "flag": None,
    }
    scrubbed = scrub(value, (PLAIN_KEY,))
    assert scrubbed == {
        "msg": "refused " + MASK,
        MASK: [("x", MASK), {MASK}, Pair(1, MASK)],
        "raw": b"bytes " + MASK.encode(),
        "count": 3, "flag": None,
    }
    assert PLAIN_KEY in value["msg"]  # the original is left alone


def test_scrub_cleans_an_error_in_place():
    error = ApiError("refused %s" % PLAIN_KEY, status=401, url="https://h.test/?k=%s" % quote(PLAIN_KEY, safe=""))
    assert scrub(error, [PLAIN_KEY]) is error
    assert PLAIN_KEY not in str(error) and PLAIN_KEY not in error.message
    assert quote(PLAIN_KEY, safe="") not in repr(error.details)
    assert error.status == 401


@pytest.mark.parametrize("secrets", [[], [None], [""], ["   "]])
def test_scrub_without_usable_secrets_changes_nothing(secrets):
    value = {"msg": "nothing to hide", "items": ["a", "b"]}
    assert scrub(value, secrets) == value


def test_rate_limited_is_an_api_error_with_retry_after():
    error = RateLimited("rate limited", retry_after=7.5)
    assert isinstance(error, ApiError) and isinstance(error, KoreaiError)
    assert error.status == 429 and error.retry_after == 7.5
    assert error.details["http_status"] == 429


@pytest.mark.parametrize("text, expected", [
    ("invoice-approval: the approval step", "invoice-approval: the %s step" % MASK),  # kept name, masked value
    ("approval-token-long and approval", "%s and %s" % (MASK, MASK)),  # the longest secret at a position wins
    ("prefix-invoice-approval", "prefix-invoice-approval"),
    ("appr and approva", "appr and approva"),
])
def test_scrub_masks_values_but_inside_kept_texts(text, expected):
    assert scrub(text, ["approval", "approval-token-long", "abc"], keep=["invoice-approval"]) == expected


def test_a_masker_built_once_serves_many_calls_and_ignores_spellings_too_short_to_mean_a_secret():
    masker = Masker(["s3cr3t-value", "ab1"], keep=["job-s3cr3t-value-7"])
    assert scrub({"msg": "s3cr3t-value ab1", "name": "job-s3cr3t-value-7"}, masker) == {
        "msg": "%s ab1" % MASK, "name": "job-s3cr3t-value-7"}
    assert not Masker(["ab1", None, ""])
