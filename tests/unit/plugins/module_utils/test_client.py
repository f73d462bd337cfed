# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP client: options, URLs, retries, throttling, timeouts, key scoping, TLS and error messages."""

import os
import re
import socket
import threading
import time

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import inspect_archive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import connection_problems
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, DownloadError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import start_export
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import raise_for_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.importing import start_import
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import Job, poll_job
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.client import ApiClient, client_from_params
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import origin_of
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import (
    WRONG_KEY, api_log, assert_no_key, download_to, export_to, new_client, wait_for_success, wait_until,
)

NOT_RETRIED = ("not retried on purpose, because the server may have acted on it: the import may have started: a rerun "
               "compares first and imports only if still needed")
IMPORT_FILES = {"flow": "f-1", "app": "f-2", "env": "f-3"}
GOOD = dict(host="https://process.kore.ai", api_key="kg-secret-key-1", timeout=30, retries=5)


@pytest.mark.parametrize("overrides, expected", [
    ({}, []),
    ({"host": "  https://process.kore.ai/  "}, []),
    ({"host": "http://127.0.0.1:8080/prefix"}, []),
    ({"retries": 0, "timeout": 0.001}, []),
    ({"timeout": None, "retries": None}, []),
    ({"host": "process.kore.ai"}, ["host must be a URL with a scheme"]),
    ({"host": "process.kore.ai:443"}, ["host must be a URL with a scheme"]),
    ({"host": "ftp://process.kore.ai"}, ["host must be a URL with a scheme"]),
    ({"host": "https://"}, ["host must be a URL with a scheme"]),
    ({"host": "https://h.test:abc"}, ["host must be a URL with a scheme"]),
    ({"host": "https://h.test:99999"}, ["host must be a URL with a scheme"]),
    ({"host": "https://h.test:0"}, ["host must be a URL with a scheme"]),
    ({"host": "https://:8080"}, ["host must be a URL with a scheme"]),
    ({"host": "https://[::1]:8443/kore"}, []),
    ({"host": ""}, ["host is not set; set host or the KOREAI_HOST environment variable"]),
    ({"host": None}, ["host is not set; set host or the KOREAI_HOST environment variable"]),
    ({"api_key": ""}, ["api_key is empty"]),
    ({"api_key": "  \t "}, ["api_key is empty"]),
    ({"api_key": None}, ["api_key is not set; set api_key, or KOREAI_API_KEY for the host in KOREAI_HOST"]),
    ({"timeout": 0}, ["timeout must be a number of seconds greater than 0"]),
    ({"timeout": -2.5}, ["timeout must be a number of seconds greater than 0"]),
    ({"retries": -1}, ["retries must be 0 or more"]),
    ({"host": "example", "api_key": " ", "timeout": 0, "retries": -3},
     ["host must be", "api_key is empty", "timeout must be", "retries must be"]),
])
def test_connection_problems(overrides, expected):
    problems = connection_problems(dict(GOOD, **overrides))
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected):
        assert problem.startswith(start)
        assert GOOD["api_key"] not in problem


def test_client_from_params_strips_key_and_host(emulator):
    params = dict(host="  %s/  " % emulator.url, api_key="  %s\n" % emulator.keys["dev"], validate_certs=True,
                  ca_path=None, timeout=5, retries=0)
    client = client_from_params(params)
    try:
        assert client.base_url == emulator.url
        start_export(client, "a-0001")
    finally:
        client.close()
    (post,) = api_log(emulator, method="POST")
    assert post["env"] == "dev" and post["status"] == 200


@pytest.mark.parametrize("url, origin", [
    ("https://Process.Kore.AI/api/x", "https://process.kore.ai"),
    ("HTTPS://process.kore.ai:443", "https://process.kore.ai"),
    ("http://h.test", "http://h.test"),
    ("http://h.test:80/x", "http://h.test"),
    ("http://h.test:443", "http://h.test:443"),
    ("https://h.test:80", "https://h.test:80"),
    ("http://h.test:8080/a?b=c#d", "http://h.test:8080"),
    ("http://user:pw@h.test:81/x", "http://h.test:81"),
    ("https://h.test:8443", "https://h.test:8443"),
    ("http://[::1]:8080/x", "http://[::1]:8080"),
    ("https://[FE80::1]/", "https://[fe80::1]"),
])
def test_origin_of(url, origin):
    assert origin_of(url) == origin


