# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: connection options and the HTTP client.

One ApiClient serves a whole module run. It sends ``x-api-key`` only to the
configured host's origin (redirects included), retries GETs on connection
errors, 429 and 5xx with jittered backoff, the export POST (it changes nothing)
on 429 and 5xx, and any other POST only where the server cannot have acted; a
POST is never redirected to another origin. Downloads stop at a byte cap and a
deadline for the whole body. A 429 seen by any request pauses them all;
no Retry-After wait is longer than RETRY_AFTER_MAX or past the caller's
deadline. With an https host it follows no download URL or redirect to plain
http unless allowed. Messages show the server's own error text, never the key
(scrubbed in every spelling) and never a URL's query string.
"""

import html
import math
import os
import re
import socket
import threading
import time
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit, urlunsplit

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION
from ansible.module_utils.basic import env_fallback

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive import download_cap
from ansible_collections.koreai.ai_for_process.plugins.module_utils._kinds import kind_named, other_kind
from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import (
    ApiError, DownloadError, DownloadLimit, KoreaiError, RateLimited, scrub,
)

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

COLLECTION_VERSION = "0.3.0"  # the one home of the version a request names; a unit test keeps it equal to galaxy.yml's
API_KEY_HEADER = "x-api-key"
API_KEY_SOURCES = "api_key or the KOREAI_API_KEY environment variable"
RETRYABLE_GET_STATUSES = (429, 500, 502, 503, 504)
POST_MAY_HAVE_STARTED_STATUSES = (500, 502, 503, 504)  # not retried: the server may have started a job
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 30
RETRY_AFTER_MAX = 60  # seconds: a longer Retry-After (or 429 pause) is cut to this
DEFAULT_RETRY_AFTER = 1.0  # seconds to wait after a 429 that names no Retry-After
DEFAULT_SCOPE = "Export workflow"
DOWNLOAD_CHUNK_SIZE = 256 * 1024
DOWNLOAD_REFUSED_STATUSES = (401, 403, 404, 410)  # what storage answers for an expired or revoked link
MESSAGE_KEYS = ("errors", "message", "error", "errorMessage", "msg", "detail")  # where servers put their error text
SERVER_MESSAGE_MAX = 300
ENTITY_ROUTES = frozenset(("workflows", "workflow", "tools", "tool"))  # path segments of either kind's routes
RERUN_HINTS = {  # the last segment of a POST's path -> what running the task again does after that POST failed
    "export": "an export changes nothing, so a rerun simply starts it again",
    "import": "the import may have started: a rerun compares first and imports only if still needed",
    "deploy": "the deploy may have started: a rerun deploys again, which is harmless",
    "undeploy": "the undeploy may have started: a rerun undeploys again, which is harmless",
    "files": "nothing was imported yet: a rerun uploads the files again",
}


def connection_argument_spec():
    """Options every module of the collection takes to reach an environment (api_key is checked by api_key_problem)."""
    return dict(
        host=dict(type="str", required=True, fallback=(env_fallback, ["KOREAI_HOST"])),
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["KOREAI_API_KEY"])),
        kind=dict(type="str", default="workflow", choices=["workflow", "tool"], fallback=(env_fallback, ["KOREAI_KIND"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["KOREAI_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["KOREAI_CA_PATH"])),
        allow_http_downloads=dict(type="bool", default=False),
        timeout=dict(type="float", default=30, fallback=(env_fallback, ["KOREAI_TIMEOUT"])),
        retries=dict(type="int", default=5, fallback=(env_fallback, ["KOREAI_RETRIES"])),
    )


def connection_problems(params):
    """Return a message for each unusable connection option (empty when all are fine)."""
    problems = []
    host = (params.get("host") or "").strip()
    if not _is_http_url(host):
        problems.append("host must be a URL with a scheme, such as https://process.kore.ai; got %r" % host)
    problems.append(api_key_problem(params.get("api_key")))
    problems.append(ca_path_problem(params.get("ca_path")))
    if params.get("timeout") is not None and params["timeout"] <= 0:
        problems.append("timeout must be a number of seconds greater than 0")
    if params.get("retries") is not None and params["retries"] < 0:
        problems.append("retries must be 0 or more")
    return [problem for problem in problems if problem]


def api_key_problem(api_key):
    """Why api_key cannot be used (None when it can); the message never holds the key or any part of it."""
    if api_key is None:
        return "api_key is not set; set %s" % API_KEY_SOURCES
    key = api_key.strip()
    if not key:
        return "api_key is empty; set %s" % API_KEY_SOURCES
    if not all("!" <= char <= "~" for char in key):
        return ("api_key (or KOREAI_API_KEY) holds a character that cannot be sent in an HTTP header: only printable "
                "ASCII without spaces is allowed; look for a line break, a space or an invisible character pasted "
                "with the key")
    return None


def ca_path_problem(ca_path):
    """Why ca_path cannot be read (None when it is unset or readable)."""
    if not ca_path:
        return None
    if not os.path.exists(ca_path):
        return "ca_path %s does not exist; set it to a PEM file of the CA certificates that sign the server's" % ca_path
    if not os.access(ca_path, os.R_OK | (os.X_OK if os.path.isdir(ca_path) else 0)):
        return "ca_path %s is not readable by this user" % ca_path
    return None


def connection_warnings(params):
    """Warnings (for module.warn) about options that put the key and the exported secrets at risk."""
    warnings = []
    if params.get("validate_certs") is False:
        warnings.append("validate_certs is false: the server's certificate is not checked, so anyone on the network "
                        "path can read the API key and the exported secrets; set ca_path for a private CA instead")
    host = (params.get("host") or "").strip()
    if host.lower().startswith("http://"):
        warnings.append("host %s uses plain http: the API key and the exported secrets travel unencrypted; use https"
                        % display_url(host))
    return warnings


def _is_http_url(url):
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


def user_agent():
    """The User-Agent every request sends: this collection, ansible-core and requests, with their versions."""
    return "koreai.ai_for_process/%s ansible-core/%s python-requests/%s" % (
        COLLECTION_VERSION, ANSIBLE_CORE_VERSION, requests.__version__ if HAS_REQUESTS else "none")


def client_from_params(params, pool_size=8):
    """Build an ApiClient from validated module parameters (max_archive_bytes and wait_timeout, where the module
    has them, bound every download it makes)."""
    return ApiClient(
        host=params["host"],
        api_key=params["api_key"],
        validate_certs=params["validate_certs"],
        ca_path=params.get("ca_path"),
        timeout=params["timeout"],
        retries=params["retries"],
        pool_size=pool_size,
        allow_http_downloads=params.get("allow_http_downloads", False),
        kind=params.get("kind"),
        download_limits=(params.get("max_archive_bytes"), params.get("wait_timeout")),
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


def display_url(url):
    """A URL fit for messages: without its query string, fragment and user info (a signed URL's secrets)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a URL that cannot be parsed)"
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def parse_retry_after(value, default=DEFAULT_RETRY_AFTER):
    """Seconds a Retry-After header value (seconds or an HTTP date) asks for, capped at RETRY_AFTER_MAX."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            seconds = default
    if math.isnan(seconds):
        seconds = default
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)


class Throttle:
    """A pause shared by all requests of a run, set when the server answers 429 (at most RETRY_AFTER_MAX)."""

    def __init__(self):
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds):
        seconds = min(max(seconds, 0.0), RETRY_AFTER_MAX)
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


def _retry_class(throttle, for_post, bound):
    """A urllib3 Retry that caps its waits (bound: seconds -> seconds allowed), stops at the caller's deadline
    and reports 429 backoffs to the shared throttle."""

    class SharedRetry(Retry):
        def is_retry(self, method, status_code, has_retry_after=False):
            if for_post and status_code == 503 and not has_retry_after:
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
            super().sleep(response)

    return SharedRetry


def _retry_policy(retries, throttle, for_post, bound, changes_nothing=False):
    """GETs retry every transient failure; POSTs only those that start no job, or with changes_nothing (an export)
    every error status too (a broken or timed-out answer is still not sent again: it would start a second job)."""
    options = dict(
        total=retries,
        connect=retries,
        read=0 if for_post else retries,
        other=0,
        status=retries,
        redirect=5,
        status_forcelist=(429, 503) if for_post and not changes_nothing else RETRYABLE_GET_STATUSES,
        allowed_methods=frozenset(["POST"] if for_post else ["GET"]),
        backoff_factor=BACKOFF_FACTOR,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    retry_class = _retry_class(throttle, for_post and not changes_nothing, bound)
    try:
        return retry_class(backoff_jitter=BACKOFF_FACTOR, backoff_max=BACKOFF_MAX, **options)
    except TypeError:  # urllib3 < 2 has no jitter
        return retry_class(**options)


class CrossOriginRedirect(Exception):
    """A redirect of a request with a body (a POST) to another origin, which the client does not follow."""

    def __init__(self, url):
        super().__init__(origin_of(url))
        self.origin = origin_of(url)


class PlainHttpRefused(Exception):
    """A redirect from an https host to a plain http URL, which the client does not follow."""

    def __init__(self, url):
        super().__init__(display_url(url))
        self.url = url


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
        """A session that re-decides the API key on every redirect hop and, if told, refuses hops to plain http."""

        refuse_plain_http = False

        def __init__(self):
            super().__init__()
            self._environment = {}  # (origin, the arguments) -> settings: proxies and CA bundle looked up once

        def merge_environment_settings(self, url, proxies, stream, verify, cert):
            """The environment's proxies and CA bundle for url, looked up once per origin (the variables stay put
            during a run, and proxy rules look at the host only) rather than on each of a batch's requests."""
            key = (origin_of(url), tuple(sorted((proxies or {}).items())), stream, verify, cert)
            settings = self._environment.get(key)
            if settings is None:
                settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
                self._environment[key] = settings
            return dict(settings, proxies=dict(settings["proxies"]))

        def rebuild_auth(self, prepared_request, response):
            sent = response.request
            if sent is not None and sent.method != "GET" and origin_of(prepared_request.url) != origin_of(sent.url):
                raise CrossOriginRedirect(prepared_request.url)  # its body (an upload, an import) stays home
            if self.refuse_plain_http and urlsplit(prepared_request.url).scheme.lower() == "http":
                raise PlainHttpRefused(prepared_request.url)
            super().rebuild_auth(prepared_request, response)
            self.auth(prepared_request)


