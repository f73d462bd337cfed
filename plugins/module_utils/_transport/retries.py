# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: when a request is sent again, and how long anything waits.

GETs are retried on connection errors, 429 and 5xx with jittered backoff; a
POST that changes nothing (an export) on 429 and 5xx too; any other POST only
where the server cannot have acted. A 429 seen by any request pauses them all
(the Throttle); no Retry-After wait is longer than RETRY_AFTER_MAX or past the
caller's deadline.
"""

import math
import threading
import time

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.host_slots import slot_given_back
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.requests_lib import Retry, urllib3_exceptions

RETRYABLE_GET_STATUSES = (429, 500, 502, 503, 504)
POST_RETRYABLE_STATUSES = (429, 503)  # a 503 only with Retry-After: the server started nothing
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 30
RETRY_AFTER_MAX = 60  # seconds: a longer Retry-After (or 429 pause) is cut to this
DEFAULT_RETRY_AFTER = 1.0  # seconds to wait after a 429 that names no Retry-After


def capped_wait(seconds, deadline=None):
    """seconds, cut to RETRY_AFTER_MAX and to deadline (a time.monotonic() value) when given."""
    seconds = min(max(seconds or 0.0, 0.0), RETRY_AFTER_MAX)
    if deadline is not None:
        seconds = min(seconds, max(deadline - time.monotonic(), 0.0))
    return seconds


def parse_retry_after(value, default=DEFAULT_RETRY_AFTER):
    """Seconds a Retry-After header value (seconds or an HTTP date) asks for, capped at RETRY_AFTER_MAX."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        from email.utils import parsedate_to_datetime  # only a Retry-After given as a date needs it
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            seconds = default
    if math.isnan(seconds):
        seconds = default
    return capped_wait(seconds)


class Throttle:
    """A pause shared by all requests of a run, set when the server answers 429 (at most RETRY_AFTER_MAX)."""

    def __init__(self):
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds):
        seconds = capped_wait(seconds)
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def remaining(self):
        """Seconds until requests may go out again."""
        return max(0.0, self._resume_at - time.monotonic())

    def wait(self, limit=None):
        """Sleep out the pause, but no longer than limit seconds when given."""
        delay = self.remaining() if limit is None else min(self.remaining(), max(limit, 0.0))
        if delay:
            time.sleep(delay)


def _retry_class(throttle, may_start_a_job, bound):
    """A urllib3 Retry that caps its waits (bound: seconds -> seconds allowed), stops at the caller's deadline
    and reports 429 backoffs to the shared throttle."""

    class SharedRetry(Retry):
        def is_retry(self, method, status_code, has_retry_after=False):
            if may_start_a_job and status_code == 503 and not has_retry_after:
                return False  # a 503 without Retry-After may come after the job was started
            if bound(RETRY_AFTER_MAX) <= 0:
                return False  # the caller's deadline has passed: answer now
            return super().is_retry(method, status_code, has_retry_after)

        def get_retry_after(self, response):
            try:
                seconds = super().get_retry_after(response)
            except urllib3_exceptions.InvalidHeader:  # a Retry-After that is neither seconds nor a date
                return None
            return None if seconds is None else bound(seconds)

        def get_backoff_time(self):
            return bound(super().get_backoff_time())

        def sleep(self, response=None):
            if response is not None and response.status == 429:
                throttle.pause(self.get_retry_after(response) or self.get_backoff_time())
            with slot_given_back():  # a tenant told to wait waits alone
                super().sleep(response)

    return SharedRetry


def retry_policy(retries, throttle, bound, method="GET", changes_nothing=False):
    """The urllib3 Retry of a session: GETs retry every transient failure; POSTs only those that start no job, or
    with changes_nothing (an export) every error status too (a broken or timed-out answer is still not sent again:
    it would start a second job). bound: seconds -> the seconds this request may still wait."""
    for_post = method == "POST"
    retries_error_statuses = not for_post or changes_nothing
    options = dict(
        total=retries,
        connect=retries,
        read=0 if for_post else retries,
        other=0,
        status=retries,
        redirect=5,
        status_forcelist=RETRYABLE_GET_STATUSES if retries_error_statuses else POST_RETRYABLE_STATUSES,
        allowed_methods=frozenset([method]),
        backoff_factor=BACKOFF_FACTOR,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    retry_class = _retry_class(throttle, not retries_error_statuses, bound)
    try:
        return retry_class(backoff_jitter=BACKOFF_FACTOR, backoff_max=BACKOFF_MAX, **options)
    except TypeError:  # urllib3 < 2 has no jitter
        return retry_class(**options)
