# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: connection options and the HTTP client.

One ApiClient serves a whole module run. It sends ``x-api-key`` only to the
configured host's origin (redirects included), retries GETs on connection
errors, 429 and 5xx with jittered backoff, and retries a POST only where the
server cannot have started a job. A 429 seen by any request pauses them all.
"""

import threading
import time
from urllib.parse import quote, urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import ApiError, DownloadError

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import exceptions as urllib3_exceptions
    from urllib3.util.retry import Retry
except ImportError as exc:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc
    Retry = object
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

API_KEY_HEADER = "x-api-key"
RETRYABLE_GET_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 30
DOWNLOAD_CHUNK_SIZE = 256 * 1024
DOWNLOAD_REFUSED_STATUSES = (401, 403, 404, 410)  # what storage answers for an expired or revoked link


def connection_argument_spec():
    """Options every module of the collection takes to reach an environment."""
    return dict(
        host=dict(type="str", required=True, fallback=(env_fallback, ["KOREAI_HOST"])),
        api_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["KOREAI_API_KEY"])),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="float", default=30),
        retries=dict(type="int", default=5),
    )


def connection_problems(params):
    """Return a message for each unusable connection option (empty when all are fine)."""
    problems = []
    host = (params.get("host") or "").strip()
    if not _is_http_url(host):
        problems.append("host must be a URL with a scheme, such as https://process.kore.ai; got %r" % host)
    if not (params.get("api_key") or "").strip():
        problems.append("api_key is empty; set it or the KOREAI_API_KEY environment variable")
    if params.get("timeout") is not None and params["timeout"] <= 0:
        problems.append("timeout must be a number of seconds greater than 0")
    if params.get("retries") is not None and params["retries"] < 0:
        problems.append("retries must be 0 or more")
    return problems


def _is_http_url(url):
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


def client_from_params(params, pool_size=8):
    """Build an ApiClient from validated module parameters."""
    return ApiClient(
        host=params["host"],
        api_key=params["api_key"].strip(),
        validate_certs=params["validate_certs"],
        ca_path=params.get("ca_path"),
        timeout=params["timeout"],
        retries=params["retries"],
        pool_size=pool_size,
    )


def origin_of(url):
    """The scheme://host[:port] part of a URL, lower-cased, without a default port."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = "[%s]" % host
    port = parts.port
    if port is None or port == {"http": 80, "https": 443}.get(scheme):
        return "%s://%s" % (scheme, host)
    return "%s://%s:%d" % (scheme, host, port)


class Throttle:
    """A pause shared by all requests of a run, set when the server answers 429."""

    def __init__(self):
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds):
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def remaining(self):
        """Seconds until requests may go out again."""
        return max(0.0, self._resume_at - time.monotonic())

    def wait(self):
        delay = self.remaining()
        if delay:
            time.sleep(delay)


def _retry_class(throttle, for_post):
    """A urllib3 Retry that reports 429 backoffs to the shared throttle."""

    class SharedRetry(Retry):
        def is_retry(self, method, status_code, has_retry_after=False):
            if for_post and status_code == 503 and not has_retry_after:
                return False  # a 503 without Retry-After may come after the job was started
            return super().is_retry(method, status_code, has_retry_after)

        def sleep(self, response=None):
            if response is not None and response.status == 429:
                throttle.pause(self.get_retry_after(response) or self.get_backoff_time())
            super().sleep(response)

    return SharedRetry