class ApiClient:
    """HTTP access to one AI for Process environment."""

    def __init__(self, host, api_key, validate_certs=True, ca_path=None, timeout=30, retries=5, pool_size=8,
                 allow_http_downloads=False, kind=None, download_limits=(None, None)):
        problem = api_key_problem(api_key) or ca_path_problem(ca_path)
        if problem:
            raise KoreaiError(problem)
        api_key = api_key.strip()
        self.secrets = (api_key,)
        self.base_url = host.strip().rstrip("/")
        self.origin = origin_of(self.base_url)
        self.timeout = timeout
        self.retries = retries
        self.throttle = Throttle()
        self._routes = {}  # call -> the route spelling this server answered
        self.kind = kind_named(kind)
        self.refuse_plain_http = self.origin.startswith("https:") and not allow_http_downloads
        self._deadlines = threading.local()
        self._prepared_gets = {}  # url -> (the session's cookies then, the GET prepared for it)
        # passed on every request: a session's verify would lose to REQUESTS_CA_BUNDLE in the environment
        self._verify = (ca_path or True) if validate_certs else False
        auth = ApiKeyAuth(api_key, self.origin)
        self._get_session = self._session(auth, _retry_policy(retries, self.throttle, False, self.bound_wait), pool_size)
        self._post_session = self._session(auth, _retry_policy(retries, self.throttle, True, self.bound_wait), pool_size)
        # POSTs that change nothing (an export starts a job that only reads) retry as reads do
        self._read_post_session = self._session(
            auth, _retry_policy(retries, self.throttle, True, self.bound_wait, changes_nothing=True), pool_size)
        self.max_download_bytes, self.download_seconds = download_limits

    def _session(self, auth, retry, pool_size):
        session = ScopedSession()
        session.auth = auth
        session.refuse_plain_http = self.refuse_plain_http
        session.headers["Accept"] = "application/json"
        session.headers["User-Agent"] = user_agent()
        adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def bound_wait(self, seconds):
        """seconds, cut to RETRY_AFTER_MAX and to the deadline of this thread's current request."""
        seconds = min(max(seconds or 0.0, 0.0), RETRY_AFTER_MAX)
        deadline = getattr(self._deadlines, "current", None)
        if deadline is not None:
            seconds = min(seconds, max(deadline - time.monotonic(), 0.0))
        return seconds

    def route_candidates(self, call, spellings):
        """The route spellings to try for call: the one that answered before first, then the others in order."""
        known = self._routes.get(call)
        return sorted(spellings, key=lambda spelling: spelling != known)

    def remember_route(self, call, spelling):
        """Keep the route spelling the server answered for call, so later requests try it first."""
        self._routes[call] = spelling

    def post_on_route(self, entity_id, verb, **kwargs):
        """POST .../{route}/{entity_id}/{verb} on the first route spelling of the kind that is not the web router's
        404, remembering it; return that answer, or the last router 404 when no spelling answered."""
        response = None
        for route in self.route_candidates(verb, self.kind.routes):
            response = self.post(self.api_url("api", "public", route, entity_id, verb), **kwargs)
            if not is_router_404(response):
                self.remember_route(verb, route)
                break
        return response

    def api_url(self, *segments):
        """The URL of an API path under host; each segment is percent-encoded whole."""
        return self.base_url + "/" + "/".join(quote(str(segment), safe="") for segment in segments)

    def get(self, url, deadline=None, **kwargs):
        """GET url (retried); deadline (a time.monotonic() value) bounds every wait for a 429, Retry-After or backoff."""
        return self._send(self._get_session, "GET", url, deadline, **kwargs)

    def post(self, url, deadline=None, changes_nothing=False, **kwargs):
        """POST url, retried only where the server cannot have started a job; deadline as for get.

        changes_nothing: the POST only reads (an export), so it is retried as a GET is (connection errors, 429, 5xx)."""
        session = self._read_post_session if changes_nothing else self._post_session
        return self._send(session, "POST", url, deadline, **kwargs)

    def download(self, url, handle, action, max_bytes=None, deadline=None):
        """Stream url into the open binary handle; return (bytes written, content type).

        Asks for the body uncompressed; a body sent compressed anyway is decoded, and the raw bytes received are
        checked against Content-Length. max_bytes (default: the client's max_download_bytes) caps the bytes written;
        deadline (a time.monotonic() value, default: download_seconds from now) bounds the whole body, however
        slowly it trickles in. Going past either raises DownloadLimit, which is not worth retrying at once.
        """
        if self.refuse_plain_http and urlsplit(url).scheme.lower() == "http":
            raise DownloadError(self._plain_http_message("%s: the download URL" % action, url))
        max_bytes = download_cap(self.max_download_bytes) if max_bytes is None else max_bytes
        if deadline is None and self.download_seconds:
            deadline = time.monotonic() + self.download_seconds
        response = self.get(url, deadline=deadline, stream=True, headers={"Accept-Encoding": "identity"})
        with response:
            self._raise_for_download_status(response, action)
            expected = response.headers.get("Content-Length")
            if max_bytes is not None and expected and expected.isdigit() and int(expected) > max_bytes:
                raise DownloadLimit(_too_large(action, "announces %s bytes" % expected, max_bytes))
            watchdog = _Watchdog(response, deadline, action)
            try:
                written = self._stream_body(response, handle, action, expected, max_bytes, watchdog)
            finally:
                watchdog.cancel()
            received = response.raw.tell()
        if expected and expected.isdigit() and received != int(expected):
            raise DownloadError("%s: truncated, received %d of %s bytes" % (action, received, expected))
        return written, response.headers.get("Content-Type", "").split(";")[0]

    def _raise_for_download_status(self, response, action):
        status = response.status_code
        if status in (401, 403) and origin_of(response.url) != self.origin:
            raise ApiError(other_origin_refusal(action, response, self), status=status)
        if status in DOWNLOAD_REFUSED_STATUSES:
            raise ApiError(scrub("%s: the download URL was refused or has expired (HTTP %d: %s); run the task again to "
                                 "start a new export" % (action, status, server_message(response)), self.secrets),
                           status=status)
        raise_for_status(response, self, action)

    def _stream_body(self, response, handle, action, expected, max_bytes, watchdog):
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
                                % (action, response.raw.tell(), expected or "unknown", _reason(exc)))
        watchdog.check()
        return written

    def close(self):
        self._get_session.close()
        self._post_session.close()
        self._read_post_session.close()

    def _plain_http_message(self, what, url):
        return ("%s %s is plain http while host is https: refused, because the archive and the secrets it holds could "
                "be read or replaced on the way; set allow_http_downloads: true to accept it" % (what, display_url(url)))

    def _send(self, session, method, url, deadline, **kwargs):
        self._deadlines.current = deadline
        try:
            self.throttle.wait(None if deadline is None else deadline - time.monotonic())
            response = self._request(session, method, url, **kwargs)
        finally:
            self._deadlines.current = None
        if response.status_code == 429:
            self.throttle.pause(parse_retry_after(response.headers.get("Retry-After")))
        return response

    def _read_again(self, session, url):
        """GET url as session.request would, with the request prepared once per URL (a job's dock status is read
        many times) and prepared again only when the session's cookies changed."""
        cookies = [(cookie.name, cookie.value) for cookie in session.cookies]
        known = self._prepared_gets.get(url)
        if known is None or known[0] != cookies:
            known = self._prepared_gets[url] = (cookies, session.prepare_request(requests.Request("GET", url)))
        settings = session.merge_environment_settings(url, {}, None, self._verify, None)
        return session.send(known[1], timeout=self.timeout, allow_redirects=True, **settings)

    def _request(self, session, method, url, **kwargs):
        target, path = origin_of(url), urlsplit(url).path
        unreachable = False
        try:
            if method == "GET" and not kwargs:
                return self._read_again(session, url)
            return session.request(method, url, timeout=self.timeout, verify=self._verify, **kwargs)
        except PlainHttpRefused as exc:
            raise DownloadError(self._plain_http_message("%s %s was redirected to" % (method, display_url(url)), exc.url))
        except CrossOriginRedirect as exc:
            raise ApiError("%s %s was redirected to another origin, %s: not followed, so nothing was sent there; a "
                           "rerun meets the same redirect: check that host is the environment's URL"
                           % (method, display_url(url), exc.origin), stops_batch=target == self.origin)
        except requests.exceptions.SSLError as exc:
            message = ("TLS certificate verification failed for %s (%s); set ca_path to the CA bundle that signed "
                       "the server's certificate, or validate_certs: false for a test host" % (target, _reason(exc)))
        except requests.exceptions.RequestException as exc:
            if _is_timeout(exc):
                message = ("no answer from %s to %s %s within timeout=%s s (%s); raise timeout if the server is slow%s"
                           % (target, method, path, self.timeout, _reason(exc),
                              "; not sent again: " + rerun_hint(url) if method == "POST" else ""))
            elif method == "POST" and not _is_refused(exc):
                message = ("the connection to %s broke after POST %s was sent (%s); not sent again, because the "
                           "server may have acted on it: %s" % (target, path, _reason(exc), rerun_hint(url)))
            else:
                message = "could not reach %s for %s %s (%s)" % (target, method, path, _reason(exc))
                unreachable = target == self.origin
        except (ValueError, UnicodeError) as exc:  # a header or URL that cannot be sent: never show its value
            message = "%s %s could not be sent: %s" % (method, display_url(url), type(exc).__name__)
        raise ApiError(scrub(message, self.secrets), stops_batch=unreachable)


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


