"""Unit tests of the API emulator itself (tests/emulator/server.py), against a real process."""

import concurrent.futures
import hashlib
import http.client
import io
import json
import os
import subprocess
import sys
import time
import urllib.parse
import zipfile

import pytest
import requests

from ansible_collections.koreai.ai_for_process.tests.emulator import server as emulator_server
from ansible_collections.koreai.ai_for_process.tests.emulator.control import SERVER, Emulator, EmulatorError
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import wait_until

DOCK_KEYS = ("dockStatusId", "dock-statusId", "dockstatusId", "_id")
SHAPE_KEYS = {
    "sample": {"dock-statusId", "workflowId", "response"},
    "table": {"dockStatusId", "workflowId", "downloadURL"},
    "relative": {"dockStatusId", "workflowId", "downloadUrl"},
    "lowercase": {"dockstatusId", "workflowId", "response"},
    "underscore": {"_id", "workflowId", "downloadURL"},
    "status_url": {"dockStatusId", "workflowId"},
    "tool": {"dockStatusId", "toolId", "downloadURL"},
    "extra": {"dockStatusId", "workflowId", "downloadURL", "meta", "createdAt", "percentageComplete"},
}


def key_header(emu, env="dev"):
    """Return the API key header of an environment."""
    return {"x-api-key": emu.keys[env]}


def post_export(emu, workflow_id="a-0001", env="dev", base=None, **kwargs):
    """POST an export (plural spelling) and return the response."""
    url = "%s/api/public/workflows/%s/export" % (base or emu.url, urllib.parse.quote(workflow_id, safe=""))
    kwargs.setdefault("timeout", 10)
    return requests.post(url, headers=key_header(emu, env), **kwargs)


def dock_id_of(doc):
    """Return the dock status id whatever its spelling."""
    return next(doc[key] for key in DOCK_KEYS if key in doc)


def download_url_of(doc, base):
    """Return the absolute download URL whatever the shape (None if absent)."""
    url = doc.get("downloadURL") or doc.get("downloadUrl") or doc.get("response", {}).get("downloadUrl")
    return urllib.parse.urljoin(base, url.strip()) if url else None


def poll(emu, dock_id, env="dev", want=("SUCCESS", "FAILED"), timeout=5.0, base=None, **kwargs):
    """Poll a dock status until its status is in want; return the document."""
    deadline = time.time() + timeout
    while True:
        doc = requests.get("%s/api/public/dock-status/%s" % (base or emu.url, dock_id), headers=key_header(emu, env),
                           timeout=10, **kwargs).json()
        if doc["status"] in want or time.time() > deadline:
            return doc
        time.sleep(0.02)


def export_ready(emu, workflow_id="a-0001", env="dev"):
    """Export, wait for SUCCESS and return (post answer, download URL)."""
    answer = post_export(emu, workflow_id, env).json()
    status = poll(emu, dock_id_of(answer), env)
    assert status["status"] == "SUCCESS"
    return answer, download_url_of(answer, emu.url) or download_url_of(status, emu.url)


def archive_digest(data):
    """Return the canonical content digest of a zip (same definition as the README)."""
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            members[name] = raw if name.startswith("attachments/") else emulator_server.canonical_json(json.loads(raw))
    return emulator_server.content_digest(members)


def test_startup_time(emulator_process):
    """The session emulator was ready quickly."""
    print("emulator startup: %.3f s" % emulator_process.startup_seconds)
    assert emulator_process.startup_seconds < 3


def test_stop_leaves_no_process(tmp_path):
    """A stopped emulator is gone; the start time of a cached-cert emulator is small."""
    started = time.monotonic()
    emu = Emulator.start("--cert-dir", str(tmp_path), "--no-https")
    print("emulator startup (no https): %.3f s" % (time.monotonic() - started))
    emu.stop()
    assert emu.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(emu.pid, 0)


def test_start_failure_reports_stderr():
    """A bad option makes start() fail with the server's message."""
    with pytest.raises(EmulatorError, match="unknown shape"):
        Emulator.start("--shape", "nope")


