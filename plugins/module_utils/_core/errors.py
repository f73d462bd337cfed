# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the few error types every step raises.

Each error carries a message safe to show (never the API key) and the result
fields known when it happened, so a failure still reports the ids to resume with.
"""


class KoreaiError(Exception):
    """A failure with a user-facing message and partial result fields.

    stops_batch marks a failure every other workflow of the run would meet too (the key refused, the host
    unreachable): the runner then starts no more workflows.
    """

    def __init__(self, message, stops_batch=False, **details):
        super().__init__(message)
        self.message = message
        self.stops_batch = stops_batch
        self.details = details


class ApiError(KoreaiError):
    """The API answered with an error status or an unusable body."""

    def __init__(self, message, status=None, stops_batch=False, **details):
        super().__init__(message, stops_batch=stops_batch, http_status=status, **details)
        self.status = status


class RateLimited(ApiError):
    """HTTP 429 after the client's own retries; retry_after says how many seconds to wait before trying again."""

    def __init__(self, message, retry_after, **details):
        super().__init__(message, status=429, **details)
        self.retry_after = retry_after


class JobFailed(KoreaiError):
    """A job on the server (an export, import or deploy) ended with a failure status, or its dock status belongs to
    another workflow."""


class JobTimeout(KoreaiError):
    """A job on the server (an export, import or deploy) did not finish within wait_timeout."""


class DownloadError(KoreaiError):
    """The exported archive could not be fetched or is not a valid zip."""


class DownloadLimit(KoreaiError):
    """A download went past its size cap or its deadline: stopped, and not downloaded again in the same run."""


class UnsafeArchive(KoreaiError):
    """The archive holds members that must not be extracted."""
