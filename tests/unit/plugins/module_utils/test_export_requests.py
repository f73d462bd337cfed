# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_export_requests: workflow_export's parameters checked and turned into requests with their destinations."""

import os

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export_plan import (
    ExportRequest, file_stem, plan_requests, single_dest_warning,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError
from ansible_collections.koreai.ai_for_process.plugins.modules.workflow_export import argument_spec


def params(**overrides):
    """Module parameters as AnsibleModule would pass them: every option, defaults applied."""
    values = {name: spec.get("default") for name, spec in argument_spec().items()}
    values.update(host="https://process.kore.ai", api_key="kg-secret")
    values.update(overrides)
    return values


def error_of(**overrides):
    with pytest.raises(PlanError) as info:
        plan_requests(params(**overrides))
    return str(info.value)


def test_single_request_without_dest():
    assert plan_requests(params(workflow_id=" a-1 ", flow_id=" cf-1 ", dock_status_id="", download_url=None)) == [
        ExportRequest(workflow_id="a-1", flow_id="cf-1")]


def test_dest_directory_gets_name_or_id(tmp_path):
    (request,) = plan_requests(params(workflow_id="a-1", dest=str(tmp_path)))
    assert request.dest == os.path.join(str(tmp_path), "a-1.zip")
    (request,) = plan_requests(params(workflow_id="a-1", name=" Invoice approval ", dest=str(tmp_path),
                                      extract_to=str(tmp_path / "x")))
    assert request.dest == os.path.join(str(tmp_path), "Invoice approval.zip")
    assert request.extract_dir == os.path.join(str(tmp_path / "x"), "Invoice approval")
    assert request.name == "Invoice approval"


def test_dest_file_is_kept(tmp_path):
    (request,) = plan_requests(params(workflow_id="a-1", name="ignored", dest=str(tmp_path / "custom.zip"),
                                      dock_status_id="ds-1", download_url="https://x/y"))
    assert (request.dest, request.dock_status_id, request.download_url) == (str(tmp_path / "custom.zip"), "ds-1", "https://x/y")


def test_batch_dest_directory(tmp_path):
    requests = plan_requests(params(dest=str(tmp_path), extract_to=str(tmp_path / "ex"), workflows=[
        {"workflow_id": "a-1", "flow_id": "cf-1"}, {"workflow_id": "a-2", "name": "two"},
        {"workflow_id": "a-3", "dest": str(tmp_path / "elsewhere.zip")}]))
    assert [(request.workflow_id, request.flow_id, request.dest, request.extract_dir) for request in requests] == [
        ("a-1", "cf-1", os.path.join(str(tmp_path), "a-1.zip"), os.path.join(str(tmp_path / "ex"), "a-1")),
        ("a-2", None, os.path.join(str(tmp_path), "two.zip"), os.path.join(str(tmp_path / "ex"), "two")),
        ("a-3", None, str(tmp_path / "elsewhere.zip"), os.path.join(str(tmp_path / "ex"), "a-3")),
    ]


def test_dest_parent_missing(tmp_path):
    message = error_of(workflow_id="a-1", dest=str(tmp_path / "missing" / "a.zip"))
    assert message == "dest %s cannot be written: the directory %s does not exist; create it first" % (
        tmp_path / "missing" / "a.zip", tmp_path / "missing")


def test_dest_parent_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    message = error_of(workflow_id="a-1", dest=str(tmp_path / "file" / "a.zip"))
    assert message.endswith("the directory %s is a file, not a directory" % (tmp_path / "file"))


def test_batch_dest_must_be_a_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    assert error_of(dest=str(tmp_path / "file"), workflows=[{"workflow_id": "a-1"}]) == (
        "dest %s is a file; with workflows, dest must be a directory" % (tmp_path / "file"))


def test_batch_dest_may_not_exist_yet(tmp_path):
    requests = plan_requests(params(dest=str(tmp_path / "missing"), workflows=[{"workflow_id": "a-1"}]))
    assert [request.dest for request in requests] == [str(tmp_path / "missing" / "a-1.zip")]


def test_batch_item_dest_parent_missing(tmp_path):
    message = error_of(workflows=[{"workflow_id": "a-1", "dest": str(tmp_path / "no" / "a.zip")}])
    assert "does not exist" in message


@pytest.mark.parametrize("value, option", [
    ({"workflow_id": "a-1", "name": "a/b"}, "name"),
    ({"workflow_id": "a-1", "name": "a\\b"}, "name"),
    ({"workflow_id": "a-1", "name": ".."}, "name"),
    ({"workflow_id": "a-1", "name": "."}, "name"),
    ({"workflow_id": "../a-1"}, "workflow_id"),
    ({"workflow_id": "a\0"}, "workflow_id"),
])
def test_names_that_are_not_file_names(tmp_path, value, option):
    assert error_of(dest=str(tmp_path), **value).startswith("%s %r cannot be used as a file name" % (option, value[option]))
    assert error_of(dest=str(tmp_path), workflows=[value]).startswith(
        "workflows[0].%s %r cannot be used as a file name" % (option, value[option]))


def test_ids_that_are_not_file_names_are_fine_when_nothing_is_written():
    (request,) = plan_requests(params(workflow_id="a/b c", wait=False))
    assert request.workflow_id == "a/b c"
    assert [request.workflow_id for request in plan_requests(params(workflows=[{"workflow_id": "a/b c"}]))] == ["a/b c"]


def test_missing_dest_directory_written_with_a_trailing_slash(tmp_path):
    missing = str(tmp_path / "newdir") + "/"
    message = error_of(workflow_id="a-1", dest=missing)
    assert message == "dest %s cannot be written: the directory %s does not exist; create it first" % (
        missing, tmp_path / "newdir")
    (tmp_path / "newdir").mkdir()
    (request,) = plan_requests(params(workflow_id="a-1", dest=missing))
    assert request.dest == str(tmp_path / "newdir" / "a-1.zip")


def test_file_stem_accepts_ordinary_names():
    assert file_stem(" Ünïcode name (v2) ", "name") == "Ünïcode name (v2)"
    assert file_stem("...", "name") == "..."


@pytest.mark.parametrize("workflows", [
    [{"workflow_id": "a-1", "name": "same"}, {"workflow_id": "a-2", "name": "same"}],
    [{"workflow_id": "a-1"}, {"workflow_id": "a-1"}],
    [{"workflow_id": "a-1"}, {"workflow_id": "a-2", "name": "a-1"}],
    [{"workflow_id": "a-1", "name": " same "}, {"workflow_id": "a-2", "name": "same"}],
])
def test_duplicate_names_in_a_batch(tmp_path, workflows):
    for writes in ({"dest": str(tmp_path)}, {"dest": str(tmp_path), "extract_to": str(tmp_path / "x")}):
        message = error_of(workflows=workflows, **writes)
        assert message.startswith("workflows[0] and workflows[1] would both write ")
        assert message.endswith("; give them distinct names")
    assert len(plan_requests(params(workflows=workflows))) == 2  # nothing written, nothing collides


def test_duplicate_explicit_dest_in_a_batch(tmp_path):
    target = str(tmp_path / "one.zip")
    message = error_of(dest=str(tmp_path), workflows=[{"workflow_id": "a-1", "name": "one"},
                                                      {"workflow_id": "a-2", "dest": target}])
    assert message == "workflows[0] and workflows[1] would both write %s; give them distinct names" % target


def test_duplicate_names_collide_in_extract_to(tmp_path):
    """Distinct archives (one has a dest of its own) would still share extract_to/same/."""
    message = error_of(dest=str(tmp_path), extract_to=str(tmp_path / "ex"), workflows=[
        {"workflow_id": "a-1", "name": "same", "dest": str(tmp_path / "own.zip")}, {"workflow_id": "a-2", "name": "same"}])
    assert message == "workflows[0] and workflows[1] would both write same; give them distinct names"


@pytest.mark.parametrize("overrides, message", [
    ({"extract_to": "/tmp/x"}, "extract_to requires dest"),
    ({"dest": "/tmp", "wait": False}, "dest requires wait: true"),
    ({"wait_timeout": 0}, "wait_timeout must be greater than 0"),
    ({"wait_timeout": -1}, "wait_timeout must be greater than 0"),
    ({"poll_interval": 0}, "poll_interval must be greater than 0"),
    ({"poll_interval": -0.5}, "poll_interval must be greater than 0"),
    ({"concurrency": 0}, "concurrency must be greater than 0"),
    ({"concurrency": -4}, "concurrency must be greater than 0"),
    ({"max_jobs": -1}, "max_jobs must be 0 (no cap) or more"),
])
def test_settings_errors(overrides, message):
    for shape in ({"workflow_id": "a-1"}, {"workflows": [{"workflow_id": "a-1"}]}):
        assert error_of(**dict(shape, **overrides)).startswith(message)


def test_max_jobs_zero_and_wait_false_without_dest_are_fine():
    assert len(plan_requests(params(workflow_id="a-1", max_jobs=0, wait=False))) == 1


def test_dock_status_id_with_workflows(tmp_path):
    message = error_of(dest=str(tmp_path), dock_status_id="ds-1", workflows=[{"workflow_id": "a-1"}])
    assert message == "dock_status_id resumes one job; with workflows, give it per item (workflows[].dock_status_id)"


def test_batch_items_resume_their_own_job(tmp_path):
    requests = plan_requests(params(dest=str(tmp_path), workflows=[
        {"workflow_id": "a-1", "dock_status_id": " ds-1 ", "download_url": "https://x/y?sig=1"}, {"workflow_id": "a-2"}]))
    assert [(r.dock_status_id, r.download_url) for r in requests] == [("ds-1", "https://x/y?sig=1"), (None, None)]
    message = error_of(dest=str(tmp_path), workflows=[{"workflow_id": "a-1", "download_url": "https://x/y"}])
    assert message == "workflows[0].download_url needs workflows[0].dock_status_id: it resumes the job started earlier"


@pytest.mark.parametrize("overrides, message", [
    ({"workflow_id": "   "}, "workflow_id must be a non-empty string"),
    ({"workflows": [{"workflow_id": "a-1"}, {"workflow_id": ""}]}, "workflows[1].workflow_id must be a non-empty string"),
])
def test_empty_workflow_ids(overrides, message):
    assert error_of(**overrides) == message


def test_empty_batch():
    assert plan_requests(params(workflows=[])) == []


@pytest.mark.parametrize("dots", [".", ".."])
def test_dot_ids_are_rejected(dots):
    assert error_of(workflow_id=dots).startswith("workflow_id %r is not a valid id" % dots)
    assert error_of(workflow_id="a-1", dock_status_id=dots).startswith("dock_status_id %r is not a valid id" % dots)
    assert error_of(workflows=[{"workflow_id": dots}]).startswith("workflows[0].workflow_id %r is not a valid id" % dots)


@pytest.mark.parametrize("dest, warned", [
    ("exports", True),  # not a directory, no suffix: written as the file "exports"
    ("exports/", False),
    ("here", False),  # an existing directory (made below)
    ("invoice.zip", False),
    ("INVOICE.ZIP", False),
])
def test_a_single_dest_that_will_be_an_oddly_named_file_is_warned_about(tmp_path, dest, warned):
    (tmp_path / "here").mkdir()
    warning = single_dest_warning(params(dest=str(tmp_path / dest) + ("/" if dest.endswith("/") else "")))
    assert bool(warning) is warned
    if warned:
        assert warning.endswith("end dest with / to mean a directory (it must exist), or name the file with the .zip suffix")


def test_a_batch_dest_is_a_directory_and_never_warned_about(tmp_path):
    assert single_dest_warning(params(workflow_id=None, workflows=[{"workflow_id": "a-1"}], dest=str(tmp_path / "x"))) is None