def test_admin_shutdown_and_log_file(tmp_path):
    """POST /_admin/shutdown stops the process; --log writes JSON lines; --catalog seeds workflows."""
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"dev": [{"workflow_id": "a-x", "flow_id": "cf-x", "name": "X"}]}))
    log = tmp_path / "log.jsonl"
    emu = Emulator.start("--no-https", "--catalog", str(catalog), "--log", str(log), "--keys", "dev=kg-one")
    try:
        assert post_export(emu, "a-x").status_code == 200
        assert post_export(emu, "a-0001").status_code == 404
        # a request's record is written once it is answered, by the thread that answered it: wait for both
        assert wait_until(lambda: log.read_text().count("\n") == 2, timeout=30)
        emu.shutdown()
    finally:
        emu.stop()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted((r["path"], r["status"]) for r in records) == [
        ("/api/public/workflows/a-0001/export", 404), ("/api/public/workflows/a-x/export", 200)]
    assert "kg-one" not in log.read_text()
    assert emu.process.returncode is not None


def test_fleet_serves_tenants_with_their_own_keys_workflows_and_secrets():
    """--fleet N adds N tenant environments after --keys, each its own key, catalog and variable values."""
    emu = Emulator.start("--no-https", "--keys", "dev=kg-one", "--fleet", "3", "--workflows", "2")
    try:
        assert list(emu.keys) == ["dev", "tenant-001", "tenant-002", "tenant-003"]
        assert emu.keys["tenant-002"] == "kg-fleet-tenant-002"
        assert [wf["workflow_id"] for wf in emu.catalog("tenant-003")] == ["a-0001", "a-0002"]
        assert post_export(emu, "a-0001", env="tenant-002").status_code == 200
        assert [entry["env"] for entry in emu.log()] == ["tenant-002"]
        assert set(emu.secrets("tenant-001", "a-0001")).isdisjoint(emu.secrets("tenant-002", "a-0001"))
    finally:
        emu.stop()


def test_daemon_mode_and_idle_exit(tmp_path):
    """--daemon returns once ready with the state file written; --idle-exit stops the server."""
    state = tmp_path / "state.json"
    result = subprocess.run([sys.executable, SERVER, "--daemon", "--no-https", "--state-file", str(state), "--idle-exit", "1"],
                            capture_output=True, text=True, timeout=20, check=True)
    ready = json.loads(result.stdout.split("EMULATOR_READY ", 1)[1])
    assert ready == json.loads(state.read_text())
    assert requests.get(ready["url"] + "/_admin/stats", timeout=5).status_code == 200
    deadline = time.time() + 10
    while time.time() < deadline and emulator_server.pid_alive(ready["pid"]):
        time.sleep(0.1)
    assert not emulator_server.pid_alive(ready["pid"])


def test_parent_pid_exit(tmp_path):
    """--parent-pid makes the emulator exit when that process is gone."""
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])  # pylint: disable=consider-using-with
    emu = Emulator.start("--no-https", "--parent-pid", str(parent.pid))
    parent.wait()
    emu.process.wait(10)
    emu.stop()


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "kg-wrong"}, {"x-api-key": ""}])
def test_auth_rejected(emulator, headers):
    """Missing, wrong or empty keys get a 401 JSON error."""
    response = requests.post(emulator.url + "/api/public/workflows/a-0001/export", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"errorCode": 401, "message": "Unauthorized: invalid or missing API key"}
    assert emulator.log()[0]["api_key_present"] is bool(headers.get("x-api-key"))


def test_auth_header_case_and_env_scope(emulator):
    """Header name case does not matter; another env's key cannot see the job."""
    response = requests.post(emulator.url + "/api/public/workflows/a-0002/export", headers={"X-API-KEY": "kg-test-staging"}, timeout=5)
    assert response.status_code == 200
    dock = dock_id_of(response.json())
    assert requests.get(emulator.url + "/api/public/dock-status/" + dock, headers=key_header(emulator, "prod"), timeout=5).status_code == 404
    assert poll(emulator, dock, "staging")["status"] == "SUCCESS"
    assert emulator.stats()["by_env"]["staging"]["posts"] == 1
    assert all("kg-test" not in json.dumps(record) for record in emulator.log())


