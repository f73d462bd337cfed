# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: jobs on the server and their dock status.

Export, import and deploy answers and the dock status are parsed here, tolerant
of every spelling the public docs show: the dock status id as ``dockStatusId``,
``dock-statusId``, ``dockstatusId`` or ``_id``; the download URL as
``downloadUrl`` or ``downloadURL``, top-level or under ``response``, padded
with spaces, absolute or relative; the entity as ``workflowId`` or ``toolId``;
statuses in any case. Unknown keys are ignored.
"""

from dataclasses import dataclass, field
from urllib.parse import urljoin

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import parse_json, raise_for_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, JobFailed

DOCK_STATUS_ID_KEYS = ("dockStatusId", "dock-statusId", "dockstatusId", "dock_status_id", "_id")
ENTITY_ID_KEYS = ("workflowId", "toolId")
DOWNLOAD_URL_KEYS = ("downloadUrl", "downloadURL", "download_url")
FAILURE_DETAIL_KEYS = ("message", "error", "errorMessage", "reason", "details", "errors")

SUCCESS = "SUCCESS"
SUCCESS_STATUSES = frozenset(("SUCCESS", "SUCCEEDED", "SUCCESSFUL", "COMPLETED", "COMPLETE", "DONE", "FINISHED"))
FAILURE_STATUSES = frozenset(("FAILED", "FAILURE", "CANCELLED", "CANCELED", "ERROR", "ABORTED", "TIMEOUT",
                              "TIMED_OUT", "EXPIRED", "REJECTED"))
RUNNING_STATUSES = frozenset(("IN_PROGRESS", "QUEUED", "PENDING", "RUNNING", "STARTED", "PROCESSING", "CREATED",
                              "SUBMITTED", "INPROGRESS"))


@dataclass
class Job:
    """What is known about one job on the server (an export, import or deploy).

    job_id is the server's id of the job (exportJobId, importJobId or jobId); scope, the API scope that started it
    (named when the key is refused while following it). With owner_checked, the dock status must name workflow_id
    (a resumed export must not save another workflow).
    """

    action: str
    workflow_id: str = None
    flow_id: str = None
    dock_status_id: str = None
    job_id: str = None
    download_url: str = None
    status: str = None
    percentage_complete: float = None
    server_workflow_id: str = None
    owner_checked: bool = False
    failure: dict = field(default_factory=dict)
    scope: str = None

    @property
    def succeeded(self):
        return self.status in SUCCESS_STATUSES

    @property
    def failed(self):
        return self.status in FAILURE_STATUSES

    @property
    def status_known(self):
        return self.status is None or self.status in SUCCESS_STATUSES | FAILURE_STATUSES | RUNNING_STATUSES


def normalise_status(value):
    """A status as an upper-case word with underscores (``in-progress`` and ``In Progress`` become IN_PROGRESS)."""
    return str(value).strip().upper().replace("-", "_").replace(" ", "_")


def find_value(document, keys):
    """The first non-empty value of any of keys, top-level first, then under ``response`` or ``data``."""
    for scope in (document, document.get("response"), document.get("data")):
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
    document = parse_json(response, action)
    if not isinstance(document, dict):
        raise ApiError("%s: expected a JSON object, got %s" % (action, type(document).__name__))
    return document


def update_job(job, document, base_url):
    """Fold a POST answer or a dock status document into job."""
    job.dock_status_id = job.dock_status_id or _text(find_value(document, DOCK_STATUS_ID_KEYS))
    job.job_id = _text(find_value(document, ("exportJobId", "importJobId", "jobId"))) or job.job_id
    job.server_workflow_id = _text(find_value(document, ENTITY_ID_KEYS)) or job.server_workflow_id
    download_url = find_value(document, DOWNLOAD_URL_KEYS)
    if isinstance(download_url, str):
        job.download_url = urljoin(base_url + "/", download_url)
    status = find_value(document, ("status", "state"))
    if isinstance(status, str):
        job.status = normalise_status(status)
    percentage = find_value(document, ("percentageComplete", "progress"))
    if isinstance(percentage, (int, float)) and not isinstance(percentage, bool):
        job.percentage_complete = percentage
    if job.failed:
        job.failure = {key: document[key] for key in FAILURE_DETAIL_KEYS if document.get(key)}
    return job


def _text(value):
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def started_job(client, response, job, done_is_enough=False):
    """job updated with the answer that started it; an answer without a dock status id to follow is an ApiError
    (unless done_is_enough and the answer says the job already succeeded)."""
    update_job(job, parse_json_object(response, job.action), client.base_url)
    if not job.dock_status_id and not (done_is_enough and job.succeeded):
        raise ApiError("%s: the answer holds no dock status id (looked for %s)" % (job.action, ", ".join(DOCK_STATUS_ID_KEYS)),
                       status=response.status_code)
    return job


def failure_reason(failure):
    """The distinct messages a failed dock status carries, as one line."""
    reasons = []
    for value in failure.values():
        for item in value if isinstance(value, list) else [value]:
            text = str(item.get("message") or item.get("msg") or item) if isinstance(item, dict) else str(item)
            if any(text in reason for reason in reasons):
                continue
            reasons = [reason for reason in reasons if reason not in text] + [text]
    return "; ".join(reasons) or "the server gave no reason"


def read_dock_status(client, dock_status_id, job=None, deadline=None):
    """GET one dock status (no retry wait past deadline); return (job updated with it, the raw document)."""
    action = "dock status %s of the %s" % (dock_status_id, job.action) if job else "dock status %s" % dock_status_id
    job = job or Job("job of dock status %s" % dock_status_id, dock_status_id=dock_status_id)
    response = client.get(client.api_url("api", "public", "dock-status", dock_status_id), deadline=deadline)
    raise_for_status(response, client, action, scope=job.scope,
                     not_found="dock status %s not found on %s" % (dock_status_id, client.origin))
    document = parse_json_object(response, action)
    return update_job(job, document, client.base_url), document


def poll_job(client, job, deadline=None):
    """Read the job's dock status once; raise JobFailed when it ended badly or belongs to another workflow."""
    read_dock_status(client, job.dock_status_id, job, deadline)
    if job.owner_checked and job.server_workflow_id and job.server_workflow_id != job.workflow_id:
        raise JobFailed("dock status %s belongs to workflow %s, not to %s: the %s cannot be resumed with it"
                        % (job.dock_status_id, job.server_workflow_id, job.workflow_id, job.action),
                        dock_status_id=job.dock_status_id, status=job.status)
    if job.failed:
        raise JobFailed("%s %s on the server (%s)" % (job.action, job.status, failure_reason(job.failure)),
                        dock_status_id=job.dock_status_id, status=job.status)
    return job
