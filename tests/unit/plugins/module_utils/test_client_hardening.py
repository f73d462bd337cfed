# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client hardening: option checks, warnings, server messages, rate limits, transport rules, downloads, retries.

Server behaviours the emulator does not serve come from a small local http.server that answers a script per path.
"""

import gzip
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3.util.connection
import yaml

from ansible_collections.koreai.ai_for_process.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport import retries
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import (
    api_key_problem, connection_argument_spec, connection_problems, connection_warnings,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.downloads import download
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, DownloadError, DownloadLimit, KoreaiError, RateLimited
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import start_export
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import parse_json, raise_for_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.retries import RETRY_AFTER_MAX
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.client import ApiClient, client_from_params
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import (
    api_log, assert_no_key, new_client, wait_for_success,
)

KEY = "kg-local-5ecret-key"
GOOD = dict(host="https://process.kore.ai", api_key=KEY, validate_certs=True, ca_path=None, timeout=5, retries=0)


class LocalServer:
    """A stdlib HTTP server on 127.0.0.1: answers[path] is a list of (status, headers, body), the last one repeats."""

    def __init__(self):
        self.answers = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # pylint: disable=invalid-name
                self._answer()

            def do_POST(self):  # pylint: disable=invalid-name
                self._answer()

            def _answer(self):
                path = self.path.split("?")[0]
                server.requests.append(dict(method=self.command, path=path, headers=dict(self.headers), t=time.monotonic()))
                queue = server.answers.get(path, [(404, {}, b"")])
                status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
                self.send_response(status)
                headers = dict({"Content-Length": str(len(body))}, **headers)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)
        self._thread.start()

    def answer(self, path, *answers):
        self.answers[path] = [(status, headers, body.encode() if isinstance(body, str) else body)
                              for status, headers, body in answers]
        return self.url + path

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def local():
    server = LocalServer()
    yield server
    server.close()


@pytest.fixture
def local_client(local):
    api = ApiClient(local.url, KEY, timeout=5, retries=0)
    yield api
    api.close()


def run_in_thread(call, timeout=30):
    """Run call on a thread and return (its result or exception, seconds it took); fails the test if it hangs."""
    outcome = {}

    def target():
        started = time.monotonic()
        try:
            outcome["value"] = call()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            outcome["value"] = exc
        outcome["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), "the call was still waiting after %s s" % timeout
    return outcome["value"], outcome["seconds"]


# --- options: api_key, ca_path, warnings, the argument spec -------------------------------------------


@pytest.mark.parametrize("api_key", [
    "SECRETpart1\nSECRETpart2", "SECRET part", "SECRET\u200bpart", "SECRET\u00e9part", "SECRET\x00part", "SECRET\tpart",
])
def test_api_key_with_a_character_a_header_cannot_hold(api_key):
    problem = api_key_problem(api_key)
    assert "api_key" in problem and "KOREAI_API_KEY" in problem and "printable ASCII" in problem
    assert "SECRET" not in problem and "part" not in problem.replace("pasted", "")


@pytest.mark.parametrize("api_key, expected", [
    (None, "api_key is not set; set api_key, or KOREAI_API_KEY for the host in KOREAI_HOST"),
    ("", "api_key is empty; set api_key, or KOREAI_API_KEY for the host in KOREAI_HOST"),
    (" \n\t", "api_key is empty; set api_key, or KOREAI_API_KEY for the host in KOREAI_HOST"),
    ("  kg-ok/+=~!  \n", None),
])
def test_api_key_unset_empty_or_padded(api_key, expected):
    assert api_key_problem(api_key) == expected


@pytest.mark.parametrize("host, expected", [
    (None, "host is not set; set host or the KOREAI_HOST environment variable to the environment's URL"),
    ("  ", "host is not set; set host or the KOREAI_HOST environment variable to the environment's URL"),
    ("process.kore.ai", "host must be a URL with a scheme, such as https://process.kore.ai; got 'process.kore.ai'"),
])
def test_an_unset_or_schemeless_host_is_named_with_where_to_set_it(host, expected):
    assert connection_problems(dict(GOOD, host=host)) == [expected]


def test_bad_api_key_stops_the_client_before_any_request(emulator):
    params = dict(GOOD, host=emulator.url, api_key=emulator.keys["dev"] + "\nkg-tail")
    assert len(connection_problems(params)) == 1
    with pytest.raises(KoreaiError) as info:
        client_from_params(params)
    assert "api_key" in info.value.message
    assert_no_key(info.value, emulator, "kg-tail")
    assert not emulator.log()


def test_ca_path_that_does_not_exist(tmp_path):
    missing = str(tmp_path / "nope.pem")
    (problem,) = connection_problems(dict(GOOD, ca_path=missing))
    assert problem.startswith("ca_path %s does not exist" % missing)
    with pytest.raises(KoreaiError) as info:
        ApiClient(GOOD["host"], KEY, ca_path=missing)
    assert info.value.message == problem


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_ca_path_that_cannot_be_read(tmp_path):
    unreadable = tmp_path / "ca.pem"
    unreadable.write_text("x")
    unreadable.chmod(0)
    assert connection_problems(dict(GOOD, ca_path=str(unreadable))) == [
        "ca_path %s is not readable by this user" % unreadable]


def test_readable_ca_path_is_fine(emulator):
    assert connection_problems(dict(GOOD, ca_path=emulator.ca_file)) == []


@pytest.mark.parametrize("overrides, expected", [
    ({}, []),
    ({"validate_certs": False}, ["validate_certs is false"]),
    ({"host": "http://h.test:8080/kore?x=1"}, ["host http://h.test:8080/kore uses plain http"]),
    ({"host": " HTTP://h.test", "validate_certs": False}, ["validate_certs is false", "host http://h.test uses plain http"]),
])
def test_connection_warnings(overrides, expected):
    warnings = connection_warnings(dict(GOOD, **overrides))
    assert len(warnings) == len(expected)
    for warning, start in zip(warnings, expected):
        assert warning.startswith(start)


def test_argument_spec_options():
    spec = connection_argument_spec()
    assert not spec["api_key"].get("required") and spec["api_key"]["no_log"]
    assert not spec["host"].get("required")  # checked by connection_problems
    assert spec["kind"] == dict(type="str", default="workflow", choices=["workflow", "tool"])
    assert spec["allow_http_downloads"] == dict(type="bool", default=False)
    # the settings of KOREAI_HOST's host are filled by resolve_connection, for that host only; these for any host
    assert [name for name, option in spec.items() if option.get("fallback")] == ["timeout", "retries"]
    assert [spec[name]["fallback"][1] for name in ("timeout", "retries")] == [["KOREAI_TIMEOUT"], ["KOREAI_RETRIES"]]


def test_doc_fragment_matches_the_argument_spec():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = connection_argument_spec()
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
        assert bool(documented[name].get("required")) == bool(option.get("required")), name
        assert documented[name].get("choices") == option.get("choices"), name


# --- server messages ----------------------------------------------------------------------------------


JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.mark.parametrize("headers, body, said", [
    (JSON, '{"errors": [{"msg": "Invalid API key"}]}', "Invalid API key"),
    (JSON, '{"errors": [{"message": "first"}, {"message": "second"}, {"message": "first"}]}', "first; second"),
    (JSON, '{"errors": ["plain text error"]}', "plain text error"),
    (JSON, '{"message": "Workflow is locked"}', "Workflow is locked"),
    (JSON, '{"error": "invalid_request"}', "invalid_request"),
    (JSON, '{"error": {"code": 17, "message": "Nested  message\\nwith lines"}}', "Nested message with lines"),
    (JSON, '{"errorMessage": "from errorMessage"}', "from errorMessage"),
    (JSON, '{"msg": "from msg"}', "from msg"),
    (JSON, '{"detail": [{"loc": ["body"], "msg": "field required"}]}', "field required"),
    (JSON, '{"code": 17, "data": {"a": 1}}', "a JSON body without a message"),
    (JSON, '["a", "list"]', "a; list"),
    (JSON, "[" * 100000 + "]" * 100000, "a JSON body nested too deeply to read"),
    (JSON, "{not json", "a non-JSON application/json body"),
    (HTML, "<!DOCTYPE html><html><head><title>\n 502 Bad &amp; Gateway </title></head><body>x</body></html>",
     "an HTML page (502 Bad & Gateway)"),
    ({"Content-Type": "text/plain"}, "<html><body>no title</body></html>", "an HTML page"),
    ({"Content-Type": "text/plain"}, "upstream connect error\nor disconnect", "upstream connect error or disconnect"),
    ({"Content-Type": "text/plain"}, "", "an empty body"),
    ({"Content-Type": "application/octet-stream"}, b"\x00\x01", "a non-JSON application/octet-stream body"),
])
def test_server_message_is_the_servers_own_text(local, local_client, headers, body, said):
    url = local.answer("/api/thing", (500, headers, body))
    response = local_client.get(url)
    with pytest.raises(ApiError) as info:
        raise_for_status(response, local_client, "reading thing")
    assert info.value.message == "reading thing: HTTP 500 from %s (%s)" % (local_client.origin, said)
    assert "{" not in info.value.message and "'" not in info.value.message


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("scope", [None, "Import workflow", "Deploy workflow"])
def test_refused_key_names_the_scope_of_the_action(local, local_client, status, scope):
    url = local.answer("/api/thing", (status, JSON, '{"errors": [{"msg": "Invalid API key"}]}'))
    response = local_client.get(url)
    with pytest.raises(ApiError) as info:
        if scope:
            raise_for_status(response, local_client, "import", scope=scope)
        else:
            raise_for_status(response, local_client, "export")
    assert info.value.message == (
        "the API key was refused by %s or lacks %s (HTTP %d: Invalid API key); check api_key and the scopes of its "
        "API app" % (local_client.origin, 'the "%s" scope' % scope if scope else "the scope this call needs", status))
    assert info.value.status == status
    assert local.requests[0]["headers"]["x-api-key"] == KEY


def test_deeply_nested_json_is_a_malformed_answer(local, local_client):
    url = local.answer("/api/status", (200, JSON, "[" * 100000 + "]" * 100000))
    with pytest.raises(ApiError) as info:
        parse_json(local_client.get(url), "dock status ds-1")
    assert info.value.message == "dock status ds-1: the server answered HTTP 200 with a JSON nested too deeply to read"
    assert info.value.status == 200


@pytest.mark.parametrize("body, expected", [
    ('{"a": [1, {"b": null}]}', {"a": [1, {"b": None}]}),
    ("[]", []),
])
def test_parse_json_returns_any_json(local, local_client, body, expected):
    url = local.answer("/api/status", (200, JSON, body))
    assert parse_json(local_client.get(url), "x") == expected


def test_parse_json_not_json(local, local_client):
    url = local.answer("/api/status", (200, HTML, "<html></html>"))
    with pytest.raises(ApiError) as info:
        parse_json(local_client.get(url), "dock status ds-1")
    assert info.value.message == "dock status ds-1: the server answered HTTP 200 with a text/html body that is not valid JSON"


# --- rate limits: RateLimited, the Retry-After cap, deadlines -----------------------------------------


def test_poll_that_stays_rate_limited_raises_rate_limited(emulator):
    client = new_client(emulator, retries=1)
    try:
        job = start_export(client, "a-0001")
        emulator.fault("a-0001", "status_429")
        response = client.get(client.api_url("api", "public", "dock-status", job.dock_status_id))
        with pytest.raises(RateLimited) as info:
            raise_for_status(response, client, "dock status")
    finally:
        client.close()
    assert info.value.retry_after == 1.0 and info.value.status == 429
    assert len(api_log(emulator, method="GET")) == 2


@pytest.mark.parametrize("retry_after, expected", [
    ("86400", RETRY_AFTER_MAX), ("2.5", 2.5), ("-3", 0.0), ("soon", 1.0), (None, 1.0), ("nan", 1.0),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("Fri, 01 Jan 2100 00:00:00 GMT", RETRY_AFTER_MAX),
])
def test_rate_limited_retry_after_is_capped(local, local_client, retry_after, expected):
    headers = {"Retry-After": retry_after} if retry_after else {}
    url = local.answer("/api/status", (429, headers, ""))
    with pytest.raises(RateLimited) as info:
        raise_for_status(local_client.get(url), local_client, "poll")
    assert info.value.retry_after == expected
    assert local_client.throttle.remaining() <= RETRY_AFTER_MAX


def test_a_day_long_retry_after_is_cut_to_the_cap(local, monkeypatch):
    monkeypatch.setattr(retries, "RETRY_AFTER_MAX", 0.4)
    url = local.answer("/api/status", (429, {"Retry-After": "86400"}, ""), (200, JSON, "{}"))
    client = ApiClient(local.url, KEY, retries=2)
    try:
        response, seconds = run_in_thread(lambda: client.get(url))
        assert client.throttle.remaining() <= 0.4
    finally:
        client.close()
    assert response.status_code == 200
    assert seconds >= 0.35  # the capped Retry-After was still honoured
    assert len(local.requests) == 2


def test_retry_after_never_waits_past_the_callers_deadline(local):
    url = local.answer("/api/status", (429, {"Retry-After": "86400"}, ""))
    client = ApiClient(local.url, KEY, retries=5)
    try:
        response, seconds = run_in_thread(lambda: client.get(url, deadline=time.monotonic() + 0.5))
        with pytest.raises(RateLimited) as info:
            raise_for_status(response, client, "dock status ds-1")
        # the shared pause stays, but a request with a deadline waits for it only until that deadline
        other, _seconds = run_in_thread(lambda: client.get(url, deadline=time.monotonic() + 0.2))
    finally:
        client.close()
    assert seconds >= 0.45
    assert len(local.requests) == 3  # first answer, one retry at the deadline, the second request
    assert info.value.retry_after == RETRY_AFTER_MAX
    assert other.status_code == 429


# --- POST failures the client does not retry ----------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_server_error_says_it_was_not_retried_on_purpose(local, status):
    url = local.answer("/api/public/workflows/w1/import", (status, JSON, '{"message": "busy"}'))
    client = ApiClient(local.url, KEY, retries=3)
    try:
        response = client.post(url)
        with pytest.raises(ApiError) as info:
            raise_for_status(response, client, "import into workflow w1")
    finally:
        client.close()
    assert info.value.message == (
        "import into workflow w1: HTTP %d from %s (busy); not retried on purpose, because the server may have acted "
        "on it: the import may have started: a rerun compares first and imports only if still needed" % (status, client.origin))
    assert len(local.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_export_post_server_error_is_retried_and_says_a_rerun_starts_it_again(local, status, monkeypatch):
    monkeypatch.setattr(retries, "BACKOFF_FACTOR", 0.01)
    url = local.answer("/api/public/workflows/w1/export", (status, JSON, '{"message": "busy"}'))
    client = ApiClient(local.url, KEY, retries=2)
    try:
        response = client.post(url, changes_nothing=True)
        with pytest.raises(ApiError) as info:
            raise_for_status(response, client, "export of workflow w1")
    finally:
        client.close()
    assert info.value.message == (
        "export of workflow w1: HTTP %d from %s (busy) after 2 retries; an export changes nothing, so a rerun simply "
        "starts it again" % (status, client.origin))
    assert len(local.requests) == 3


# --- downloads: other origins, plain http, compression, size, URLs in messages ------------------------


SIGNED = "?X-Amz-Signature=SIGNATURE-5ecret&X-Amz-Expires=60"


@pytest.mark.parametrize("status", [401, 403])
def test_download_refused_on_another_origin_says_the_key_was_not_sent(emulator, client, local, tmp_path, status):
    url = local.answer("/storage/a.zip", (status, JSON, '{"message": "Access denied"}')) + SIGNED
    with open(tmp_path / "a.zip", "wb") as handle, pytest.raises(ApiError) as info:
        download(client, url, handle, "download of workflow a-0001")
    assert info.value.status == status
    assert info.value.message.startswith(
        "download of workflow a-0001: the download URL is on another origin (%s), which refused it (HTTP %d: "
        "Access denied); the API key was not sent there" % (local.url, status))
    assert "SIGNATURE" not in info.value.message
    assert "x-api-key" not in {name.lower() for name in local.requests[0]["headers"]}
    assert_no_key(info.value, emulator)


@pytest.mark.parametrize("status", [404, 410])
def test_download_gone_on_another_origin_says_run_again(client, local, tmp_path, status):
    url = local.answer("/storage/a.zip", (status, {}, "")) + SIGNED
    with open(tmp_path / "a.zip", "wb") as handle, pytest.raises(ApiError) as info:
        download(client, url, handle, "download of workflow a-0001")
    assert info.value.message == ("download of workflow a-0001: the download URL was refused or has expired (HTTP %d: "
                                  "an empty body); run the task again to start a new export" % status)


def test_https_host_refuses_a_plain_http_download_url(emulator, local, tmp_path):
    url = local.answer("/storage/a.zip", (200, {}, b"PK"))
    client = new_client(emulator, host=emulator.https_url, ca_path=emulator.ca_file)
    try:
        with open(tmp_path / "a.zip", "wb") as handle, pytest.raises(DownloadError) as info:
            download(client, url + SIGNED, handle, "download of workflow a-0001")
    finally:
        client.close()
    assert info.value.message.startswith(
        "download of workflow a-0001: the download URL %s/storage/a.zip is plain http while host is https: refused"
        % local.url)
    assert "allow_http_downloads: true" in info.value.message and "SIGNATURE" not in info.value.message
    assert not local.requests


def test_https_host_refuses_a_redirect_to_plain_http(emulator, tmp_path):
    client = new_client(emulator, host=emulator.https_url, ca_path=emulator.ca_file)
    try:
        job = wait_for_success(client, start_export(client, "a-0006"))
        emulator.fault("a-0006", "download_redirect_second_origin")
        with open(tmp_path / "a.zip", "wb") as handle, pytest.raises(DownloadError) as info:
            download(client, job.download_url, handle, "download of workflow a-0006")
    finally:
        client.close()
    assert info.value.message.startswith("GET %s was redirected to %s/storage/exports/" % (
        display_url(job.download_url), emulator.second_url))
    assert "plain http while host is https" in info.value.message
    assert not api_log(emulator, origin="second")


def test_allow_http_downloads_accepts_them(emulator, local, tmp_path):
    url = local.answer("/storage/a.zip", (200, {"Content-Type": "application/zip"}, b"PK-archive"))
    client = new_client(emulator, host=emulator.https_url, ca_path=emulator.ca_file, allow_http_downloads=True)
    try:
        with open(tmp_path / "a.zip", "wb") as handle:
            assert download(client, url, handle, "download") == (10, "application/zip")
    finally:
        client.close()


def test_gzip_download_is_decoded_and_raw_bytes_are_counted(local, local_client, tmp_path):
    content = b"PK" + bytes(1726646)
    compressed = gzip.compress(content)
    url = local.answer("/storage/a.zip", (200, {"Content-Encoding": "gzip", "Content-Type": "application/zip"}, compressed))
    with open(tmp_path / "a.zip", "wb") as handle:
        written, content_type = download(local_client, url, handle, "download")
    assert written == len(content) and content_type == "application/zip"
    assert (tmp_path / "a.zip").read_bytes() == content
    assert local.requests[0]["headers"]["Accept-Encoding"] == "identity"


def test_download_larger_than_max_bytes(local, local_client, tmp_path):
    url = local.answer("/storage/a.zip", (200, {}, bytes(3000)))
    with open(tmp_path / "a.zip", "wb") as handle, pytest.raises(DownloadLimit) as info:
        download(local_client, url, handle, "download", max_bytes=1000)
    assert info.value.message.startswith("download: refused, the server announces 3000 bytes, more than the 1000 bytes "
                                         "max_archive_bytes allows: nothing was kept")


@pytest.mark.parametrize("url, shown", [
    ("https://s.test/exports/a.zip?X-Amz-Signature=abc&b=c#frag", "https://s.test/exports/a.zip"),
    ("https://user:pw@s.test:8443/a", "https://s.test:8443/a"),
    ("http://h.test", "http://h.test"),
    ("http://[::1", "(a URL that cannot be parsed)"),
])
def test_display_url(url, shown):
    assert display_url(url) == shown


def test_unreachable_download_message_has_no_query_string(local_client, tmp_path):
    port = free_port()
    with open(tmp_path / "a.zip", "wb") as handle, pytest.raises(ApiError) as info:
        download(local_client, "http://127.0.0.1:%d/a.zip%s" % (port, SIGNED), handle, "download")
    assert info.value.message.startswith("could not reach http://127.0.0.1:%d for GET /a.zip (" % port)
    assert "SIGNATURE" not in info.value.message and "X-Amz" not in info.value.message


# --- connection refused: retried, with backoff --------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connection_refused_is_retried_with_backoff(monkeypatch, method):
    attempts = []
    real_create_connection = urllib3.util.connection.create_connection

    def counting_create_connection(address, *args, **kwargs):
        attempts.append(address)
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting_create_connection)
    port = free_port()
    client = ApiClient("http://127.0.0.1:%d" % port, KEY, timeout=2, retries=2)
    started = time.monotonic()
    try:
        with pytest.raises(ApiError) as info:
            (client.get if method == "GET" else client.post)(client.api_url("api", "x"))
    finally:
        client.close()
    elapsed = time.monotonic() - started
    assert info.value.message.startswith("could not reach http://127.0.0.1:%d for %s /api/x" % (port, method))
    assert attempts == [("127.0.0.1", port)] * 3  # the first try and 2 retries
    # the second retry waits BACKOFF_FACTOR * 2 (plus jitter); without backoff all three go out at once
    assert elapsed >= 0.9
