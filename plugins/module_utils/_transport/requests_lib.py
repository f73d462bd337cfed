# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: requests and urllib3, and what their exceptions say.

They are imported here once: without them HAS_REQUESTS is false and the module
fails with missing_required_lib (REQUESTS_IMPORT_ERROR says why), before any
request.
"""

__all__ = ["HAS_REQUESTS", "REQUESTS_IMPORT_ERROR", "HTTPAdapter", "Retry", "exception_reason", "is_refused", "is_timeout",
           "requests", "urllib3_exceptions"]  # the modules and classes are imported here for the other files

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import exceptions as urllib3_exceptions
    from urllib3.util.retry import Retry
except ImportError as exc:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc
    requests = HTTPAdapter = urllib3_exceptions = None
    Retry = object
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None


def is_timeout(exc):
    """Whether a requests exception is a connect or read timeout (urllib3 may wrap it in a ConnectionError)."""
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    # a refused connection is a NewConnectionError, which urllib3 derives from its TimeoutError
    return isinstance(reason, urllib3_exceptions.TimeoutError) and not isinstance(reason, urllib3_exceptions.NewConnectionError)


def is_refused(exc):
    """Whether no connection was made at all (so nothing was sent)."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, urllib3_exceptions.NewConnectionError)


def exception_reason(exc):
    """The innermost, shortest useful description of a requests exception."""
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", inner)
    return str(reason)
