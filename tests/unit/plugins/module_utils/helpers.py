# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the module_utils unit tests (all of them talk to the real emulator)."""

import contextlib
import hashlib
import io
import json
import time
import zipfile

try:
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=unused-import
except ImportError:  # ansible-core before 2.19

    @contextlib.contextmanager
    def patch_module_args(args):
        """Make args the parameters of the next AnsibleModule, as ansible-core 2.19's helper does."""
        from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

        saved = basic._ANSIBLE_ARGS  # pylint: disable=protected-access
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()  # pylint: disable=protected-access
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved  # pylint: disable=protected-access

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.downloads import download
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import start_export
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import poll_job
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.client import ApiClient
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.review_tree import sync_tree_from

WRONG_KEY = "kg-test-wrong-5ecret-value"
SHAPES = ("sample", "table", "relative", "lowercase", "underscore", "status_url", "tool", "extra")


def new_client(emulator, env="dev", host=None, **options):
    """An ApiClient for one environment of the emulator (short timeout, few retries)."""
    options.setdefault("timeout", 5)
    options.setdefault("retries", 2)
    return ApiClient(host or emulator.url, emulator.keys[env], **options)


def wait_until(predicate, timeout=5.0, interval=0.01):
    """Poll predicate until it returns a truthy value (returned) or timeout passes (then None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def wait_for_success(client, job, timeout=5.0):
    """Poll the dock status until SUCCESS (poll_job raises on FAILED); return the job."""
    deadline = time.monotonic() + timeout
    while not poll_job(client, job).succeeded:
        assert time.monotonic() < deadline, "job %s still %s" % (job.dock_status_id, job.status)
        time.sleep(0.01)
    return job


def download_to(client, job, path):
    """Download the job's archive to path; return (bytes written, content type)."""
    with open(path, "wb") as handle:
        return download(client, job.download_url, handle, "download of workflow %s" % job.workflow_id)


def export_to(client, workflow_id, path, flow_id=None):
    """Start an export, wait for it and download it to path; return the job."""
    job = wait_for_success(client, start_export(client, workflow_id, flow_id))
    download_to(client, job, path)
    return job


def api_log(emulator, method=None, path_part=None, workflow_id=None, origin=None):
    """The emulator's request log, filtered and ordered by arrival time."""
    entries = sorted(emulator.log(), key=lambda entry: entry["t"])
    return [entry for entry in entries
            if (method is None or entry["method"] == method)
            and (path_part is None or path_part in entry["path"])
            and (workflow_id is None or entry["workflow_id"] == workflow_id)
            and (origin is None or entry["origin"] == origin)]


def assert_no_key(error, emulator, *extra_keys):
    """No API key (the emulator's nor any extra one) appears anywhere in an exception."""
    texts = (str(error), repr(error), getattr(error, "message", ""), repr(getattr(error, "details", "")))
    for key in list(emulator.keys.values()) + list(extra_keys):
        for text in texts:
            assert key not in text, "API key leaked into %r" % text


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED):
    """A zip (bytes) of members: {name or ZipInfo: bytes or str}."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_zip(path, members, compression=zipfile.ZIP_DEFLATED):
    with open(path, "wb") as handle:
        handle.write(zip_bytes(members, compression))
    return str(path)


def sources(files):
    """sync_tree_from's sources for files given as {relative path: bytes}."""
    return {name: (lambda content=content: [content]) for name, content in files.items()}


def sync_tree(root, files, check_mode, options=None):
    """sync_tree_from for files given as {relative path: bytes}; return the sorted paths changed."""
    return sync_tree_from(root, sources(files), check_mode, options).changed_paths()
