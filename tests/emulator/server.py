"""Local emulator of the Kore.ai AI for Process workflow export API.

Serves the export, dock status and download endpoints with the shapes and quirks of the
public docs, injects faults on demand and records every request for tests to assert on.
Standard library only. Run ``python tests/emulator/server.py --help`` for the options.
"""

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

SHAPES = ("sample", "table", "relative", "lowercase", "underscore", "status_url", "tool", "extra")
ROUTES = ("plural", "singular", "both")
FAULTS = (
    "post_429", "post_429_no_retry_after", "post_500", "post_502", "post_503", "post_503_no_retry_after", "post_504",
    "post_reset", "post_slow", "post_malformed_json", "post_no_dock_status_id", "post_html_200",
    "status_429", "status_500", "status_502", "status_503", "status_504", "status_reset", "status_slow", "status_404",
    "status_malformed_json",
    "job_failed", "job_stuck",
    "download_404", "download_403", "download_410", "download_500", "download_reset", "download_slow", "download_truncated",
    "download_corrupt_zip", "download_html", "download_second_origin", "download_redirect_second_origin",
)
# Faults decided once, when the export job is created.
JOB_FAULTS = ("job_failed", "job_stuck", "download_second_origin")
DEFAULT_KEYS = "dev=kg-test-dev,staging=kg-test-staging,prod=kg-test-prod"
CONFIG_KEYS = ("shape", "route", "job_duration", "fault_rate", "fault_kinds", "download_padding")
PADDING_MEMBER = "attachments/blob.bin"
CHUNK = 1 << 16
HTML_ERROR = "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center><hr><center>nginx</center></body></html>\n"


def fault_phase(fault):
    """Return the phase a fault applies to: post, job, status or download."""
    return "job" if fault in JOB_FAULTS else fault.split("_", 1)[0]


