# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transport hardening against the emulator: User-Agent, environment fallbacks, redirects of POSTs, download caps
and deadlines, archives of another workflow, kind hints and download URLs kept out of results."""

import json
import os
import tempfile
import time

import pytest
import yaml

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import ExtractOptions, inspect_archive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.deploy import start_deploy
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.downloads import download, download_to_temp
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, DownloadError, DownloadLimit, UnsafeArchive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import ExportOperation, start_export
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.importing import fetch_members, start_import
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export_plan import plan_requests
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.sessions import COLLECTION_VERSION, user_agent
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url, origin_of
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.upload import upload_file
from ansible_collections.koreai.ai_for_process.plugins.modules import workflow_export
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import (
    api_log, new_client, patch_module_args, wait_for_success,
)

GALAXY_YML = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "galaxy.yml")
FILES = {"flow": "f-1", "app": "f-2", "env": "f-3"}


def run_export(emulator, dest, workflow_id="a-0001", options=None, item=None, **args):
    """Run the export operation for one workflow (more of its options in item) into the directory dest, like the module;
    return its result."""
    base = dict(host=emulator.url, api_key=emulator.keys["dev"], poll_interval=0.05, wait_timeout=10, retries=1, timeout=5)
    base.update({"dest": str(dest)} if dest else {})
    with patch_module_args(dict(base, workflows=[dict(item or {}, workflow_id=workflow_id)], **args)):
        module = KoreaiModule(workflow_export.argument_spec(), add_file_common_args=True)
    results, _elapsed = module.run_operation(
        lambda client, settings: ExportOperation(module, client, settings, extract_options=options or ExtractOptions()),
        plan_requests(module.params))
    return results[0]


# --- User-Agent -----------------------------------------------------------------------------------


def test_collection_version_is_galaxy_yml_version():
    with open(GALAXY_YML, encoding="utf-8") as handle:
        assert COLLECTION_VERSION == yaml.safe_load(handle)["version"]


def test_every_request_names_the_collection_ansible_and_requests(emulator, client, tmp_path):
    job = wait_for_success(client, start_export(client, "a-0001"))
    with open(tmp_path / "a.zip", "wb") as handle:
        download(client, job.download_url, handle, "download")
    agents = {entry["user_agent"] for entry in api_log(emulator)}
    assert agents == {user_agent()}
    name, core, library = user_agent().split(" ")
    assert name == "koreai.ai_for_process/" + COLLECTION_VERSION
    assert core.startswith("ansible-core/2.") and library.startswith("python-requests/2.")


# --- environment fallbacks --------------------------------------------------------------------------


def test_workflow_export_runs_with_only_environment_variables(emulator, tmp_path, monkeypatch, capsys):
    for name, value in dict(KOREAI_HOST=emulator.https_url, KOREAI_API_KEY=emulator.keys["dev"], KOREAI_KIND="workflow",
                            KOREAI_VALIDATE_CERTS="true", KOREAI_CA_PATH=emulator.ca_file, KOREAI_TIMEOUT="7",
                            KOREAI_RETRIES="1").items():
        monkeypatch.setenv(name, value)
    with patch_module_args(dict(workflow_id="a-0001", dest=str(tmp_path / "a.zip"), poll_interval=0.05)):
        with pytest.raises(SystemExit):
            workflow_export.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] and not result.get("failed"), result.get("msg")
    if "invocation" in result:  # ansible-core 2.20 and later return no invocation; the older lines check the values
        assert result["invocation"]["module_args"]["timeout"] == 7 and result["invocation"]["module_args"]["retries"] == 1
    assert {entry["origin"] for entry in api_log(emulator)} == {"main_tls"}


def test_validate_certs_from_the_environment(emulator, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KOREAI_HOST", emulator.https_url)
    monkeypatch.setenv("KOREAI_VALIDATE_CERTS", "false")
    with patch_module_args(dict(api_key=emulator.keys["dev"], workflow_id="a-0001",
                                dest=str(tmp_path / "a.zip"), poll_interval=0.05)):
        with pytest.raises(SystemExit):
            workflow_export.main()
    result = json.loads(capsys.readouterr().out)
    assert not result.get("failed"), result.get("msg")  # the emulator's certificate is signed by a CA not given here


def test_kind_from_the_environment_switches_routes(emulator, tmp_path, monkeypatch, capsys):
    emulator.config(entity="tools")
    monkeypatch.setenv("KOREAI_HOST", emulator.url)
    monkeypatch.setenv("KOREAI_KIND", "tool")
    with patch_module_args(dict(host=emulator.url, api_key=emulator.keys["dev"], workflow_id="a-0001",
                                dest=str(tmp_path / "a.zip"), poll_interval=0.05)):
        with pytest.raises(SystemExit):
            workflow_export.main()
    result = json.loads(capsys.readouterr().out)
    assert not result.get("failed"), result.get("msg")
    assert "/api/public/tools/a-0001/export" in [entry["path"] for entry in api_log(emulator, method="POST")]


# --- redirects of requests with a body --------------------------------------------------------------


@pytest.mark.parametrize("fault, call", [
    ("upload_redirect_second_origin", lambda client: upload_file(client, "flow_definition.json", b"{}", "bulkImport")),
    ("post_redirect_second_origin", lambda client: start_export(client, "a-0001")),
    ("import_redirect_second_origin", lambda client: start_import(client, "a-0001", None, FILES)),
])
def test_post_redirected_to_another_origin_fails_and_sends_nothing_there(emulator, client, fault, call):
    emulator.fault("flow_definition.json" if fault.startswith("upload") else "a-0001", fault, times=1)
    with pytest.raises(ApiError) as info:
        call(client)
    second = origin_of(emulator.second_url)
    assert "was redirected to another origin, %s: not followed, so nothing was sent there" % second in info.value.message
    assert "a-0001/export/" not in info.value.message.split(second)[1]
    assert api_log(emulator, origin="second") == []


def test_post_redirected_on_its_own_origin_is_followed(emulator, client):
    emulator.fault("flow_definition.json", "upload_redirect_same_origin", times=1)
    assert upload_file(client, "flow_definition.json", b"{}", "bulkImport")
    uploads = api_log(emulator, method="POST", path_part="/files")
    assert [entry["status"] for entry in uploads] == [307, 200]


# --- downloads: size cap and deadline --------------------------------------------------------------


def test_endless_download_stops_at_the_cap_quickly(emulator, client, tmp_path):
    job = wait_for_success(client, start_export(client, "a-0001"))
    emulator.fault("a-0001", "download_endless", times=1)
    started = time.monotonic()
    with open(tmp_path / "a.zip", "wb") as handle, pytest.raises(DownloadLimit) as info:
        download(client, job.download_url, handle, "download of workflow a-0001", max_bytes=4 * 1024 * 1024)
    assert time.monotonic() - started < 5
    assert "sent more than that, more than the 4194304 bytes max_archive_bytes allows" in info.value.message
    assert os.path.getsize(tmp_path / "a.zip") <= 4 * 1024 * 1024


def test_endless_download_in_an_export_fails_that_workflow_and_leaves_no_file(emulator, tmp_path):
    emulator.fault("a-0001", "download_endless")
    result = run_export(emulator, tmp_path, options=ExtractOptions(max_archive_bytes=2 * 1024 * 1024))
    assert result["failed"] and "max_archive_bytes" in result["msg"]
    assert os.listdir(tmp_path) == []
    assert len(api_log(emulator, method="GET", path_part="/exports/")) == 1  # not downloaded again


def test_dripping_download_is_cut_at_the_deadline(emulator, client, tmp_path):
    job = wait_for_success(client, start_export(client, "a-0001"))
    emulator.fault("a-0001", "download_drip", times=1, delay=2)
    started = time.monotonic()
    with open(tmp_path / "a.zip", "wb") as handle, pytest.raises(DownloadLimit) as info:
        download(client, job.download_url, handle, "download of workflow a-0001", deadline=started + 1.0)
    assert time.monotonic() - started < 2.5
    assert info.value.message.startswith("download of workflow a-0001: did not finish within wait_timeout")


def test_dripping_download_does_not_hold_an_export_past_wait_timeout(emulator, tmp_path):
    emulator.fault("a-0001", "download_drip", delay=2)
    started = time.monotonic()
    result = run_export(emulator, tmp_path, wait_timeout=1.5)
    assert time.monotonic() - started < 4
    assert result["failed"] and "did not finish within wait_timeout" in result["msg"]
    assert os.listdir(tmp_path) == []


# --- the archive belongs to the workflow asked for ---------------------------------------------------


def test_archive_of_another_workflow_fails_the_export_and_writes_nothing(emulator, tmp_path):
    emulator.fault("a-0001", "download_other_workflow")
    result = run_export(emulator, tmp_path)
    assert result["failed"]
    assert "the archive downloaded for workflow a-0001 belongs to workflow a-0002" in result["msg"]
    assert os.listdir(tmp_path) == []


def test_archive_of_another_workflow_fails_the_compare_export_of_an_import(emulator, client):
    job = wait_for_success(client, start_export(client, "a-0001"))
    emulator.fault("a-0001", "download_other_workflow", times=1)
    with pytest.raises(UnsafeArchive) as info:
        fetch_members(client, job)
    assert "belongs to workflow a-0002" in info.value.message


@pytest.mark.parametrize("fault", [None, "download_other_workflow", "download_endless", "download_truncated"])
def test_compare_export_of_an_import_leaves_no_temp_file(emulator, tmp_path, monkeypatch, fault):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client = new_client(emulator, download_limits=(1024 * 1024, None))
    try:
        job = wait_for_success(client, start_export(client, "a-0001"))
        if fault:
            emulator.fault("a-0001", fault, times=1)
            with pytest.raises((ApiError, DownloadLimit, DownloadError, UnsafeArchive)):
                fetch_members(client, job)
        else:
            assert sorted(fetch_members(client, job)) == ["app", "env", "flow"]
    finally:
        client.close()
    assert os.listdir(tmp_path) == []


def test_compare_export_kept_as_the_callers_file(emulator, client, tmp_path):
    keep_as = tmp_path / "staging.part"
    keep_as.write_bytes(b"")
    job = wait_for_success(client, start_export(client, "a-0001"))
    members = fetch_members(client, job, str(keep_as))
    assert os.listdir(tmp_path) == ["staging.part"]
    assert inspect_archive(str(keep_as)).content_digest == emulator.expected("dev", "a-0001")["content_digest"]
    assert sorted(members) == ["app", "env", "flow"]


def test_download_to_temp_removes_the_file_when_reading_it_fails(emulator, client, tmp_path):
    job = wait_for_success(client, start_export(client, "a-0001"))
    seen = []

    def new_temp():
        path = str(tmp_path / "a.part")
        return path, open(path, "wb")

    def read(path, content_type):
        seen.append((os.path.getsize(path) > 0, content_type))
        raise UnsafeArchive("refused")

    with pytest.raises(UnsafeArchive):
        download_to_temp(client, job.download_url, "download", new_temp, read)
    assert seen == [(True, "application/zip")]
    assert os.listdir(tmp_path) == []
    path, content_type = download_to_temp(client, job.download_url, "download", new_temp, lambda path, kind: kind)
    assert (path, content_type) == (str(tmp_path / "a.part"), "application/zip")


# --- kind hints -------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity, kind, hint", [("tools", "workflow", "set kind: tool"),
                                                ("workflows", "tool", "set kind: workflow")])
@pytest.mark.parametrize("call", ["import_new", "import_into", "deploy"])
def test_the_other_products_routes_say_which_kind_to_set(emulator, entity, kind, hint, call):
    emulator.config(entity=entity)
    client = new_client(emulator, kind=kind)
    try:
        with pytest.raises(ApiError) as info:
            if call == "deploy":
                start_deploy(client, "a-0001")
            else:
                start_import(client, "a-0001" if call == "import_into" else None, "New one", FILES)
    finally:
        client.close()
    assert hint in info.value.message and "None" not in info.value.message
    assert "no such route" in info.value.message


# --- download URLs ------------------------------------------------------------------------------------


def test_a_finished_export_returns_the_download_url_without_its_query(emulator, tmp_path):
    emulator.fault("a-0001", "job_signed_url")
    result = run_export(emulator, tmp_path)
    assert not result["failed"], result["msg"]
    assert result["download_url"] == display_url(result["download_url"]) and result["download_url"].endswith("/exports/" + (
        result["download_url"].rsplit("/", 1)[1]))
    assert "X-Amz-Signature" not in json.dumps(result)
    assert "X-Amz-Signature" in api_log(emulator, method="GET", path_part="/exports/")[0]["query"]


def test_an_export_that_does_not_wait_returns_no_signature_and_resumes_by_its_dock_status_id(emulator, tmp_path):
    """The docs' sample shape gives the URL only when the job starts: a resume by dock status id exports again."""
    emulator.config(shape="sample")
    emulator.fault("a-0001", "job_signed_url", times=2)
    started = run_export(emulator, None, wait=False)
    assert not started["failed"] and started["dock_status_id"], started["msg"]
    assert "Signature" not in json.dumps(started) and "?" not in started["download_url"]
    resumed = run_export(emulator, tmp_path, item={"dock_status_id": started["dock_status_id"]})
    assert (resumed["failed"], resumed["changed"]) == (False, True), resumed["msg"]
    assert "Signature" not in json.dumps(resumed)
    assert len(api_log(emulator, method="POST", path_part="/export")) == 2  # the resumed job had no URL to fetch


