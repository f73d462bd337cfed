# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the HTTP client of a module run.

One ApiClient serves a whole run: GETs, POSTs that may start a job, and POSTs
that change nothing (an export) each go through their own session and retry
policy (``_retries``); the key goes only to host's origin (``_sessions``). A
request that fails without an answer becomes an ApiError that says what was
sent, whether a rerun is safe, and never the key.
"""

import threading
import time
from urllib.parse import quote, urlsplit

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import api_key_problem, ca_path_problem
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, DownloadError, KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import scrub
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.host_slots import HostSlots
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import (
    is_router_404, plain_http_message, rerun_hint,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.requests_lib import (
    exception_reason, is_refused, is_timeout, requests,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.kinds import kind_named
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.retries import (
    Throttle, capped_wait, parse_retry_after, retry_policy,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.sessions import (
    CrossOriginRedirect, PlainHttpRefused, new_session,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url, origin_of


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
        self.slots = HostSlots(self.origin)  # shared with the controller's other module processes of this host
        self._routes = {}  # call -> the route spelling this server answered
        self.kind = kind_named(kind)
        self.refuse_plain_http = self.origin.startswith("https:") and not allow_http_downloads
        self._deadlines = threading.local()
        self._prepared_gets = {}  # url -> (the session's cookies then, the GET prepared for it)
        # passed on every request: a session's verify would lose to REQUESTS_CA_BUNDLE in the environment
        self._verify = (ca_path or True) if validate_certs else False
        self._get_session = self._session(api_key, pool_size, "GET")
        self._post_session = self._session(api_key, pool_size, "POST")
        # POSTs that change nothing (an export starts a job that only reads) retry as reads do
        self._read_post_session = self._session(api_key, pool_size, "POST", changes_nothing=True)
        self.max_download_bytes, self.download_seconds = download_limits

    def _session(self, api_key, pool_size, method, changes_nothing=False):
        retry = retry_policy(self.retries, self.throttle, self.bound_wait, method, changes_nothing)
        return new_session(api_key, self.origin, retry, pool_size, self.refuse_plain_http)

    def bound_wait(self, seconds):
        """seconds, cut to RETRY_AFTER_MAX and to the deadline of this thread's current request."""
        return capped_wait(seconds, getattr(self._deadlines, "current", None))

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

    def close(self):
        self._get_session.close()
        self._post_session.close()
        self._read_post_session.close()

    def _send(self, session, method, url, deadline, **kwargs):
        """The answer to one request, marked with error_statuses_retried: whether its session's policy sent it
        again after a 5xx (every policy but that of a POST that may start a job)."""
        self._deadlines.current = deadline
        try:
            self.throttle.wait(None if deadline is None else deadline - time.monotonic())
            with self.slots.slot():
                response = self._request(session, method, url, **kwargs)
        finally:
            self._deadlines.current = None
        response.error_statuses_retried = session is not self._post_session
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
        try:
            if method == "GET" and not kwargs:
                return self._read_again(session, url)
            return session.request(method, url, timeout=self.timeout, verify=self._verify, **kwargs)
        except PlainHttpRefused as exc:
            raise DownloadError(plain_http_message("%s %s was redirected to" % (method, display_url(url)), exc.url))
        except CrossOriginRedirect as exc:
            raise ApiError("%s %s was redirected to another origin, %s: not followed, so nothing was sent there; a "
                           "rerun meets the same redirect: check that host is the environment's URL"
                           % (method, display_url(url), exc.origin), stops_batch=origin_of(url) == self.origin)
        except requests.exceptions.SSLError as exc:
            message = ("TLS certificate verification failed for %s (%s); set ca_path to the CA bundle that signed "
                       "the server's certificate, or validate_certs: false for a test host"
                       % (origin_of(url), exception_reason(exc)))
            raise ApiError(scrub(message, self.secrets))
        except requests.exceptions.RequestException as exc:
            raise self._unanswered(method, url, exc)
        except (ValueError, UnicodeError) as exc:  # a header or URL that cannot be sent: never show its value
            raise ApiError(scrub("%s %s could not be sent: %s" % (method, display_url(url), type(exc).__name__),
                                 self.secrets))

    def _unanswered(self, method, url, exc):
        """The ApiError for a request that got no answer: timed out, broken after a POST went out, or unreachable."""
        target, path, reason = origin_of(url), urlsplit(url).path, exception_reason(exc)
        unreachable = False
        if is_timeout(exc):
            message = ("no answer from %s to %s %s within timeout=%s s (%s); raise timeout if the server is slow%s"
                       % (target, method, path, self.timeout, reason,
                          "; not sent again: " + rerun_hint(url) if method == "POST" else ""))
        elif method == "POST" and not is_refused(exc):
            message = ("the connection to %s broke after POST %s was sent (%s); not sent again, because the "
                       "server may have acted on it: %s" % (target, path, reason, rerun_hint(url)))
        else:
            message = "could not reach %s for %s %s (%s)" % (target, method, path, reason)
            unreachable = target == self.origin
        return ApiError(scrub(message, self.secrets), stops_batch=unreachable)
