"""Unit tests of the emulator's server variants (config keys), archive overrides and hardening faults."""

import base64
import gzip
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

VERIFY = os.path.join(os.path.dirname(SERVER), "verify_exports.py")


def post(emu, path, env="dev", base=None, **kwargs):
    """POST to <base>/api/public/<path> with an environment's key."""
    kwargs.setdefault("timeout", 10)
    return requests.post("%s/api/public/%s" % (base or emu.url, path), headers={"x-api-key": emu.keys[env]}, **kwargs)


def status_of(emu, dock_id, env="dev", base=None, **kwargs):
    """GET a dock status."""
    return requests.get("%s/api/public/dock-status/%s" % (base or emu.url, dock_id), headers={"x-api-key": emu.keys[env]},
                        timeout=10, **kwargs)


def wait(emu, dock_id, base=None, want=("SUCCESS", "FAILED", "CANCELLED", "ERROR"), timeout=5.0, **kwargs):
    """Poll until the status is in want (or the timeout); return the document."""
    deadline = time.time() + timeout
    while True:
        doc = status_of(emu, dock_id, base=base, **kwargs).json()
        if doc["status"] in want or time.time() > deadline:
            return doc
        time.sleep(0.02)


def exported(emu, workflow_id="a-0001", spelling="workflows", base=None, **kwargs):
    """Export (table shape) and wait for SUCCESS; return (answer, download URL)."""
    emu.config(shape="table")
    answer = post(emu, "%s/%s/export" % (spelling, workflow_id), base=base, **kwargs).json()
    assert wait(emu, answer["dockStatusId"], base=base, **kwargs)["status"] == "SUCCESS"
    return answer, answer["downloadURL"]


def members_of(data):
    """Return {name: raw bytes} of a zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def raw_get(url, headers=None):
    """GET without any transparent decoding; return (response, body bytes)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", parts.path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def unsafe_zip():
    """A zip with members a client must refuse."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("../escape.json", "{}")
        archive.writestr(".git/config", "[core]\n\tfsmonitor = touch /tmp/pwned\n")
        link = zipfile.ZipInfo("link.json")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    return buf.getvalue()


def test_archive_override(emulator):
    """PUT makes every export serve the exact bytes (raw or base64 JSON); DELETE restores generated archives."""
    data = unsafe_zip()
    assert emulator.put_archive("dev", "a-0001", data)["size"] == len(data)
    for _attempt in range(2):
        assert requests.get(exported(emulator)[1], timeout=5).content == data
    assert emulator.workflow("dev", "a-0001")["archive_override"] is True
    response = requests.put(emulator.url + "/_admin/archives/dev/a-0002", json={"base64": base64.b64encode(b"PK-ish").decode()},
                            timeout=5)
    assert response.status_code == 200
    assert requests.get(exported(emulator, "a-0002")[1], timeout=5).content == b"PK-ish"
    assert emulator.clear_archive("dev", "a-0001") == {"ok": True, "cleared": True}
    assert set(members_of(requests.get(exported(emulator)[1], timeout=5).content)) == set(emulator_server.MEMBERS)
    with pytest.raises(EmulatorError, match="404"):
        emulator.put_archive("dev", "a-9999", data)


@pytest.mark.parametrize("style,names", [
    ("camel", {"flowDefinition.json", "appDefinition.json", "envVariables.json"}),
    ("kebab", {"flow-definition.json", "app-definition.json", "env-variables.json"}),
    ("pascal", {"FlowDefinition.json", "AppDefinition.json", "EnvVariables.json"}),
])
def test_member_style(emulator, style, names):
    """member_style renames the export members and the expected ones alike."""
    emulator.config(member_style=style)
    assert set(members_of(requests.get(exported(emulator)[1], timeout=5).content)) == names
    assert set(emulator.expected("dev", "a-0001")["members"]) == names


def test_path_prefix(emulator):
    """With path_prefix the API answers only under it (download URLs included); elsewhere the router's HTML 404."""
    emulator.config(path_prefix="/kore/")
    outside = post(emulator, "workflows/a-0001/export")
    assert outside.status_code == 404 and "Cannot POST /api/public/workflows/a-0001/export" in outside.text
    answer, url = exported(emulator, base=emulator.url + "/kore")
    assert url.startswith(emulator.url + "/kore/api/v1/account/exports/")
    assert requests.get(url, timeout=5).status_code == 200
    assert requests.get(url.replace("/kore", ""), timeout=5).status_code == 404
    emulator.config(shape="relative")
    relative = post(emulator, "workflows/a-0001/export", base=emulator.url + "/kore").json()
    assert relative["downloadUrl"].startswith("/kore/api/v1/account/exports/")
    assert answer["workflowId"] == "a-0001" and emulator.stats()["posts"] == 2  # the unprefixed POST reached no route