@pytest.mark.parametrize("tls", [False, True])
def test_export_poll_download(emulator, tls):
    """Full cycle over HTTP and HTTPS (verified against the test CA); 404 before success."""
    emulator.config(shape="table", job_duration=0.3)
    base = emulator.https_url if tls else emulator.url
    verify = emulator.ca_file if tls else True
    answer = requests.post(base + "/api/public/workflows/a-0003/export?flowId=cf-0003", headers=key_header(emulator), verify=verify, timeout=5)
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["status"] == "IN_PROGRESS" and doc["exportJobId"].startswith("workflow-ej-") and doc["dockStatusId"].startswith("ds-")
    assert doc["downloadURL"].startswith(base)
    early = requests.get(doc["downloadURL"], verify=verify, timeout=5)
    assert early.status_code == 404 and early.json()["errorCode"] == 404
    status = poll(emulator, doc["dockStatusId"], base=base, verify=verify)
    assert status == {"_id": doc["dockStatusId"], "workflowId": "a-0003", "jobType": "WORKFLOWS", "action": "EXPORT", "status": "SUCCESS"}
    download = requests.get(doc["downloadURL"], headers=key_header(emulator), verify=verify, timeout=5)
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/zip"
    assert int(download.headers["Content-Length"]) == len(download.content)
    assert archive_digest(download.content) == emulator.expected("dev", "a-0003")["raw_content_digest"]
    assert emulator.log()[0]["origin"] == ("main_tls" if tls else "main")


def test_https_rejects_unknown_ca(emulator):
    """Without the test CA, certificate verification fails."""
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(emulator.https_url + "/api/public/workflows/a-0001/export", headers=key_header(emulator), timeout=5)


@pytest.mark.parametrize("shape", emulator_server.SHAPES)
def test_shapes(emulator, shape):
    """Each shape has its documented keys and leads to a downloadable export."""
    emulator.config(shape=shape)
    doc = post_export(emulator, "a-0004").json()
    assert SHAPE_KEYS[shape] <= set(doc)
    if shape == "sample":
        assert doc["response"]["downloadUrl"].startswith(" http://")
    if shape == "relative":
        assert doc["downloadUrl"].startswith("/api/v1/account/exports/")
    if shape == "status_url":
        assert not download_url_of(doc, emulator.url)
        early = requests.get(emulator.url + "/api/public/dock-status/" + dock_id_of(doc), headers=key_header(emulator), timeout=5).json()
        assert "percentageComplete" in early and early["response"]["downloadUrl"]
    status = poll(emulator, dock_id_of(doc))
    assert status["status"] == "SUCCESS"
    assert ("toolId" in status) is (shape == "tool")
    if shape in ("status_url", "extra"):
        assert status["percentageComplete"] == 100 and status["response"]["downloadUrl"].startswith("http")
    url = download_url_of(doc, emulator.url) or download_url_of(status, emulator.url)
    assert requests.get(url, timeout=5).status_code == 200


def test_mixed_shapes_are_seeded(emulator):
    """mixed picks shapes at random (seeded); a per-workflow shape wins."""
    emulator.config(shape="mixed")
    first = [frozenset(post_export(emulator).json()) for _attempt in range(30)]
    emulator.reset()
    emulator.config(shape="mixed")
    assert [frozenset(post_export(emulator).json()) for _attempt in range(30)] == first
    assert len(set(first)) >= 5
    emulator.put_workflow("dev", "a-0001", flow_id="cf-0001", name="Workflow 0001", shape="sample")
    assert "dock-statusId" in post_export(emulator).json()


@pytest.mark.parametrize("route,plural,singular", [("both", 200, 200), ("plural", 200, 404), ("singular", 404, 200)])
def test_route_modes(emulator, route, plural, singular):
    """A disabled spelling answers like Express: 404 text/html 'Cannot POST ...'."""
    emulator.config(route=route)
    for spelling, code in (("workflows", plural), ("workflow", singular)):
        path = "/api/public/%s/a-0001/export" % spelling
        response = requests.post(emulator.url + path, headers=key_header(emulator), timeout=5)
        assert response.status_code == code
        if code == 404:
            assert response.headers["Content-Type"].startswith("text/html")
            assert "<pre>Cannot POST %s</pre>" % path in response.text