def test_origins_differ_by_scheme_host_and_port():
    origins = {origin_of(url) for url in ("http://h.test", "https://h.test", "http://h.test:81", "http://g.test")}
    assert len(origins) == 4


@pytest.mark.parametrize("host, expected", [
    ("http://h.test:81", "http://h.test:81/api/public/dock-status/ds%201%2F2%3F%23"),
    ("http://h.test:81/", "http://h.test:81/api/public/dock-status/ds%201%2F2%3F%23"),
    ("https://h.test/kore", "https://h.test/kore/api/public/dock-status/ds%201%2F2%3F%23"),
    ("https://h.test/kore/", "https://h.test/kore/api/public/dock-status/ds%201%2F2%3F%23"),
    (" https://h.test/a/b// ", "https://h.test/a/b/api/public/dock-status/ds%201%2F2%3F%23"),
])
def test_api_url_joins_under_host(host, expected):
    client = ApiClient(host, "kg-unused")
    try:
        assert client.api_url("api", "public", "dock-status", "ds 1/2?#") == expected
    finally:
        client.close()


def test_api_url_encodes_unicode_segments():
    client = ApiClient("http://h.test", "kg-unused")
    try:
        assert client.api_url("api", "ü", 7) == "http://h.test/api/%C3%BC/7"
    finally:
        client.close()


def test_repeated_reads_send_the_key_and_the_cookies_the_session_got_since(emulator, client):
    job = start_export(client, "a-0001")
    url = client.api_url("api", "public", "dock-status", job.dock_status_id)
    first = client.get(url)
    assert first.status_code == 200 and "Cookie" not in first.request.headers
    client._get_session.cookies.set("route", "node-2")  # as a load balancer's Set-Cookie would
    second = client.get(url)
    assert second.status_code == 200 and second.request.headers["Cookie"] == "route=node-2"
    assert [entry["api_key_present"] for entry in api_log(emulator, method="GET")] == [True, True]


# --- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault, min_gap", [
    ("status_500", 0), ("status_502", 0), ("status_504", 0), ("status_reset", 0),
    ("status_503", 0.9), ("status_429", 0.9),
])
def test_get_is_retried(emulator, client, fault, min_gap):
    job = start_export(client, "a-0001")
    emulator.fault("a-0001", fault, times=1)
    poll_job(client, job)
    polls = api_log(emulator, method="GET")
    assert [entry["fault"] for entry in polls] == [fault, None]
    assert polls[1]["status"] == 200
    assert polls[1]["t"] - polls[0]["t"] >= min_gap  # Retry-After: 1 is honoured


def test_get_retries_are_bounded(emulator):
    client = new_client(emulator, retries=1)
    try:
        job = start_export(client, "a-0001")
        emulator.fault("a-0001", "status_500")
        with pytest.raises(ApiError) as info:
            poll_job(client, job)
    finally:
        client.close()
    assert info.value.status == 500
    assert info.value.message == "dock status %s of the export of workflow a-0001: HTTP 500 from %s (Internal server error)" % (
        job.dock_status_id, client.origin)
    assert len(api_log(emulator, method="GET")) == 2
    assert_no_key(info.value, emulator)


@pytest.mark.parametrize("fault, min_gap", [("post_429", 0.9), ("post_503", 0.9), ("post_429_no_retry_after", 0)])
def test_post_is_retried_when_no_job_was_started(emulator, client, fault, min_gap):
    emulator.fault("a-0001", fault, times=1)
    job = start_export(client, "a-0001")
    assert job.dock_status_id
    posts = api_log(emulator, method="POST")
    assert [(entry["fault"], entry["job_created"]) for entry in posts] == [(fault, False), (None, True)]
    assert posts[1]["t"] - posts[0]["t"] >= min_gap
    assert emulator.stats()["jobs_created"] == 1