def rerun_hint(url):
    """What running the task again does after a POST to url failed (the files API, export, import or deploy)."""
    segments = urlsplit(url).path.rstrip("/").split("/")
    if "files" in segments:
        return RERUN_HINTS["files"]
    return RERUN_HINTS.get(segments[-1], "a rerun sends it again")


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


def _reason(exc):
    """The innermost, shortest useful description of a requests exception."""
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", inner)
    return str(reason)


def is_router_404(response):
    """A 404 from the web router (the route does not exist) rather than from the API."""
    if response.status_code != 404:
        return False
    try:
        response.json()
    except (ValueError, RecursionError):
        return True
    return False


def parse_json(response, action):
    """The response body as parsed JSON (any type); ApiError when it is not JSON or nested too deeply to read."""
    try:
        return response.json()
    except RecursionError:
        problem = "JSON nested too deeply to read"
    except ValueError:
        content_type = response.headers.get("Content-Type", "no content type").split(";")[0]
        problem = "%s body that is not valid JSON" % content_type
    raise ApiError("%s: the server answered HTTP %d with a %s" % (action, response.status_code, problem),
                   status=response.status_code)


def server_message(response):
    """What the server said about an error, in its own words: never Python or JSON structure dumps."""
    try:
        document = response.json()
    except RecursionError:
        return "a JSON body nested too deeply to read"
    except ValueError:
        return _non_json_description(response)
    said = []
    for text in _message_texts(document):
        if text not in said:
            said.append(text)
    if said:
        return _shorten("; ".join(said))
    return "a JSON body without a message"


