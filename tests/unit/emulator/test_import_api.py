"""Unit tests of the emulator's upload, import and deploy API, against a real process."""

import hashlib
import io
import json
import time
import zipfile

import pytest
import requests

from ansible_collections.koreai.ai_for_process.tests.emulator import server as emulator_server
from ansible_collections.koreai.ai_for_process.tests.emulator.control import EmulatorError

MEMBERS = ("flow_definition.json", "app_definition.json", "env_variables.json")
FIELDS = {"flow_definition.json": "flowDataFileId", "app_definition.json": "workflowDataFileId",
          "env_variables.json": "envVariablesFileId"}


def api(emu, path, env="dev", **kwargs):
    """POST to /api/public/<path> with an environment's key; return the response."""
    kwargs.setdefault("timeout", 10)
    return requests.post("%s/api/public/%s" % (emu.url, path), headers={"x-api-key": emu.keys[env]}, **kwargs)


def upload(emu, data, env="dev", name="flow_definition.json", context="bulkImport"):
    """Upload bytes with the single-request API; return the response."""
    return api(emu, "files", env, files={"file": (name, data, "application/json")}, data={"fileContext": context})


def upload_documents(emu, documents, env="dev"):
    """Upload each member; return {import field: fileId}."""
    ids = {}
    for member, doc in documents.items():
        answer = upload(emu, json.dumps(doc).encode("utf-8"), env, member)
        assert answer.status_code == 200, answer.text
        ids[FIELDS[member]] = answer.json()["fileId"]
    return ids


def wait_job(emu, dock_id, env="dev", timeout=5.0):
    """Poll a dock status until it leaves IN_PROGRESS; return the document."""
    deadline = time.time() + timeout
    while True:
        doc = requests.get("%s/api/public/dock-status/%s" % (emu.url, dock_id), headers={"x-api-key": emu.keys[env]}, timeout=10).json()
        if doc["status"] != "IN_PROGRESS" or time.time() > deadline:
            return doc
        time.sleep(0.02)


def exported_documents(emu, workflow_id, env="dev"):
    """Export a workflow through the API; return its members parsed."""
    answer = api(emu, "workflows/%s/export" % workflow_id, env).json()
    dock = next(answer[key] for key in ("dockStatusId", "dock-statusId", "dockstatusId", "_id") if key in answer)
    status = wait_job(emu, dock, env)
    assert status["status"] == "SUCCESS"
    url = answer.get("downloadURL") or answer.get("downloadUrl") or (answer.get("response") or status.get("response"))["downloadUrl"]
    data = requests.get(requests.compat.urljoin(emu.url, url.strip()), timeout=10).content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def without(doc, keys=("workflowId", "updatedAt")):
    """Return a JSON document without the given keys at any depth."""
    if isinstance(doc, dict):
        return {key: without(value, keys) for key, value in doc.items() if key not in keys}
    if isinstance(doc, list):
        return [without(item, keys) for item in doc]
    return doc


def test_upload_single(emulator):
    """An upload answers fileId and url; the admin list shows its env, context, size, digest and text."""
    answer = upload(emulator, b'{"a": "secret-x"}', env="staging", context="ctx")
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["fileId"].startswith("f-") and doc["url"].endswith(doc["fileId"])
    (record,) = emulator.uploads()
    assert record == {"env": "staging", "fileId": doc["fileId"], "fileName": "flow_definition.json", "fileContext": "ctx",
                      "size": 17, "sha256": hashlib.sha256(b'{"a": "secret-x"}').hexdigest(), "via": "single",
                      "text": '{"a": "secret-x"}'}
    binary = upload(emulator, b"\xff\xfe\x00\r\n")
    assert binary.status_code == 200 and emulator.uploads()[1]["text"] is None and emulator.uploads()[1]["size"] == 5
    stats = emulator.stats()
    assert stats["uploads"] == 2 and stats["by_env"]["staging"]["uploads"] == 1
    assert [r["kind"] for r in emulator.log()] == ["upload", "upload"]