@pytest.mark.parametrize("workflow_id,flow_id,message", [
    ("a-9999", None, "Workflow a-9999 not found"),
    ("a-0001", "cf-0002", "Flow cf-0002 not found for workflow a-0001"),
    ("../a-0001", None, "Workflow ../a-0001 not found"),
    ("a-0001/export", None, "Workflow a-0001/export not found"),
])
def test_not_found(emulator, workflow_id, flow_id, message):
    """Unknown workflows, wrong flow ids and encoded slashes/dots are 404 JSON, never another route."""
    params = {"flowId": flow_id} if flow_id else None
    response = post_export(emulator, workflow_id, params=params)
    assert response.status_code == 404
    assert response.json() == {"errorCode": 404, "message": message}


def test_unknown_route_and_dock_status(emulator):
    """Unknown paths are Express 404s; unknown dock ids are JSON 404s."""
    response = requests.get(emulator.url + "/api/public/nothing", timeout=5)
    assert response.status_code == 404 and "Cannot GET /api/public/nothing" in response.text
    response = requests.get(emulator.url + "/api/public/dock-status/ds-x", headers=key_header(emulator), timeout=5)
    assert response.status_code == 404 and response.json()["errorCode"] == 404


def test_revision_bump_changes_content(emulator):
    """bump changes the expected digest and the exported content."""
    before = emulator.expected("dev", "a-0005")
    assert before["revision"] == 1 and set(before["members"]) == {"flow_definition.json", "app_definition.json", "env_variables.json"}
    assert before["members"]["env_variables.json"]["variables"][1]["value"] == "secret-dev-a-0005-r1"
    assert emulator.bump("dev", "a-0005") == 2
    after = emulator.expected("dev", "a-0005")
    assert after["revision"] == 2 and after["content_digest"] != before["content_digest"]
    url = export_ready(emulator, "a-0005")[1]
    assert archive_digest(requests.get(url, timeout=5).content) == after["raw_content_digest"]
    assert emulator.expected("prod", "a-0005")["content_digest"] != before["content_digest"]


def test_archives_differ_but_content_is_equal(emulator):
    """Two exports of one revision: different bytes, member order or metadata; same canonical content."""
    datas = [requests.get(export_ready(emulator, "a-0006")[1], timeout=5).content for _attempt in range(3)]
    assert len(set(datas)) == 3
    assert len({archive_digest(data) for data in datas}) == 1
    metadata = set()
    for data in datas:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            metadata.add((archive.comment, tuple((i.filename, i.date_time) for i in archive.infolist())))
    assert len(metadata) == 3


def test_download_padding(emulator):
    """Padding adds a stored, deterministic attachments/blob.bin member."""
    emulator.put_workflow("dev", "a-0007", flow_id="cf-0007", name="Workflow 0007", padding=3 * 65536 + 123)
    expected = emulator.expected("dev", "a-0007")
    data = requests.get(export_ready(emulator, "a-0007")[1], timeout=10).content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("attachments/blob.bin")
        blob = archive.read(info)
    assert info.compress_type == zipfile.ZIP_STORED and len(blob) == 3 * 65536 + 123
    assert expected["members"]["attachments/blob.bin"] == {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}
    assert archive_digest(data) == expected["raw_content_digest"]


POST_FAULTS = {
    "post_429": (429, "1"), "post_429_no_retry_after": (429, None), "post_500": (500, None), "post_502": (502, None),
    "post_503": (503, "1"), "post_503_no_retry_after": (503, None), "post_504": (504, None),
}


@pytest.mark.parametrize("fault", sorted(POST_FAULTS))
def test_post_status_faults(emulator, fault):
    """429/5xx POST faults: right status and Retry-After, no job created, then cleared after times."""
    emulator.fault("a-0001", fault, times=1)
    response = post_export(emulator)
    assert (response.status_code, response.headers.get("Retry-After")) == POST_FAULTS[fault]
    assert post_export(emulator).status_code == 200
    log = emulator.log()
    assert [(r["fault"], r["job_created"]) for r in log] == [(fault, False), (None, True)]


def test_post_body_faults(emulator):
    """reset, malformed JSON, missing dock id and HTML 200 POST faults never create a job."""
    emulator.fault("a-0001", "post_reset", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        post_export(emulator)
    emulator.fault("a-0001", "post_malformed_json", times=1)
    response = post_export(emulator)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.text)
    emulator.fault("a-0001", "post_no_dock_status_id", times=1)
    assert not set(DOCK_KEYS) & set(post_export(emulator).json())
    emulator.fault("a-0001", "post_html_200", times=1)
    response = post_export(emulator)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert emulator.stats()["jobs_created"] == 0
    assert [r["status"] for r in emulator.log()] == [0, 200, 200, 200]