def _message_texts(value, depth=0):
    """The error texts in a JSON error document: errors[].msg/message, message, error(.message), errorMessage, msg, detail."""
    if isinstance(value, str):
        return [" ".join(value.split())] if value.strip() else []
    if depth > 3:
        return []
    if isinstance(value, list):
        return [text for item in value for text in _message_texts(item, depth + 1)]
    if isinstance(value, dict):
        for key in MESSAGE_KEYS:
            texts = _message_texts(value.get(key), depth + 1)
            if texts:
                return texts
    return []


def _non_json_description(response):
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    text = response.text if response.content else ""
    if "html" in content_type or text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        title = re.search(r"<title[^>]*>(.*?)</title", text, re.IGNORECASE | re.DOTALL)
        title = " ".join(html.unescape(title.group(1)).split()) if title else ""
        return "an HTML page (%s)" % _shorten(title, 100) if title else "an HTML page"
    if not text.strip():
        return "an empty body"
    if content_type.startswith("text/") or not content_type:
        return _shorten(" ".join(text.split()))
    return "a non-JSON %s body" % content_type


def _shorten(text, limit=SERVER_MESSAGE_MAX):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def raise_for_status(response, client, action, not_found=None, scope=DEFAULT_SCOPE):
    """Raise an ApiError with a clear message unless the response is a success.

    scope names the API scope the call needs (for 401/403). A 429 raises RateLimited, whose retry_after says when
    to try again, so a caller with time left (a poll within wait_timeout) can reschedule instead of failing.
    """
    status = response.status_code
    if status < 400:
        return
    said = server_message(response)
    method = response.request.method if response.request is not None else None
    secrets = getattr(client, "secrets", ())
    if status in (401, 403) and origin_of(response.url) != client.origin:
        raise ApiError(other_origin_refusal(action, response, client), status=status)
    if status in (401, 403):
        message = ("the API key was refused by %s or lacks the \"%s\" scope (HTTP %d: %s); check api_key and the "
                   "scopes of its API app" % (client.origin, scope, status, said))
        raise ApiError(scrub(message, secrets), status=status, stops_batch=True)
    elif method == "POST" and is_router_404(response) and ENTITY_ROUTES & set(urlsplit(response.url).path.split("/")):
        message = _route_missing(action, response, client)
    elif status == 404 and not_found:
        message = "%s (HTTP 404: %s)" % (not_found, said)
    elif status == 429:
        message = "%s: rate limited by %s (HTTP 429) after %d retries%s" % (
            action, client.origin, client.retries, "; " + rerun_hint(response.url) if method == "POST" else "")
        raise RateLimited(scrub(message, secrets), retry_after=parse_retry_after(response.headers.get("Retry-After")))
    elif method == "POST" and status in POST_MAY_HAVE_STARTED_STATUSES and _retried(response):
        message = "%s: HTTP %d from %s (%s) after %d retries; %s" % (
            action, status, client.origin, said, client.retries, rerun_hint(response.url))
    elif method == "POST" and status in POST_MAY_HAVE_STARTED_STATUSES:
        message = ("%s: HTTP %d from %s (%s); not retried on purpose, because the server may have acted on it: %s"
                   % (action, status, client.origin, said, rerun_hint(response.url)))
    else:
        message = "%s: HTTP %d from %s (%s)" % (action, status, client.origin, said)
    raise ApiError(scrub(message, secrets), status=status)


