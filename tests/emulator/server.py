"""Local emulator of the Kore.ai AI for Process workflow export API.

Serves the export, dock status and download endpoints with the shapes and quirks of the
public docs, injects faults on demand and records every request for tests to assert on.
Standard library only. Run ``python tests/emulator/server.py --help`` for the options.
"""

import argparse
import base64
import copy
import email.parser
import email.policy
import gzip
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
from urllib.parse import parse_qs, quote, unquote, urlsplit

SHAPES = ("sample", "table", "relative", "lowercase", "underscore", "status_url", "tool", "extra")
ROUTES = ("plural", "singular", "both")
FAULTS = (
    "post_429", "post_429_no_retry_after", "post_500", "post_502", "post_503", "post_503_no_retry_after", "post_504",
    "post_reset", "post_slow", "post_malformed_json", "post_no_dock_status_id", "post_html_200", "post_retry_after_huge",
    "status_429", "status_429_no_retry_after", "status_500", "status_502", "status_503", "status_503_no_retry_after",
    "status_504", "status_reset", "status_slow", "status_404", "status_malformed_json", "status_retry_after_huge",
    "status_deep_json",
    "job_failed", "job_stuck", "job_cancelled", "job_error", "job_unknown_status",
    "download_404", "download_403", "download_410", "download_500", "download_reset", "download_slow", "download_truncated",
    "download_corrupt_zip", "download_html", "download_second_origin", "download_redirect_second_origin",
    "download_429", "download_429_no_retry_after", "download_502", "download_503", "download_503_no_retry_after",
    "download_504", "download_retry_after_huge", "download_401_second_origin", "download_redirect_http",
    "upload_429", "upload_503", "upload_reset",
    "import_400", "import_429", "import_failed", "import_400_echo", "import_failed_kept",
    "import_500", "import_502", "import_503_no_retry_after", "import_reset",
    "post_redirect_second_origin", "post_redirect_same_origin", "upload_redirect_second_origin",
    "upload_redirect_same_origin", "import_redirect_second_origin",
    "download_endless", "download_drip", "download_other_workflow", "job_signed_url",
    "deploy_failed", "import_answer_slow",
)
# Faults decided once, when a job is created: export jobs ("job"), import jobs, deploy/undeploy jobs.
JOB_FAULTS = ("job_failed", "job_stuck", "job_cancelled", "job_error", "job_unknown_status", "download_second_origin",
              "download_401_second_origin", "job_signed_url")
PHASES = {"import_failed": "import_job", "deploy_failed": "deploy_job", "import_400_echo": "import_echo",
          # a new import's job fails after its answer named an id, and the server keeps the workflow anyway
          "import_failed_kept": "import_job",
          # the import job is created (the workflow will exist), then the answer waits `delay` seconds (30 by default)
          "import_answer_slow": "import_answer"}
TERMINAL_FAULTS = {"job_failed": "FAILED", "job_cancelled": "CANCELLED", "job_error": "ERROR", "import_failed": "FAILED",
                   "deploy_failed": "FAILED"}
UNKNOWN_STATUS = "WEIRD_STATE"
DEFAULT_KEYS = "dev=kg-test-dev,staging=kg-test-staging,prod=kg-test-prod"
NUMERIC_CONFIG = {"job_duration": float, "fault_rate": float, "download_padding": int, "upload_limit": int,
                  "large_json_bytes": int}
CONFIG_KEYS = ("shape", "route", "job_duration", "fault_rate", "fault_kinds", "download_padding", "upload_limit",
               "member_style", "path_prefix", "entity", "download_encoding", "download_scheme_http", "volatile_key",
               "non_ascii", "large_json_bytes", "env_metadata")
CHOICES = {
    "member_style": ("snake", "camel", "kebab", "pascal"),
    "entity": ("workflows", "tools", "both"),
    "download_encoding": ("identity", "gzip", "gzip_if_accepted"),
}
MEMBERS = ("flow_definition.json", "app_definition.json", "env_variables.json")
FLOW, APP, ENV_VARS = MEMBERS
LARGE_MEMBER = "large_payload.json"
NON_ASCII = "Überweisung – 請求書 ✓"
PADDING_MEMBER = "attachments/blob.bin"
CHUNK = 1 << 16
HTML_ERROR = "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center><hr><center>nginx</center></body></html>\n"


def fault_phase(fault):
    """Return the phase a fault applies to: post, job, status, download, upload, import, import_job or deploy_job."""
    if fault in JOB_FAULTS:
        return "job"
    return PHASES.get(fault) or fault.split("_", 1)[0]


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


# What the collection's classifier calls a secret, for the digest it shows (content_digest is over the redacted form):
# every string or number of the environment variables member but the variable names, and under keys naming secrets.
REDACTED = "<redacted:koreai>"
SECRET_KEY_SUFFIXES = ("password", "passwords", "passwd", "secret", "secrets", "token", "tokens", "apikey", "apikeys",
                       "privatekey", "credential", "credentials", "clientsecret", "authorization")
VARIABLE_NAME_KEYS = ("key", "name", "variablename", "varname")


def _bare(text):
    return "".join(char for char in str(text).lower() if char not in "_- ")


def redacted_document(doc, in_env, key=""):
    """Return a copy of a JSON document with its secrets replaced by the collection's placeholder."""
    if isinstance(doc, dict):
        return {name: REDACTED if _bare(name).endswith(SECRET_KEY_SUFFIXES) and value is not None and not isinstance(value, bool)
                else redacted_document(value, in_env, name) for name, value in doc.items()}
    if isinstance(doc, list):
        return [redacted_document(item, in_env) for item in doc]
    if in_env and doc is not None and not isinstance(doc, bool) and _bare(key) not in VARIABLE_NAME_KEYS:
        return REDACTED
    return doc


def styled(name, style):
    """Spell a snake_case member name (flow_definition.json) in a member style: snake, camel, kebab or pascal."""
    stem, dot, ext = name.rpartition(".")
    words = stem.split("_")
    if style == "camel":
        stem = words[0] + "".join(word.capitalize() for word in words[1:])
    elif style == "pascal":
        stem = "".join(word.capitalize() for word in words)
    elif style == "kebab":
        stem = "-".join(words)
    return stem + dot + ext


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


def workflow_documents(env, workflow, revision, non_ascii=False):
    """Return the parsed JSON members of an export of one workflow revision (generated content)."""
    wid, tag = workflow["workflow_id"], "%s/%s/r%d" % (env, workflow["workflow_id"], revision)
    extra = " " + NON_ASCII if non_ascii else ""
    nodes = [
        {"id": "start", "type": "start", "next": "ai-1"},
        {"id": "ai-1", "type": "aiNode", "next": "api-1", "settings": {
            "model": "gpt-4o-mini", "temperature": 0.2,
            "prompt": "Summarise the request (%s, revision %d).%s" % (env, revision, extra)}},
        {"id": "api-1", "type": "apiNode", "next": "end", "settings": {"url": "{{env.BASE_URL}}/orders", "method": "GET"}},
        {"id": "end", "type": "end"},
    ]
    nodes.extend({"id": "step-%d" % i, "type": "script", "script": "context.step = %d;" % i} for i in range(1, revision))
    if workflow.get("integrations"):
        nodes.extend(integration_nodes(integration_secrets(env, wid)))
    return {
        FLOW: {"flowId": workflow["flow_id"], "workflowId": wid, "revision": revision, "nodes": nodes,
               "canvas": {"zoom": 1, "tag": tag}},
        APP: {"workflowId": wid, "name": workflow["name"] + extra, "version": "v%d" % revision,
              "description": "Emulated workflow %s" % tag, "guardrails": {"enabled": True, "rules": ["pii"]}},
        ENV_VARS: {"variables": [
            {"key": "BASE_URL", "value": "https://%s.example.invalid/%s/r%d" % (env, wid, revision), "isSecured": False},
            {"key": "API_TOKEN", "value": "secret-%s-%s-r%d" % (env, wid, revision), "isSecured": True},
        ]},
    }


