# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: exporting a workflow.

``start_export`` sends the Export Workflow POST (both route spellings of the
docs, the one that answers is remembered by the client); ``ExportOperation``
is the runner's operation that starts or resumes the job, waits for it,
downloads the archive to a private temp file, verifies it and puts it in place.
"""

import os
import time

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import (
    DEFAULT_OPTIONS, archive_diff, check_owners, download_cap, extract_archive, inspect_archive,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import file_sha256
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.downloads import download_to_temp
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, DownloadError, KoreaiError, UnsafeArchive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import apply_attributes, file_options_from
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import (
    place_file, remove_quietly, temp_archive, temp_file_beside,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import is_router_404, raise_for_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.kinds import other_kind
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import Job, started_job
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner import Call, Wait
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url

EXPORT_SCOPE = "Export workflow"
DOWNLOAD_ATTEMPTS = 3


def start_export(client, workflow_id, flow_id=None):
    """POST the export and return its Job; the route spelling that answers is kept on the client."""
    kind = client.kind
    action = "export of %s" % kind.describe(workflow_id)
    params = {"flowId": flow_id} if flow_id else None
    response = client.post_on_route(workflow_id, "export", params=params, changes_nothing=True)
    if is_router_404(response):
        raise ApiError("%s: no export route answered at %s (every spelling got the web server's 404 page)%s" % (
            action, display_url(client.base_url), _route_hint(client, workflow_id, params)), status=404, stops_batch=True)
    raise_for_status(response, client, action, scope=EXPORT_SCOPE, not_found="%s%s not found on %s" % (
        kind.describe(workflow_id), " with flow_id %s" % flow_id if flow_id else "", client.origin))
    return started_job(client, response, Job(action, workflow_id, flow_id, owner_checked=True, scope=EXPORT_SCOPE))


def _route_hint(client, workflow_id, params):
    """What to fix when no export route answered: the kind, when the other product's route exists there, else host."""
    other = other_kind(client.kind)
    probe = client.post(client.api_url("api", "public", other.routes[0], workflow_id, "export"), params=params,
                        changes_nothing=True)
    if not is_router_404(probe):
        return "; the %s routes answer there (HTTP %d): set kind: %s" % (other.name, probe.status_code, other.name)
    return "; check that host is the environment's URL, including any path prefix"


def resumed_job(request, kind):
    """The Job of an export started earlier, from the ids the user kept."""
    return Job("export of %s" % kind.describe(request.workflow_id), request.workflow_id, request.flow_id,
               dock_status_id=request.dock_status_id, download_url=request.download_url, owner_checked=True,
               scope=EXPORT_SCOPE)


def existing_digest(path, options=DEFAULT_OPTIONS):
    """Change digest (internal, never shown) of the archive already at path, or None when there is no readable one."""
    if not path or not os.path.exists(path):
        return None
    try:
        return inspect_archive(path, options=options).change_digest
    except (DownloadError, UnsafeArchive):
        return None


def download_once(client, request, job, module, options, time_limit=None):
    """Download the archive into a new private temp file beside dest (at most the options' budget, within time_limit
    seconds when given) and verify it belongs to the workflow asked for; no temp file survives a failure."""
    action = "download of %s" % client.kind.describe(request.workflow_id)
    deadline = time.monotonic() + time_limit if time_limit else None

    def verified(path, content_type):
        archive = inspect_archive(path, "%s (%s)" % (action, content_type or "no content type"), options)
        check_owners(archive.owners, request.workflow_id, client.kind)
        return archive

    try:
        return download_to_temp(client, job.download_url, action, lambda: _download_file(request.dest, module),
                                verified, download_cap(options.max_archive_bytes), deadline)
    except OSError as exc:  # disk full, read-only or missing directory
        raise KoreaiError("cannot write the download beside dest %s: %s" % (request.dest, exc.strerror or exc))


def _download_file(dest, module):
    """(path, open binary handle) of a new private temp file for a download: beside dest, so that it is renamed into
    place; in check mode, which writes nothing beside dest (whose directory may not exist yet), a system temp file."""
    return temp_archive("koreai-plan-", module) if module.check_mode else temp_file_beside(dest, module)


class Fetched:
    """A verified download waiting in its temp file, with the digest of the archive it may replace."""

    def __init__(self, path, archive, previous_digest):
        self.path = path
        self.archive = archive
        self.previous_digest = previous_digest


def fetch_archive(client, request, job, module, options, time_limit=None):
    """Download and verify the job's archive (within the options' budgets and time_limit seconds a try), downloading
    again when it arrives broken."""
    if not job.download_url:
        raise DownloadError("%s succeeded but gave no download URL" % job.action,
                            status=job.status)
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            path, archive = download_once(client, request, job, module, options, time_limit)
            break
        except DownloadError:
            if attempt == DOWNLOAD_ATTEMPTS:
                raise
    return Fetched(path, archive, existing_digest(request.dest, options))


