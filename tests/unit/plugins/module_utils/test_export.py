# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_jobs and _export: response parsing of every documented shape, start_export routes and ids, poll_job."""

from urllib.parse import parse_qs, quote

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import inspect_archive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.client import ApiClient
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, JobFailed
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import start_export
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import (
    DOCK_STATUS_ID_KEYS, DOWNLOAD_URL_KEYS, SUCCESS, Job, failure_reason, find_value, poll_job, update_job,
)
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import (
    SHAPES, api_log, assert_no_key, download_to, new_client, wait_for_success,
)

BASE = "http://api.example.test:8080"
FAILED, IN_PROGRESS = "FAILED", "IN_PROGRESS"


def export_job(workflow_id, flow_id=None, **fields):
    """A Job for an export of workflow_id, as start_export makes them."""
    return Job("export of workflow %s" % workflow_id, workflow_id, flow_id, owner_checked=True, **fields)


@pytest.mark.parametrize("document, expected", [
    ({"dockStatusId": "ds-1"}, "ds-1"),
    ({"dock-statusId": "ds-2"}, "ds-2"),
    ({"dockstatusId": "ds-3"}, "ds-3"),
    ({"_id": "ds-4"}, "ds-4"),
    ({"dockStatusId": "  ds-5 \n"}, "ds-5"),
    ({"dockStatusId": "", "_id": "ds-6"}, "ds-6"),
    ({"dockStatusId": "   ", "dock-statusId": "ds-7"}, "ds-7"),
    ({"dockStatusId": None, "dockstatusId": "ds-8"}, "ds-8"),
    ({"response": {"dockStatusId": "ds-9"}}, "ds-9"),
    ({"_id": "ds-top", "response": {"dockStatusId": "ds-nested"}}, "ds-top"),
    ({"response": "ds-not-a-dict"}, None),
    ({"response": None, "id": "ds-other-key"}, None),
    ({}, None),
    ({"dockStatusId": ""}, None),
], ids=lambda value: repr(value)[:40])
def test_find_value_dock_status_id(document, expected):
    assert find_value(document, DOCK_STATUS_ID_KEYS) == expected


@pytest.mark.parametrize("document, expected", [
    ({"downloadUrl": "https://s.example/x"}, "https://s.example/x"),
    ({"downloadURL": "https://s.example/y"}, "https://s.example/y"),
    ({"response": {"downloadUrl": " https://s.example/z"}}, "https://s.example/z"),
    ({"response": {"downloadURL": "https://s.example/w  "}}, "https://s.example/w"),
    ({"downloadUrl": " ", "response": {"downloadURL": "https://s.example/v"}}, "https://s.example/v"),
    ({"downloadurl": "https://s.example/lower-case-is-not-documented"}, None),
], ids=lambda value: repr(value)[:40])
def test_find_value_download_url(document, expected):
    assert find_value(document, DOWNLOAD_URL_KEYS) == expected


@pytest.mark.parametrize("document", [
    {"dock-statusId": "ds-a", "workflowId": "a-1", "jobType": "WORKFLOWS", "action": "EXPORT", "status": "IN_PROGRESS",
     "exportJobId": "workflow-ej-1", "response": {"downloadUrl": " %s/api/v1/account/exports/t1" % BASE}},
    {"dockStatusId": "ds-a", "workflowId": "a-1", "status": "IN_PROGRESS", "exportJobId": "workflow-ej-1",
     "downloadURL": "%s/api/v1/account/exports/t1" % BASE},
    {"dockstatusId": "ds-a", "status": "IN_PROGRESS", "exportJobId": "workflow-ej-1",
     "response": {"downloadUrl": "%s/api/v1/account/exports/t1 " % BASE}},
    {"_id": "ds-a", "toolId": "a-other", "status": "in_progress", "exportJobId": "workflow-ej-1",
     "downloadURL": "/api/v1/account/exports/t1"},
    {"dockStatusId": "ds-a", "status": "IN_PROGRESS", "exportJobId": "workflow-ej-1", "meta": {"requestId": "r"},
     "createdAt": 1, "percentageComplete": 0, "unknown": [1, 2], "downloadUrl": "api/v1/account/exports/t1"},
], ids=("sample", "table", "lowercase", "underscore-tool-relative", "extra-unknown-keys"))
def test_update_job_reads_every_post_shape(document):
    job = update_job(export_job("a-1", "cf-1"), document, BASE)
    assert (job.workflow_id, job.flow_id) == ("a-1", "cf-1")  # toolId never replaces the requested id
    assert job.dock_status_id == "ds-a"
    assert job.job_id == "workflow-ej-1"
    assert job.status == IN_PROGRESS
    assert job.download_url == BASE + "/api/v1/account/exports/t1"
    assert job.failure == {}


