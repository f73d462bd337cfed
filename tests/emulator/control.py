"""Start, stop and drive the API emulator (tests/emulator/server.py) from Python.

Standard library only, so fixtures, benchmarks and scripts can use it anywhere::

    with Emulator.start("--job-duration", "0.1") as emu:
        emu.fault("a-0001", "post_503", times=1)
        ...
        print(emu.stats())
"""

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server.py")
READY = "EMULATOR_READY "


class EmulatorError(RuntimeError):
    """The emulator failed to start or an admin call failed."""


class Emulator:
    """A running emulator subprocess (its own session) and its admin API."""

    def __init__(self, process, ready):
        self.process = process
        self.ready = ready
        self.url = ready["url"]
        self.https_url = ready["https_url"]
        self.second_url = ready["second_url"]
        self.ca_file = ready["ca_file"]
        self.keys = ready["keys"]
        self.pid = ready["pid"]
        self.owner_pid = os.getpid()
        self.stderr_tail = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        """Keep reading the emulator's output so its pipes never fill up; keep the last stderr lines."""
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        for line in self.process.stderr:
            self.stderr_tail = (self.stderr_tail + [line])[-50:]

    @classmethod
    def start(cls, *cli_args, python=sys.executable, timeout=10):
        """Start ``server.py *cli_args`` and wait for its READY line."""
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [python, SERVER] + list(cli_args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            readable, _unused_w, _unused_x = select.select([process.stdout], [], [], max(0.0, deadline - time.time()))
            if not readable:
                break
            line = process.stdout.readline()
            if line.startswith(READY):
                return cls(process, json.loads(line[len(READY):]))
            if not line:
                break
        process.kill()
        err = process.communicate()[1]
        raise EmulatorError("emulator did not start (rc=%s): %s" % (process.returncode, err.strip() or "timeout"))

    def stop(self, timeout=5):
        """SIGTERM the emulator, kill it if needed, and wait for it."""
        if os.getpid() != self.owner_pid:  # a forked child cannot wait for its parent's subprocess
            os.kill(self.pid, signal.SIGTERM)
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def admin(self, method, path, body=None):
        """Call ``/_admin/<path>`` and return the decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request("%s/_admin/%s" % (self.url, path.lstrip("/")), data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise EmulatorError("admin %s %s: HTTP %s %s" % (method, path, exc.code, exc.read().decode("utf-8", "replace"))) from exc

    def log(self):
        """Return the request log (list of records)."""
        return self.admin("GET", "log")["requests"]

    def stats(self):
        """Return the request counters."""
        return self.admin("GET", "stats")

    def reset(self):
        """Forget jobs, faults, revisions, overrides and the log; restore the CLI config."""
        return self.admin("POST", "reset")

    def config(self, **settings):
        """Change config keys (see CONFIG_KEYS in server.py: shape, route, job_duration, fault_rate, fault_kinds,
        download_padding, upload_limit, member_style, path_prefix, entity, download_encoding, download_scheme_http,
        volatile_key, non_ascii, large_json_bytes, env_metadata)."""
        return self.admin("POST", "config", settings)

    def fault(self, workflow_id, fault, env=None, times=None, delay=None):
        """Inject a fault for a workflow (optionally one env, a number of times, a delay for *_slow).

        workflow_id is the file name for upload faults, the workflowName for new imports, or "*" for any."""
        body = {"workflow_id": workflow_id, "fault": fault}
        body.update({key: value for key, value in (("env", env), ("times", times), ("delay", delay)) if value is not None})
        return self.admin("POST", "faults", body)

    def clear_faults(self):
        """Remove all injected faults."""
        return self.admin("DELETE", "faults")

    def bump(self, env, workflow_id):
        """Increment a workflow's revision; return the new revision."""
        return self.admin("POST", "workflows/%s/%s/bump" % (quote(env), quote(workflow_id)))["revision"]

    def expected(self, env, workflow_id):
        """Return the expected members and content digest of a workflow."""
        return self.admin("GET", "workflows/%s/%s/expected" % (quote(env), quote(workflow_id)))

    def catalog(self, env):
        """The workflows env holds: [{"workflow_id", "name"}]."""
        return self.admin("GET", "catalog/%s" % env)["workflows"]

    def workflow(self, env, workflow_id):
        """Return a workflow's current documents (members by snake name), revision, deployed flag and secret_values."""
        return self.admin("GET", "workflows/%s/%s" % (quote(env), quote(workflow_id)))

    def secrets(self, env, workflow_id):
        """Return every environment variable value a workflow's export holds."""
        return self.admin("GET", "workflows/%s/%s/secrets" % (quote(env), quote(workflow_id)))["secret_values"]

    def edit(self, env, workflow_id, member, set=None, delete=None, document=None):  # pylint: disable=redefined-builtin,too-many-arguments
        """Change one member as an edit in the UI would: set dotted paths, delete paths, or replace the document."""
        body = {"member": member}
        body.update({key: value for key, value in (("set", set), ("delete", delete), ("document", document)) if value is not None})
        return self.admin("POST", "workflows/%s/%s/edit" % (quote(env), quote(workflow_id)), body)

    def uploads(self):
        """Return every uploaded file (env, fileId, fileName, fileContext, size, sha256, via, text)."""
        return self.admin("GET", "uploads")["uploads"]

    def put_archive(self, env, workflow_id, data):
        """Make every export of a workflow serve these exact zip bytes (until clear_archive)."""
        request = urllib.request.Request("%s/_admin/archives/%s/%s" % (self.url, quote(env), quote(workflow_id)), data=data,
                                         method="PUT", headers={"Content-Type": "application/zip"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise EmulatorError("admin PUT archives: HTTP %s %s" % (exc.code, exc.read().decode("utf-8", "replace"))) from exc

    def clear_archive(self, env, workflow_id):
        """Serve generated archives again for a workflow."""
        return self.admin("DELETE", "archives/%s/%s" % (quote(env), quote(workflow_id)))

    def put_workflow(self, env, workflow_id, **fields):
        """Add or update a workflow (flow_id, name, shape, padding)."""
        return self.admin("PUT", "workflows/%s/%s" % (quote(env), quote(workflow_id)), fields)

    def shutdown(self):
        """Ask the emulator to stop through the admin API and wait for the process."""
        self.admin("POST", "shutdown")
        self.process.wait(10)


def quote(segment):
    """Percent-encode one path segment (slashes included)."""
    return urllib.parse.quote(segment, safe="")
