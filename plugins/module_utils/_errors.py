# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the few error types every step raises.

Each error carries a message safe to show (never the API key) and the result
fields known when it happened, so a failure still reports the ids to resume with.
"""


class KoreaiError(Exception):
    """A failure with a user-facing message and partial result fields."""

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class ApiError(KoreaiError):
    """The API answered with an error status or an unusable body."""

    def __init__(self, message, status=None, **details):
        super().__init__(message, http_status=status, **details)
        self.status = status


class JobFailed(KoreaiError):
    """The export job ended with status FAILED."""


class JobTimeout(KoreaiError):
    """The export job did not finish within wait_timeout."""


class DownloadError(KoreaiError):
    """The exported archive could not be fetched or is not a valid zip."""


class UnsafeArchive(KoreaiError):
    """The archive holds members that must not be extracted."""