def canonical_json(doc):
    """Return the canonical bytes of a JSON document (used for content digests)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_digest(members):
    """Return the sha256 hex digest over (name, NUL, bytes, NUL) of members sorted by name."""
    digest = hashlib.sha256()
    for name in sorted(members):
        digest.update(name.encode("utf-8") + b"\0")
        value = members[name]
        for chunk in (value if isinstance(value, Padding) else [value]):
            digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


class Padding:
    """Deterministic binary blob of a given size, produced in chunks (never held in memory)."""

    def __init__(self, seed, size):
        self.size = size
        self.block = random.Random(seed).getrandbits(CHUNK * 8).to_bytes(CHUNK, "big")

    def __iter__(self):
        left, index = self.size, 0
        while left > 0:
            chunk = (struct.pack(">Q", index) + self.block[8:])[:left]
            yield chunk
            left -= len(chunk)
            index += 1


def workflow_documents(env, workflow, revision):
    """Return the parsed JSON members of an export of one workflow revision."""
    wid, tag = workflow["workflow_id"], "%s/%s/r%d" % (env, workflow["workflow_id"], revision)
    nodes = [
        {"id": "start", "type": "start", "next": "ai-1"},
        {"id": "ai-1", "type": "aiNode", "next": "api-1", "settings": {
            "model": "gpt-4o-mini", "temperature": 0.2, "prompt": "Summarise the request (%s, revision %d)." % (env, revision)}},
        {"id": "api-1", "type": "apiNode", "next": "end", "settings": {"url": "{{env.BASE_URL}}/orders", "method": "GET"}},
        {"id": "end", "type": "end"},
    ]
    nodes.extend({"id": "step-%d" % i, "type": "script", "script": "context.step = %d;" % i} for i in range(1, revision))
    return {
        "flow_definition.json": {"flowId": workflow["flow_id"], "workflowId": wid, "revision": revision, "nodes": nodes,
                                 "canvas": {"zoom": 1, "tag": tag}},
        "app_definition.json": {"workflowId": wid, "name": workflow["name"], "version": "v%d" % revision,
                                "description": "Emulated workflow %s" % tag, "guardrails": {"enabled": True, "rules": ["pii"]}},
        "env_variables.json": {"variables": [
            {"key": "BASE_URL", "value": "https://%s.example.invalid" % env, "isSecured": False},
            {"key": "API_TOKEN", "value": "secret-%s-%s-r%d" % (env, wid, revision), "isSecured": True},
        ]},
    }


def shuffled(doc, rng):
    """Return a copy of a JSON document with dict keys in random order (same content)."""
    if isinstance(doc, dict):
        keys = list(doc)
        rng.shuffle(keys)
        return {key: shuffled(doc[key], rng) for key in keys}
    if isinstance(doc, list):
        return [shuffled(item, rng) for item in doc]
    return doc


def write_archive(target, members):
    """Write members (name -> document, bytes or Padding) as a zip with varying metadata."""
    rng = random.SystemRandom()
    names = list(members)
    rng.shuffle(names)
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        archive.comment = ("export %s" % uuid.uuid4().hex[:rng.randint(4, 32)]).encode()
        for name in names:
            stamp = time.localtime(time.time() - rng.randint(0, 86400))[:6]
            info = zipfile.ZipInfo(name, date_time=stamp)
            value = members[name]
            if isinstance(value, Padding):
                info.compress_type = zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=True) as out:
                    for chunk in value:
                        out.write(chunk)
                continue
            info.compress_type = zipfile.ZIP_DEFLATED
            indent = rng.choice((None, 1, 2, 4, "\t"))
            archive.writestr(info, json.dumps(shuffled(value, rng), indent=indent, ensure_ascii=rng.random() < 0.5).encode("utf-8"))


class Job:
    """One export job and its download."""

    def __init__(self, env, workflow, revision, settings):
        self.env = env
        self.workflow_id = workflow["workflow_id"]
        self.workflow = dict(workflow)
        self.revision = revision
        self.dock_id = "ds-" + uuid.uuid4().hex
        self.export_job_id = "workflow-ej-" + uuid.uuid4().hex
        self.token = uuid.uuid4().hex + uuid.uuid4().hex
        self.created = time.time()
        self.duration = settings["job_duration"]
        self.shape = settings["shape"]
        self.padding = settings["padding"]
        self.fault = settings["fault"]
        self.base_url = settings["base_url"]
        self.second_url = settings["second_url"]
        self.lock = threading.Lock()
        self.archive = None

    def status(self):
        """Return IN_PROGRESS, SUCCESS or FAILED."""
        if self.fault == "job_stuck" or time.time() - self.created < self.duration:
            return "IN_PROGRESS"
        return "FAILED" if self.fault == "job_failed" else "SUCCESS"

    def percentage(self):
        """Return the progress in percent."""
        if self.status() != "IN_PROGRESS":
            return 100
        return 0 if self.fault == "job_stuck" else min(99, int(100 * (time.time() - self.created) / max(self.duration, 1e-6)))

    def download_url(self, relative=False):
        """Return the download URL of this job (second origin for download_second_origin)."""
        if self.fault == "download_second_origin":
            return "%s/storage/exports/%s" % (self.second_url, self.token)
        path = "/api/v1/account/exports/" + self.token
        return path if relative else self.base_url + path

    def members(self):
        """Return the export members: name -> document, or Padding."""
        members = workflow_documents(self.env, self.workflow, self.revision)
        if self.padding:
            members[PADDING_MEMBER] = Padding("%s/%s/%d" % (self.env, self.workflow_id, self.revision), self.padding)
        return members

    def build(self, tmpdir):
        """Build the archive once (lazily), in memory or, with padding, in a temp file."""
        with self.lock:
            if self.archive is None:
                if self.padding:
                    handle, path = tempfile.mkstemp(suffix=".zip", dir=tmpdir)
                    with os.fdopen(handle, "wb") as out:
                        write_archive(out, self.members())
                    self.archive = path
                else:
                    buf = io.BytesIO()
                    write_archive(buf, self.members())
                    self.archive = buf.getvalue()
            return self.archive


class State:
    """Everything the emulator knows: config, catalog, jobs, faults and the request log."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.keys = parse_keys(args.keys)
        self.initial_catalog = load_catalog(args, sorted(set(self.keys.values())))
        self.tmpdir = tempfile.mkdtemp(prefix="kore-emulator-")
        self.urls = {}
        self.last_request = time.time()
        self.log_file = open(args.log, "a", encoding="utf-8") if args.log else None  # pylint: disable=consider-using-with
        self.reset()

    def reset(self):
        """Restore the CLI configuration and forget jobs, faults, revisions and the log."""
        with self.lock:
            self.config = {key: getattr(self.args, key) for key in CONFIG_KEYS}
            self.catalog = {env: {wid: dict(wf) for wid, wf in wfs.items()} for env, wfs in self.initial_catalog.items()}
            self.revisions = {}
            self.jobs = {}
            self.tokens = {}
            self.faults = []
            self.log = []
            self.rng = random.Random(self.args.seed)
            for name in os.listdir(self.tmpdir):
                os.unlink(os.path.join(self.tmpdir, name))

    def set_config(self, body):
        """Apply admin config changes after validating them."""
        unknown = set(body) - set(CONFIG_KEYS)
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        if "shape" in body:
            check_shape(body["shape"], allow_mixed=True)
        if body.get("route", "both") not in ROUTES:
            raise ValueError("route must be one of %s" % ", ".join(ROUTES))
        kinds = body.get("fault_kinds", [])
        kinds = parse_list(kinds) if isinstance(kinds, str) else kinds
        check_faults(kinds)
        with self.lock:
            self.config.update(body)
            if "fault_kinds" in body:
                self.config["fault_kinds"] = list(kinds)

    def workflow(self, env, workflow_id):
        """Return a catalog entry or None."""
        return self.catalog.get(env, {}).get(workflow_id)

    def revision(self, env, workflow_id):
        """Return the current revision of a workflow (starting at 1)."""
        return self.revisions.get((env, workflow_id), 1)

    def take_fault(self, env, workflow_id, phase):
        """Consume and return the fault (dict) that applies to this request, or None."""
        with self.lock:
            for fault in self.faults:
                if fault_phase(fault["fault"]) != phase or fault["workflow_id"] != workflow_id:
                    continue
                if fault.get("env") not in (None, env):
                    continue
                if fault.get("times") is not None:
                    fault["times"] -= 1
                    if fault["times"] <= 0:
                        self.faults.remove(fault)
                return fault
            kinds = [kind for kind in self.config["fault_kinds"] if fault_phase(kind) == phase]
            if kinds and self.config["fault_rate"] > 0 and self.rng.random() < self.config["fault_rate"]:
                return {"fault": self.rng.choice(kinds)}
        return None

    def create_job(self, env, workflow, base_url, job_fault):
        """Create and register an export job."""
        with self.lock:
            shape = workflow.get("shape") or self.config["shape"]
            if shape == "mixed":
                shape = self.rng.choice(SHAPES)
            padding = workflow.get("padding")
            settings = {
                "job_duration": float(self.config["job_duration"]), "shape": shape,
                "padding": int(self.config["download_padding"] if padding is None else padding),
                "fault": job_fault, "base_url": base_url, "second_url": self.urls["second_url"],
            }
            job = Job(env, workflow, self.revision(env, workflow["workflow_id"]), settings)
            self.jobs[job.dock_id] = job
            self.tokens[job.token] = job
            return job

    def open_entry(self, entry):
        """Append a request record to the log as the request arrives, so the log keeps the order of arrival;
        the handler fills the record in as it answers."""
        with self.lock:
            self.log.append(entry)

    def close_entry(self, entry):
        """The request is answered: append its record to the JSON lines file."""
        if self.log_file:
            with self.lock:
                self.log_file.write(json.dumps(entry) + "\n")
                self.log_file.flush()

    def stats(self):
        """Return request counters computed from the log."""
        def counts(entries):
            return {
                "posts": sum(1 for e in entries if e["kind"] == "export"),
                "jobs_created": sum(1 for e in entries if e["job_created"]),
                "polls": sum(1 for e in entries if e["kind"] == "status"),
                "downloads": sum(1 for e in entries if e["kind"] == "download"),
            }
        with self.lock:
            log = list(self.log)
        result = counts(log)
        envs = sorted({e["env"] for e in log if e["env"]})
        result["by_env"] = {env: counts([e for e in log if e["env"] == env]) for env in envs}
        result["second_origin_with_key"] = sum(1 for e in log if e["origin"] == "second" and e["api_key_present"])
        result["requests"] = len(log)
        return result

    def expected(self, env, workflow_id):
        """Return the expected members and content digest of the current revision."""
        workflow = self.workflow(env, workflow_id)
        if workflow is None:
            return None
        padding = workflow.get("padding")
        settings = {"job_duration": 0, "shape": "table", "fault": None, "base_url": "", "second_url": "",
                    "padding": int(self.config["download_padding"] if padding is None else padding)}
        members = Job(env, workflow, self.revision(env, workflow_id), settings).members()
        raw, shown = {}, {}
        for name, value in members.items():
            if isinstance(value, Padding):
                digest = hashlib.sha256()
                for chunk in value:
                    digest.update(chunk)
                raw[name], shown[name] = value, {"sha256": digest.hexdigest(), "size": value.size}
            else:
                raw[name], shown[name] = canonical_json(value), value
        return {"revision": self.revision(env, workflow_id), "members": shown, "content_digest": content_digest(raw)}

    def close(self):
        """Remove temporary files."""
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        if self.log_file:
            self.log_file.close()