def test_tools_only(emulator):
    """entity=tools: tools routes answer toolId/TOOLS/tool-ej-; workflows routes are the router's 404."""
    emulator.config(entity="tools")
    assert post(emulator, "workflows/a-0001/export").headers["Content-Type"].startswith("text/html")
    answer, url = exported(emulator, spelling="tools")
    assert answer["toolId"] == "a-0001" and "workflowId" not in answer and answer["jobType"] == "TOOLS"
    assert answer["exportJobId"].startswith("tool-ej-")
    status = status_of(emulator, answer["dockStatusId"]).json()
    assert status == {"_id": answer["dockStatusId"], "toolId": "a-0001", "jobType": "TOOLS", "action": "EXPORT", "status": "SUCCESS"}
    assert requests.get(url, timeout=5).status_code == 200
    missing = post(emulator, "tools/a-9999/export")
    assert missing.status_code == 404 and missing.json()["message"] == "Tool a-9999 not found"


def test_tools_and_workflows_share_one_store(emulator):
    """entity=both: a tool imported through /tools is the workflow exported through /workflows."""
    emulator.config(entity="both")
    files = {}
    for field, member in (("toolDataFileId", "app_definition.json"), ("flowDataFileId", "flow_definition.json")):
        doc = emulator.workflow("dev", "a-0002")["members"][member]
        files[field] = post(emulator, "files", files={"file": (member, json.dumps(doc))}, data={"fileContext": "bulkImport"}).json()["fileId"]
    missing = post(emulator, "tools/import", json=dict(files, workflowName="wrong field"))
    assert missing.status_code == 400 and "toolName" in missing.json()["message"]
    answer = post(emulator, "tools/import", json=dict(files, toolName="Tool copy")).json()
    assert answer["jobType"] == "TOOLS" and answer["action"] == "IMPORT"
    assert wait(emulator, answer["dockStatusId"])["toolId"] == answer["toolId"]
    assert exported(emulator, answer["toolId"])[0]["workflowId"] == answer["toolId"]
    deploy = post(emulator, "tools/%s/deploy" % answer["toolId"], json={"isAsync": False}).json()
    assert deploy["toolId"] == answer["toolId"] and deploy["jobType"] == "TOOLS"
    wait(emulator, deploy["dock-statusId"])
    assert emulator.workflow("dev", answer["toolId"])["deployed"] is True


@pytest.mark.parametrize("encoding,accept,gzipped", [
    ("gzip", "identity", True), ("gzip_if_accepted", "identity", False), ("gzip_if_accepted", "gzip, deflate", True),
    ("gzip_if_accepted", "gzip;q=0", False), ("identity", "gzip", False),
])
def test_download_encoding(emulator, encoding, accept, gzipped):
    """gzip always compresses (Content-Length of the compressed bytes); gzip_if_accepted follows Accept-Encoding."""
    emulator.config(download_encoding=encoding)
    response, body = raw_get(exported(emulator)[1], {"Accept-Encoding": accept})
    assert int(response.getheader("Content-Length")) == len(body)
    assert (response.getheader("Content-Encoding") == "gzip") is gzipped
    members = members_of(gzip.decompress(body) if gzipped else body)
    assert set(members) == set(emulator_server.MEMBERS)


def test_download_scheme_http(emulator):
    """download_scheme_http: the TLS origin hands out a plain-http download URL."""
    emulator.config(download_scheme_http=True)
    url = exported(emulator, base=emulator.https_url, verify=emulator.ca_file)[1]
    assert url.startswith(emulator.url + "/api/v1/account/exports/")


def test_volatile_key(emulator):
    """volatile_key changes on every export; expected names it and leaves it out of the digest."""
    emulator.config(volatile_key="exportedAt")
    values = [json.loads(members_of(requests.get(exported(emulator)[1], timeout=5).content)["app_definition.json"])["exportedAt"]
              for _attempt in range(2)]
    assert values[0] != values[1]
    expected = emulator.expected("dev", "a-0001")
    assert expected["volatile_key"] == "exportedAt" and expected["volatile_member"] == "app_definition.json"
    assert "exportedAt" not in expected["members"]["app_definition.json"]


def test_non_ascii_and_large_member(emulator):
    """non_ascii puts non-ASCII text in names and prompts (header-safe filename*); large_json_bytes adds a big member."""
    emulator.config(non_ascii=True, large_json_bytes=200000)
    response = requests.get(exported(emulator)[1], timeout=5)
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    members = members_of(response.content)
    app = json.loads(members["app_definition.json"])
    assert emulator_server.NON_ASCII in app["name"]
    assert emulator_server.NON_ASCII in json.loads(members["flow_definition.json"])["nodes"][1]["settings"]["prompt"]
    assert len(emulator_server.canonical_json(json.loads(members["large_payload.json"]))) > 200000


@pytest.mark.parametrize("body", [{"member_style": "upper"}, {"entity": "agents"}, {"download_encoding": "br"},
                                  {"path_prefix": "kore"}, {"upload_limit": -1}, {"non_ascii": "yes"}, {"volatile_key": 1}])
def test_config_validation(emulator, body):
    """Bad values of the new config keys are 400s."""
    with pytest.raises(EmulatorError, match="400"):
        emulator.config(**body)