def _retry_policy(retries, throttle, for_post):
    """GETs retry every transient failure; POSTs only those that start no job."""
    options = dict(
        total=retries,
        connect=retries,
        read=0 if for_post else retries,
        other=0,
        status=retries,
        redirect=5,
        status_forcelist=(429, 503) if for_post else RETRYABLE_GET_STATUSES,
        allowed_methods=frozenset(["POST"] if for_post else ["GET"]),
        backoff_factor=BACKOFF_FACTOR,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    retry_class = _retry_class(throttle, for_post)
    try:
        return retry_class(backoff_jitter=BACKOFF_FACTOR, backoff_max=BACKOFF_MAX, **options)
    except TypeError:  # urllib3 < 2 has no jitter
        return retry_class(**options)


if HAS_REQUESTS:

    class ApiKeyAuth(requests.auth.AuthBase):
        """Adds the API key to requests for one origin and to no other."""

        def __init__(self, api_key, origin):
            self._api_key = api_key
            self._origin = origin

        def __call__(self, request):
            request.headers.pop(API_KEY_HEADER, None)
            if origin_of(request.url) == self._origin:
                request.headers[API_KEY_HEADER] = self._api_key
            return request

    class ScopedSession(requests.Session):
        """A session that re-decides the API key on every redirect hop."""

        def rebuild_auth(self, prepared_request, response):
            super().rebuild_auth(prepared_request, response)
            self.auth(prepared_request)


class ApiClient:
    """HTTP access to one AI for Process environment."""

    def __init__(self, host, api_key, validate_certs=True, ca_path=None, timeout=30, retries=5, pool_size=8):
        self.base_url = host.strip().rstrip("/")
        self.origin = origin_of(self.base_url)
        self.timeout = timeout
        self.retries = retries
        self.throttle = Throttle()
        # passed on every request: a session's verify would lose to REQUESTS_CA_BUNDLE in the environment
        self._verify = (ca_path or True) if validate_certs else False
        auth = ApiKeyAuth(api_key, self.origin)
        self._get_session = self._session(auth, _retry_policy(retries, self.throttle, False), pool_size)
        self._post_session = self._session(auth, _retry_policy(retries, self.throttle, True), pool_size)

    @staticmethod
    def _session(auth, retry, pool_size):
        session = ScopedSession()
        session.auth = auth
        session.headers["Accept"] = "application/json"
        adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def api_url(self, *segments):
        """The URL of an API path under host; each segment is percent-encoded whole."""
        return self.base_url + "/" + "/".join(quote(str(segment), safe="") for segment in segments)

    def get(self, url, **kwargs):
        return self._send(self._get_session, "GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self._send(self._post_session, "POST", url, **kwargs)

    def download(self, url, handle, action):
        """Stream url into the open binary handle; return (bytes written, content type)."""
        response = self.get(url, stream=True)
        with response:
            if response.status_code in DOWNLOAD_REFUSED_STATUSES:
                raise ApiError("%s: the download URL was refused or has expired (HTTP %d: %s); run the task again to "
                               "start a new export" % (action, response.status_code, server_message(response)),
                               status=response.status_code)
            raise_for_status(response, self, action)
            expected = response.headers.get("Content-Length")
            written = 0
            try:
                for chunk in response.iter_content(chunk_size=DOWNLOAD_CHUNK_SIZE):
                    handle.write(chunk)
                    written += len(chunk)
            except requests.exceptions.RequestException as exc:
                received = max(written, response.raw.tell())
                raise DownloadError("%s: truncated, the connection broke after %d of %s bytes (%s)"
                                    % (action, received, expected or "unknown", _reason(exc)))
        if expected and expected.isdigit() and written != int(expected):
            raise DownloadError("%s: truncated, received %d of %s bytes" % (action, written, expected))
        return written, response.headers.get("Content-Type", "").split(";")[0]

    def close(self):
        self._get_session.close()
        self._post_session.close()

    def _send(self, session, method, url, **kwargs):
        self.throttle.wait()
        target = origin_of(url)
        try:
            response = session.request(method, url, timeout=self.timeout, verify=self._verify, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise ApiError(
                "TLS certificate verification failed for %s (%s); set ca_path to the CA bundle that signed "
                "the server's certificate, or validate_certs: false for a test host" % (target, _reason(exc))
            )
        except requests.exceptions.RequestException as exc:
            if _is_timeout(exc):
                raise ApiError("no answer from %s to %s %s within timeout=%s s (%s); raise timeout if the server is slow"
                               % (target, method, urlsplit(url).path, self.timeout, _reason(exc)))
            if method == "POST" and not _is_refused(exc):
                raise ApiError("the connection to %s broke after POST %s was sent (%s); not retried, because the server may "
                               "have started the job: run the task again" % (target, urlsplit(url).path, _reason(exc)))
            raise ApiError("could not reach %s for %s %s (%s)" % (target, method, urlsplit(url).path, _reason(exc)))
        if response.status_code == 429:
            self.throttle.pause(_retry_after_seconds(response))
        return response


def _is_timeout(exc):
    """Whether a requests exception is a connect or read timeout (urllib3 may wrap it in a ConnectionError)."""
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    # a refused connection is a NewConnectionError, which urllib3 derives from its TimeoutError
    return isinstance(reason, urllib3_exceptions.TimeoutError) and not isinstance(reason, urllib3_exceptions.NewConnectionError)


def _is_refused(exc):
    """Whether no connection was made at all (so nothing was sent)."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, urllib3_exceptions.NewConnectionError)


def _retry_after_seconds(response, default=1.0):
    try:
        return max(float(response.headers.get("Retry-After", default)), 0.0)
    except ValueError:
        return default


def _reason(exc):
    """The innermost, shortest useful description of a requests exception."""
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", inner)
    return str(reason)


def server_message(response):
    """What the server said about an error, from a JSON body or its content type."""
    try:
        document = response.json()
    except ValueError:
        content_type = response.headers.get("Content-Type", "unknown content type").split(";")[0]
        return "non-JSON %s body" % content_type
    if isinstance(document, dict):
        for key in ("message", "error", "errorMessage", "msg"):
            value = document.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if value:
                return str(value)
    return str(document)[:200]


def raise_for_status(response, client, action, not_found=None):
    """Raise an ApiError with a clear message unless the response is a success."""
    status = response.status_code
    if status < 400:
        return
    said = server_message(response)
    if status in (401, 403):
        message = ("the API key was rejected by %s (HTTP %d: %s); check api_key and that its API app has the "
                   "\"Export workflow\" scope" % (client.origin, status, said))
    elif status == 404 and not_found:
        message = "%s (HTTP 404: %s)" % (not_found, said)
    elif status == 429:
        message = "%s: rate limited by %s (HTTP 429) after %d retries" % (action, client.origin, client.retries)
    else:
        message = "%s: HTTP %d from %s (%s)" % (action, status, client.origin, said)
    raise ApiError(message, status=status)