def parse_list(text):
    """Split a comma separated list, dropping empty items."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def parse_keys(text):
    """Parse ``env=key,...`` into a key -> env mapping."""
    keys = {}
    for item in parse_list(text):
        env, sep, key = item.partition("=")
        if not sep or not env or not key:
            raise ValueError("--keys items must look like env=key, got %r" % item)
        keys[key] = env
    return keys


def check_shape(shape, allow_mixed=False):
    """Raise ValueError for an unknown shape name."""
    if shape not in SHAPES and not (allow_mixed and shape == "mixed"):
        raise ValueError("unknown shape %r (one of %s%s)" % (shape, ", ".join(SHAPES), ", mixed" if allow_mixed else ""))


def check_faults(kinds):
    """Raise ValueError for unknown fault names."""
    unknown = [kind for kind in kinds if kind not in FAULTS]
    if unknown:
        raise ValueError("unknown fault(s): %s" % ", ".join(unknown))


def load_catalog(args, envs):
    """Return env -> workflow_id -> workflow, from --catalog or generated (--workflows)."""
    if args.catalog:
        with open(args.catalog, encoding="utf-8") as handle:
            seed = json.load(handle)
        return {env: {wf["workflow_id"]: {"workflow_id": wf["workflow_id"], "flow_id": wf.get("flow_id"),
                                          "name": wf.get("name", wf["workflow_id"])} for wf in items}
                for env, items in seed.items()}
    return {env: {"a-%04d" % i: {"workflow_id": "a-%04d" % i, "flow_id": "cf-%04d" % i, "name": "Workflow %04d" % i}
                  for i in range(1, args.workflows + 1)} for env in envs}


class Handler(BaseHTTPRequestHandler):
    """Request handler shared by the three listeners; ``server.origin`` tells them apart."""

    protocol_version = "HTTP/1.1"
    server_version = "KoreEmulator/1.0"
    disable_nagle_algorithm = True  # headers and body go out as two writes: without this, delayed ACKs add 40 ms
    timeout = 120
    body = b""
    query = None
    entry = None

    def setup(self):
        """Complete the TLS handshake in the handler thread, not in the accept loop."""
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silence the default stderr access log (the emulator keeps its own)."""

    @property
    def state(self):
        """The shared emulator state."""
        return self.server.state

    # ---------------------------------------------------------------- dispatch
    def do_GET(self):  # pylint: disable=invalid-name
        """Handle GET."""
        self.dispatch("GET")

    def do_POST(self):  # pylint: disable=invalid-name
        """Handle POST."""
        self.dispatch("POST")

    def do_PUT(self):  # pylint: disable=invalid-name
        """Handle PUT."""
        self.dispatch("PUT")

    def do_DELETE(self):  # pylint: disable=invalid-name
        """Handle DELETE."""
        self.dispatch("DELETE")

    def dispatch(self, method):
        """Parse the request, route it and log it."""
        self.state.last_request = time.time()
        raw_path, _sep, query = self.path.partition("?")
        self.body = self.read_body()
        self.query = parse_qs(query)
        segments = [unquote(part) for part in raw_path.split("/")[1:]]
        if self.server.origin == "main" and segments[:1] == ["_admin"]:
            self.admin(method, segments[1:])
            return
        self.entry = {"t": time.time(), "method": method, "path": raw_path, "query": query, "origin": self.server.origin,
                      "env": None, "api_key_present": bool(self.headers.get("x-api-key")), "status": None,
                      "job_created": False, "fault": None, "workflow_id": None, "kind": "other"}
        self.state.open_entry(self.entry)
        try:
            self.route(method, segments, raw_path)
        finally:
            self.state.close_entry(self.entry)

    def route(self, method, segments, raw_path):
        """Route an API request of the main or second origin."""
        if self.server.origin == "second":
            if method == "GET" and len(segments) == 3 and segments[:2] == ["storage", "exports"]:
                self.download(segments[2])
                return
        elif method == "POST" and len(segments) == 5 and segments[:2] == ["api", "public"] and segments[4] == "export":
            if segments[2] in ("workflows", "workflow"):
                self.export(segments[2], segments[3], raw_path)
                return
        elif method == "GET" and len(segments) == 4 and segments[:3] == ["api", "public", "dock-status"]:
            self.dock_status(segments[3])
            return
        elif method == "GET" and len(segments) == 5 and segments[:4] == ["api", "v1", "account", "exports"]:
            self.download(segments[4])
            return
        self.not_routed(method, raw_path)

    def read_body(self):
        """Read and return the request body (bytes)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authenticate(self):
        """Return the environment of the API key, or answer 401 and return None."""
        env = self.state.keys.get(self.headers.get("x-api-key") or "")
        if env is None:
            self.send_json(401, {"errorCode": 401, "message": "Unauthorized: invalid or missing API key"})
        self.entry["env"] = env
        return env

    # ---------------------------------------------------------------- responses
    def send(self, status, body, content_type, headers=None):
        """Send a complete response with a correct Content-Length."""
        self.entry["status"] = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, doc, headers=None):
        """Send a JSON response."""
        self.send(status, json.dumps(doc).encode("utf-8"), "application/json; charset=utf-8", headers)

    def send_html(self, status, html):
        """Send an HTML response."""
        self.send(status, html.encode("utf-8"), "text/html; charset=utf-8")

    def not_routed(self, method, raw_path):
        """Answer like an Express router without a matching route."""
        self.send_html(404, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n"
                            "<body>\n<pre>Cannot %s %s</pre>\n</body>\n</html>\n" % (method, raw_path))

    def reset_connection(self):
        """Drop the connection with a TCP reset and no response."""
        self.entry["status"] = 0
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.server.aborted.add(self.connection)

    def send_fault(self, fault):
        """Answer a generic fault (429, 5xx, reset, 404, malformed JSON, HTML page); return True if it was one."""
        name = fault["fault"]
        kind = name.split("_", 1)[1]
        self.entry["fault"] = name
        if kind == "reset":
            self.reset_connection()
        elif kind.startswith("429") or kind.startswith("503"):
            code = int(kind[:3])
            headers = {} if kind.endswith("no_retry_after") else {"Retry-After": "1"}
            self.send_json(code, {"errorCode": code, "message": "Too many requests" if code == 429 else "Service unavailable"}, headers)
        elif kind in ("502", "504"):
            self.send_html(int(kind), HTML_ERROR.format("%s %s" % (kind, "Bad Gateway" if kind == "502" else "Gateway Time-out")))
        elif kind == "500":
            self.send_json(500, {"errorCode": 500, "message": "Internal server error"})
        elif kind == "404":
            self.send_json(404, {"errorCode": 404, "message": "Dock status not found"})
        elif kind == "malformed_json":
            self.send(200, b'{\n  "dockStatusId": "ds-broken",\n  "status": "IN_PROGRESS"\n  "response": {}\n}\n', "application/json")
        elif kind == "html_200":
            self.send_html(200, "<html><body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n")
        elif kind == "slow":
            self.entry["fault"] = name
            time.sleep(float(fault.get("delay") or 5))
            return False
        else:
            return False
        return True

    # ---------------------------------------------------------------- API
    def export(self, spelling, workflow_id, raw_path):
        """POST /api/public/workflow(s)/{id}/export."""
        self.entry["kind"] = "export"
        self.entry["workflow_id"] = workflow_id
        route = self.state.config["route"]
        if route != "both" and spelling != {"plural": "workflows", "singular": "workflow"}[route]:
            self.not_routed("POST", raw_path)
            return
        env = self.authenticate()
        if env is None:
            return
        workflow = self.state.workflow(env, workflow_id)
        if workflow is None:
            self.send_json(404, {"errorCode": 404, "message": "Workflow %s not found" % workflow_id})
            return
        flow_id = (self.query.get("flowId") or [None])[0]
        if flow_id is not None and flow_id != workflow["flow_id"]:
            self.send_json(404, {"errorCode": 404, "message": "Flow %s not found for workflow %s" % (flow_id, workflow_id)})
            return
        fault = self.state.take_fault(env, workflow_id, "post")
        if fault and fault["fault"] == "post_no_dock_status_id":
            self.entry["fault"] = fault["fault"]
            self.send_json(200, {"workflowId": workflow_id, "jobType": "WORKFLOWS", "action": "EXPORT", "status": "IN_PROGRESS"})
            return
        if fault and self.send_fault(fault):
            return
        job_fault = self.state.take_fault(env, workflow_id, "job")
        if job_fault and not self.entry["fault"]:
            self.entry["fault"] = job_fault["fault"]
        job = self.state.create_job(env, workflow, self.server.state.urls[self.server.origin], job_fault and job_fault["fault"])
        self.entry["job_created"] = True
        self.send_json(200, export_answer(job))

    def dock_status(self, dock_id):
        """GET /api/public/dock-status/{id}."""
        self.entry["kind"] = "status"
        env = self.authenticate()
        if env is None:
            return
        job = self.state.jobs.get(dock_id)
        if job is None or job.env != env:
            self.send_json(404, {"errorCode": 404, "message": "Dock status %s not found" % dock_id})
            return
        self.entry["workflow_id"] = job.workflow_id
        fault = self.state.take_fault(env, job.workflow_id, "status")
        if fault and self.send_fault(fault):
            return
        doc = status_answer(job)
        if job.fault in ("job_failed", "job_stuck") and (doc["status"] == "FAILED" or job.fault == "job_stuck"):
            self.entry["fault"] = job.fault
        self.send_json(200, doc)

    def download(self, token):
        """GET on a download URL (main origin or second origin)."""
        self.entry["kind"] = "download"
        self.entry["env"] = self.state.keys.get(self.headers.get("x-api-key") or "")
        job = self.state.tokens.get(token)
        if job is None or job.status() != "SUCCESS":
            self.send_json(404, {"errorCode": 404, "message": "Export not found or not ready"})
            return
        self.entry["workflow_id"] = job.workflow_id
        self.entry["env"] = job.env
        fault = self.state.take_fault(job.env, job.workflow_id, "download")
        if fault and self.download_fault(fault, job):
            return
        self.send_archive(job, truncated=bool(fault) and fault["fault"] == "download_truncated")

    def download_fault(self, fault, job):
        """Answer a download fault; return True if the response was sent."""
        name = fault["fault"]
        self.entry["fault"] = name
        if name in ("download_403", "download_410"):
            code = int(name[-3:])
            self.send_json(code, {"errorCode": code, "message": "Download link expired" if code == 410 else "Forbidden: signature expired"})
        elif name == "download_404":
            self.send_json(404, {"errorCode": 404, "message": "Export file not found"})
        elif name == "download_corrupt_zip":
            self.send(200, b"PK\x03\x04" + os.urandom(1000), "application/zip")
        elif name == "download_html":
            self.send_html(200, "<html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>\n")
        elif name == "download_redirect_second_origin":
            if self.server.origin == "second":
                return False
            location = "%s/storage/exports/%s" % (self.state.urls["second_url"], job.token)
            self.send(302, b"", "text/plain", {"Location": location})
        elif name == "download_truncated":
            return False
        else:
            return self.send_fault(fault)
        return True

    def send_archive(self, job, truncated=False):
        """Stream the job's zip; with truncated, send half of the announced bytes and close."""
        archive = job.build(self.state.tmpdir)
        size = len(archive) if isinstance(archive, bytes) else os.path.getsize(archive)
        self.entry["status"] = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Disposition", 'attachment; filename="%s.zip"' % job.workflow["name"])
        self.end_headers()
        limit = size // 2 if truncated else size
        if isinstance(archive, bytes):
            self.wfile.write(archive[:limit])
        else:
            with open(archive, "rb") as handle:
                while limit > 0:
                    chunk = handle.read(min(CHUNK * 4, limit))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    limit -= len(chunk)
        if truncated:
            self.close_connection = True

    # ---------------------------------------------------------------- admin
    def admin(self, method, segments):
        """Serve the admin API (no auth, not logged)."""
        self.entry = {}
        try:
            body = json.loads(self.body.decode("utf-8")) if self.body.strip() else {}
            doc = self.admin_route(method, segments, body)
        except (ValueError, KeyError, TypeError) as exc:
            self.send_json(400, {"error": "%s: %s" % (type(exc).__name__, exc)})
            return
        if doc is None:
            self.send_json(404, {"error": "no such admin endpoint or object: %s /_admin/%s" % (method, "/".join(segments))})
        else:
            self.send_json(200, doc)

    def admin_route(self, method, segments, body):
        """Return the admin answer (dict) or None when not found."""
        state = self.state
        simple = {
            ("GET", "log"): lambda: {"requests": [{k: v for k, v in e.items() if k != "kind"} for e in list(state.log)]},
            ("GET", "stats"): state.stats,
            ("GET", "info"): lambda: dict(state.urls["ready"], config=state.config),
            ("POST", "reset"): lambda: state.reset() or {"ok": True},
            ("POST", "config"): lambda: state.set_config(body) or {"ok": True, "config": state.config},
            ("POST", "faults"): lambda: self.admin_add_fault(body),
            ("DELETE", "faults"): lambda: state.faults.clear() or {"ok": True},
            ("GET", "faults"): lambda: {"faults": list(state.faults)},
            ("POST", "shutdown"): self.admin_shutdown,
        }
        if len(segments) == 1 and (method, segments[0]) in simple:
            return simple[(method, segments[0])]()
        if len(segments) >= 3 and segments[0] == "workflows":
            return self.admin_workflow(method, segments[1], segments[2], segments[3:], body)
        return None

    def admin_add_fault(self, body):
        """Register a fault from an admin request."""
        check_faults([body["fault"]])
        fault = {"workflow_id": body["workflow_id"], "env": body.get("env"), "fault": body["fault"],
                 "times": None if body.get("times") is None else int(body["times"]), "delay": body.get("delay")}
        with self.state.lock:
            self.state.faults.append(fault)
        return {"ok": True, "fault": fault}

    def admin_workflow(self, method, env, workflow_id, rest, body):
        """PUT a workflow, bump its revision or read its expected content."""
        state = self.state
        if method == "PUT" and not rest:
            if "shape" in body and body["shape"] is not None:
                check_shape(body["shape"], allow_mixed=True)
            with state.lock:
                current = state.catalog.setdefault(env, {}).get(workflow_id) or {
                    "workflow_id": workflow_id, "flow_id": None, "name": workflow_id}
                current.update({key: body[key] for key in ("flow_id", "name", "shape", "padding") if key in body})
                state.catalog[env][workflow_id] = current
            return dict(current)
        if state.workflow(env, workflow_id) is None:
            return None
        if method == "POST" and rest == ["bump"]:
            with state.lock:
                state.revisions[(env, workflow_id)] = state.revision(env, workflow_id) + 1
                return {"revision": state.revisions[(env, workflow_id)]}
        if method == "GET" and rest == ["expected"]:
            return state.expected(env, workflow_id)
        return None

    def admin_shutdown(self):
        """Stop all listeners shortly after answering."""
        threading.Thread(target=self.server.controller.stop, daemon=True).start()
        return {"ok": True}