@pytest.mark.parametrize("host, url, expected", [
    ("http://h.test:81", "/api/v1/account/exports/t", "http://h.test:81/api/v1/account/exports/t"),
    ("http://h.test:81/", "/api/v1/account/exports/t", "http://h.test:81/api/v1/account/exports/t"),
    ("http://h.test:81/", " api/v1/account/exports/t ", "http://h.test:81/api/v1/account/exports/t"),
    ("https://h.test/kore", "exports/t", "https://h.test/kore/exports/t"),
    ("https://h.test/kore/", "exports/t", "https://h.test/kore/exports/t"),
    ("https://h.test/kore//", "exports/t?sig=1", "https://h.test/kore/exports/t?sig=1"),
    # RFC 3986: a path-absolute reference replaces the whole path, prefix included
    ("https://h.test/kore/", "/api/v1/account/exports/t", "https://h.test/api/v1/account/exports/t"),
    ("https://h.test/kore", "//storage.test/x", "https://storage.test/x"),
    ("https://h.test/kore", "https://storage.test/signed?x=1", "https://storage.test/signed?x=1"),
])
def test_update_job_resolves_relative_download_url(host, url, expected):
    client = ApiClient(host, "kg-unused")
    try:
        job = update_job(export_job("a-1"), {"dockStatusId": "ds-1", "downloadUrl": url}, client.base_url)
    finally:
        client.close()
    assert job.download_url == expected


def test_update_job_dock_status_documents():
    job = update_job(export_job("a-1"), {"dockStatusId": "ds-post", "status": "IN_PROGRESS", "exportJobId": "ej-1",
                                         "downloadURL": BASE + "/first"}, BASE)
    update_job(job, {"_id": "ds-other", "workflowId": "a-1", "status": "in_progress", "percentageComplete": 42.5}, BASE)
    assert (job.dock_status_id, job.job_id, job.percentage_complete) == ("ds-post", "ej-1", 42.5)
    assert job.download_url == BASE + "/first"  # a status without a URL keeps the POST's
    update_job(job, {"_id": "ds-post", "status": "Success", "percentageComplete": 100,
                     "response": {"downloadUrl": " /from-status "}}, BASE)
    assert (job.status, job.percentage_complete, job.download_url) == (SUCCESS, 100, BASE + "/from-status")
    update_job(job, {"status": "SUCCESS", "percentageComplete": "99%"}, BASE)
    assert job.percentage_complete == 100  # a non-numeric percentage is ignored


def test_update_job_percentage_zero_is_kept():
    job = update_job(export_job("a-1"), {"dockStatusId": "ds", "percentageComplete": 0}, BASE)
    assert job.percentage_complete == 0


def test_update_job_failed_keeps_reasons():
    document = {"_id": "ds-1", "status": "FAILED", "message": "validation failed", "error": {"message": "Export failed"},
                "reason": "", "details": None, "extra": "not a reason"}
    job = update_job(export_job("a-1"), document, BASE)
    assert job.status == FAILED
    assert job.failure == {"message": "validation failed", "error": {"message": "Export failed"}}
    assert failure_reason(job.failure) == "validation failed; Export failed"


@pytest.mark.parametrize("failure, expected", [
    ({}, "the server gave no reason"),
    ({"message": "same", "error": {"message": "same"}}, "same"),
    ({"errorMessage": "boom", "details": ["x", "y"]}, "boom; x; y"),
    ({"error": {"code": 7}}, "{'code': 7}"),
])
def test_failure_reason(failure, expected):
    assert failure_reason(failure) == expected


# --- against the emulator ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_start_export_every_shape(emulator, client, shape, tmp_path):
    emulator.config(shape=shape)
    job = start_export(client, "a-0003", "cf-0003")
    assert job.dock_status_id.startswith("ds-")
    assert job.job_id.startswith("workflow-ej-")
    assert (job.workflow_id, job.flow_id, job.status) == ("a-0003", "cf-0003", IN_PROGRESS)
    prefix = emulator.url + "/api/v1/account/exports/"
    if shape == "status_url":
        assert job.download_url is None
    else:
        assert job.download_url.startswith(prefix)
    wait_for_success(client, job)
    assert job.download_url.startswith(prefix)
    download_to(client, job, tmp_path / "a.zip")
    assert inspect_archive(str(tmp_path / "a.zip")).content_digest == emulator.expected("dev", "a-0003")["content_digest"]
    posts = api_log(emulator, method="POST")
    assert [(entry["path"], parse_qs(entry["query"])) for entry in posts] == [
        ("/api/public/workflows/a-0003/export", {"flowId": ["cf-0003"]})]
    assert emulator.stats()["jobs_created"] == 1


@pytest.mark.parametrize("route, first, second", [
    ("plural", ["workflows"], ["workflows"]),
    ("both", ["workflows"], ["workflows"]),
    ("singular", ["workflows", "workflow"], ["workflow"]),
])
def test_start_export_route_fallback(emulator, client, route, first, second):
    emulator.config(route=route)
    start_export(client, "a-0001")
    after_first = [entry["path"] for entry in api_log(emulator, method="POST")]
    start_export(client, "a-0002")
    after_second = [entry["path"] for entry in api_log(emulator, method="POST")][len(after_first):]
    assert after_first == ["/api/public/%s/a-0001/export" % spelling for spelling in first]
    assert after_second == ["/api/public/%s/a-0002/export" % spelling for spelling in second]
    assert emulator.stats()["jobs_created"] == 2


