# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the export engine, for one workflow or hundreds.

Every job is started as fast as the request bound (``concurrency``) and the
job cap (``max_jobs``) allow; jobs in flight are polled together in rounds
whose interval grows gently; each download starts as soon as its job succeeds.
Worker threads only talk HTTP and read files; the main thread alone moves,
extracts and changes attributes of files at their destination.
"""

import os
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive import (
    archive_diff, extracted_files, file_sha256, inspect_archive,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import (
    DownloadError, JobTimeout, KoreaiError,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._export import (
    SUCCESS, ExportJob, poll_job, start_export,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files import (
    apply_attributes, place_file, remove_quietly, sync_tree, temp_file_beside,
)

FIRST_POLL_DELAY = 0.5  # seconds after the start, or poll_interval when that is shorter
POLL_GROWTH = 1.2
POLL_CAP_FACTOR = 5  # the interval grows up to this many times poll_interval
ROUND_WINDOW = 0.125  # polls due within this share of poll_interval go out in the same round
DOWNLOAD_ATTEMPTS = 3


@dataclass
class Settings:
    """How the engine runs: the module's non-connection options."""

    wait: bool = True
    wait_timeout: float = 600
    poll_interval: float = 2
    force: bool = True
    backup: bool = False
    concurrency: int = 8
    max_jobs: int = 0
    check_mode: bool = False
    diff: bool = False


@dataclass
class Fetched:
    """A verified download waiting in its temp file."""

    path: str
    archive: object
    previous_digest: str
    files: dict = None


@dataclass(eq=False)
class Tracked:
    """One request on its way through the engine."""

    request: object
    started: float = field(default_factory=time.monotonic)
    job: ExportJob = None
    deadline: float = None
    next_poll: float = None
    interval: float = None
    polling: bool = False
    result: dict = None


def existing_digest(path):
    """Content digest of the archive already at path, or None when there is no readable one."""
    if not path or not os.path.exists(path):
        return None
    try:
        return inspect_archive(path).content_digest
    except DownloadError:
        return None


def download_once(client, request, job, module):
    """Download the archive into a new temp file beside dest and verify it; no temp file survives a failure."""
    action = "download of workflow %s" % request.workflow_id
    path = None
    try:
        path, handle = temp_file_beside(request.dest, module)
        with handle:
            _size, content_type = client.download(job.download_url, handle, action)
        return path, inspect_archive(path, "%s (%s)" % (action, content_type or "no content type"))
    except BaseException as exc:
        if path:
            remove_quietly(path)
        if isinstance(exc, OSError):  # disk full, read-only or missing directory
            raise KoreaiError("cannot write the download beside dest %s: %s" % (request.dest, exc.strerror or exc))
        raise


def fetch_archive(client, request, job, module):
    """Download and verify the job's archive (retrying broken downloads) and prepare what the main thread needs."""
    if not job.download_url:
        raise DownloadError("export of workflow %s succeeded but gave no download URL" % request.workflow_id,
                            status=job.status)
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            path, archive = download_once(client, request, job, module)
            break
        except DownloadError:
            if attempt == DOWNLOAD_ATTEMPTS:
                raise
    files = extracted_files(path) if request.extract_dir else None
    return Fetched(path=path, archive=archive, previous_digest=existing_digest(request.dest), files=files)