def export_answer(job):
    """Return the POST export answer in the job's shape."""
    url = job.download_url()
    base = {"workflowId": job.workflow_id, "jobType": "WORKFLOWS", "action": "EXPORT", "status": "IN_PROGRESS",
            "exportJobId": job.export_job_id}
    shape = job.shape
    if shape == "sample":
        return {"dock-statusId": job.dock_id, **base, "response": {"downloadUrl": " " + url}}
    if shape == "relative":
        return {"dockStatusId": job.dock_id, **base, "downloadUrl": job.download_url(relative=True)}
    if shape == "lowercase":
        return {"dockstatusId": job.dock_id, **base, "response": {"downloadUrl": url}}
    if shape == "underscore":
        return {"_id": job.dock_id, **base, "downloadURL": url}
    if shape == "status_url":
        return {"dockStatusId": job.dock_id, **base}
    if shape == "tool":
        base["toolId"] = base.pop("workflowId")
        return {"dockStatusId": job.dock_id, **base, "downloadURL": url}
    answer = {"dockStatusId": job.dock_id, **base, "downloadURL": url}
    if shape == "extra":
        answer.update({"meta": {"requestId": uuid.uuid4().hex, "region": "emulator"}, "createdAt": int(job.created * 1000),
                       "percentageComplete": 0})
    return answer