@pytest.mark.parametrize("fault, message", [
    ("import_500", "HTTP 500 from {origin} (Internal server error); " + NOT_RETRIED),
    ("import_502", "HTTP 502 from {origin} (an HTML page (502 Bad Gateway)); " + NOT_RETRIED),
    ("import_503_no_retry_after", "HTTP 503 from {origin} (Service unavailable); " + NOT_RETRIED),
    ("import_reset", "the connection to {origin} broke after POST /api/public/workflows/a-0001/import was sent (%s); "
                     "not sent again, because the server may have acted on it: the import may have started: a rerun "
                     "compares first and imports only if still needed"),
])
def test_post_is_not_retried_when_a_job_may_have_started(emulator, fault, message):
    client = new_client(emulator, retries=3)
    try:
        emulator.fault("a-0001", fault, times=1)
        with pytest.raises(ApiError) as info:
            start_import(client, "a-0001", None, IMPORT_FILES)
    finally:
        client.close()
    for part in message.format(origin=client.origin).split("(%s)"):  # the reset's reason varies
        assert part in info.value.message
    posts = api_log(emulator, method="POST")
    assert [entry["fault"] for entry in posts] == [fault]
    assert_no_key(info.value, emulator)


@pytest.mark.parametrize("fault", ["post_500", "post_502", "post_504", "post_503_no_retry_after"])
def test_export_post_is_retried_on_every_error_status(emulator, fault):
    client = new_client(emulator, retries=3)
    try:
        emulator.fault("a-0001", fault, times=1)
        job = start_export(client, "a-0001")
    finally:
        client.close()
    assert job.dock_status_id
    posts = api_log(emulator, method="POST")
    assert [(entry["fault"], entry["job_created"]) for entry in posts] == [(fault, False), (None, True)]
    assert emulator.stats()["jobs_created"] == 1


def test_export_post_broken_after_sending_is_not_sent_again_and_says_a_rerun_starts_it(emulator):
    client = new_client(emulator, retries=3)
    try:
        emulator.fault("a-0001", "post_reset", times=1)
        with pytest.raises(ApiError) as info:
            start_export(client, "a-0001")
    finally:
        client.close()
    assert "broke after POST /api/public/workflows/a-0001/export was sent" in info.value.message
    assert info.value.message.endswith("an export changes nothing, so a rerun simply starts it again")
    assert [entry["fault"] for entry in api_log(emulator, method="POST")] == ["post_reset"]


def test_post_429_after_retries_pauses_every_request(emulator):
    client = new_client(emulator, retries=0)
    other = new_client(emulator, retries=0)
    try:
        job = start_export(client, "a-0002")
        emulator.fault("a-0001", "post_429")
        with pytest.raises(ApiError) as info:
            start_export(client, "a-0001")
        poll_job(other, job)  # another client is not paused
        poll_job(client, job)  # a GET of the same client waits for Retry-After
    finally:
        client.close()
        other.close()
    assert info.value.status == 429
    assert info.value.message == ("export of workflow a-0001: rate limited by %s (HTTP 429) after 0 retries; an export "
                                  "changes nothing, so a rerun simply starts it again" % client.origin)
    limited = api_log(emulator, method="POST", workflow_id="a-0001")[0]
    other_poll, own_poll = api_log(emulator, method="GET")
    assert other_poll["t"] - limited["t"] < 0.5
    assert own_poll["t"] - limited["t"] >= 0.9


def test_429_retry_pauses_concurrent_requests(emulator, client):
    job = start_export(client, "a-0002")
    emulator.fault("a-0001", "status_429", times=1)
    limited_job = Job("export of workflow a-0001", "a-0001", dock_status_id=start_export(client, "a-0001").dock_status_id)
    errors = []

    def poll_limited():
        try:
            poll_job(client, limited_job)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            errors.append(exc)

    worker = threading.Thread(target=poll_limited)
    worker.start()
    assert wait_until(lambda: client.throttle.remaining() > 0)  # the worker got its 429
    poll_job(client, job)  # sent while the worker waits out Retry-After: must wait too
    worker.join(10)
    assert not errors and limited_job.status
    first_429 = api_log(emulator, method="GET", workflow_id="a-0001")[0]
    assert first_429["fault"] == "status_429"
    (concurrent,) = api_log(emulator, method="GET", workflow_id="a-0002")
    assert concurrent["t"] - first_429["t"] >= 0.9