class ExportRunner:
    """Runs a list of ExportRequests to completion and returns one result dict per request."""

    def __init__(self, module, client, settings):
        self.module = module
        self.client = client
        self.settings = settings
        self._pool = None
        self._futures = {}
        self._running = []
        self._active_jobs = set()

    def run(self, requests):
        tracked = [Tracked(request) for request in requests]
        to_start = deque(item for item in tracked if not self._settle_without_api(item))
        with ThreadPoolExecutor(max_workers=self.settings.concurrency) as pool:
            self._pool = pool
            while to_start or self._futures or self._running:
                self._start_jobs(to_start)
                self._poll_due_jobs()
                self._handle_completed(self._seconds_to_next_poll())
        return [item.result for item in tracked]

    # --- scheduling -------------------------------------------------------

    def _submit(self, handler, item, function, *args):
        self._futures[self._pool.submit(function, *args)] = (handler, item)

    def _start_jobs(self, to_start):
        cap = self.settings.max_jobs
        while to_start and (not cap or len(self._active_jobs) < cap):
            item = to_start.popleft()
            item.started = time.monotonic()
            self._active_jobs.add(item)
            request = item.request
            if request.dock_status_id:
                item.job = ExportJob(request.workflow_id, request.flow_id, request.dock_status_id,
                                     download_url=request.download_url)
                self._job_started(item)
            else:
                self._submit(self._on_started, item, start_export, self.client, request.workflow_id, request.flow_id)

    def _poll_due_jobs(self):
        horizon = time.monotonic() + ROUND_WINDOW * self.settings.poll_interval
        for item in self._running:
            if not item.polling and item.next_poll <= horizon:
                item.polling = True
                self._submit(self._on_polled, item, poll_job, self.client, item.job)

    def _seconds_to_next_poll(self):
        waiting = [item.next_poll for item in self._running if not item.polling]
        return max(0.0, min(waiting) - time.monotonic()) if waiting else None

    def _handle_completed(self, timeout):
        if not self._futures:
            time.sleep(timeout or 0)
            return
        done, _pending = wait(list(self._futures), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            handler, item = self._futures.pop(future)
            try:
                handler(item, future.result())
            except KoreaiError as exc:
                self._job_ended(item)
                self._finish(item, failed=True, msg=exc.message, **exc.details)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                self._job_ended(item)
                self._finish(item, failed=True, msg="unexpected %s: %s" % (type(exc).__name__, exc))

    # --- handlers (main thread) --------------------------------------------

    def _on_started(self, item, job):
        item.job = job
        self._job_started(item)

    def _job_started(self, item):
        if not self.settings.wait:
            self._job_ended(item)
            self._finish(item)
            return
        now = time.monotonic()
        item.deadline = now + self.settings.wait_timeout
        item.interval = self.settings.poll_interval
        item.next_poll = now + min(FIRST_POLL_DELAY, item.interval)
        self._running.append(item)

    def _on_polled(self, item, job):
        item.polling = False
        if job.status == SUCCESS:
            self._job_ended(item)
            if item.request.dest:
                self._submit(self._on_fetched, item, fetch_archive, self.client, item.request, job, self.module)
            else:
                self._finish(item)
            return
        now = time.monotonic()
        if now >= item.deadline:
            raise JobTimeout(self._timeout_message(item), dock_status_id=job.dock_status_id)
        item.next_poll = min(now + item.interval, item.deadline)
        item.interval = min(item.interval * POLL_GROWTH, self.settings.poll_interval * POLL_CAP_FACTOR)

    def _on_fetched(self, item, fetched):
        try:
            self._finish(item, **self._place(item.request, fetched))
        finally:
            remove_quietly(fetched.path)

    def _job_ended(self, item):
        """The server no longer runs this item's job: free its place under max_jobs."""
        self._active_jobs.discard(item)
        if item in self._running:
            self._running.remove(item)

    def _timeout_message(self, item):
        job = item.job
        progress = " at %s%%" % job.percentage_complete if job.percentage_complete is not None else ""
        resume = "dock_status_id=%s" % job.dock_status_id
        if job.download_url:
            resume += " and download_url=%s" % job.download_url
        return ("export of workflow %s did not finish within wait_timeout=%s s (last status %s%s); resume it with %s"
                % (job.workflow_id, self.settings.wait_timeout, job.status, progress, resume))

    # --- files (main thread) -----------------------------------------------

    def _settle_without_api(self, item):
        """Finish requests that need no API call (force: false on an existing file, check mode)."""
        request, settings = item.request, self.settings
        if request.dest and not settings.force and os.path.exists(request.dest):
            self._finish(item, status="SKIPPED", msg="dest exists and force is false: not exported",
                         **self._keep_existing(request))
            return True
        if settings.check_mode:
            would_change = bool(request.dest) and (settings.force or not os.path.exists(request.dest))
            self._finish(item, changed=would_change, msg="check mode: no export was started")
            return True
        return False

    def _keep_existing(self, request):
        changed = apply_attributes(self.module, request.dest, created=False, changed=False)
        archive = inspect_archive(request.dest, "existing dest %s" % request.dest)
        if request.extract_dir:
            changed = bool(sync_tree(request.extract_dir, extracted_files(request.dest), self.settings.check_mode)) or changed
        return dict(changed=changed, **self._file_facts(request.dest, archive))

    def _place(self, request, fetched):
        dest = request.dest
        existed = os.path.exists(dest)
        changed = fetched.archive.content_digest != fetched.previous_digest
        outcome = {}
        if changed and self.settings.diff:
            outcome["diff"] = archive_diff(dest if existed else None, fetched.path, dest)
        if changed:
            outcome["backup_file"] = place_file(self.module, fetched.path, dest, self.settings.backup)
        changed = apply_attributes(self.module, dest, created=not existed, changed=changed)
        if request.extract_dir:
            changed = bool(sync_tree(request.extract_dir, fetched.files, False)) or changed
        outcome.update(self._file_facts(dest, fetched.archive))
        return dict(changed=changed, **outcome)

    @staticmethod
    def _file_facts(dest, archive):
        return dict(sha256=file_sha256(dest), size=os.path.getsize(dest),
                    content_digest=archive.content_digest, members=archive.members)

    def _finish(self, item, **outcome):
        request, job = item.request, item.job or ExportJob(item.request.workflow_id)
        result = dict(
            workflow_id=request.workflow_id, flow_id=request.flow_id, name=request.name, dest=request.dest,
            extract_dir=request.extract_dir, dock_status_id=job.dock_status_id or request.dock_status_id,
            export_job_id=job.export_job_id, status=job.status, download_url=job.download_url,
            sha256=None, content_digest=None, size=None, members=None, backup_file=None,
            changed=False, failed=False, msg="",
        )
        result.update(outcome)
        result["elapsed"] = round(time.monotonic() - item.started, 3)
        item.result = result