def test_upload_bad_requests(emulator):
    """No key, no multipart body or no file field: 401/400 JSON."""
    assert requests.post(emulator.url + "/api/public/files", files={"file": ("x", b"1")}, timeout=5).status_code == 401
    assert api(emulator, "files", json={"file": "x"}).status_code == 400
    response = api(emulator, "files", files={"other": ("x", b"1")})
    assert response.status_code == 400 and "file" in response.json()["message"]
    assert emulator.uploads() == []


def test_upload_limit_and_session(emulator):
    """Over the limit: 413 naming the session API; the session flavour assembles chunks and checks completeness."""
    emulator.config(upload_limit=10)
    response = upload(emulator, b"x" * 11)
    assert response.status_code == 413 and "session" in response.json()["message"]
    start = {"fileContext": "bulkImport", "totalChunks": 3, "fileExtension": "json", "fileName": "big.json", "fileSize": 25}
    session = api(emulator, "files/session/start", json=start).json()["sessionId"]
    chunks = [b'{"k": "', b"0123456789", b'abcdefg"}']
    for number in (1, 3):
        answer = api(emulator, "files/session/" + session, files={"file": ("big.json", chunks[number - 1])},
                     data={"chunkNumber": str(number)})
        assert answer.status_code == 200
    incomplete = api(emulator, "files/session/%s/complete" % session)
    assert incomplete.status_code == 400 and "2" in incomplete.json()["message"]
    assert api(emulator, "files/session/" + session, files={"file": ("big.json", b"x" * 11)}, data={"chunkNumber": "2"}).status_code == 413
    api(emulator, "files/session/" + session, files={"file": ("big.json", chunks[1])}, data={"chunkNumber": "2"})
    other_env = api(emulator, "files/session/%s/complete" % session, env="prod")
    assert other_env.status_code == 404
    done = api(emulator, "files/session/%s/complete" % session)
    assert done.status_code == 200 and done.json()["fileId"].startswith("f-")
    record = emulator.uploads()[-1]
    assert record["text"] == b"".join(chunks).decode() and record["via"] == "session" and record["fileName"] == "big.json"
    assert emulator.stats()["uploads"] == 2  # the refused single upload and the session start
    bad = api(emulator, "files/session/start", json={"fileName": "x"})
    assert bad.status_code == 400 and "totalChunks" in bad.json()["message"]


def test_import_existing_rewrites_identity(emulator):
    """Importing dev's a-0001 into staging's a-0002: after SUCCESS the export is the source minus workflowId/updatedAt."""
    source = emulator.workflow("dev", "a-0001")["members"]
    ids = upload_documents(emulator, source, env="staging")
    answer = api(emulator, "workflows/a-0002/import", "staging", json=ids)
    assert answer.status_code == 200
    doc = answer.json()
    assert {k: doc[k] for k in ("workflowId", "jobType", "action", "status")} == {
        "workflowId": "a-0002", "jobType": "WORKFLOWS", "action": "IMPORT", "status": "IN_PROGRESS"}
    status = wait_job(emulator, doc["dockStatusId"], "staging")
    assert status["status"] == "SUCCESS" and status["action"] == "IMPORT"
    target = emulator.workflow("staging", "a-0002")
    assert target["stored"] and target["deployed"] is False
    assert target["members"]["flow_definition.json"]["workflowId"] == "a-0002"
    assert target["members"]["app_definition.json"]["updatedAt"]
    assert target["secret_values"] == emulator.secrets("dev", "a-0001") == ["https://dev.example.invalid/a-0001/r1", "secret-dev-a-0001-r1"]
    exported = exported_documents(emulator, "a-0002", "staging")
    assert without(exported) == without(source)
    assert emulator.expected("staging", "a-0002")["members"] == exported
    stats = emulator.stats()
    assert stats["imports"] == 1 and stats["by_env"]["staging"]["uploads"] == 3


def test_import_new_workflow(emulator):
    """A new import creates an a-... id once the job succeeds; without env variables the member is an empty list."""
    source = emulator.workflow("dev", "a-0003")["members"]
    ids = upload_documents(emulator, {m: source[m] for m in MEMBERS[:2]})
    doc = api(emulator, "workflows/import", json=dict(ids, workflowName="Copied")).json()
    new_id = doc["workflowId"]
    assert new_id.startswith("a-") and doc["action"] == "IMPORT"
    assert wait_job(emulator, doc["dockStatusId"])["status"] == "SUCCESS"
    created = emulator.workflow("dev", new_id)
    assert created["name"] == "Copied" and created["members"]["env_variables.json"] == {"variables": []}
    assert created["members"]["app_definition.json"]["workflowId"] == new_id
    assert set(exported_documents(emulator, new_id)) == set(MEMBERS)
    assert emulator.log()[len(ids)]["workflow_id"] == new_id