def test_post_slow_creates_job(emulator):
    """post_slow answers normally after the delay (and creates the job)."""
    emulator.fault("a-0001", "post_slow", delay=0.4, times=1)
    started = time.monotonic()
    assert post_export(emulator).status_code == 200
    assert time.monotonic() - started >= 0.4
    with pytest.raises(requests.exceptions.ReadTimeout):
        emulator.fault("a-0001", "post_slow", delay=0.5, times=1)
        post_export(emulator, timeout=0.1)
    assert emulator.log()[0]["job_created"] and emulator.log()[0]["fault"] == "post_slow"
    deadline = time.monotonic() + 5  # let the abandoned slow request finish before the next test resets
    while emulator.log()[1]["status"] is None and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.parametrize("fault,code", [("status_429", 429), ("status_500", 500), ("status_502", 502), ("status_503", 503),
                                        ("status_504", 504), ("status_404", 404), ("status_malformed_json", 200),
                                        ("status_reset", None), ("status_slow", 200)])
def test_status_faults(emulator, fault, code):
    """Dock status faults answer once, then the job is visible again."""
    emulator.config(shape="table")
    dock = post_export(emulator).json()["dockStatusId"]
    emulator.fault("a-0001", fault, times=1, delay=0.2)
    url = emulator.url + "/api/public/dock-status/" + dock
    if code is None:
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url, headers=key_header(emulator), timeout=5)
    else:
        response = requests.get(url, headers=key_header(emulator), timeout=5)
        assert response.status_code == code
        if fault == "status_malformed_json":
            with pytest.raises(ValueError):
                json.loads(response.text)
    assert poll(emulator, dock)["status"] == "SUCCESS"
    assert emulator.log()[1]["fault"] == fault


def test_job_failed_and_stuck(emulator):
    """job_failed ends FAILED with an error message; job_stuck stays IN_PROGRESS."""
    emulator.config(shape="table")
    emulator.fault("a-0001", "job_failed", times=1)
    emulator.fault("a-0002", "job_stuck", times=1)
    failed = post_export(emulator, "a-0001").json()
    stuck = post_export(emulator, "a-0002").json()
    status = poll(emulator, failed["dockStatusId"])
    assert status["status"] == "FAILED" and status["error"]["message"].startswith("Export failed: ") and status["message"]
    assert requests.get(failed["downloadURL"], timeout=5).status_code == 404
    time.sleep(0.2)
    assert poll(emulator, stuck["dockStatusId"], want=(), timeout=0.2)["status"] == "IN_PROGRESS"
    assert requests.get(stuck["downloadURL"], timeout=5).status_code == 404


@pytest.mark.parametrize("fault,code,content_type", [
    ("download_404", 404, "application/json"), ("download_403", 403, "application/json"), ("download_410", 410, "application/json"),
    ("download_500", 500, "application/json"), ("download_html", 200, "text/html"), ("download_slow", 200, "application/zip"),
])
def test_download_faults(emulator, fault, code, content_type):
    """Download error faults answer once with their status and content type."""
    url = export_ready(emulator)[1]
    emulator.fault("a-0001", fault, times=1, delay=0.2)
    response = requests.get(url, timeout=5)
    assert response.status_code == code and response.headers["Content-Type"].startswith(content_type)
    assert requests.get(url, timeout=5).status_code == 200


def test_download_reset_truncated_corrupt(emulator):
    """reset drops the connection, truncated sends fewer bytes than announced, corrupt is not a zip."""
    url = export_ready(emulator)[1]
    emulator.fault("a-0001", "download_reset", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=5)
    emulator.fault("a-0001", "download_truncated", times=1)
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    conn.request("GET", parsed.path)
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    conn.close()
    emulator.fault("a-0001", "download_corrupt_zip", times=1)
    response = requests.get(url, timeout=5)
    assert response.headers["Content-Type"] == "application/zip" and int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(response.content))