# --- timeouts and unreachable hosts -----------------------------------------------------------------


def test_post_read_timeout_is_not_retried(emulator):
    client = new_client(emulator, timeout=0.3, retries=3)
    try:
        emulator.fault("a-0001", "post_slow", delay=0.8, times=1)
        with pytest.raises(ApiError) as info:
            start_export(client, "a-0001")
    finally:
        client.close()
    assert client.origin in info.value.message
    assert_no_key(info.value, emulator)
    # the slow request is logged when the server finishes it: it did start a job
    assert wait_until(lambda: emulator.stats()["jobs_created"] == 1)
    assert [entry["fault"] for entry in api_log(emulator, method="POST")] == ["post_slow"]


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_read_timeout_message_says_no_answer(emulator, method):
    client = new_client(emulator, timeout=0.3, retries=0)
    try:
        job = start_export(client, "a-0001")
        emulator.fault("a-0001", "post_slow" if method == "POST" else "status_slow", delay=0.6, times=1)
        with pytest.raises(ApiError) as info:
            if method == "POST":
                start_export(client, "a-0001")
            else:
                poll_job(client, job)
    finally:
        client.close()
    # the slow request is logged when the server finishes it; let it finish inside this test
    assert wait_until(lambda: [entry for entry in emulator.log()
                               if entry["fault"] in ("post_slow", "status_slow") and entry["status"] is not None])
    assert info.value.message.startswith("no answer from %s to %s /api/public/" % (client.origin, method))
    assert "within timeout=0.3 s" in info.value.message
    assert "raise timeout" in info.value.message


def test_get_read_timeout_is_retried(emulator):
    client = new_client(emulator, timeout=0.3, retries=1)
    try:
        job = start_export(client, "a-0001")
        emulator.fault("a-0001", "status_slow", delay=0.6, times=1)
        poll_job(client, job)
    finally:
        client.close()
    assert job.status in ("IN_PROGRESS", "SUCCESS")
    polls = wait_until(lambda: len(api_log(emulator, method="GET")) == 2 and api_log(emulator, method="GET"))
    assert sorted(str(entry["fault"]) for entry in polls) == ["None", "status_slow"]


def test_connection_refused(emulator):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ApiClient("http://127.0.0.1:%d" % port, emulator.keys["dev"], timeout=2, retries=1)
    try:
        with pytest.raises(ApiError) as info:
            start_export(client, "a-0001")
    finally:
        client.close()
    assert info.value.message.startswith(
        "could not reach http://127.0.0.1:%d for POST /api/public/workflows/a-0001/export (" % port)
    assert info.value.status is None
    assert_no_key(info.value, emulator)


# --- key scoping ----------------------------------------------------------------------------------


def test_key_never_goes_to_a_second_origin_download(emulator, client, tmp_path):
    emulator.fault("a-0005", "download_second_origin")
    job = wait_for_success(client, start_export(client, "a-0005"))
    assert job.download_url.startswith(emulator.second_url + "/storage/exports/")
    download_to(client, job, tmp_path / "a.zip")
    assert inspect_archive(str(tmp_path / "a.zip")).content_digest == emulator.expected("dev", "a-0005")["content_digest"]
    main = api_log(emulator, origin="main")
    second = api_log(emulator, origin="second")
    assert main and all(entry["api_key_present"] for entry in main)
    assert len(second) == 1 and second[0]["status"] == 200 and not second[0]["api_key_present"]
    assert emulator.stats()["second_origin_with_key"] == 0