def test_start_export_singular_route_unknown_workflow(emulator, client):
    emulator.config(route="singular")
    with pytest.raises(ApiError) as info:
        start_export(client, "a-9999")
    assert info.value.status == 404
    assert "workflow a-9999 not found on %s" % client.origin in info.value.message
    assert "Workflow a-9999 not found" in info.value.message  # the API's own 404, not the router's
    assert len(api_log(emulator, method="POST")) == 2
    assert emulator.stats()["jobs_created"] == 0


def test_start_export_goes_to_remembered_route_first(emulator, client):
    emulator.config(route="singular")
    client.remember_route("export", "workflow")  # a remembered route that still works
    start_export(client, "a-0001")
    assert [entry["path"] for entry in api_log(emulator, method="POST")] == ["/api/public/workflow/a-0001/export"]


def test_poll_job_to_success(emulator, client):
    job = start_export(client, "a-0002", "cf-0002")
    wait_for_success(client, job)
    polls = api_log(emulator, method="GET", path_part="/dock-status/")
    assert polls and all(entry["path"] == "/api/public/dock-status/" + job.dock_status_id for entry in polls)
    assert all(entry["api_key_present"] and entry["status"] == 200 for entry in polls)
    assert job.status == SUCCESS


@pytest.mark.parametrize("shape", ("table", "extra"))
def test_poll_job_failed_carries_server_reason(emulator, client, shape):
    emulator.config(shape=shape)
    emulator.fault("a-0004", "job_failed")
    job = start_export(client, "a-0004")
    with pytest.raises(JobFailed) as info:
        wait_for_success(client, job)
    assert "export of workflow a-0004 FAILED" in info.value.message
    assert "workflow validation failed for a-0004" in info.value.message
    assert "Export failed: workflow validation failed for a-0004" in info.value.message
    assert job.status == FAILED
    assert_no_key(info.value, emulator)


def test_poll_job_unknown_dock_status(emulator, client):
    with pytest.raises(ApiError) as info:
        poll_job(client, export_job("a-0001", dock_status_id="ds-does-not-exist"))
    assert info.value.status == 404
    assert info.value.message.startswith("dock status ds-does-not-exist not found on %s" % client.origin)
    assert_no_key(info.value, emulator)


def test_poll_job_other_environment_is_not_found(emulator, client):
    job = start_export(client, "a-0001")
    staging = new_client(emulator, "staging")
    try:
        with pytest.raises(ApiError) as info:
            poll_job(staging, export_job("a-0001", dock_status_id=job.dock_status_id))
    finally:
        staging.close()
    assert info.value.status == 404
    assert_no_key(info.value, emulator)


@pytest.mark.parametrize("workflow_id", [
    "a/b", "a-0001/../a-0002", "../a-0001", "a b", "ü-flow", "a?flowId=cf-0001", "a#x", "a%2Fb", "%2e%2e", "a;b", "...",
])
def test_odd_workflow_ids_are_one_path_segment(emulator, client, workflow_id):
    with pytest.raises(ApiError) as info:
        start_export(client, workflow_id)
    assert info.value.status == 404
    assert "workflow %s not found" % workflow_id in info.value.message
    assert "Workflow %s not found" % workflow_id in info.value.message  # the export route answered, not the router
    posts = api_log(emulator)
    assert [(entry["method"], entry["path"]) for entry in posts] == [
        ("POST", "/api/public/workflows/%s/export" % quote(workflow_id, safe=""))]
    assert emulator.stats()["jobs_created"] == 0
    assert_no_key(info.value, emulator)


def test_odd_workflow_id_that_exists_round_trips(emulator, client):
    workflow_id = "a b/ü?#&x"
    emulator.put_workflow("dev", workflow_id, flow_id="cf-odd", name="Odd one")
    job = start_export(client, workflow_id, "cf-odd")
    assert job.dock_status_id
    (post,) = api_log(emulator, method="POST")
    assert post["workflow_id"] == workflow_id and post["job_created"]


def test_flow_id_with_query_characters_stays_one_value(emulator, client):
    flow_id = "cf&flowId=cf-0001#frag"
    emulator.put_workflow("dev", "a-amp", flow_id=flow_id)
    job = start_export(client, "a-amp", flow_id)
    assert job.dock_status_id
    with pytest.raises(ApiError) as info:
        start_export(client, "a-0001", "cf-0001&x=1#y")
    assert info.value.status == 404
    assert "Flow cf-0001&x=1#y not found for workflow a-0001" in info.value.message
    assert "workflow a-0001 with flow_id cf-0001&x=1#y not found" in info.value.message
    queries = [parse_qs(entry["query"]) for entry in api_log(emulator, method="POST")]
    assert queries == [{"flowId": [flow_id]}, {"flowId": ["cf-0001&x=1#y"]}]


def test_wrong_flow_id_is_not_found(emulator, client):
    with pytest.raises(ApiError) as info:
        start_export(client, "a-0001", "cf-0002")
    assert info.value.status == 404 and "with flow_id cf-0002 not found" in info.value.message
    assert emulator.stats()["jobs_created"] == 0