def with_env_metadata(document, env, workflow_id, revision):
    """The environment variables member as some servers export it: metadata of this environment (the workflow's id,
    the environment's name, the revision) beside the variables list."""
    variables = document.get("variables", []) if isinstance(document, dict) else []
    return {"workflowId": workflow_id, "environment": env, "revision": revision, "variables": variables}


def _jwt(claims):
    """Return an unsigned-looking JWT (header.claims.signature) for emulated integration nodes."""
    def part(doc):
        return base64.urlsafe_b64encode(json.dumps(doc, sort_keys=True).encode("utf-8")).rstrip(b"=").decode("ascii")
    return "%s.%s.%s" % (part({"alg": "HS256", "typ": "JWT"}), part(claims), hashlib.sha256(part(claims).encode()).hexdigest()[:32])


def integration_secrets(env, wid):
    """Return the per-environment secret values of the integration nodes: name -> value (each unique to env and wid)."""
    tag = "%s-%s" % (env, wid)
    return {
        "bearer": "Bearer S3CR3T-%s-bearer-7f3a" % tag,
        "cookie": "session=S3CR3T-%s-cookie-91c2; Path=/" % tag,
        "pg": "postgres://orders:S3CR3T-%s-pg@db.example.invalid:5432/orders" % tag,
        "pwd": "S3CR3T-%s-pwd" % tag,
        "secret_access_key": "S3CR3T-%s-aws-secret-access" % tag,
        "client_secret": "S3CR3T-%s-client-secret-value" % tag,
        "passphrase": "S3CR3T %s correct horse" % tag,
        "pem": "-----BEGIN PRIVATE KEY-----\nMIIS3CR3T%sKEYBODYLINE0123456789\n-----END PRIVATE KEY-----\n" % tag.replace("-", ""),
        "jwt": _jwt({"sub": "S3CR3T-%s-jwt" % tag}),
        "openai": "sk-S3CR3T%sopenaikey000000" % tag.replace("-", ""),
        "webhook_token": "S3CR3T-%s-webhook-token" % tag,
    }


def integration_nodes(secrets):
    """Return integration nodes (header lists, a connection string, keys in several spellings, PEM, JWT) holding
    secrets; plain URLs and config are the same in every environment. One node has no id, only a name."""
    return [
        {"id": "crm-1", "type": "apiNode", "settings": {
            "url": "https://crm.example.invalid/api/v2/contacts", "method": "POST", "timeoutMs": 3000, "maxTokens": 512,
            "tokenUrl": "https://auth.example.invalid/oauth/token",
            "headers": [{"key": "Accept", "value": "application/json"}, {"key": "Authorization", "value": secrets["bearer"]},
                        {"key": "Cookie", "value": secrets["cookie"]}],
            "auth": {"type": "oauth2", "clientId": "crm-client", "clientSecretValue": secrets["client_secret"]}}},
        {"id": "db-1", "type": "dbNode", "settings": {
            "connectionString": secrets["pg"], "query": "select * from orders where id = :id", "pwd": secrets["pwd"]}},
        {"id": "s3-1", "type": "storageNode", "settings": {
            "bucket": "invoices", "region": "eu-west-1", "secretAccessKey": secrets["secret_access_key"],
            "signing": {"privateKeyPem": secrets["pem"], "passphrase": secrets["passphrase"]}}},
        {"id": "llm-1", "type": "aiNode", "settings": {
            "model": "gpt-4o-mini", "maxTokens": 1024, "temperature": 0, "providerKey": secrets["openai"],
            "context": secrets["jwt"]}},
        {"name": "partner-webhook", "type": "webhook", "settings": {
            "url": "https://partner.example.invalid/hooks/in",
            "headers": [{"name": "X-Webhook-Token", "value": secrets["webhook_token"]}, {"name": "X-Trace", "value": "on"}]}},
    ]