@pytest.mark.parametrize("path,body,code,word", [
    ("workflows/import", {"flowDataFileId": "f-x", "workflowName": "n"}, 400, "workflowDataFileId"),
    ("workflows/import", {"flowDataFileId": "f-x", "workflowDataFileId": "f-y"}, 400, "workflowName"),
    ("workflows/a-0001/import", {"flowDataFileId": "f-x", "workflowDataFileId": "f-y"}, 400, "envVariablesFileId"),
    ("workflows/a-0001/import", {"flowDataFileId": "f-x", "workflowDataFileId": "f-y", "envVariablesFileId": "f-z"}, 400, "f-y not found"),
    ("workflows/a-9999/import", {}, 404, "a-9999"),
])
def test_import_bad_requests(emulator, path, body, code, word):
    """Missing fields and unknown file ids are 400s naming them; an unknown workflow is a 404."""
    response = api(emulator, path, json=body)
    assert response.status_code == code and word in response.json()["message"]
    assert emulator.stats()["jobs_created"] == 0


def test_import_file_of_other_env_and_invalid_json(emulator):
    """A file uploaded with another env's key is unknown; a file that is not JSON makes the job end FAILED with a reason."""
    prod_file = upload(emulator, b"{}", env="prod").json()["fileId"]
    bad = upload(emulator, b"not json").json()["fileId"]
    good = upload(emulator, b"{}").json()["fileId"]
    body = {"flowDataFileId": bad, "workflowDataFileId": good, "envVariablesFileId": prod_file}
    assert api(emulator, "workflows/a-0001/import", json=body).status_code == 400
    body["envVariablesFileId"] = good
    doc = api(emulator, "workflows/a-0001/import", json=body).json()
    status = wait_job(emulator, doc["dockStatusId"])
    assert status["status"] == "FAILED" and "not valid JSON" in status["message"] and bad in status["error"]["message"]
    assert not emulator.workflow("dev", "a-0001")["stored"]


def test_bump_and_edit_of_stored_content(emulator):
    """bump changes imported content; an edit (drift) changes one env only and shows in the export."""
    ids = upload_documents(emulator, emulator.workflow("dev", "a-0004")["members"], env="staging")
    wait_job(emulator, api(emulator, "workflows/a-0004/import", "staging", json=ids).json()["dockStatusId"], "staging")
    before = emulator.expected("staging", "a-0004")["content_digest"]
    assert emulator.bump("staging", "a-0004") == 2
    bumped = emulator.workflow("staging", "a-0004")
    assert "[edited r2]" in bumped["members"]["flow_definition.json"]["nodes"][1]["settings"]["prompt"]
    assert emulator.expected("staging", "a-0004")["content_digest"] != before
    dev_before = emulator.expected("dev", "a-0005")["content_digest"]
    edited = emulator.edit("prod", "a-0005", "flowDefinition.json", set={"nodes.1.settings.prompt": "Changed by hand"},
                           delete=["canvas.tag"])
    assert edited["members"]["flow_definition.json"]["nodes"][1]["settings"]["prompt"] == "Changed by hand"
    assert "tag" not in edited["members"]["flow_definition.json"]["canvas"]
    assert exported_documents(emulator, "a-0005", "prod")["flow_definition.json"]["nodes"][1]["settings"]["prompt"] == "Changed by hand"
    assert emulator.expected("dev", "a-0005")["content_digest"] == dev_before
    replaced = emulator.edit("prod", "a-0006", "env_variables.json", document={"variables": [{"key": "K", "value": "v-1"}]})
    assert replaced["secret_values"] == ["v-1"]


