# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: importing a workflow, idempotently.

The operation exports the target workflow (nothing written to disk), compares it
with the source member by member, and only when they differ uploads the members,
starts the import, waits for it, deploys it when asked, and exports the target
once more to verify.
Members map to the import body as: flow definition -> ``flowDataFileId``, app
definition -> ``workflowDataFileId``, environment variables -> ``envVariablesFileId``.
"""

import posixpath
from dataclasses import dataclass

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import DEFAULT_OPTIONS, check_owners, owner_named
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.backups import backup_owner, start_backup
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.deploy import deploy_steps
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import pretty_json
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.downloads import download_to_temp
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError, DownloadError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import start_export
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import remove_quietly, temp_archive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import raise_for_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import Job, started_job
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.members import (
    DEFAULT_MEMBER_NAMES, ROLE_NAMES, ROLES, Member, assert_no_placeholder, changed_roles, definition_digest, differing_keys,
    load_source, members_of_archive, without_keys,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.fill import (
    FillSettings, SecretPlan, SecretsRefused, carried_warning, fill_document, raise_refusals, wanted_env_document,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner import Call, Calls, Wait
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import masked_for_diff
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.upload import IMPORT_SCOPE, upload_file

BODY_FIELDS = {"flow": "flowDataFileId", "app": "workflowDataFileId", "env": "envVariablesFileId"}  # app: the kind's
WARNED_KEYS_SHOWN = 5


@dataclass
class ImportRequest:
    """One workflow to import: where from, into which workflow (or as a new one named name)."""

    src: str
    workflow_id: str = None
    name: str = None
    flow_id: str = None
    env_variables: object = None
    option_prefix: str = ""  # what its options' names start with in messages: "" or "workflows[<index>]."
    secret_values: object = None
    baseline: set = None  # the digests of _baseline the last promotion returned; None for a first promotion


@dataclass
class ImportOptions:
    """The import options that are not the runner's, as workflow_import's argument spec gives them."""

    ignore_keys: tuple
    force: bool
    file_context: str
    chunk_size: int
    deploy: bool
    backup: object  # _backups.BackupSettings
    carry_source_secrets: bool
    classifier: object
    known_secrets: set
    target_edits: str = "keep"
    archive_limits: object = DEFAULT_OPTIONS  # _archive.ExtractOptions: the source's and the compare export's budgets
    journal: object = None  # a _creation_journal.CreationJournal: each creation recorded before it is sent and once named


def fetch_members(client, job, keep_as=None, limits=DEFAULT_OPTIONS):
    """Download a finished export into a private temp file and return its {role: Member}, read within limits;
    nothing is kept (but the archive at keep_as, a private file of the caller's, when given)."""
    if not job.download_url:
        raise DownloadError("%s succeeded but gave no download URL" % job.action)

    def members_checked(path, _content_type):
        members = members_of_archive(path, "the %s" % job.action, limits)
        check_owners({member.name: owner_named(member.document) for role, member in members.items() if role != "env"},
                     job.workflow_id, client.kind)  # from the documents just read, not a second pass over the zip
        return members

    path, members = download_to_temp(client, job.download_url, "download of the %s" % job.action,
                                     lambda: _compare_file(keep_as), members_checked)
    if not keep_as:
        remove_quietly(path)
    return members


def _compare_file(keep_as=None):
    """(path, open binary handle) of the file the compare export is written to: keep_as (created private by the
    caller), else a new 0600 temp file."""
    if keep_as:
        return keep_as, open(keep_as, "wb")
    return temp_archive("koreai-compare-")


def start_import(client, workflow_id, name, file_ids):
    """POST the import (into workflow_id, or as a new workflow called name); return its Job."""
    kind = client.kind
    action = "import into %s" % kind.describe(workflow_id) if workflow_id else "import of new %s %r" % (kind.name, name)
    fields = dict(BODY_FIELDS, app=kind.data_field)
    body = {fields[role]: file_id for role, file_id in file_ids.items()}
    if workflow_id:
        url = client.api_url("api", "public", kind.routes[0], workflow_id, "import")
    else:
        url = client.api_url("api", "public", kind.routes[0], "import")
        body[kind.name_field] = name
    response = client.post(url, json=body)
    raise_for_status(response, client, action, scope=IMPORT_SCOPE,
                     not_found="%s not found on %s" % (kind.describe(workflow_id), client.origin))
    return started_job(client, response, Job(action, workflow_id, scope=IMPORT_SCOPE))


def source_owner(src, members):
    """The workflow whose content (and secrets) src holds: the one id its flow and app definitions name, else the
    one a backup's file name names; None when nothing says."""
    named = {owner_named(members[role].document) for role in ("flow", "app") if role in members} - {None}
    if len(named) == 1:
        return named.pop()
    return None if named else backup_owner(src)


def refuse_foreign_secrets(request, source, kind):
    """carry_source_secrets imports the source's own secrets: only into the workflow they belong to (a restore)."""
    owner = source_owner(request.src, source)
    if request.workflow_id and owner == request.workflow_id:
        return
    held = "belongs to %s" % kind.describe(owner) if owner else "does not say which workflow it belongs to"
    target = kind.describe(request.workflow_id) if request.workflow_id else "a new %s" % kind.name
    raise SecretsRefused("%ssrc %s %s, so its secrets are not %s's: carry_source_secrets=true only restores a "
                         "workflow's own backup into that workflow; give this environment's values in %senv_variables "
                         "and %ssecret_values instead" % (request.option_prefix, request.src, held, target,
                                                          request.option_prefix, request.option_prefix))


def member_bytes(member):
    return pretty_json(member.document)


def members_diff(label, wanted, current, roles, ignore_keys, classifier):
    """An Ansible diff of the changed members, secrets masked, ignore_keys left out."""
    before_lines, after_lines = [], []
    for role in roles:
        name = (wanted.get(role) or current.get(role)).name
        before = without_keys(current[role].document, ignore_keys) if role in current else None
        after = without_keys(wanted[role].document, ignore_keys) if role in wanted else None
        before, after = masked_for_diff(name, before, after, classifier)
        before_lines.append("# %s\n%s" % (name, _pretty(before)))
        after_lines.append("# %s\n%s" % (name, _pretty(after)))
    return {"before_header": "%s (target now)" % label, "after_header": "%s (after the import)" % label,
            "before": "".join(before_lines), "after": "".join(after_lines)}


def _pretty(document):
    return "(absent)\n" if document is None else pretty_json(document).decode("utf-8")


class ImportOperation:
    """The runner's operation for workflow_import: compare, then upload, import, wait and verify when they differ."""

    def __init__(self, client, settings, options):
        self.client = client
        self.settings = settings  # the runner's
        self.options = options  # an ImportOptions

    @staticmethod
    def initial_result(request):
        return dict(workflow_id=request.workflow_id, name=request.name, src=request.src, dock_status_id=None,
                    status=None, file_ids={}, created=False, verified=None, members_changed=[], source_digest=None,
                    missing_values=[], edited_values=[], replaced_values=[], baseline=None,
                    changed=False, failed=False, msg="")

    def steps(self, request, result):
        """The import's steps; with backup_dir, the target's compare export is kept as a backup if it changes."""
        backup = start_backup(self.options.backup, request.workflow_id, request.name, self.settings.check_mode)
        try:
            return (yield from self._steps(request, result, backup))
        finally:
            if backup:
                backup.discard()

    def _steps(self, request, result, backup):
        source = load_source(request.src, request.option_prefix + "src", self.options.archive_limits)
        if self.options.carry_source_secrets:
            refuse_foreign_secrets(request, source, self.client.kind)
        secret_plan = self._secret_plan(request)  # the given values' shapes are checked before any request
        current = {}
        if request.workflow_id:
            current = yield from self._export_target(request.workflow_id, request.flow_id, backup and backup.staging)
        wanted = self._wanted(secret_plan, source, current, result)
        result["source_digest"] = definition_digest(source, self.options.ignore_keys, self.options.classifier)
        roles = [role for role in ROLES if role in wanted or role in current]
        changed = changed_roles(wanted, current, self.options.ignore_keys, roles) if request.workflow_id else list(wanted)
        result["members_changed"] = [(wanted.get(role) or current[role]).name for role in changed]
        if not changed and not self.options.force:
            return dict(msg="the target already holds this content: nothing imported")
        if self.settings.diff:
            result["diff"] = members_diff(request.name or request.workflow_id, wanted, current, changed,
                                          self.options.ignore_keys, self.options.classifier)
        if self.settings.check_mode:
            return dict(changed=True, created=not request.workflow_id, msg="check mode: would import %s%s" % (
                ", ".join(result["members_changed"]) or "(forced)", " and deploy" if self.options.deploy else ""))
        if backup:
            result["backup_file"] = backup.keep()
        yield from self._send(request, result, wanted)
        if self.options.deploy:  # before the verify: a server may export the deployed version, not the imported one
            yield from deploy_steps(self.client, result["workflow_id"], "deployed", result)
        result["verified"] = yield from self._verify(request, result["workflow_id"], wanted, result)
        imported = ", ".join(result["members_changed"]) or "(forced)"
        return dict(msg="imported %s%s" % (imported, " and deployed" if self.options.deploy else ""))

    def _send(self, request, result, wanted):
        """Upload the members, start the import (journalled before it is sent when it creates a workflow, and again
        the moment the server names the new id) and wait for it."""
        roles_to_send = [role for role in ROLES if role in wanted]
        file_ids = yield Calls(Call(upload_file, self.client, posixpath.basename(wanted[role].name), member_bytes(wanted[role]),
                                    self.options.file_context, self.options.chunk_size) for role in roles_to_send)
        result["file_ids"] = dict(zip(roles_to_send, file_ids))
        if self.options.journal and not request.workflow_id:
            self.options.journal.sending(request.name)
        job = yield Call(start_import, self.client, request.workflow_id, request.name, result["file_ids"])
        result.update(dock_status_id=job.dock_status_id, status=job.status, changed=True,
                      created=not request.workflow_id, workflow_id=request.workflow_id or job.server_workflow_id)
        self._journal_created(request, result)
        if not job.succeeded:
            job = yield Wait(job, "import")
        if not result["workflow_id"] and job.server_workflow_id:
            result["workflow_id"] = job.server_workflow_id
            self._journal_created(request, result)
        result["status"] = job.status
        if not result["workflow_id"]:
            raise ApiError("%s succeeded but neither its answer nor its dock status named the new workflow's id" % job.action)

    def _journal_created(self, request, result):
        """Record a new workflow's id in the journal the moment the server names it."""
        if self.options.journal and not request.workflow_id and result["workflow_id"]:
            self.options.journal.created(request.name, result["workflow_id"], result["dock_status_id"])

    def _export_target(self, workflow_id, flow_id, keep_as=None):
        job = yield Call(start_export, self.client, workflow_id, flow_id)
        if not job.succeeded:
            job = yield Wait(job, "export")
        return (yield Call(fetch_members, self.client, job, keep_as, self.options.archive_limits))

    def _secret_plan(self, request):
        """The SecretPlan of one workflow; a SecretsRefused names a given value of the wrong shape."""
        where = "%ssrc %s" % (request.option_prefix, request.src)
        settings = FillSettings(self.options.classifier, self.options.carry_source_secrets, self.options.target_edits,
                                self.options.ignore_keys)
        return SecretPlan(where, settings, request.option_prefix, request.secret_values, request.env_variables,
                          request.baseline, self.options.known_secrets)

    def _wanted(self, secret_plan, source, current, result):
        """The members to import: the source's, each secret value given for this environment or kept from the
        target at the same identity (never the source's, unless carry_source_secrets), each value the target changed
        since the last promotion as target_edits says; every refusal is raised here, before the check-mode return,
        so the plan fails exactly where the apply would."""
        where = secret_plan.where
        wanted = {}
        for role in ("flow", "app"):
            target = current[role].document if role in current else None
            wanted[role] = Member(source[role].name, fill_document(secret_plan, role, source[role].document, target))
        name = source["env"].name if "env" in source else (current["env"].name if "env" in current else DEFAULT_MEMBER_NAMES["env"])
        env = wanted_env_document(secret_plan, source["env"].document if "env" in source else None,
                                  current["env"].document if "env" in current else None)
        if env is not None:
            wanted["env"] = Member(name, env)
        raise_refusals(secret_plan)
        result.update(secret_plan.results())
        assert_no_placeholder(wanted, where)
        warning = carried_warning(secret_plan)
        if warning:
            result.setdefault("warnings", []).append(warning)
        return wanted

    def _verify(self, request, workflow_id, wanted, result):
        """Export the target again; True when it matches what was imported, else a warning naming the keys."""
        current = yield from self._export_target(workflow_id, request.flow_id)
        differing = changed_roles(wanted, current, self.options.ignore_keys, [role for role in ROLES if role in wanted])
        if not differing:
            return True
        keys = []
        for role in differing:
            if role in current:
                keys.extend("%s%s" % (current[role].name, path) for path in differing_keys(
                    without_keys(wanted[role].document, self.options.ignore_keys),
                    without_keys(current[role].document, self.options.ignore_keys)))
            else:
                keys.append("%s (missing after the import)" % ROLE_NAMES[role])
        result.setdefault("warnings", []).append(
            "%s was imported but its export differs from the source at %s%s: if the server rewrites these keys "
            "on import, add their names to ignore_keys so that reruns report unchanged" % (
                self.client.kind.describe(workflow_id), ", ".join(keys[:WARNED_KEYS_SHOWN]), " and %d more" % (len(keys) - WARNED_KEYS_SHOWN)
                if len(keys) > WARNED_KEYS_SHOWN else ""))
        return False