def test_download_second_origin(emulator):
    """download_second_origin points the URL at the second origin; the key's presence is logged there."""
    emulator.config(shape="table")
    emulator.fault("a-0001", "download_second_origin", times=1)
    answer, url = export_ready(emulator)
    assert url.startswith(emulator.second_url + "/storage/exports/")
    assert requests.get(url, timeout=5).status_code == 200
    assert requests.get(url, headers=key_header(emulator), timeout=5).status_code == 200
    second = [r for r in emulator.log() if r["origin"] == "second"]
    assert [r["api_key_present"] for r in second] == [False, True]
    assert emulator.stats()["second_origin_with_key"] == 1
    assert answer["downloadURL"] == url


def test_download_redirect_second_origin(emulator):
    """download_redirect_second_origin answers 302 to the second origin."""
    url = export_ready(emulator)[1]
    emulator.fault("a-0001", "download_redirect_second_origin", times=1)
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302 and response.headers["Location"].startswith(emulator.second_url + "/storage/exports/")
    assert requests.get(response.headers["Location"], timeout=5).status_code == 200


def test_fault_env_scope_and_clear(emulator):
    """A fault for one env leaves the others alone; clear_faults removes all."""
    emulator.fault("a-0001", "post_500", env="prod")
    assert post_export(emulator, env="dev").status_code == 200
    assert post_export(emulator, env="prod").status_code == 500
    assert post_export(emulator, env="prod").status_code == 500
    emulator.clear_faults()
    assert post_export(emulator, env="prod").status_code == 200


def test_random_faults(emulator):
    """fault_rate picks faults of the configured kinds, one occurrence per request."""
    emulator.config(fault_rate=1.0, fault_kinds=["post_503"])
    assert {post_export(emulator).status_code for _attempt in range(5)} == {503}
    emulator.config(fault_rate=0.5, fault_kinds="post_500,status_502")
    codes = [post_export(emulator).status_code for _attempt in range(40)]
    assert 5 < codes.count(500) < 35 and codes.count(200) == 40 - codes.count(500)


def test_admin_errors(emulator):
    """Bad admin input is a 400, unknown objects a 404."""
    for call in (lambda: emulator.fault("a-0001", "post_418"), lambda: emulator.config(shape="round"),
                 lambda: emulator.config(colour="red"), lambda: emulator.expected("dev", "a-nope")):
        with pytest.raises(EmulatorError):
            call()


def test_stats_and_log(emulator):
    """Stats count posts, jobs, polls and downloads per env; the log has the documented fields."""
    url = export_ready(emulator)[1]
    requests.get(url, timeout=5)
    stats = emulator.stats()
    assert stats["posts"] == 1 and stats["jobs_created"] == 1 and stats["polls"] >= 1 and stats["downloads"] == 1
    assert stats["by_env"]["dev"]["posts"] == 1
    assert set(emulator.log()[0]) == {"t", "method", "path", "query", "origin", "env", "api_key_present", "status", "job_created",
                                      "fault", "workflow_id", "kind", "user_agent"}
    assert [r["kind"] for r in emulator.log()][:2] == ["export", "status"] and emulator.log()[-1]["kind"] == "download"


def test_200_concurrent_exports(emulator):
    """200 clients export, poll and download at once without a single error."""
    emulator.config(job_duration=0.2)

    def one(index):
        with requests.Session() as session:
            session.headers.update(key_header(emulator, ("dev", "staging", "prod")[index % 3]))
            workflow = "a-%04d" % (index % 60 + 1)
            doc = session.post("%s/api/public/workflows/%s/export" % (emulator.url, workflow), timeout=30).json()
            dock = dock_id_of(doc)
            while True:
                status = session.get(emulator.url + "/api/public/dock-status/" + dock, timeout=30).json()
                if status["status"] != "IN_PROGRESS":
                    break
                time.sleep(0.05)
            url = download_url_of(doc, emulator.url) or download_url_of(status, emulator.url)
            data = session.get(url, timeout=30).content
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return len(archive.namelist())

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(200) as pool:
        results = list(pool.map(one, range(200)))
    print("200 concurrent exports: %.2f s" % (time.monotonic() - started))
    assert results == [3] * 200
    stats = emulator.stats()
    assert stats["jobs_created"] == 200 and stats["downloads"] == 200
    assert all(r["status"] == 200 for r in emulator.log())