def test_key_is_dropped_on_redirect_to_a_second_origin(emulator, client, tmp_path):
    emulator.fault("a-0006", "download_redirect_second_origin")
    job = wait_for_success(client, start_export(client, "a-0006"))
    assert job.download_url.startswith(emulator.url)
    download_to(client, job, tmp_path / "a.zip")
    assert inspect_archive(str(tmp_path / "a.zip")).content_digest == emulator.expected("dev", "a-0006")["content_digest"]
    downloads = api_log(emulator, path_part="/exports/")
    assert [(entry["origin"], entry["status"], entry["api_key_present"]) for entry in downloads] == [
        ("main", 302, True), ("second", 200, False)]
    assert emulator.stats()["second_origin_with_key"] == 0


def test_key_goes_to_main_origin_download(emulator, client, tmp_path):
    export_to(client, "a-0007", tmp_path / "a.zip")
    (download,) = api_log(emulator, path_part="/api/v1/account/exports/")
    assert download["api_key_present"] and download["origin"] == "main" and download["env"] == "dev"


# --- TLS ------------------------------------------------------------------------------------------


CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def tls_export(emulator, tmp_path, **options):
    client = new_client(emulator, host=emulator.https_url, **options)
    try:
        return export_to(client, "a-0001", tmp_path / "a.zip")
    finally:
        client.close()


def test_tls_without_ca_path_fails_clearly(emulator, monkeypatch):
    for variable in CA_BUNDLE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    client = new_client(emulator, host=emulator.https_url, validate_certs=True, retries=2)
    try:
        with pytest.raises(ApiError) as info:
            start_export(client, "a-0001")
    finally:
        client.close()
    assert info.value.message.startswith("TLS certificate verification failed for %s (" % origin_of(emulator.https_url))
    assert "ca_path" in info.value.message
    assert_no_key(info.value, emulator)
    assert not api_log(emulator, origin="main_tls")


@pytest.mark.parametrize("use_ca_path", [True, False], ids=["ca_path", "validate_certs_false"])
def test_tls_with_ca_path_or_without_validation(emulator, tmp_path, monkeypatch, use_ca_path):
    for variable in CA_BUNDLE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    options = dict(validate_certs=True, ca_path=emulator.ca_file) if use_ca_path else dict(validate_certs=False)
    job = tls_export(emulator, tmp_path, **options)
    assert job.download_url.startswith(emulator.https_url)
    assert inspect_archive(str(tmp_path / "a.zip")).content_digest == emulator.expected("dev", "a-0001")["content_digest"]
    tls = api_log(emulator, origin="main_tls")
    assert len(tls) >= 3 and all(entry["api_key_present"] for entry in tls)


@pytest.mark.parametrize("use_ca_path", [True, False], ids=["ca_path", "validate_certs_false"])
def test_tls_options_win_over_ca_bundle_environment(emulator, tmp_path, monkeypatch, use_ca_path):
    system_bundle = next((path for path in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
                          if os.path.exists(path)), emulator.ca_file + ".missing")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", system_bundle)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    options = dict(validate_certs=True, ca_path=emulator.ca_file) if use_ca_path else dict(validate_certs=False)
    tls_export(emulator, tmp_path, **options)
    assert inspect_archive(str(tmp_path / "a.zip")).content_digest == emulator.expected("dev", "a-0001")["content_digest"]


# --- error messages -------------------------------------------------------------------------------


def test_rejected_key(emulator):
    client = ApiClient(emulator.url, WRONG_KEY, timeout=5, retries=1)
    try:
        with pytest.raises(ApiError) as info:
            start_export(client, "a-0001")
    finally:
        client.close()
    assert info.value.status == 401
    assert info.value.message.startswith('the API key was refused by %s or lacks the "Export workflow" scope (HTTP 401: '
                                         'Unauthorized' % origin_of(emulator.url))
    assert_no_key(info.value, emulator, WRONG_KEY)
    (post,) = api_log(emulator)
    assert post["api_key_present"] and post["env"] is None


