# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the Export Workflow and Dock Status calls.

Parsing tolerates every response shape the public docs show (see the
collection's kore-api notes): the dock status id as ``dockStatusId``,
``dock-statusId``, ``dockstatusId`` or ``_id``; the download URL as
``downloadUrl`` or ``downloadURL``, top-level or under ``response``, padded
with spaces, absolute or relative; unknown keys are ignored.
"""

from dataclasses import dataclass, field
from urllib.parse import urljoin

from ansible_collections.koreai.ai_for_process.plugins.module_utils._client import raise_for_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import ApiError, JobFailed

DOCK_STATUS_ID_KEYS = ("dockStatusId", "dock-statusId", "dockstatusId", "_id")
DOWNLOAD_URL_KEYS = ("downloadUrl", "downloadURL")
IN_PROGRESS, SUCCESS, FAILED = "IN_PROGRESS", "SUCCESS", "FAILED"
EXPORT_ROUTES = ("workflows", "workflow")  # the docs' sample spelling, then the table's
FAILURE_DETAIL_KEYS = ("message", "error", "errorMessage", "reason", "details")


@dataclass
class ExportJob:
    """What is known about one export job on the server."""

    workflow_id: str
    flow_id: str = None
    dock_status_id: str = None
    export_job_id: str = None
    download_url: str = None
    status: str = None
    percentage_complete: float = None
    failure: dict = field(default_factory=dict)


def find_value(document, keys):
    """The first non-empty value of any of keys, top-level first, then under ``response``."""
    for scope in (document, document.get("response")):
        if not isinstance(scope, dict):
            continue
        for key in keys:
            value = scope.get(key)
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                return value
    return None


def parse_json_object(response, action):
    """The response body as a dict, or an ApiError describing what came instead."""
    try:
        document = response.json()
    except ValueError:
        content_type = response.headers.get("Content-Type", "no content type").split(";")[0]
        raise ApiError("%s: the server answered HTTP %d with a %s body that is not valid JSON"
                       % (action, response.status_code, content_type), status=response.status_code)
    if not isinstance(document, dict):
        raise ApiError("%s: expected a JSON object, got %s" % (action, type(document).__name__))
    return document


def update_job(job, document, base_url):
    """Fold a POST answer or a dock status document into job."""
    job.dock_status_id = job.dock_status_id or find_value(document, DOCK_STATUS_ID_KEYS)
    job.export_job_id = find_value(document, ("exportJobId",)) or job.export_job_id
    download_url = find_value(document, DOWNLOAD_URL_KEYS)
    if download_url:
        job.download_url = urljoin(base_url + "/", download_url)
    status = find_value(document, ("status",))
    if isinstance(status, str):
        job.status = status.upper()
    percentage = find_value(document, ("percentageComplete",))
    if isinstance(percentage, (int, float)):
        job.percentage_complete = percentage
    if job.status == FAILED:
        job.failure = {key: document[key] for key in FAILURE_DETAIL_KEYS if document.get(key)}
    return job


def failure_reason(failure):
    """The distinct messages a FAILED dock status carries, as one line."""
    reasons = []
    for value in failure.values():
        text = str(value.get("message", value) if isinstance(value, dict) else value)
        if text not in reasons:
            reasons.append(text)
    return "; ".join(reasons) or "the server gave no reason"


def _is_router_404(response):
    """A 404 from the web router (the route does not exist) rather than from the API."""
    if response.status_code != 404:
        return False
    try:
        response.json()
    except ValueError:
        return True
    return False


def start_export(client, workflow_id, flow_id=None):
    """POST the export; fall back once to the singular route spelling when the plural one does not exist."""
    action = "export of workflow %s" % workflow_id
    params = {"flowId": flow_id} if flow_id else None
    routes = sorted(EXPORT_ROUTES, key=lambda route: route != getattr(client, "export_route", EXPORT_ROUTES[0]))
    for route in routes:
        response = client.post(client.api_url("api", "public", route, workflow_id, "export"), params=params)
        if not _is_router_404(response):
            client.export_route = route
            break
    raise_for_status(response, client, action, not_found="workflow %s%s not found on %s" % (
        workflow_id, " with flow_id %s" % flow_id if flow_id else "", client.origin))
    job = update_job(ExportJob(workflow_id, flow_id), parse_json_object(response, action), client.base_url)
    if not job.dock_status_id:
        raise ApiError("%s: the answer holds no dock status id (looked for %s)" % (action, ", ".join(DOCK_STATUS_ID_KEYS)),
                       status=response.status_code)
    return job


def poll_job(client, job):
    """GET the dock status once and fold it into job; FAILED raises JobFailed."""
    action = "dock status %s of workflow %s" % (job.dock_status_id, job.workflow_id)
    response = client.get(client.api_url("api", "public", "dock-status", job.dock_status_id))
    raise_for_status(response, client, action, not_found="dock status %s not found on %s" % (job.dock_status_id, client.origin))
    update_job(job, parse_json_object(response, action), client.base_url)
    if job.status == FAILED:
        raise JobFailed("export of workflow %s FAILED on the server (%s)" % (job.workflow_id, failure_reason(job.failure)))
    return job