def large_document(size):
    """Return a deterministic JSON document whose canonical form is larger than size bytes."""
    return {"description": "Large member of the emulator", "items": ["item-%08d-%s" % (i, "x" * 48) for i in range(size // 60 + 2)]}


def rewrite_identity(doc, workflow_id):
    """Set every workflowId/toolId key, at any depth, to workflow_id (what a server does on import); in place."""
    if isinstance(doc, dict):
        for key in doc:
            if key in ("workflowId", "toolId"):
                doc[key] = workflow_id
            else:
                rewrite_identity(doc[key], workflow_id)
    elif isinstance(doc, list):
        for item in doc:
            rewrite_identity(item, workflow_id)


def secret_values(documents):
    """Return every value of the environment variables member (strings only)."""
    variables = documents.get(ENV_VARS, {})
    variables = variables.get("variables", []) if isinstance(variables, dict) else []
    return [item["value"] for item in variables if isinstance(item, dict) and isinstance(item.get("value"), str)]


def set_path(doc, path, value, delete=False):
    """Set (or delete) a dotted path (list indices as numbers) inside a JSON document; create missing dicts."""
    keys = path.split(".")
    for key in keys[:-1]:
        doc = doc[int(key)] if isinstance(doc, list) else doc.setdefault(key, {})
    last = int(keys[-1]) if isinstance(doc, list) else keys[-1]
    if delete:
        del doc[last]
    else:
        doc[last] = value


def bump_documents(documents, revision):
    """Change stored content for a new revision: mark the first AI node prompt (or the flow) with the revision."""
    flow = documents.get(FLOW)
    nodes = flow.get("nodes") if isinstance(flow, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        settings = node.get("settings") if isinstance(node, dict) else None
        if isinstance(settings, dict) and isinstance(settings.get("prompt"), str):
            settings["prompt"] = "%s [edited r%d]" % (settings["prompt"], revision)
            return
    if isinstance(flow, dict):
        flow["emulatorRevision"] = revision
    else:
        documents[FLOW] = {"emulatorRevision": revision}


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
    """One job (export, import, deploy or undeploy) and, for an export, its download."""

    def __init__(self, env, workflow_id, settings):
        self.env = env
        self.workflow_id = workflow_id
        self.action = settings.get("action", "EXPORT")
        self.entity = settings.get("entity", "workflow")
        self.dock_id = "ds-" + uuid.uuid4().hex
        self.export_job_id = "%s-ej-%s" % (self.entity, uuid.uuid4().hex)
        self.token = uuid.uuid4().hex + uuid.uuid4().hex
        self.created = time.time()
        self.duration = settings["job_duration"]
        self.shape = settings.get("shape", "table")
        self.fault = settings.get("fault")
        self.reason = settings.get("reason")
        self.base_url = settings.get("base_url", "")
        self.second_url = settings.get("second_url", "")
        self.members = settings.get("members")
        self.filename = settings.get("filename") or workflow_id
        self.on_success = settings.get("on_success")
        self.lock = threading.Lock()
        self.archive = settings.get("archive")
        self.gzipped = None

    def status(self):
        """Return IN_PROGRESS, SUCCESS, FAILED, CANCELLED, ERROR or the never-ending unknown status."""
        if self.fault == "job_stuck" or time.time() - self.created < self.duration:
            return "IN_PROGRESS"
        if self.fault == "job_unknown_status":
            return UNKNOWN_STATUS
        if self.reason:
            return "FAILED"
        return TERMINAL_FAULTS.get(self.fault, "SUCCESS")

    def failure_reason(self):
        """Return why the job did not succeed."""
        if self.reason:
            return self.reason
        if self.action == "EXPORT":
            return "workflow validation failed for %s" % self.workflow_id
        return "%s of %s rejected by the server" % (self.action.lower(), self.workflow_id)

    def percentage(self):
        """Return the progress in percent."""
        if self.status() != "IN_PROGRESS":
            return 100
        return 0 if self.fault == "job_stuck" else min(99, int(100 * (time.time() - self.created) / max(self.duration, 1e-6)))

    def download_url(self, relative=False):
        """Return the download URL of this job (second origin for the second-origin faults)."""
        if self.fault in ("download_second_origin", "download_401_second_origin"):
            return "%s/storage/exports/%s" % (self.second_url, self.token)
        path = "/api/v1/account/exports/" + self.token
        if self.fault == "job_signed_url":  # a signed URL: its query string grants access (the emulator ignores it)
            path += "?X-Amz-Signature=sig-%s&X-Amz-Expires=600" % self.token[:16]
        return urlsplit(self.base_url).path + path if relative else self.base_url + path

    def build(self, tmpdir):
        """Build the archive once (lazily), in memory or, with padding, in a temp file."""
        with self.lock:
            if self.archive is None:
                if any(isinstance(value, Padding) for value in self.members.values()):
                    handle, path = tempfile.mkstemp(suffix=".zip", dir=tmpdir)
                    with os.fdopen(handle, "wb") as out:
                        write_archive(out, self.members)
                    self.archive = path
                else:
                    buf = io.BytesIO()
                    write_archive(buf, self.members)
                    self.archive = buf.getvalue()
            return self.archive

    def build_gzip(self, tmpdir):
        """Return the archive gzip-compressed (bytes or a temp file path), built once."""
        archive = self.build(tmpdir)
        with self.lock:
            if self.gzipped is None:
                if isinstance(archive, bytes):
                    self.gzipped = gzip.compress(archive)
                else:
                    handle, path = tempfile.mkstemp(suffix=".zip.gz", dir=tmpdir)
                    with open(archive, "rb") as source, os.fdopen(handle, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
                        shutil.copyfileobj(source, out, CHUNK * 4)
                    self.gzipped = path
            return self.gzipped


class State:  # pylint: disable=too-many-instance-attributes
    """Everything the emulator knows: config, catalog, stored content, uploads, jobs, faults and the request log."""

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
        """Restore the CLI configuration and forget jobs, faults, revisions, content, uploads and the log."""
        with self.lock:
            self.config = {key: getattr(self.args, key) for key in CONFIG_KEYS}
            self.catalog = {env: {wid: dict(wf) for wid, wf in wfs.items()} for env, wfs in self.initial_catalog.items()}
            self.revisions = {}
            self.content = {}
            self.deployed = {}
            self.archives = {}
            self.uploads = {}
            self.sessions = {}
            self.pending = []
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
        body = dict(body)
        for key, kind in NUMERIC_CONFIG.items():  # an admin client may send numbers as text
            if body.get(key) is not None:
                body[key] = kind(body[key])
        if "shape" in body:
            check_shape(body["shape"], allow_mixed=True)
        if body.get("route", "both") not in ROUTES:
            raise ValueError("route must be one of %s" % ", ".join(ROUTES))
        kinds = body.get("fault_kinds", [])
        kinds = parse_list(kinds) if isinstance(kinds, str) else kinds
        check_faults(kinds)
        check_new_config(body)
        with self.lock:
            self.config.update(body)
            if "fault_kinds" in body:
                self.config["fault_kinds"] = list(kinds)

    def settle(self):
        """Apply the effect of every import/deploy job that reached SUCCESS (called before any read of the store)."""
        with self.lock:
            for job in list(self.pending):
                status = job.status()
                if status in ("IN_PROGRESS", UNKNOWN_STATUS):
                    continue
                self.pending.remove(job)
                if status == "SUCCESS" or job.fault == "import_failed_kept":
                    job.on_success()

    def workflow(self, env, workflow_id):
        """Return a catalog entry or None."""
        with self.lock:
            self.settle()
            return self.catalog.get(env, {}).get(workflow_id)

    def revision(self, env, workflow_id):
        """Return the current revision of a workflow (starting at 1)."""
        return self.revisions.get((env, workflow_id), 1)

    def documents(self, env, workflow_id):
        """Return a copy of a workflow's current documents (snake names): stored content, else generated."""
        with self.lock:
            self.settle()
            if (env, workflow_id) in self.content:
                return copy.deepcopy(self.content[(env, workflow_id)])
            workflow = self.catalog[env][workflow_id]
            return workflow_documents(env, workflow, self.revision(env, workflow_id), bool(self.config["non_ascii"]))

    def export_members(self, env, workflow_id):
        """Return the members an export serves: styled names -> document, plus padding and the large member."""
        with self.lock:
            style = self.config["member_style"]
            documents = self.documents(env, workflow_id)
            if self.config["env_metadata"]:
                documents[ENV_VARS] = with_env_metadata(documents.get(ENV_VARS), env, workflow_id, self.revision(env, workflow_id))
            members = {styled(name, style): doc for name, doc in documents.items()}
            padding = self.catalog[env][workflow_id].get("padding")
            padding = int(self.config["download_padding"] if padding is None else padding)
            if padding:
                members[PADDING_MEMBER] = Padding("%s/%s/%d" % (env, workflow_id, self.revision(env, workflow_id)), padding)
            if self.config["large_json_bytes"]:
                members[styled(LARGE_MEMBER, style)] = large_document(int(self.config["large_json_bytes"]))
            return members

    def bump(self, env, workflow_id):
        """Increment the revision; stored content gets a visible change too. Return the new revision."""
        with self.lock:
            revision = self.revision(env, workflow_id) + 1
            self.revisions[(env, workflow_id)] = revision
            if (env, workflow_id) in self.content:
                bump_documents(self.content[(env, workflow_id)], revision)
            return revision

    def edit(self, env, workflow_id, body):
        """Change one member like an edit in the UI: {"member", "set": {path: value}, "delete": [path], "document"}."""
        member = normalise_member(body["member"])
        with self.lock:
            documents = self.documents(env, workflow_id)
            if "document" in body:
                documents[member] = body["document"]
            for path, value in (body.get("set") or {}).items():
                set_path(documents.setdefault(member, {}), path, value)
            for path in body.get("delete") or []:
                set_path(documents[member], path, None, delete=True)
            self.content[(env, workflow_id)] = documents
            return self.describe(env, workflow_id)

    def describe(self, env, workflow_id):
        """Return the admin view of a workflow: documents, revision, deployed flag and every env variable value."""
        with self.lock:
            workflow = self.workflow(env, workflow_id)
            documents = self.documents(env, workflow_id)
            return {"workflow_id": workflow_id, "flow_id": workflow["flow_id"], "name": workflow["name"],
                    "revision": self.revision(env, workflow_id), "deployed": self.deployed.get((env, workflow_id), True),
                    "stored": (env, workflow_id) in self.content, "archive_override": (env, workflow_id) in self.archives,
                    "members": documents, "secret_values": secret_values(documents),
                    "integration_secrets": integration_secrets(env, workflow_id) if workflow.get("integrations") else {}}

    def take_fault(self, env, key, phase):
        """Consume and return the fault (dict) that applies to this request, or None.

        key is the workflow id, or for uploads the file name and for new imports the workflow name; a fault
        registered for workflow_id "*" matches any key."""
        with self.lock:
            for fault in self.faults:
                if fault_phase(fault["fault"]) != phase or fault["workflow_id"] not in ("*", key):
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

    def create_job(self, env, workflow, base_url, job_fault, entity="workflow"):
        """Create and register an export job (its members are a snapshot of the content at this moment)."""
        with self.lock:
            wid = workflow["workflow_id"]
            shape = workflow.get("shape") or self.config["shape"]
            if shape == "mixed":
                shape = self.rng.choice(SHAPES)
            members = self.export_members(env, wid)
            app = members.get(styled(APP, self.config["member_style"]))
            if self.config["volatile_key"] and isinstance(app, dict):
                app[self.config["volatile_key"]] = "%s.%s" % (time.strftime("%Y-%m-%dT%H:%M:%S"), uuid.uuid4().hex[:12])
            name = app.get("name") if isinstance(app, dict) and isinstance(app.get("name"), str) else workflow["name"]
            settings = {"job_duration": float(self.config["job_duration"]), "shape": shape, "fault": job_fault, "entity": entity,
                        "base_url": base_url, "second_url": self.urls["second_url"], "members": members, "filename": name,
                        "archive": self.archives.get((env, wid))}
            job = Job(env, wid, settings)
            self.jobs[job.dock_id] = job
            self.tokens[job.token] = job
            return job

    def create_task_job(self, env, workflow_id, action, settings):
        """Create and register an import, deploy or undeploy job; settings: entity, fault, reason, on_success."""
        with self.lock:
            job = Job(env, workflow_id, dict(settings, action=action, job_duration=float(self.config["job_duration"])))
            self.jobs[job.dock_id] = job
            self.pending.append(job)
            return job

    def add_upload(self, env, data, file_name, file_context, via):
        """Store an uploaded file for an environment; return its record."""
        with self.lock:
            record = {"env": env, "fileId": "f-" + uuid.uuid4().hex, "fileName": file_name, "fileContext": file_context,
                      "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "via": via, "data": data}
            self.uploads[record["fileId"]] = record
            return record

    def uploads_view(self):
        """Return every upload (its text when the bytes are UTF-8), in order of arrival."""
        with self.lock:
            records = list(self.uploads.values())
        result = []
        for record in records:
            item = {key: value for key, value in record.items() if key != "data"}
            try:
                item["text"] = record["data"].decode("utf-8")
            except UnicodeDecodeError:
                item["text"] = None
            result.append(item)
        return {"uploads": result}

    def import_content(self, env, files):
        """Parse uploaded files {member: file_id} of env; return (documents, None) or (None, reason)."""
        documents = {}
        for member, file_id in files.items():
            try:
                documents[member] = json.loads(self.uploads[file_id]["data"].decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                return None, "%s (file %s) is not valid JSON: %s" % (member, file_id, exc)
        documents.setdefault(ENV_VARS, {"variables": []})
        return documents, None

    def apply_import(self, env, workflow_id, documents, name=None):
        """Store imported content with the server's identity rewrite; a new import also creates the catalog entry."""
        with self.lock:
            documents = copy.deepcopy(documents)
            rewrite_identity(documents, workflow_id)
            if isinstance(documents.get(APP), dict):
                documents[APP]["updatedAt"] = "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), int(time.time() * 1000) % 1000)
            if name is not None:
                self.catalog.setdefault(env, {})[workflow_id] = {"workflow_id": workflow_id, "flow_id": "cf-" + uuid.uuid4().hex[:12],
                                                                 "name": name}
            self.content[(env, workflow_id)] = documents
            self.deployed[(env, workflow_id)] = False

    def set_deployed(self, env, workflow_id, deployed):
        """Record whether a workflow's current content is deployed."""
        with self.lock:
            self.deployed[(env, workflow_id)] = deployed

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
            kinds = [e["kind"] for e in entries]
            return {
                "posts": kinds.count("export"),
                "jobs_created": sum(1 for e in entries if e["job_created"]),
                "polls": kinds.count("status"),
                "downloads": kinds.count("download"),
                "uploads": kinds.count("upload"),
                "imports": kinds.count("import"),
                "deploys": kinds.count("deploy"),
                "undeploys": kinds.count("undeploy"),
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
        """Return the expected members and content digest of the current content (without the volatile key)."""
        if self.workflow(env, workflow_id) is None:
            return None
        members = self.export_members(env, workflow_id)
        raw, shown, redacted = {}, {}, {}
        for name, value in members.items():
            if isinstance(value, Padding):
                digest = hashlib.sha256()
                for chunk in value:
                    digest.update(chunk)
                raw[name], shown[name] = value, {"sha256": digest.hexdigest(), "size": value.size}
                redacted[name] = value
            else:
                raw[name], shown[name] = canonical_json(value), value
                in_env = name.rsplit(".", 1)[0].lower().replace("_", "").replace("-", "") == "envvariables"
                redacted[name] = canonical_json(redacted_document(value, in_env))
        return {"revision": self.revision(env, workflow_id), "members": shown, "content_digest": content_digest(redacted),
                "raw_content_digest": content_digest(raw),
                "volatile_key": self.config["volatile_key"] or None,
                "volatile_member": styled(APP, self.config["member_style"]) if self.config["volatile_key"] else None}

    def close(self):
        """Remove temporary files."""
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        if self.log_file:
            self.log_file.close()


def normalise_member(name):
    """Return the snake member name of any spelling (flowDefinition.json, env-variables.json, ...)."""
    key = name.lower().replace("_", "").replace("-", "")
    for member in MEMBERS + (LARGE_MEMBER,):
        if member.replace("_", "") == key:
            return member
    raise ValueError("unknown member %r (one of %s)" % (name, ", ".join(MEMBERS)))


def check_new_config(body):
    """Validate (and normalise in place) the config keys of the import, deploy, tools and hardening work."""
    for key, choices in CHOICES.items():
        if key in body and body[key] not in choices:
            raise ValueError("%s must be one of %s" % (key, ", ".join(choices)))
    for key in ("upload_limit", "large_json_bytes"):
        if key in body and (not isinstance(body[key], int) or isinstance(body[key], bool) or body[key] < 0):
            raise ValueError("%s must be a non-negative integer" % key)
    for key in ("download_scheme_http", "non_ascii", "env_metadata"):
        if key in body and not isinstance(body[key], bool):
            raise ValueError("%s must be true or false" % key)
    if "volatile_key" in body and not isinstance(body["volatile_key"], str):
        raise ValueError("volatile_key must be a string ('' = off)")
    if "path_prefix" in body:
        body["path_prefix"] = check_prefix(body["path_prefix"])


def check_prefix(prefix):
    """Return a path prefix without its trailing slash; raise ValueError unless it is empty or starts with '/'."""
    if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
        raise ValueError("path_prefix must be empty or start with '/', got %r" % (prefix,))
    return prefix.rstrip("/")


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


def fleet_keys(count):
    """``env=key,...`` of count tenant environments: tenant-001=kg-fleet-tenant-001, ... (wider past 999)."""
    width = max(3, len(str(count)))
    names = ["tenant-%0*d" % (width, number) for number in range(1, count + 1)]
    return ",".join("%s=kg-fleet-%s" % (name, name) for name in names)


def with_fleet(keys, count):
    """The --keys text with the --fleet tenants after it; ValueError for a negative count."""
    if count < 0:
        raise ValueError("--fleet must be 0 or more, got %d" % count)
    return ",".join(part for part in (keys, fleet_keys(count)) if part)


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
                      "job_created": False, "fault": None, "workflow_id": None, "kind": "other",
                      "user_agent": self.headers.get("User-Agent")}
        self.state.open_entry(self.entry)
        try:
            prefix = self.state.config["path_prefix"] if self.server.origin != "second" else ""
            if prefix and not (raw_path + "/").startswith(prefix + "/"):
                self.not_routed(method, raw_path)
                return
            segments = [unquote(part) for part in raw_path[len(prefix):].split("/")[1:]]
            self.route(method, segments, raw_path)
        finally:
            self.state.close_entry(self.entry)

    def route(self, method, segments, raw_path):
        """Route an API request of the main or second origin."""
        if self.server.origin == "second":
            if method == "GET" and len(segments) == 3 and segments[:2] == ["storage", "exports"]:
                self.download(segments[2])
                return
        elif method == "POST" and segments[:2] == ["api", "public"] and self.route_post(segments[2:], raw_path):
            return
        elif method == "GET" and len(segments) == 4 and segments[:3] == ["api", "public", "dock-status"]:
            self.dock_status(segments[3])
            return
        elif method == "GET" and len(segments) == 5 and segments[:4] == ["api", "v1", "account", "exports"]:
            self.download(segments[4])
            return
        self.not_routed(method, raw_path)

    def route_post(self, rest, raw_path):
        """Route a POST under /api/public; return False when no route matches."""
        if rest[:1] == ["files"]:
            return self.route_files(rest[1:])
        entity = self.entity_of(rest[0]) if rest else None
        if entity is None:
            return False
        if len(rest) == 2 and rest[1] == "import" and rest[0] in ("workflows", "tools"):
            self.import_new(entity)
            return True
        if len(rest) != 3:
            return False
        workflow_id, action = rest[1], rest[2]
        if action == "export":
            self.export(rest[0], workflow_id, raw_path, entity)
        elif action == "import" and rest[0] in ("workflows", "tools"):
            self.import_existing(workflow_id, entity)
        elif action == "deploy" and rest[0] in ("workflows", "tools"):
            self.deploy(workflow_id, entity, "DEPLOY")
        elif action == "undeploy":
            self.deploy(workflow_id, entity, "UNDEPLOY")
        else:
            return False
        return True

    def entity_of(self, spelling):
        """Return "workflow" or "tool" for a path spelling the entity config routes, else None."""
        entity = self.state.config["entity"]
        if spelling in ("workflows", "workflow") and entity in ("workflows", "both"):
            return "workflow"
        if spelling == "tools" and entity in ("tools", "both"):
            return "tool"
        return None

    def route_files(self, rest):
        """Route the upload API: files, files/session/start, files/session/{id}, files/session/{id}/complete."""
        if not rest:
            self.upload()
        elif rest == ["session", "start"]:
            self.upload_session_start()
        elif len(rest) == 2 and rest[0] == "session":
            self.upload_chunk(rest[1])
        elif len(rest) == 3 and rest[0] == "session" and rest[2] == "complete":
            self.upload_complete(rest[1])
        else:
            return False
        return True

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

    def base_url(self):
        """Return the origin (with the path prefix) that URLs handed out on this listener point at."""
        origin = self.server.origin
        if origin == "main_tls" and self.state.config["download_scheme_http"]:
            origin = "main"
        return self.state.urls[origin] + self.state.config["path_prefix"]

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

    def send_error_json(self, status, message):
        """Send a JSON error in the emulator's usual shape."""
        self.send_json(status, {"errorCode": status, "message": message})

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

    def send_fault(self, fault):  # pylint: disable=too-many-branches
        """Answer a generic fault (429, 5xx, reset, 400, 404, malformed/deep JSON, HTML page); return True if it was one."""
        name = fault["fault"]
        kind = name.split("_", 1)[1]
        self.entry["fault"] = name
        if kind == "reset":
            self.reset_connection()
        elif kind == "retry_after_huge":
            self.send_json(429, {"errorCode": 429, "message": "Too many requests"}, {"Retry-After": "86400"})
        elif kind.startswith("429") or kind.startswith("503"):
            code = int(kind[:3])
            headers = {} if kind.endswith("no_retry_after") or name == "upload_503" else {"Retry-After": "1"}
            self.send_json(code, {"errorCode": code, "message": "Too many requests" if code == 429 else "Service unavailable"}, headers)
        elif kind in ("502", "504"):
            self.send_html(int(kind), HTML_ERROR.format("%s %s" % (kind, "Bad Gateway" if kind == "502" else "Gateway Time-out")))
        elif kind == "500":
            self.send_error_json(500, "Internal server error")
        elif kind == "400":
            self.send_error_json(400, "Bad request: the server rejected the import")
        elif kind == "404":
            self.send_error_json(404, "Dock status not found")
        elif kind == "malformed_json":
            self.send(200, b'{\n  "dockStatusId": "ds-broken",\n  "status": "IN_PROGRESS"\n  "response": {}\n}\n', "application/json")
        elif kind == "deep_json":
            self.send(200, b"[" * 100000 + b"]" * 100000, "application/json")
        elif kind in ("redirect_second_origin", "redirect_same_origin"):
            origin = self.state.urls["second_url" if kind == "redirect_second_origin" else "main"]
            self.send(307, b"", "text/plain", {"Location": origin + self.path})
        elif kind == "html_200":
            self.send_html(200, "<html><body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n")
        elif kind == "slow":
            time.sleep(float(fault.get("delay") or 5))
            return False
        else:
            return False
        return True

    def json_body(self):
        """Return the request body as a JSON object, or answer 400 and return None."""
        try:
            doc = json.loads(self.body.decode("utf-8")) if self.body.strip() else {}
        except (UnicodeDecodeError, ValueError) as exc:
            self.send_error_json(400, "Request body is not valid JSON: %s" % exc)
            return None
        if not isinstance(doc, dict):
            self.send_error_json(400, "Request body must be a JSON object")
            return None
        return doc

    def multipart(self):
        """Return the form fields {name: (filename, bytes)} of a multipart/form-data body, or answer 400 and return None."""
        content_type = self.headers.get("Content-Type") or ""
        if not content_type.lower().startswith("multipart/form-data"):
            self.send_error_json(400, "Expected multipart/form-data, got %r" % content_type)
            return None
        head = ("Content-Type: %s\r\n\r\n" % content_type).encode("latin-1", "replace")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        if not message.is_multipart():
            self.send_error_json(400, "Malformed multipart body")
            return None
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
        return fields

    # ---------------------------------------------------------------- export API
    def export(self, spelling, workflow_id, raw_path, entity="workflow"):
        """POST /api/public/workflow(s)|tools/{id}/export."""
        self.entry["kind"] = "export"
        self.entry["workflow_id"] = workflow_id
        route = self.state.config["route"]
        if entity == "workflow" and route != "both" and spelling != {"plural": "workflows", "singular": "workflow"}[route]:
            self.not_routed("POST", raw_path)
            return
        env = self.authenticate()
        if env is None:
            return
        workflow = self.find_workflow(env, workflow_id, entity)
        if workflow is None:
            return
        flow_id = (self.query.get("flowId") or [None])[0]
        if flow_id is not None and flow_id != workflow["flow_id"]:
            self.send_error_json(404, "Flow %s not found for %s %s" % (flow_id, entity, workflow_id))
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
        job = self.state.create_job(env, workflow, self.base_url(), job_fault and job_fault["fault"], entity)
        self.entry["job_created"] = True
        self.send_json(200, export_answer(job))

    def find_workflow(self, env, workflow_id, entity):
        """Return the catalog entry, or answer 404 JSON and return None."""
        workflow = self.state.workflow(env, workflow_id)
        if workflow is None:
            self.send_error_json(404, "%s %s not found" % ("Tool" if entity == "tool" else "Workflow", workflow_id))
        return workflow

    def dock_status(self, dock_id):
        """GET /api/public/dock-status/{id}."""
        self.entry["kind"] = "status"
        env = self.authenticate()
        if env is None:
            return
        job = self.state.jobs.get(dock_id)
        if job is None or job.env != env:
            self.send_error_json(404, "Dock status %s not found" % dock_id)
            return
        self.entry["workflow_id"] = job.workflow_id
        fault = self.state.take_fault(env, job.workflow_id, "status")
        if fault and self.send_fault(fault):
            return
        self.state.settle()
        doc = status_answer(job)
        if job.fault == "job_stuck" or (job.fault in tuple(TERMINAL_FAULTS) + ("job_unknown_status",) and doc["status"] != "IN_PROGRESS"):
            self.entry["fault"] = job.fault
        self.send_json(200, doc)

    def download(self, token):
        """GET on a download URL (main origin or second origin)."""
        self.entry["kind"] = "download"
        self.entry["env"] = self.state.keys.get(self.headers.get("x-api-key") or "")
        job = self.state.tokens.get(token)
        if job is None or job.status() != "SUCCESS":
            self.send_error_json(404, "Export not found or not ready")
            return
        self.entry["workflow_id"] = job.workflow_id
        self.entry["env"] = job.env
        if job.fault == "download_401_second_origin" and self.server.origin == "second":
            self.entry["fault"] = job.fault
            self.send_error_json(401, "Unauthorized: missing or invalid signature")
            return
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
            self.send_error_json(code, "Download link expired" if code == 410 else "Forbidden: signature expired")
        elif name == "download_404":
            self.send_error_json(404, "Export file not found")
        elif name == "download_corrupt_zip":
            self.send(200, b"PK\x03\x04" + os.urandom(1000), "application/zip")
        elif name == "download_html":
            self.send_html(200, "<html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>\n")
        elif name == "download_redirect_second_origin":
            if self.server.origin == "second":
                return False
            location = "%s/storage/exports/%s" % (self.state.urls["second_url"], job.token)
            self.send(302, b"", "text/plain", {"Location": location})
        elif name == "download_redirect_http":
            if self.server.origin != "main_tls":
                return False
            location = "%s%s/api/v1/account/exports/%s" % (self.state.urls["main"], self.state.config["path_prefix"], job.token)
            self.send(302, b"", "text/plain", {"Location": location})
        elif name == "download_truncated":
            return False
        elif name in ("download_endless", "download_drip", "download_other_workflow"):
            getattr(self, name.split("_", 1)[1] + "_download")(fault, job)
        else:
            return self.send_fault(fault)
        return True

    def endless_download(self, fault, job):  # pylint: disable=unused-argument
        """Stream zeros (700 MiB unless the fault says size) without a Content-Length, until done or the client leaves."""
        self.entry["status"] = 200
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Connection", "close")
        self.end_headers()
        left, zeros = int(fault.get("size") or 700 * 1024 * 1024), bytes(CHUNK * 4)
        try:
            while left > 0:
                self.wfile.write(zeros[:left])
                left -= len(zeros)
        except OSError:
            pass

    def drip_download(self, fault, job):
        """Announce the whole archive, then send it one byte every delay seconds (2 unless the fault says)."""
        archive = job.build(self.state.tmpdir)
        if not isinstance(archive, bytes):
            with open(archive, "rb") as handle:
                archive = handle.read()
        self.entry["status"] = 200
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(archive)))
        self.end_headers()
        try:
            for index in range(len(archive)):
                self.wfile.write(archive[index:index + 1])
                self.wfile.flush()
                time.sleep(float(fault.get("delay") or 2))
        except OSError:
            pass

    def other_workflow_download(self, fault, job):  # pylint: disable=unused-argument
        """Answer the archive of another workflow: every workflowId/toolId in it names another id."""
        others = sorted(wid for wid in self.state.catalog.get(job.env, {}) if wid != job.workflow_id)
        members = copy.deepcopy(job.members)
        for value in members.values():
            rewrite_identity(value, others[0] if others else job.workflow_id + "-other")
        buf = io.BytesIO()
        write_archive(buf, members)
        self.send(200, buf.getvalue(), "application/zip")

    def wants_gzip(self):
        """Return True when the download is to be sent with Content-Encoding: gzip."""
        encoding = self.state.config["download_encoding"]
        if encoding == "gzip_if_accepted":
            accepted = [item.split(";")[0].strip().lower() for item in (self.headers.get("Accept-Encoding") or "").split(",")
                        if "q=0" not in item.replace(" ", "").split(";")[1:]]
            return "gzip" in accepted or "*" in accepted
        return encoding == "gzip"

    def send_archive(self, job, truncated=False):
        """Stream the job's zip (gzip-encoded when configured); with truncated, send half of the announced bytes and close."""
        encoded = self.wants_gzip()
        archive = job.build_gzip(self.state.tmpdir) if encoded else job.build(self.state.tmpdir)
        size = len(archive) if isinstance(archive, bytes) else os.path.getsize(archive)
        self.entry["status"] = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(size))
        if encoded:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Disposition", content_disposition(job.filename + ".zip"))
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

    # ---------------------------------------------------------------- upload API
    def upload_fault(self, env, file_name):
        """Answer an upload fault keyed by the file name (or "*"); return True if one was sent."""
        fault = self.state.take_fault(env, file_name or "", "upload")
        return bool(fault) and self.send_fault(fault)

    def too_large(self, size):
        """Answer 413 and return True when size exceeds the upload limit."""
        limit = int(self.state.config["upload_limit"])
        if size <= limit:
            return False
        self.send_error_json(413, "File too large: %d bytes, the limit is %d bytes; upload it in chunks with the upload session "
                                  "API (POST /api/public/files/session/start)" % (size, limit))
        return True

    def upload(self):
        """POST /api/public/files (multipart file + fileContext)."""
        self.entry["kind"] = "upload"
        env = self.authenticate()
        if env is None:
            return
        fields = self.multipart()
        if fields is None:
            return
        if "file" not in fields:
            self.send_error_json(400, "Missing form field 'file'")
            return
        file_name, data = fields["file"]
        if self.upload_fault(env, file_name) or self.too_large(len(data)):
            return
        context = fields.get("fileContext", (None, b""))[1].decode("utf-8", "replace")
        record = self.state.add_upload(env, data, file_name, context, "single")
        self.send_json(200, self.file_answer(record))

    def file_answer(self, record):
        """Return the answer naming an uploaded file."""
        return {"fileId": record["fileId"], "url": "%s/api/public/files/%s" % (self.base_url(), record["fileId"])}

    def upload_session_start(self):
        """POST /api/public/files/session/start (JSON fileContext, totalChunks, fileExtension, fileName, fileSize)."""
        self.entry["kind"] = "upload"
        env = self.authenticate()
        doc = None if env is None else self.json_body()
        if doc is None:
            return
        missing = [key for key in ("fileContext", "totalChunks", "fileExtension", "fileName", "fileSize") if key not in doc]
        if missing:
            self.send_error_json(400, "Missing field(s): %s" % ", ".join(missing))
            return
        if not isinstance(doc["totalChunks"], int) or doc["totalChunks"] < 1:
            self.send_error_json(400, "totalChunks must be a positive integer")
            return
        if self.upload_fault(env, doc["fileName"]):
            return
        session = dict(doc, env=env, sessionId="us-" + uuid.uuid4().hex, chunks={})
        with self.state.lock:
            self.state.sessions[session["sessionId"]] = session
        self.send_json(200, {"sessionId": session["sessionId"]})

    def find_session(self, session_id):
        """Authenticate and return the upload session of this env, or answer 401/404 and return None."""
        env = self.authenticate()
        if env is None:
            return None
        session = self.state.sessions.get(session_id)
        if session is None or session["env"] != env:
            self.send_error_json(404, "Upload session %s not found" % session_id)
            return None
        return session

    def upload_chunk(self, session_id):
        """POST /api/public/files/session/{sessionId} (multipart file + chunkNumber)."""
        self.entry["kind"] = "upload_chunk"
        session = self.find_session(session_id)
        fields = None if session is None else self.multipart()
        if fields is None:
            return
        if "file" not in fields or "chunkNumber" not in fields:
            self.send_error_json(400, "Missing form field(s): %s" % ", ".join(k for k in ("file", "chunkNumber") if k not in fields))
            return
        try:
            number = int(fields["chunkNumber"][1].decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            self.send_error_json(400, "chunkNumber must be an integer")
            return
        data = fields["file"][1]
        if self.upload_fault(session["env"], session["fileName"]) or self.too_large(len(data)):
            return
        with self.state.lock:
            session["chunks"][number] = data
        self.send_json(200, {"sessionId": session_id, "chunkNumber": number, "status": "RECEIVED"})

    def upload_complete(self, session_id):
        """POST /api/public/files/session/{sessionId}/complete: assemble the chunks (numbered from 0 or from 1)."""
        self.entry["kind"] = "upload_complete"
        session = self.find_session(session_id)
        if session is None or self.upload_fault(session["env"], session["fileName"]):
            return
        total, chunks = session["totalChunks"], session["chunks"]
        first = 0 if 0 in chunks else 1
        missing = [number for number in range(first, first + total) if number not in chunks]
        if missing:
            self.send_error_json(400, "Upload incomplete: missing chunk(s) %s of %d" % (", ".join(map(str, missing)), total))
            return
        data = b"".join(chunks[number] for number in range(first, first + total))
        record = self.state.add_upload(session["env"], data, session["fileName"], session["fileContext"], "session")
        with self.state.lock:
            self.state.sessions.pop(session_id, None)
        self.send_json(200, self.file_answer(record))

    # ---------------------------------------------------------------- import and deploy API
    def import_new(self, entity):
        """POST /api/public/workflows|tools/import: a new workflow (its id is created when the job succeeds)."""
        self.entry["kind"] = "import"
        env = self.authenticate()
        doc = None if env is None else self.json_body()
        if doc is None:
            return
        name_field = entity + "Name"
        name = doc.get(name_field)
        if self.import_request_fault(env, name if isinstance(name, str) else ""):
            return
        if name is not None and not isinstance(name, str):
            self.send_error_json(400, "%s must be a string" % name_field)
            return
        required = ("%sDataFileId" % entity, "flowDataFileId", name_field)
        files = self.import_files(env, doc, entity, required)
        if files is None:
            return
        workflow_id = "a-" + uuid.uuid4().hex[:24]
        self.entry["workflow_id"] = workflow_id
        self.start_import(env, workflow_id, entity, files, name, fault_key=name)

    def import_existing(self, workflow_id, entity):
        """POST /api/public/workflows|tools/{id}/import with all three file ids."""
        self.entry["kind"] = "import"
        self.entry["workflow_id"] = workflow_id
        env = self.authenticate()
        if env is None or self.find_workflow(env, workflow_id, entity) is None:
            return
        doc = self.json_body()
        if doc is None or self.import_request_fault(env, workflow_id):
            return
        files = self.import_files(env, doc, entity, ("%sDataFileId" % entity, "flowDataFileId", "envVariablesFileId"))
        if files is not None:
            self.start_import(env, workflow_id, entity, files, None, fault_key=workflow_id)

    def import_request_fault(self, env, key):
        """Answer an import_400/import_429 fault; return True if one was sent."""
        fault = self.state.take_fault(env, key, "import")
        return bool(fault) and self.send_fault(fault)

    def import_files(self, env, doc, entity, required):
        """Return {member: file_id} from an import body, or answer 400 (missing field, unknown file) and return None."""
        missing = [field for field in required if not doc.get(field)]
        if missing:
            self.send_error_json(400, "Missing required field(s): %s" % ", ".join(missing))
            return None
        fields = {"%sDataFileId" % entity: APP, "flowDataFileId": FLOW, "envVariablesFileId": ENV_VARS}
        files = {member: doc[field] for field, member in fields.items() if doc.get(field)}
        for field, member in fields.items():
            record = self.state.uploads.get(files.get(member)) if member in files else None
            if member in files and (record is None or record["env"] != self.entry["env"]):
                self.send_error_json(400, "%s: file %s not found (upload it first)" % (field, files[member]))
                return None
        return files

    def start_import(self, env, workflow_id, entity, files, name, fault_key):  # pylint: disable=too-many-arguments
        """Create the import job; its content is parsed now and stored when the job succeeds."""
        state = self.state
        if state.take_fault(env, fault_key or "", "import_echo"):  # a validation error quoting the uploaded files
            quoted = "; ".join(json.dumps(json.loads(state.uploads[files[member]]["data"]), separators=(",", ":"))
                               for member in (ENV_VARS, FLOW) if member in files)
            self.send_error_json(400, "Validation failed for the uploaded content: %s" % quoted)
            return
        documents, reason = state.import_content(env, files)
        fault = state.take_fault(env, fault_key or "", "import_job")
        if fault:
            self.entry["fault"] = fault["fault"]
            reason = reason or "import of %s failed: the flow definition did not pass validation" % workflow_id
        job = state.create_task_job(env, workflow_id, "IMPORT", {
            "entity": entity, "fault": fault and fault["fault"], "reason": reason,
            "on_success": lambda: state.apply_import(env, workflow_id, documents, name)})
        self.entry["job_created"] = True
        slow = state.take_fault(env, fault_key or "", "import_answer")
        if slow:
            self.entry["fault"] = slow["fault"]
            time.sleep(float(slow.get("delay") or 30))
        self.send_json(200, {"dockStatusId": job.dock_id, id_key(entity): workflow_id, "jobType": job_type(entity),
                             "action": "IMPORT", "status": "IN_PROGRESS"})

    def deploy(self, workflow_id, entity, action):
        """POST /api/public/workflows|tools/{id}/deploy ({"isAsync": bool} required) or .../undeploy."""
        self.entry["kind"] = action.lower()
        self.entry["workflow_id"] = workflow_id
        env = self.authenticate()
        if env is None or self.find_workflow(env, workflow_id, entity) is None:
            return
        doc = self.json_body()
        if doc is None:
            return
        if action == "DEPLOY" and not isinstance(doc.get("isAsync"), bool):
            self.send_error_json(400, "isAsync is required (true or false)")
            return
        state = self.state
        fault = state.take_fault(env, workflow_id, "deploy_job")
        if fault:
            self.entry["fault"] = fault["fault"]
        job = state.create_task_job(env, workflow_id, action, {
            "entity": entity, "fault": fault and fault["fault"],
            "reason": fault and "%s of %s failed: the workflow has validation errors" % (action.lower(), workflow_id),
            "on_success": lambda: state.set_deployed(env, workflow_id, action == "DEPLOY")})
        self.entry["job_created"] = True
        self.send_json(200, {"dock-statusId": job.dock_id, id_key(entity): workflow_id, "jobType": job_type(entity),
                             "action": action, "status": "IN_PROGRESS"})

    # ---------------------------------------------------------------- admin
    def admin(self, method, segments):
        """Serve the admin API (no auth, not logged)."""
        self.entry = {}
        try:
            if segments[:1] == ["archives"] and method == "PUT":
                doc = self.admin_archive(method, segments[1:])
            else:
                body = json.loads(self.body.decode("utf-8")) if self.body.strip() else {}
                doc = self.admin_route(method, segments, body)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
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
            ("GET", "log"): lambda: {"requests": list(state.log)},
            ("GET", "stats"): state.stats,
            ("GET", "info"): lambda: dict(state.urls["ready"], config=state.config),
            ("POST", "reset"): lambda: state.reset() or {"ok": True},
            ("POST", "config"): lambda: state.set_config(body) or {"ok": True, "config": state.config},
            ("POST", "faults"): lambda: self.admin_add_fault(body),
            ("DELETE", "faults"): lambda: state.faults.clear() or {"ok": True},
            ("GET", "faults"): lambda: {"faults": list(state.faults)},
            ("GET", "uploads"): state.uploads_view,
            ("POST", "shutdown"): self.admin_shutdown,
        }
        if len(segments) == 1 and (method, segments[0]) in simple:
            return simple[(method, segments[0])]()
        if method == "GET" and len(segments) == 2 and segments[0] == "catalog":
            with state.lock:
                state.settle()
                return {"workflows": [{"workflow_id": wid, "name": wf["name"]}
                                      for wid, wf in sorted(state.catalog.get(segments[1], {}).items())]}
        if len(segments) >= 3 and segments[0] == "workflows":
            return self.admin_workflow(method, segments[1], segments[2], segments[3:], body)
        if segments[:1] == ["archives"]:
            return self.admin_archive(method, segments[1:])
        return None

    def admin_add_fault(self, body):
        """Register a fault from an admin request."""
        check_faults([body["fault"]])
        fault = {"workflow_id": body["workflow_id"], "env": body.get("env"), "fault": body["fault"],
                 "times": None if body.get("times") is None else int(body["times"]), "delay": body.get("delay")}
        with self.state.lock:
            self.state.faults.append(fault)
        return {"ok": True, "fault": fault}

    def admin_workflow(self, method, env, workflow_id, rest, body):  # pylint: disable=too-many-arguments,too-many-return-statements
        """PUT a workflow; read it, its secrets or its expected content; bump its revision; edit it."""
        state = self.state
        if method == "PUT" and not rest:
            if "shape" in body and body["shape"] is not None:
                check_shape(body["shape"], allow_mixed=True)
            with state.lock:
                current = state.catalog.setdefault(env, {}).get(workflow_id) or {
                    "workflow_id": workflow_id, "flow_id": None, "name": workflow_id}
                current.update({key: body[key] for key in ("flow_id", "name", "shape", "padding", "integrations")
                                if key in body})
                state.catalog[env][workflow_id] = current
            return dict(current)
        if state.workflow(env, workflow_id) is None:
            return None
        if method == "GET" and not rest:
            return state.describe(env, workflow_id)
        if method == "GET" and rest == ["secrets"]:
            return {"secret_values": state.describe(env, workflow_id)["secret_values"]}
        if method == "POST" and rest == ["bump"]:
            return {"revision": state.bump(env, workflow_id)}
        if method == "POST" and rest == ["edit"]:
            return state.edit(env, workflow_id, body)
        if method == "GET" and rest == ["expected"]:
            return state.expected(env, workflow_id)
        return None

    def admin_archive(self, method, rest):
        """PUT (raw zip body, or JSON {"base64": ...}) or DELETE the bytes every export of a workflow serves."""
        if len(rest) != 2 or self.state.workflow(rest[0], rest[1]) is None:
            return None
        key = (rest[0], rest[1])
        if method == "DELETE":
            with self.state.lock:
                return {"ok": True, "cleared": self.state.archives.pop(key, None) is not None}
        if method != "PUT":
            return None
        data = self.body
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            data = base64.b64decode(json.loads(data.decode("utf-8"))["base64"], validate=True)
        with self.state.lock:
            self.state.archives[key] = data
        return {"ok": True, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def admin_shutdown(self):
        """Stop all listeners shortly after answering."""
        threading.Thread(target=self.server.controller.stop, daemon=True).start()
        return {"ok": True}


def id_key(entity):
    """Return the id field of answers about an entity: workflowId or toolId."""
    return "toolId" if entity == "tool" else "workflowId"


def job_type(entity):
    """Return the jobType of an entity: WORKFLOWS or TOOLS."""
    return "TOOLS" if entity == "tool" else "WORKFLOWS"


def content_disposition(filename):
    """Return a Content-Disposition value that is safe in a header (RFC 6266 filename* for non-ASCII names)."""
    fallback = "".join(char if 32 <= ord(char) < 127 and char not in '"\\' else "_" for char in filename)
    if fallback == filename:
        return 'attachment; filename="%s"' % filename
    return "attachment; filename=\"%s\"; filename*=UTF-8''%s" % (fallback, quote(filename, safe=""))


def export_answer(job):
    """Return the POST export answer in the job's shape (toolId and TOOLS for a tools route)."""
    url = job.download_url()
    base = {"workflowId": job.workflow_id, "jobType": "WORKFLOWS", "action": "EXPORT", "status": "IN_PROGRESS",
            "exportJobId": job.export_job_id}
    if job.entity == "tool":
        base = {"toolId": job.workflow_id, "jobType": "TOOLS", "action": "EXPORT", "status": "IN_PROGRESS",
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
    if shape == "tool" and "workflowId" in base:
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
    doc = {"_id": job.dock_id, "workflowId": job.workflow_id, "jobType": job_type(job.entity), "action": job.action, "status": status}
    if job.entity == "tool" or (job.action == "EXPORT" and job.shape == "tool"):
        doc = {"_id": job.dock_id, "toolId": doc.pop("workflowId"), **doc}
    if job.action == "EXPORT" and job.shape in ("status_url", "extra"):
        doc["percentageComplete"] = job.percentage()
        if status == "SUCCESS" or job.shape == "status_url":
            doc["response"] = {"downloadUrl": job.download_url()}
    if status in ("FAILED", "CANCELLED", "ERROR"):
        reason = job.failure_reason() if status == "FAILED" else "job ended %s on the server" % status
        doc.update({"error": {"message": "%s failed: %s" % (job.action.capitalize(), reason)}, "message": reason})
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
    add("--fleet", type=int, default=0, help="also serve N tenant environments tenant-001... (keys kg-fleet-tenant-001...)")
    add("--workflows", type=int, default=60, help="generated workflows per environment")
    add("--catalog", help="JSON file {env: [{workflow_id, flow_id, name}, ...]} seeding the catalog")
    add("--job-duration", type=float, default=0.5, help="seconds an export stays IN_PROGRESS")
    add("--shape", default="mixed", help="response shape: %s or mixed" % ", ".join(SHAPES))
    add("--route", default="both", choices=ROUTES, help="which export path spelling is routed")
    add("--seed", type=int, default=0, help="seed of the mixed shapes and random faults")
    add("--fault-rate", type=float, default=0.0, help="probability of a random fault per request")
    add("--fault-kinds", default="", help="comma separated fault names used by --fault-rate")
    add("--download-padding", type=int, default=0, help="bytes of an extra stored member in every export")
    add("--upload-limit", type=int, default=25 << 20, help="largest single upload in bytes (larger: 413, use the session API)")
    add("--member-style", default="snake", choices=CHOICES["member_style"], help="spelling of the export member names")
    add("--path-prefix", default="", help="serve the API only under this path prefix (e.g. /kore)")
    add("--entity", default="workflows", choices=CHOICES["entity"], help="which routes answer: /workflows, /tools or both")
    add("--download-encoding", default="identity", choices=CHOICES["download_encoding"], help="Content-Encoding of downloads")
    add("--download-scheme-http", action="store_true", help="download URLs handed out on HTTPS point at the plain HTTP origin")
    add("--volatile-key", default="", help="key of app_definition.json whose value changes on every export ('' = none)")
    add("--non-ascii", action="store_true", help="generated names and prompts carry non-ASCII text")
    add("--large-json-bytes", type=int, default=0, help="add a JSON member larger than this many bytes (0 = none)")
    add("--env-metadata", action="store_true", help="the environment variables member carries metadata beside its variables")
    add("--idle-exit", type=float, default=0, help="exit after this many seconds without requests (0 = never)")
    add("--parent-pid", type=int, default=0, help="exit when this process is gone")
    add("--log", help="append each request record to this JSON lines file")
    add("--daemon", action="store_true", help="detach, wait until ready, print READY and return")
    add("--remove-on-exit", help="directory (the caller's work directory) removed when the emulator exits")
    args = parser.parse_args(argv)
    try:
        check_shape(args.shape, allow_mixed=True)
        args.fault_kinds = parse_list(args.fault_kinds)
        check_faults(args.fault_kinds)
        args.keys = with_fleet(args.keys, args.fleet)
        parse_keys(args.keys)
        args.path_prefix = check_prefix(args.path_prefix)
        check_new_config({"upload_limit": args.upload_limit, "large_json_bytes": args.large_json_bytes})
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
    try:
        emulator.serve()
    finally:
        if args.remove_on_exit:
            shutil.rmtree(args.remove_on_exit, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