@pytest.mark.parametrize("job_scope, lacks", [
    ("Export workflow", 'the "Export workflow" scope'), ("Import workflow", 'the "Import workflow" scope'),
    ("Deploy", 'the "Deploy" scope'), (None, "the scope this call needs"),
])
def test_key_refused_while_following_a_job_names_the_scope_of_that_job(emulator, client, job_scope, lacks):
    started = start_export(client, "a-0001")
    refused = ApiClient(emulator.url, WRONG_KEY, timeout=5, retries=0)
    job = Job("the job", "a-0001", dock_status_id=started.dock_status_id, scope=job_scope)
    try:
        with pytest.raises(ApiError) as info:
            poll_job(refused, job)
    finally:
        refused.close()
    assert info.value.message.startswith("the API key was refused by %s or lacks %s (HTTP 401: " % (client.origin, lacks))


def test_key_refused_on_an_import_names_the_import_scope(emulator):
    client = ApiClient(emulator.url, WRONG_KEY, timeout=5, retries=0)
    try:
        with pytest.raises(ApiError) as info:
            start_import(client, "a-0001", None, IMPORT_FILES)
    finally:
        client.close()
    assert info.value.message.startswith('the API key was refused by %s or lacks the "Import workflow" scope (HTTP 401: '
                                         % client.origin)


def test_forbidden_response_message(emulator, client):
    job = wait_for_success(client, start_export(client, "a-0001"))
    emulator.fault("a-0001", "download_403")
    response = client.get(job.download_url)
    with pytest.raises(ApiError) as info:
        raise_for_status(response, client, "download")
    assert info.value.status == 403
    assert info.value.message.startswith('the API key was refused by %s or lacks the scope this call needs '
                                         '(HTTP 403: Forbidden: signature expired)' % client.origin)
    assert_no_key(info.value, emulator)


def test_404_message_with_and_without_not_found_text(emulator, client):
    response = client.get(client.api_url("api", "public", "dock-status", "ds-nope"))
    with pytest.raises(ApiError) as plain:
        raise_for_status(response, client, "reading ds-nope")
    with pytest.raises(ApiError) as named:
        raise_for_status(response, client, "reading ds-nope", not_found="dock status ds-nope is gone")
    assert plain.value.message == "reading ds-nope: HTTP 404 from %s (Dock status ds-nope not found)" % client.origin
    assert named.value.message == "dock status ds-nope is gone (HTTP 404: Dock status ds-nope not found)"


def test_success_statuses_do_not_raise(emulator, client):
    job = wait_for_success(client, start_export(client, "a-0001"))
    emulator.fault("a-0001", "download_redirect_second_origin")
    response = client.get(job.download_url, allow_redirects=False)
    assert response.status_code == 302
    raise_for_status(response, client, "download")


@pytest.mark.parametrize("fault, status, text", [
    ("status_404", 404, "dock status {ds} not found on {origin} (HTTP 404: Dock status not found)"),
    ("status_429", 429, "dock status {ds} of the export of workflow a-0001: rate limited by {origin} (HTTP 429) after 0 retries"),
    ("status_500", 500, "dock status {ds} of the export of workflow a-0001: HTTP 500 from {origin} (Internal server error)"),
    ("status_502", 502, "dock status {ds} of the export of workflow a-0001: HTTP 502 from {origin} (an HTML page (502 Bad Gateway))"),
    ("status_503_no", 503, "dock status {ds} of the export of workflow a-0001: HTTP 503 from {origin} (Service unavailable)"),
    ("status_malformed_json", 200, "dock status {ds} of the export of workflow a-0001: the server answered HTTP 200 with a "
                                   "application/json body that is not valid JSON"),
])
def test_poll_error_messages(emulator, fault, status, text):
    client = new_client(emulator, retries=0)
    try:
        job = start_export(client, "a-0001")
        emulator.fault("a-0001", "status_503" if fault == "status_503_no" else fault)
        with pytest.raises(ApiError) as info:
            poll_job(client, job)
    finally:
        client.close()
    assert info.value.status == status
    assert info.value.message == text.format(ds=job.dock_status_id, origin=client.origin)
    assert_no_key(info.value, emulator)