def test_a_resume_whose_dock_status_gives_the_url_starts_no_new_export(emulator, tmp_path):
    emulator.config(shape="status_url")
    started = run_export(emulator, None, wait=False)
    resumed = run_export(emulator, tmp_path, item={"dock_status_id": started["dock_status_id"]})
    assert (resumed["failed"], resumed["changed"]) == (False, True), resumed["msg"]
    assert len(api_log(emulator, method="POST", path_part="/export")) == 1


@pytest.mark.parametrize("fault", ["download_403", "download_410", "download_404"])
def test_a_failed_download_of_a_signed_url_shows_no_signature(emulator, tmp_path, fault):
    emulator.fault("a-0001", "job_signed_url", times=3)
    emulator.fault("a-0001", fault, times=3)
    result = run_export(emulator, tmp_path)
    assert result["failed"] and "expired" in result["msg"], result["msg"]
    assert "Signature" not in json.dumps(result) and "sig-" not in json.dumps(result)


# --- digests that cannot test guesses --------------------------------------------------------------


def test_the_digest_shown_is_over_the_redacted_content(emulator, tmp_path):
    result = run_export(emulator, tmp_path)
    expected = emulator.expected("dev", "a-0001")
    assert result["content_digest"] == expected["content_digest"] != expected["raw_content_digest"]


def test_a_change_only_in_a_secret_changes_the_file_but_not_the_digest_shown(emulator, tmp_path):
    first = run_export(emulator, tmp_path)
    emulator.edit("dev", "a-0001", "env_variables.json", set={"variables.1.value": "a-new-secret-value"})
    second = run_export(emulator, tmp_path)
    assert (first["changed"], second["changed"]) == (True, True)
    assert second["content_digest"] == first["content_digest"] and second["sha256"] != first["sha256"]
    assert "a-new-secret-value" in emulator.secrets("dev", "a-0001")
    assert run_export(emulator, tmp_path)["changed"] is False


def test_with_a_redaction_key_the_digest_shown_is_keyed(emulator, tmp_path):
    key = ExtractOptions(redaction_key="k-1")
    first = run_export(emulator, tmp_path, options=key)
    emulator.edit("dev", "a-0001", "env_variables.json", set={"variables.1.value": "a-new-secret-value"})
    second = run_export(emulator, tmp_path, options=key)
    (tmp_path / "other").mkdir()
    other_key = run_export(emulator, tmp_path / "other", options=ExtractOptions(redaction_key="k-2"))
    assert second["changed"] and second["content_digest"] != first["content_digest"]
    assert other_key["content_digest"] != second["content_digest"]