def test_deploy_and_undeploy(emulator):
    """deploy needs isAsync; deploy/undeploy answer dock-statusId, are followed on the dock status and set the flag."""
    assert emulator.workflow("dev", "a-0001")["deployed"] is True
    missing = api(emulator, "workflows/a-0001/deploy", json={})
    assert missing.status_code == 400 and "isAsync" in missing.json()["message"]
    for path, action, deployed in (("workflow/a-0001/undeploy", "UNDEPLOY", False), ("workflows/a-0001/deploy", "DEPLOY", True),
                                   ("workflows/a-0001/undeploy", "UNDEPLOY", False)):
        doc = api(emulator, path, json={"isAsync": True}).json()
        assert doc["action"] == action and doc["workflowId"] == "a-0001" and doc["dock-statusId"].startswith("ds-")
        status = wait_job(emulator, doc["dock-statusId"])
        assert (status["status"], status["action"]) == ("SUCCESS", action)
        assert emulator.workflow("dev", "a-0001")["deployed"] is deployed
    assert api(emulator, "workflows/a-9999/deploy", json={"isAsync": False}).status_code == 404
    stats = emulator.stats()
    assert (stats["deploys"], stats["undeploys"], stats["by_env"]["dev"]["deploys"]) == (3, 2, 3)


@pytest.mark.parametrize("fault,code,retry_after", [("upload_429", 429, "1"), ("upload_503", 503, None)])
def test_upload_status_faults(emulator, fault, code, retry_after):
    """Upload faults match a file name (or "*") and answer once."""
    emulator.fault("other.json", fault, times=1)
    emulator.fault("flow_definition.json", fault, times=1)
    response = upload(emulator, b"{}")
    assert (response.status_code, response.headers.get("Retry-After")) == (code, retry_after)
    assert upload(emulator, b"{}").status_code == 200
    emulator.fault("*", fault, times=1)
    assert upload(emulator, b"{}", name="any.json").status_code == code
    assert emulator.log()[0]["fault"] == fault


def test_upload_reset(emulator):
    """upload_reset drops the connection without storing anything."""
    emulator.fault("*", "upload_reset", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        upload(emulator, b"{}")
    assert emulator.uploads() == []


def test_import_faults(emulator):
    """import_400/import_429 answer before any job; import_failed ends the job FAILED with a reason, storing nothing."""
    ids = upload_documents(emulator, emulator.workflow("dev", "a-0001")["members"])
    emulator.fault("a-0001", "import_400", times=1)
    assert api(emulator, "workflows/a-0001/import", json=ids).status_code == 400
    emulator.fault("*", "import_429", times=1)
    response = api(emulator, "workflows/import", json=dict(ids, workflowName="N"))
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    emulator.fault("N", "import_failed", times=1)
    doc = api(emulator, "workflows/import", json=dict(ids, workflowName="N")).json()
    status = wait_job(emulator, doc["dockStatusId"])
    assert status["status"] == "FAILED" and status["message"]
    with pytest.raises(EmulatorError, match="404"):
        emulator.workflow("dev", doc["workflowId"])
    assert emulator.stats()["jobs_created"] == 1


def test_deploy_failed(emulator):
    """deploy_failed ends a deploy FAILED with a reason and leaves the flag alone."""
    emulator.fault("a-0002", "deploy_failed", times=1)
    doc = api(emulator, "workflows/a-0002/undeploy").json()
    status = wait_job(emulator, doc["dock-statusId"])
    assert status["status"] == "FAILED" and "undeploy" in status["message"]
    assert emulator.workflow("dev", "a-0002")["deployed"] is True
    assert emulator.log()[0]["fault"] == "deploy_failed"


def test_reset_forgets_uploads_and_content(emulator):
    """reset drops uploads, stored content, deploy flags and created workflows."""
    emulator.edit("dev", "a-0001", "flow_definition.json", set={"x": 1})
    upload(emulator, b"{}")
    emulator.reset()
    assert emulator.uploads() == [] and not emulator.workflow("dev", "a-0001")["stored"]


def test_member_names_normalise():
    """Member spellings of every style map back to the snake name."""
    for style in ("snake", "camel", "kebab", "pascal"):
        assert emulator_server.normalise_member(emulator_server.styled("env_variables.json", style)) == "env_variables.json"
    with pytest.raises(ValueError):
        emulator_server.normalise_member("other.json")
