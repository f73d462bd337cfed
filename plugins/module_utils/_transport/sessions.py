# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the requests sessions, and where they send the API key.

A session sends ``x-api-key`` only to the configured host's origin, redirects
included; a request with a body (a POST) is never redirected to another origin;
with an https host, a redirect to plain http is refused unless allowed. Every
request names the collection and its versions in its User-Agent.
"""

from urllib.parse import urlsplit

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.requests_lib import HAS_REQUESTS, HTTPAdapter, requests
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url, origin_of

COLLECTION_VERSION = "0.5.0"  # the one home of the version a request names; a unit test keeps it equal to galaxy.yml's
API_KEY_HEADER = "x-api-key"


def user_agent():
    """The User-Agent every request sends: this collection, ansible-core and requests, with their versions."""
    return "koreai.ai_for_process/%s ansible-core/%s python-requests/%s" % (
        COLLECTION_VERSION, ANSIBLE_CORE_VERSION, requests.__version__ if HAS_REQUESTS else "none")


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


def new_session(api_key, origin, retry, pool_size, refuse_plain_http):
    """A ScopedSession that sends api_key to origin only, retries by retry (a urllib3 Retry) and keeps pool_size
    connections per host."""
    session = ScopedSession()
    session.auth = ApiKeyAuth(api_key, origin)
    session.refuse_plain_http = refuse_plain_http
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = user_agent()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
