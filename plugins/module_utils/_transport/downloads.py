# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: downloading an exported archive, bounded.

A download stops at a byte cap and at a deadline for the whole body, however
slowly it trickles in; the raw bytes received are checked against
Content-Length. With an https host, a plain http download URL is refused unless
allowed. ``download_to_temp`` is the one way an archive reaches a temp file: a
failure leaves no file behind. A failure's message never holds what signs the URL
(its query values, its userinfo), whatever the server echoed.
"""

import socket
import threading
import time
from urllib.parse import parse_qsl, urlsplit

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import download_cap
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, DownloadError, DownloadLimit, KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import scrub
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import remove_quietly
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import (
    other_origin_refusal, plain_http_message, raise_for_status, server_message,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.requests_lib import exception_reason, requests
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import origin_of

DOWNLOAD_CHUNK_SIZE = 256 * 1024
DOWNLOAD_REFUSED_STATUSES = (401, 403, 404, 410)  # what storage answers for an expired or revoked link


def download_to_temp(client, url, action, new_temp, read, max_bytes=None, deadline=None):
    """Download the archive at url into a new temp file and read it; return (its path, what read returned).

    new_temp() creates the file, private from its first byte, and returns (path, open binary handle); read(path,
    content type) checks the archive. max_bytes and deadline bound the download as for download(). On any failure
    (the download, read, or an interruption) the file is removed; once returned, removing it is the caller's.
    """
    path = None
    try:
        path, handle = new_temp()
        with handle:
            _size, content_type = download(client, url, handle, action, max_bytes, deadline)
        return path, read(path, content_type)
    except BaseException:
        if path:
            remove_quietly(path)
        raise


def signing_values(url):
    """What may sign a download URL: its query and fragment values and its userinfo, for scrubbing."""
    parts = urlsplit(url)
    values = [value for text in (parts.query, parts.fragment) for _name, value in parse_qsl(text, keep_blank_values=True)]
    values.append(parts.netloc.rpartition("@")[0] if "@" in parts.netloc else "")
    return [value for value in values + [parts.query] if len(value) >= 6]


def download(client, url, handle, action, max_bytes=None, deadline=None):
    """Stream url into the open binary handle with client; return (bytes written, content type).

    Asks for the body uncompressed; a body sent compressed anyway is decoded, and the raw bytes received are
    checked against Content-Length. max_bytes (default: the client's max_download_bytes) caps the bytes written;
    deadline (a time.monotonic() value, default: download_seconds from now) bounds the whole body, however
    slowly it trickles in. Going past either raises DownloadLimit, which is not worth retrying at once. An error's
    message holds nothing that signs the URL.
    """
    try:
        return _download(client, url, handle, action, max_bytes, deadline)
    except KoreaiError as exc:
        raise scrub(exc, signing_values(url))


def _download(client, url, handle, action, max_bytes, deadline):
    if client.refuse_plain_http and urlsplit(url).scheme.lower() == "http":
        raise DownloadError(plain_http_message("%s: the download URL" % action, url))
    max_bytes = download_cap(client.max_download_bytes) if max_bytes is None else max_bytes
    if deadline is None and client.download_seconds:
        deadline = time.monotonic() + client.download_seconds
    response = client.get(url, deadline=deadline, stream=True, headers={"Accept-Encoding": "identity"})
    with response:
        _raise_for_download_status(response, client, action)
        expected = response.headers.get("Content-Length")
        if max_bytes is not None and expected and expected.isdigit() and int(expected) > max_bytes:
            raise DownloadLimit(_too_large(action, "announces %s bytes" % expected, max_bytes))
        watchdog = _Watchdog(response, deadline, action)
        try:
            written = _stream_body(response, handle, action, expected, max_bytes, watchdog)
        finally:
            watchdog.cancel()
        received = response.raw.tell()
    if expected and expected.isdigit() and received != int(expected):
        raise DownloadError("%s: truncated, received %d of %s bytes" % (action, received, expected))
    return written, response.headers.get("Content-Type", "").split(";")[0]


def _raise_for_download_status(response, client, action):
    status = response.status_code
    if status in (401, 403) and origin_of(response.url) != client.origin:
        raise ApiError(other_origin_refusal(action, response, client), status=status)
    if status in DOWNLOAD_REFUSED_STATUSES:
        raise ApiError(scrub("%s: the download URL was refused or has expired (HTTP %d: %s); run the task again to "
                             "start a new export" % (action, status, server_message(response)), client.secrets),
                       status=status)
    raise_for_status(response, client, action)


def _stream_body(response, handle, action, expected, max_bytes, watchdog):
    written = 0
    try:
        for chunk in response.iter_content(chunk_size=DOWNLOAD_CHUNK_SIZE):
            written += len(chunk)
            if max_bytes is not None and written > max_bytes:
                raise DownloadLimit(_too_large(action, "sent more than that", max_bytes))
            watchdog.check()
            handle.write(chunk)
    except (requests.exceptions.RequestException, OSError) as exc:
        watchdog.check()
        if not isinstance(exc, requests.exceptions.RequestException):
            raise
        raise DownloadError("%s: truncated, the connection broke after %d of %s bytes (%s)"
                            % (action, response.raw.tell(), expected or "unknown", exception_reason(exc)))
    watchdog.check()
    return written


def _too_large(action, what, max_bytes):
    return ("%s: refused, the server %s, more than the %d bytes max_archive_bytes allows: nothing was kept; raise "
            "max_archive_bytes if the workflow is really this large, else a rerun meets the same" % (action, what, max_bytes))


class _Watchdog:
    """Cuts a streamed response's connection at deadline, so a body that trickles in cannot outlast it."""

    def __init__(self, response, deadline, action):
        self.deadline = deadline
        self.action = action
        self._response = response
        self._timer = None
        if deadline is not None:
            self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._cut)
            self._timer.daemon = True
            self._timer.start()

    def _cut(self):
        connection = getattr(self._response.raw, "connection", None) or getattr(self._response.raw, "_connection", None)
        sock = getattr(connection, "sock", None)
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def expired(self):
        return self.deadline is not None and time.monotonic() >= self.deadline

    def check(self):
        """Raise DownloadLimit once the deadline has passed."""
        if self.expired():
            raise DownloadLimit("%s: did not finish within wait_timeout (%d bytes received): cut off, nothing was "
                                "kept; a rerun exports and downloads again, raise wait_timeout if the server is this "
                                "slow" % (self.action, self._response.raw.tell()))

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()