def job_facts(job):
    """The result fields a Job provides; the download URL without its query string (a signed URL's signature), which
    no output holds: a job is resumed by its dock status id."""
    return dict(dock_status_id=job.dock_status_id, export_job_id=job.job_id, status=job.status,
                download_url=display_url(job.download_url) if job.download_url else None)


class ExportOperation:
    """The runner's operation for workflow_export: start or resume, wait, download, verify, place."""

    def __init__(self, module, client, settings, force=True, backup=False, extract_options=DEFAULT_OPTIONS):
        self.module = module
        self.client = client
        self.settings = settings
        self.force = force
        self.backup = backup
        self.extract_options = extract_options
        self.file_options = file_options_from(module.params)

    @staticmethod
    def initial_result(request):
        return dict(
            workflow_id=request.workflow_id, flow_id=request.flow_id, name=request.name, dest=request.dest,
            extract_dir=request.extract_dir, dock_status_id=request.dock_status_id, export_job_id=None, status=None,
            download_url=display_url(request.download_url) if request.download_url else None, sha256=None,
            content_digest=None, size=None, members=None,
            backup_file=None, changed=False, failed=False, msg="",
        )

    def steps(self, request, result):
        settled = self._settle_without_api(request)
        if settled is not None:
            return settled
        if request.dock_status_id:
            job = resumed_job(request, self.client.kind)
        else:
            job = yield Call(start_export, self.client, request.workflow_id, request.flow_id)
        result.update(job_facts(job))
        if not self.settings.wait:
            return {}
        job = yield Wait(job, "export")
        if request.dock_status_id and not job.download_url and request.dest:
            job = yield from self._export_again(request)  # resumed, and neither its dock status nor the task has a URL
        result.update(job_facts(job))
        if not request.dest:
            return {}
        fetched = yield Call(fetch_archive, self.client, request, job, self.module, self.extract_options,
                             self.settings.wait_timeout)
        try:
            return self._place(request, fetched)
        finally:
            remove_quietly(fetched.path)

    def _export_again(self, request):
        """A new export job of a resumed request, waited for: the job resumed has no download URL to fetch (no output
        keeps a signed URL, and the dock status of a server that gives it only when the job starts has none)."""
        job = yield Call(start_export, self.client, request.workflow_id, request.flow_id)
        return (yield Wait(job, "export"))

    # --- files (main thread) ---------------------------------------------------

    def _settle_without_api(self, request):
        """The outcome of a request that needs no API call (force: false on an existing file), or None."""
        if request.dest and not self.force and os.path.exists(request.dest):
            return dict(status="SKIPPED", msg="dest exists and force is false: not exported", **self._keep_existing(request))
        return None

    def _keep_existing(self, request):
        archive = inspect_archive(request.dest, "existing dest %s" % request.dest, self.extract_options)
        changed = apply_attributes(self.module, request.dest, replaced=False)
        outcome = self._extract(request, request.dest, self.settings.check_mode)
        return dict(outcome, changed=changed or outcome.pop("changed"), **self._file_facts(request.dest, archive))

    def _extract(self, request, archive_path, check_mode):
        """Bring the review tree in line with the archive; return changed, what was written, and warnings."""
        if not request.extract_dir:
            return dict(changed=False)
        report = extract_archive(archive_path, request.extract_dir, check_mode, self.extract_options, self.file_options)
        extracted = dict(written=report.written, deleted=report.deleted, kept=report.kept)
        outcome = dict(changed=report.changed, extracted=extracted)
        if report.kept:
            outcome["warnings"] = ["%s: left alone files the collection did not write: %s" % (
                request.extract_dir, ", ".join(report.kept))]
        return outcome

    def _place(self, request, fetched):
        """Put a changed archive at dest and bring its attributes and review tree in line; in check mode, say what
        that would change, from the download, and write nothing."""
        dest = request.dest
        existed = os.path.exists(dest)
        changed = fetched.archive.change_digest != fetched.previous_digest
        outcome = {}
        if changed and self.settings.diff:
            outcome["diff"] = archive_diff(dest if existed else None, fetched.path, request.name or request.workflow_id,
                                           self.extract_options.classifier)
        check_mode = self.settings.check_mode
        if changed and not check_mode:
            outcome["backup_file"] = place_file(self.module, fetched.path, dest, self.backup)
        archive_at = fetched.path if changed and check_mode else dest  # the archive dest holds (or would hold)
        if existed or not check_mode:
            changed = apply_attributes(self.module, dest, replaced=changed)
        outcome.update(self._extract(request, archive_at, check_mode))
        outcome.update(self._file_facts(archive_at, fetched.archive))
        outcome["changed"] = changed or outcome["changed"]
        if check_mode:
            outcome["msg"] = "check mode: exported and compared; %s" % ("dest would change" if outcome["changed"]
                                                                        else "dest is up to date")
        return outcome

    @staticmethod
    def _file_facts(dest, archive):
        return dict(sha256=file_sha256(dest), size=os.path.getsize(dest),
                    content_digest=archive.content_digest, members=archive.members)