@pytest.mark.parametrize("fault, text", [
    ("post_html_200", "export of workflow a-0001: the server answered HTTP 200 with a text/html body that is not valid JSON"),
    ("post_malformed_json", "export of workflow a-0001: the server answered HTTP 200 with a application/json body that "
                            "is not valid JSON"),
    ("post_no_dock_status_id", "export of workflow a-0001: the answer holds no dock status id (looked for dockStatusId, "
                               "dock-statusId, dockstatusId, dock_status_id, _id)"),
])
def test_unusable_post_answers(emulator, client, fault, text):
    emulator.fault("a-0001", fault)
    with pytest.raises(ApiError) as info:
        start_export(client, "a-0001")
    assert info.value.message == text
    assert info.value.status == 200
    assert len(api_log(emulator, method="POST")) == 1
    assert_no_key(info.value, emulator)


@pytest.mark.parametrize("fault, status, text", [
    ("download_403", 403, "Forbidden: signature expired"),
    ("download_404", 404, "Export file not found"),
    ("download_410", 410, "Download link expired"),
])
def test_download_refused_or_expired(emulator, client, tmp_path, fault, status, text):
    job = wait_for_success(client, start_export(client, "a-0001"))
    emulator.fault("a-0001", fault)
    with pytest.raises(ApiError) as info:
        download_to(client, job, tmp_path / "a.zip")
    assert info.value.status == status
    assert info.value.message == ("download of workflow a-0001: the download URL was refused or has expired (HTTP %d: %s); "
                                  "run the task again to start a new export" % (status, text))
    assert_no_key(info.value, emulator)


def test_download_server_error_after_retries(emulator, tmp_path):
    client = new_client(emulator, retries=1)
    try:
        job = wait_for_success(client, start_export(client, "a-0001"))
        emulator.fault("a-0001", "download_500")
        with pytest.raises(ApiError) as info:
            download_to(client, job, tmp_path / "a.zip")
    finally:
        client.close()
    assert info.value.message == "download of workflow a-0001: HTTP 500 from %s (Internal server error)" % client.origin
    assert len(api_log(emulator, path_part="/exports/")) == 2


def test_download_truncated(emulator, client, tmp_path):
    job = wait_for_success(client, start_export(client, "a-0001"))
    emulator.fault("a-0001", "download_truncated")
    with pytest.raises(DownloadError) as info:
        download_to(client, job, tmp_path / "a.zip")
    received, announced = re.match(r"download of workflow a-0001: truncated, the connection broke after (\d+) of (\d+) bytes",
                                   info.value.message).groups()
    assert 0 < int(received) < int(announced)
    assert_no_key(info.value, emulator)


def test_download_that_ends_cleanly_short_of_its_content_length(emulator, client, tmp_path, monkeypatch):
    """Where the HTTP stack does not check Content-Length (urllib3 before 2.0 did not by default), a body cut short
    ends like a complete one: the download's own count of the bytes received refuses it."""
    get = client.get

    def get_without_length_check(url, **kwargs):
        response = get(url, **kwargs)
        response.raw.enforce_content_length = False
        return response

    monkeypatch.setattr(client, "get", get_without_length_check)
    job = wait_for_success(client, start_export(client, "a-0001"))
    emulator.fault("a-0001", "download_truncated")
    with pytest.raises(DownloadError) as info:
        download_to(client, job, tmp_path / "a.zip")
    received, announced = re.match(r"download of workflow a-0001: truncated, received (\d+) of (\d+) bytes$",
                                   info.value.message).groups()
    assert 0 < int(received) < int(announced)
    assert_no_key(info.value, emulator)


def test_download_reports_size_and_content_type(emulator, client, tmp_path):
    job = wait_for_success(client, start_export(client, "a-0001"))
    written, content_type = download_to(client, job, tmp_path / "a.zip")
    assert written == (tmp_path / "a.zip").stat().st_size > 0
    assert content_type == "application/zip"


def test_throttle_wait_returns_at_once_when_not_paused(client):
    started = time.monotonic()
    client.throttle.wait()
    client.throttle.pause(0)
    client.throttle.wait()
    assert time.monotonic() - started < 0.1