def _retried(response):
    """Whether the POST went out with the policy that retries every error status (an export: it changes nothing)."""
    retry = getattr(getattr(response, "raw", None), "retries", None)
    return 500 in (getattr(retry, "status_forcelist", None) or ())


def _route_missing(action, response, client):
    """The message for the web server's 404 page on a POST: the route does not exist there, so say which kind to set."""
    kind = getattr(client, "kind", None) or kind_named(None)
    other = other_kind(kind)
    return ("%s: no such route at %s (the web server's 404 page for POST %s): the %s routes (/api/public/%s/...) do not "
            "exist there; if host runs %s, set kind: %s, else check that host is the environment's URL, including any "
            "path prefix" % (action, display_url(client.base_url), urlsplit(response.url).path, kind.name,
                             kind.routes[0], "Agent Platform tools" if other.name == "tool" else "AI for Process workflows",
                             other.name))


def other_origin_refusal(action, response, client):
    """The message for a 401/403 from an origin the API key is not sent to."""
    return scrub("%s: the download URL is on another origin (%s), which refused it (HTTP %d: %s); the API key was not "
                 "sent there, as it goes only to %s: if that server wants the key, running again will not help, so "
                 "check where the server keeps its exports; if the link expired, run the task again"
                 % (action, origin_of(response.url), response.status_code, server_message(response), client.origin),
                 getattr(client, "secrets", ()))