def status_answer(job):
    """Return the dock status document of a job."""
    status = job.status()
    id_key = "toolId" if job.shape == "tool" else "workflowId"
    doc = {"_id": job.dock_id, id_key: job.workflow_id, "jobType": "WORKFLOWS", "action": "EXPORT", "status": status}
    if job.shape in ("status_url", "extra"):
        doc["percentageComplete"] = job.percentage()
        if status == "SUCCESS" or job.shape == "status_url":
            doc["response"] = {"downloadUrl": job.download_url()}
    if status == "FAILED":
        reason = "workflow validation failed for %s" % job.workflow_id
        doc.update({"error": {"message": "Export failed: " + reason}, "message": reason})
    return doc


class Server(ThreadingHTTPServer):
    """Threaded HTTP server that knows its origin name and can reset connections."""

    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address, origin, state, controller):
        super().__init__(address, Handler)
        self.origin = origin
        self.state = state
        self.controller = controller
        self.aborted = set()

    def handle_error(self, request, client_address):
        """Ignore clients that went away; report anything else briefly on stderr."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            sys.stderr.write("emulator: error serving %s: %r\n" % (client_address, exc))

    def shutdown_request(self, request):
        """Close aborted connections without a FIN first, so the peer sees a reset."""
        if request in self.aborted:
            self.aborted.discard(request)
            request.close()
            return
        super().shutdown_request(request)


def ensure_certs(cert_dir):
    """Create (once, race free) a test CA and a server certificate for 127.0.0.1/localhost; return (ca, cert, key)."""
    final = os.path.join(cert_dir, "emulator-tls-v2")  # v2: CA with keyUsage, as Python 3.13 requires
    names = ("ca.pem", "server.pem", "server.key")
    if all(os.path.exists(os.path.join(final, name)) for name in names):
        return tuple(os.path.join(final, name) for name in names)
    if shutil.which("openssl") is None:
        raise SystemExit("emulator: HTTPS needs the openssl command line tool; install it or pass --no-https")
    os.makedirs(cert_dir, exist_ok=True)
    work = tempfile.mkdtemp(dir=cert_dir, prefix=".tls-")
    run_openssl(work)
    try:
        os.rename(work, final)
    except OSError:  # another emulator won the race: use its certificates
        shutil.rmtree(work, ignore_errors=True)
    return tuple(os.path.join(final, name) for name in names)


def run_openssl(work):
    """Generate ca.pem, server.pem and server.key (EC P-256) in the directory work."""
    ca_pem, ca_key, srv_pem, srv_key, csr, ext = [os.path.join(work, name) for name in (
        "ca.pem", "ca.key", "server.pem", "server.key", "server.csr", "san.cnf")]
    with open(ext, "w", encoding="utf-8") as handle:
        handle.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                     "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                     "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
    ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        ["req", "-x509"] + ec_key + ["-days", "3650", "-subj", "/CN=Kore emulator test CA", "-keyout", ca_key, "-out", ca_pem,
                                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req"] + ec_key + ["-subj", "/CN=localhost", "-keyout", srv_key, "-out", csr],
        ["x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-days", "3650", "-extfile", ext, "-out", srv_pem],
    ]
    for command in commands:
        result = subprocess.run(["openssl"] + command, capture_output=True, text=True, check=False)
        if result.returncode:
            raise SystemExit("emulator: openssl %s failed: %s" % (command[0], result.stderr.strip()))


class Emulator:
    """The three listeners plus the shared state; start() binds, serve() runs until stopped."""

    def __init__(self, args):
        self.args = args
        self.state = State(args)
        self.servers = []
        self.stopped = threading.Event()
        self.stop_lock = threading.Lock()

    def start(self):
        """Bind all listeners and return the READY document."""
        bind = self.args.bind
        main = Server((bind, self.args.port), "main", self.state, self)
        second = Server((bind, self.args.second_port), "second", self.state, self)
        self.servers = [main, second]
        urls = {"main": "http://%s:%d" % (bind, main.server_address[1]), "second": "http://%s:%d" % (bind, second.server_address[1])}
        ca_file = None
        if not self.args.no_https:
            cert_dir = self.args.cert_dir or os.path.join(tempfile.gettempdir(), "kore-emulator-certs-%d" % os.getuid())
            ca_file, cert, key = ensure_certs(cert_dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            tls = Server((bind, self.args.https_port), "main_tls", self.state, self)
            tls.socket = context.wrap_socket(tls.socket, server_side=True, do_handshake_on_connect=False)
            self.servers.append(tls)
            urls["main_tls"] = "https://%s:%d" % (bind, tls.server_address[1])
        ready = {"url": urls["main"], "https_url": urls.get("main_tls"), "second_url": urls["second"],
                 "ca_file": os.path.abspath(ca_file) if ca_file else None, "pid": os.getpid(),
                 "keys": {env: key for key, env in self.state.keys.items()}}
        self.state.urls = dict(urls, second_url=urls["second"], ready=ready)
        return ready

    def serve(self):
        """Serve until stop() (signal, admin shutdown, idle exit or parent exit)."""
        for server in self.servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        while not self.stopped.wait(0.5):
            if self.args.idle_exit and time.time() - self.state.last_request > self.args.idle_exit:
                break
            if self.args.parent_pid and not pid_alive(self.args.parent_pid):
                break
        self.stop()

    def stop(self):
        """Stop all listeners (idempotent)."""
        with self.stop_lock:
            for server in self.servers:
                server.shutdown()
                server.server_close()
            if self.servers:
                self.state.close()
            self.servers = []
        self.stopped.set()


def pid_alive(pid):
    """Return True if a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_state_file(path, ready):
    """Write the READY document atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".emulator-state-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(ready, out)
    os.replace(tmp, path)


def daemonize(argv, args):
    """Re-run detached (new session) without --daemon; wait for its state file and print READY."""
    state_file = os.path.abspath(args.state_file or os.path.join(tempfile.mkdtemp(prefix="kore-emulator-"), "state.json"))
    if os.path.exists(state_file):
        os.unlink(state_file)
    child_argv = [arg for arg in argv if arg != "--daemon"] + ([] if args.state_file else ["--state-file", state_file])
    err_path = state_file + ".stderr"
    with open(err_path, "wb") as err:
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__)] + child_argv, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                 stdout=subprocess.DEVNULL, stderr=err, start_new_session=True, close_fds=True)
    deadline = time.time() + 15
    while time.time() < deadline:
        if os.path.exists(state_file):
            with open(state_file, encoding="utf-8") as handle:
                print("EMULATOR_READY " + handle.read(), flush=True)
            return 0
        if child.poll() is not None:
            break
        time.sleep(0.02)
    child.kill()
    with open(err_path, encoding="utf-8", errors="replace") as handle:
        sys.stderr.write("emulator failed to start:\n" + handle.read())
    return 1


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--bind", default="127.0.0.1", help="address to listen on")
    add("--port", type=int, default=0, help="main origin HTTP port (0 = any free port)")
    add("--second-port", type=int, default=0, help="second origin (storage) HTTP port")
    add("--https-port", type=int, default=0, help="main origin HTTPS port")
    add("--no-https", action="store_true", help="do not start the HTTPS listener")
    add("--state-file", help="write the READY JSON document here (atomically)")
    add("--cert-dir", help="where the test CA and server certificate are created/cached")
    add("--keys", default=DEFAULT_KEYS, help="env=key,... (each key selects one environment)")
    add("--workflows", type=int, default=60, help="generated workflows per environment")
    add("--catalog", help="JSON file {env: [{workflow_id, flow_id, name}, ...]} seeding the catalog")
    add("--job-duration", type=float, default=0.5, help="seconds an export stays IN_PROGRESS")
    add("--shape", default="mixed", help="response shape: %s or mixed" % ", ".join(SHAPES))
    add("--route", default="both", choices=ROUTES, help="which export path spelling is routed")
    add("--seed", type=int, default=0, help="seed of the mixed shapes and random faults")
    add("--fault-rate", type=float, default=0.0, help="probability of a random fault per request")
    add("--fault-kinds", default="", help="comma separated fault names used by --fault-rate")
    add("--download-padding", type=int, default=0, help="bytes of an extra stored member in every export")
    add("--idle-exit", type=float, default=0, help="exit after this many seconds without requests (0 = never)")
    add("--parent-pid", type=int, default=0, help="exit when this process is gone")
    add("--log", help="append each request record to this JSON lines file")
    add("--daemon", action="store_true", help="detach, wait until ready, print READY and return")
    args = parser.parse_args(argv)
    try:
        check_shape(args.shape, allow_mixed=True)
        args.fault_kinds = parse_list(args.fault_kinds)
        check_faults(args.fault_kinds)
        parse_keys(args.keys)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv=None):
    """Command line entry point."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.daemon:
        return daemonize(argv, args)
    emulator = Emulator(args)
    ready = emulator.start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: emulator.stopped.set())
    if args.state_file:
        write_state_file(args.state_file, ready)
    print("EMULATOR_READY " + json.dumps(ready), flush=True)
    emulator.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