def test_cli_flags(tmp_path):
    """The config keys have CLI flags."""
    emu = Emulator.start("--no-https", "--cert-dir", str(tmp_path), "--member-style", "kebab", "--path-prefix", "/p",
                         "--entity", "both", "--upload-limit", "5", "--download-encoding", "gzip", "--volatile-key", "v",
                         "--non-ascii", "--large-json-bytes", "10", "--download-scheme-http")
    try:
        config = emu.admin("GET", "info")["config"]
        assert {key: config[key] for key in ("member_style", "path_prefix", "entity", "upload_limit", "download_encoding",
                                             "volatile_key", "non_ascii", "large_json_bytes", "download_scheme_http")} == {
            "member_style": "kebab", "path_prefix": "/p", "entity": "both", "upload_limit": 5, "download_encoding": "gzip",
            "volatile_key": "v", "non_ascii": True, "large_json_bytes": 10, "download_scheme_http": True}
    finally:
        emu.stop()


@pytest.mark.parametrize("fault,status", [("job_cancelled", "CANCELLED"), ("job_error", "ERROR"), ("job_unknown_status", "WEIRD_STATE")])
def test_other_terminal_statuses(emulator, fault, status):
    """Jobs can end CANCELLED or ERROR (with a message), or sit in an unknown status that never ends."""
    emulator.fault("a-0001", fault, times=1)
    emulator.config(shape="table")
    answer = post(emulator, "workflows/a-0001/export").json()
    doc = wait(emulator, answer["dockStatusId"], want=(status,))
    assert doc["status"] == status and (status == "WEIRD_STATE" or doc["message"])
    assert requests.get(answer["downloadURL"], timeout=5).status_code == 404


def test_download_401_second_origin(emulator):
    """The download URL is on the second origin, which answers 401 JSON."""
    emulator.fault("a-0001", "download_401_second_origin", times=1)
    url = exported(emulator)[1]
    assert url.startswith(emulator.second_url)
    response = requests.get(url, timeout=5)
    assert response.status_code == 401 and response.json()["errorCode"] == 401


def test_download_redirect_http(emulator):
    """The TLS origin redirects the download to the plain-http origin, which serves it."""
    url = exported(emulator, base=emulator.https_url, verify=emulator.ca_file)[1]
    emulator.fault("a-0001", "download_redirect_http", times=1)
    response = requests.get(url, verify=emulator.ca_file, allow_redirects=False, timeout=5)
    assert response.status_code == 302 and response.headers["Location"].startswith(emulator.url + "/api/v1/account/exports/")
    assert requests.get(response.headers["Location"], timeout=5).status_code == 200


@pytest.mark.parametrize("phase", ["post", "status", "download"])
def test_retry_after_huge(emulator, phase):
    """*_retry_after_huge answers 429 with Retry-After: 86400."""
    answer, url = exported(emulator)
    emulator.fault("a-0001", phase + "_retry_after_huge", times=1)
    response = {"post": lambda: post(emulator, "workflows/a-0001/export"),
                "status": lambda: status_of(emulator, answer["dockStatusId"]),
                "download": lambda: requests.get(url, timeout=5)}[phase]()
    assert (response.status_code, response.headers["Retry-After"]) == (429, "86400")


@pytest.mark.parametrize("fault,code,retry_after", [
    ("download_429", 429, "1"), ("download_429_no_retry_after", 429, None), ("download_503", 503, "1"),
    ("download_503_no_retry_after", 503, None), ("download_502", 502, None), ("download_504", 504, None),
])
def test_more_download_faults(emulator, fault, code, retry_after):
    """Rate limits and gateway errors on the download."""
    url = exported(emulator)[1]
    emulator.fault("a-0001", fault, times=1)
    response = requests.get(url, timeout=5)
    assert (response.status_code, response.headers.get("Retry-After")) == (code, retry_after)
    assert requests.get(url, timeout=5).status_code == 200


def test_status_faults_without_retry_after_and_deep_json(emulator):
    """429/503 without Retry-After on the dock status; a JSON answer nested 100000 levels deep."""
    answer = exported(emulator)[0]
    for fault, code in (("status_429_no_retry_after", 429), ("status_503_no_retry_after", 503)):
        emulator.fault("a-0001", fault, times=1)
        response = status_of(emulator, answer["dockStatusId"])
        assert response.status_code == code and "Retry-After" not in response.headers
    emulator.fault("a-0001", "status_deep_json", times=1)
    response = status_of(emulator, answer["dockStatusId"])
    assert response.status_code == 200 and response.content.startswith(b"[[[[") and len(response.content) == 200000
    with pytest.raises(RecursionError):
        json.loads(response.content)


def test_verify_exports_drops_the_volatile_key(emulator, tmp_path):
    """verify_exports.py accepts an export whose volatile value differs from any other, and flags a changed one."""
    emulator.config(volatile_key="exportedAt")
    (tmp_path / "a-0001.zip").write_bytes(requests.get(exported(emulator)[1], timeout=5).content)
    command = [sys.executable, VERIFY, emulator.url + "/_admin", "dev=%s" % tmp_path, "--count", "1"]
    report = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout)
    assert (report["checked"], report["lost"]) == (1, 0)
    emulator.bump("dev", "a-0001")
    report = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout)
    assert report["mismatched"] == ["dev/a-0001.zip"]
