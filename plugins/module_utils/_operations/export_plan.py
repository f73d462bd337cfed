# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: workflow_export's parameters as export requests.

Everything a user can get wrong is checked here, before any request is sent
or any file written, and reported with the option that needs fixing.
"""

import os
from dataclasses import dataclass

from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner_options import check_runner_options
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError, identifier, text

ARCHIVE_SUFFIX = ".zip"


@dataclass
class ExportRequest:
    """One workflow to export and where its files go."""

    workflow_id: str
    flow_id: str = None
    name: str = None
    dest: str = None
    extract_dir: str = None
    dock_status_id: str = None
    download_url: str = None


def file_stem(value, option):
    """value as a single file name, or a PlanError saying why it cannot be one."""
    if any(separator in value for separator in ("/", "\\", "\0")):
        reason = "it contains a path separator"
    elif value.strip() in ("", ".", ".."):
        reason = "it is empty or a relative directory name"
    else:
        return value.strip()
    raise PlanError("%s %r cannot be used as a file name: %s; choose a name without '/', '\\' or '..'" % (option, value, reason))


def _directory(path, option):
    """path, which must be a directory or not exist yet (the batch creates it)."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise PlanError("%s %s is a file; with workflows, dest must be a directory" % (option, path))
    if os.path.isdir(path) and not os.access(path, os.W_OK):
        raise PlanError("%s %s is not writable" % (option, path))
    return path


def _single_dest(dest, stem):
    """A file path for one workflow: inside dest when it is (or is written as) a directory, else dest itself.

    The directory that will hold the file must exist and be writable: nothing is exported otherwise.
    """
    path = os.path.join(dest, stem + ARCHIVE_SUFFIX) if _means_directory(dest) else dest
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        what = "is a file, not a directory" if os.path.exists(parent) else "does not exist; create it first"
        raise PlanError("dest %s cannot be written: the directory %s %s" % (dest, parent, what))
    if not os.access(parent, os.W_OK):
        raise PlanError("dest %s cannot be written: the directory %s is not writable" % (dest, parent))
    return path


def _means_directory(dest):
    """Whether one workflow's dest names the directory its archive goes into (else it is the archive's own path)."""
    return os.path.isdir(dest) or dest.endswith(("/", os.sep))


def single_dest_warning(params):
    """A warning when one workflow's dest is taken as the archive's own file name though it does not look like one
    (no .zip suffix, not an existing directory, no trailing /), as a missing directory would be; else None."""
    dest = params.get("dest")
    if params.get("workflows") is not None or not dest or _means_directory(dest) or dest.lower().endswith(ARCHIVE_SUFFIX):
        return None
    return ("dest %s is not an existing directory, so the archive is written as the file %s itself; end dest with / "
            "to mean a directory (it must exist), or name the file with the %s suffix" % (dest, dest, ARCHIVE_SUFFIX))


def check_export_options(params):
    """PlanErrors for numeric options out of range and for incompatible options."""
    check_runner_options(params)
    if params.get("dest") and not params["wait"]:
        raise PlanError("dest requires wait: true (the file can only be downloaded once the export job succeeded)")
    if params.get("extract_to") and not params.get("dest"):
        raise PlanError("extract_to requires dest: the archive is kept and its members are extracted beside it")


def _stem(name, workflow_id, prefix, needed):
    """The file and directory name of a workflow, checked only when something is written under it."""
    value = name or workflow_id
    return file_stem(value, prefix + ("name" if name else "workflow_id")) if needed else value


def single_request(params):
    """The request of a task that names one workflow_id."""
    workflow_id = identifier(params["workflow_id"], "workflow_id", required=True)
    name = text(params.get("name"), "name")
    writes = bool(params.get("dest") or params.get("extract_to"))
    stem = _stem(name, workflow_id, "", writes)
    dest = _single_dest(params["dest"], stem) if params.get("dest") else None
    extract_dir = os.path.join(params["extract_to"], stem) if params.get("extract_to") else None
    return ExportRequest(workflow_id=workflow_id, flow_id=text(params.get("flow_id"), "flow_id"), name=name,
                         dest=dest, extract_dir=extract_dir,
                         dock_status_id=identifier(params.get("dock_status_id"), "dock_status_id"),
                         download_url=text(params.get("download_url"), "download_url"))


def batch_requests(params):
    """The requests of a task with a workflows list; names and destinations must not collide."""
    if params.get("dock_status_id"):
        raise PlanError("dock_status_id resumes one job; with workflows, give it per item (workflows[].dock_status_id)")
    dest_dir = _directory(params["dest"], "dest") if params.get("dest") else None
    requests, seen = [], {}
    for index, item in enumerate(params["workflows"]):
        option = "workflows[%d]" % index
        workflow_id = identifier(item.get("workflow_id"), option + ".workflow_id", required=True)
        name = text(item.get("name"), option + ".name")
        writes = bool(dest_dir or item.get("dest") or params.get("extract_to"))
        stem = _stem(name, workflow_id, option + ".", writes)
        if item.get("dest"):
            dest = _single_dest(item["dest"], stem)
        else:
            dest = os.path.join(dest_dir, stem + ARCHIVE_SUFFIX) if dest_dir else None
        for key in filter(None, (writes and stem, dest and os.path.abspath(dest))):
            if key in seen:
                raise PlanError("%s and %s would both write %s; give them distinct names" % (seen[key], option, key))
            seen[key] = option
        if item.get("download_url") and not item.get("dock_status_id"):
            raise PlanError("%s.download_url needs %s.dock_status_id: it resumes the job started earlier" % (option, option))
        requests.append(ExportRequest(
            workflow_id=workflow_id, flow_id=text(item.get("flow_id"), option + ".flow_id"), name=name, dest=dest,
            extract_dir=os.path.join(params["extract_to"], stem) if params.get("extract_to") else None,
            dock_status_id=identifier(item.get("dock_status_id"), option + ".dock_status_id"),
            download_url=text(item.get("download_url"), option + ".download_url")))
    return requests


def plan_requests(params):
    """Validate params and return the list of ExportRequests (one for workflow_id)."""
    check_export_options(params)
    return batch_requests(params) if params.get("workflows") is not None else [single_request(params)]
