# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: turning the server's answers into clear errors.

``raise_for_status`` raises an ApiError for an error status, in the server's
own words (its JSON error text, an HTML page's title, or a short plain text;
never a structure dump), with what to do: the scope a refused key may lack,
the kind to set when a route does not exist, what a rerun does after a POST
failed. Messages never hold the key (scrubbed in every spelling) nor a URL's
query string.
"""

import re
from urllib.parse import urlsplit

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, RateLimited
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import scrub
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.kinds import kind_named, other_kind
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.retries import parse_retry_after
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url, origin_of

POST_MAY_HAVE_STARTED_STATUSES = (500, 502, 503, 504)  # not retried: the server may have started a job
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


def rerun_hint(url):
    """What running the task again does after a POST to url failed (the files API, export, import or deploy)."""
    segments = urlsplit(url).path.rstrip("/").split("/")
    if "files" in segments:
        return RERUN_HINTS["files"]
    return RERUN_HINTS.get(segments[-1], "a rerun sends it again")


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
    import html  # only a non-JSON error answer needs it
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


def raise_for_status(response, client, action, not_found=None, scope=None):
    """Raise an ApiError with a clear message unless the response is a success.

    scope names the API scope the call needs (for 401/403; None: a call whose scope is not known). A 429 raises
    RateLimited, whose retry_after says when to try again, so a caller with time left (a poll within wait_timeout)
    can reschedule instead of failing.
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
        message = ("the API key was refused by %s or lacks %s (HTTP %d: %s); check api_key and the scopes of its API "
                   "app" % (client.origin, 'the "%s" scope' % scope if scope else "the scope this call needs", status, said))
        raise ApiError(scrub(message, secrets), status=status, stops_batch=True)
    elif method == "POST" and is_router_404(response) and ENTITY_ROUTES & set(urlsplit(response.url).path.split("/")):
        message = _route_missing(action, response, client)
    elif status == 404 and not_found:
        message = "%s (HTTP 404: %s)" % (not_found, said)
    elif status == 429:
        message = "%s: rate limited by %s (HTTP 429) after %d retries%s" % (
            action, client.origin, client.retries, "; " + rerun_hint(response.url) if method == "POST" else "")
        raise RateLimited(scrub(message, secrets), retry_after=parse_retry_after(response.headers.get("Retry-After")))
    elif method == "POST" and status in POST_MAY_HAVE_STARTED_STATUSES and getattr(response, "error_statuses_retried", False):
        message = "%s: HTTP %d from %s (%s) after %d retries; %s" % (
            action, status, client.origin, said, client.retries, rerun_hint(response.url))
    elif method == "POST" and status in POST_MAY_HAVE_STARTED_STATUSES:
        message = ("%s: HTTP %d from %s (%s); not retried on purpose, because the server may have acted on it: %s"
                   % (action, status, client.origin, said, rerun_hint(response.url)))
    else:
        message = "%s: HTTP %d from %s (%s)" % (action, status, client.origin, said)
    raise ApiError(scrub(message, secrets), status=status)


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


def plain_http_message(what, url):
    """The message for a download URL (or a redirect to one) in plain http while host is https."""
    return ("%s %s is plain http while host is https: refused, because the archive and the secrets it holds could "
            "be read or replaced on the way; set allow_http_downloads: true to accept it" % (what, display_url(url)))
