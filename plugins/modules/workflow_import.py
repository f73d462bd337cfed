#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: workflow_import
short_description: Import AI for Process workflows idempotently, with a plan before it acts
version_added: 0.3.0
description:
  - Imports a workflow exported by M(koreai.ai_for_process.workflow_export) (its archive, or its extracted directory
    as kept in git) into an existing workflow (O(workflow_id)) or as a new one (O(name)), for one workflow or a batch
    (O(workflows)) run concurrently.
  - Before uploading anything it exports the target workflow (nothing is written to disk; an export changes nothing
    on the target) and compares it with the source member by member, as parsed JSON with the keys in O(ignore_keys)
    removed at every depth. When they are equal the task reports C(changed=false) and uploads and imports nothing.
  - When they differ (or with O(force=true)) it uploads the members concurrently through the File Upload API (an
    upload session for files larger than O(chunk_size)), starts the import, follows its dock status, then exports the
    target once more to verify that it now holds the source's content. When it does not, the task still succeeds,
    returns RV(verified=false) and warns which keys the server changed, so they can be added to O(ignore_keys).
  - Members are recognised by their normalised name (case, C(_), C(-) and the extension ignored). The flow definition
    is sent as C(flowDataFileId), the app definition as C(workflowDataFileId), the environment variables as
    C(envVariablesFileId). A source without a flow or app definition is refused before any request.
  - "Secrets come from the target, whatever the source form (redacted tree, complete archive): every value the
    classifier (see O(secret_keys)) or the declarations (O(secrets_file)) call secret or environment-owned is, in this
    order, the value given for this environment (O(env_variables) per variable, O(secret_values) per pointer), else
    the target's current value at the same identity (list items such as nodes and headers matched by C(id), else
    C(key), else C(name), never by position; a string's credential part alone, such as a URL's token), else the
    workflow is refused, listing the pointers in RV(missing_values) in the form O(secret_values) takes. So a new
    workflow needs its secrets given, and a refusal's list, given back with values, lets the same import through.
    The source's own values are used only with O(carry_source_secrets=true)."
  - "Environment variables: the source's variables, each with its value given in O(env_variables) (or as
    C(env/<NAME>) in O(secret_values)) or kept from the target's variable of the same name; variables only the target
    has are kept, and a source without variables (absent, or an empty list) leaves the target's as they are. What
    sits beside the variables list (C(workflowId), C(environment), C(revision)) is not a variable: it is never asked
    for. A placeholder is never uploaded."
  - "A target's own values are never silently overwritten. A value neither the classifier nor the declarations call
    secret, that differs between the target and the source, is the target's own when O(workflows[].baseline) (what
    the last promotion into this target returned as RV(baseline)) says no promotion brought it: the plan and the
    run list it in RV(edited_values), and O(target_edits) keeps it (the default), refuses the workflow or overwrites
    it. Without a baseline (a first promotion into an existing workflow), the values the import replaces are listed
    in RV(replaced_values) for a reviewer."
  - These checks, like every check decidable before a change, also run in check mode, with the same message.
author:
  - AI for Process collection maintainers (@koreai)
extends_documentation_fragment:
  - koreai.ai_for_process.connection
  - koreai.ai_for_process.runner
  - koreai.ai_for_process.archive_limits
  - koreai.ai_for_process.secrets
  - koreai.ai_for_process.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - Check mode is the plan of a promotion. It exports the target to compare (a read, which changes nothing on the target),
        uploads and imports nothing, and reports C(changed) exactly as a real run would.
  diff_mode:
    support: full
    details:
      - Shows each changed member, under a header naming the workflow, without the keys in O(ignore_keys) and with
        secret values masked as in M(koreai.ai_for_process.workflow_export).
options:
  src:
    description:
      - Archive written by M(koreai.ai_for_process.workflow_export), or a directory holding the members (an
        O(koreai.ai_for_process.workflow_export#module:extract_to) tree).
      - Exactly one of O(src) and O(workflows) is required.
    type: path
  workflow_id:
    description:
      - ID of the existing workflow to import into; its content is replaced (the server keeps the previous version).
      - Without it, O(name) imports the source as a B(new) workflow and RV(workflow_id) returns its ID. There is no
        API to find a workflow by name, so importing by name again creates another workflow; keep the returned ID
        (keep it in a vars file per environment, as the promotion guide shows).
    type: str
    aliases: [tool_id]
  name:
    description: Name of the new workflow, when O(workflow_id) is not given.
    type: str
  flow_id:
    description: Callflow ID of the target, sent as C(flowId) when the target is exported to compare.
    type: str
    aliases: [callflow_id]
  env_variables:
    description:
      - Values of this environment's variables, which win over the target's. Either the member's document (a dict
        with a C(variables) list of C(key) and C(value) items), its JSON text, for example
        C({{ lookup('ansible.builtin.file', 'staging/env.json') }}) (which also decrypts a vaulted file), or a plain
        mapping of variable name to value, such as C(API_TOKEN) to its token.
      - A variable the source has and neither this option nor the target gives a value to refuses the workflow.
        A list, a number or a document without C(variables) is refused.
    type: raw
  secret_values:
    description:
      - Values of this environment's secrets, which win over the target's, as a mapping of pointer to value. A pointer
        is C(<member>/<path>), with the member (C(flow) or C(app)), then the keys down to the value, each list item named
        by its C(id), C(key) or C(name) (C(#<index>) for an item with none; a value in an argument list by the flag
        before it; C(~1) for a C(/) inside one), for example C(flow/nodes/crm-1/settings/auth/password) or
        C(flow/nodes/webhook/settings/headers/Authorization/value); C(env/<NAME>) for an environment variable (as in
        O(env_variables)); C(env-metadata/<path>) for a secret beside the variables.
      - A refusal lists in RV(missing_values) the pointers to give, in this form. A flow or app pointer that matches no
        secret value of the source is refused; a variable given twice, here and in O(env_variables), with different
        values is refused; so is a value holding C(********) or C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER), a mask copied
        from some output. A O(workflow_id) or O(name) holding C(********) is refused the same way.
    type: raw
    version_added: 0.3.0
  baseline:
    description: As O(workflows[].baseline), for O(src).
    type: str
    version_added: 0.5.0
  target_edits:
    description:
      - What becomes of a plain value the target changed since the last promotion (see O(workflows[].baseline)), listed
        in RV(edited_values).
      - V(keep) imports the target's value there (the rest of the source still goes); V(refuse) refuses the workflow,
        plan and run alike; V(overwrite) imports the source's.
    type: str
    choices: [keep, refuse, overwrite]
    default: keep
    version_added: 0.5.0
  carry_source_secrets:
    description:
      - Import the source's own secret values where this environment gives none (a placeholder is never carried), and
        warn naming them. Off by default, so that a promotion never moves another environment's credentials.
    type: bool
    default: false
    version_added: 0.3.0
  workflows:
    description: Workflows to import in one task, concurrently.
    type: list
    elements: dict
    suboptions:
      src:
        description: As O(src).
        type: path
        required: true
      workflow_id:
        description: As O(workflow_id).
        type: str
        aliases: [tool_id]
      name:
        description: As O(name).
        type: str
      flow_id:
        description: As O(flow_id).
        type: str
        aliases: [callflow_id]
      env_variables:
        description: As O(env_variables).
        type: raw
      secret_values:
        description: As O(secret_values).
        type: raw
        version_added: 0.3.0
      baseline:
        description:
          - RV(baseline) of the last import of this workflow into this target (its result, kept by the controller,
            for example in the promotion's state). It holds 32-bit digests of the source's plain values, no secret.
          - With it, a plain value the target changed since (that no promotion brought) is listed in
            RV(edited_values) and handled as O(target_edits) says. Without it (a first promotion), the values the import
            replaces are listed in RV(replaced_values).
        type: str
        version_added: 0.5.0
  ignore_keys:
    description:
      - JSON keys left out of the comparison at every depth, because a server rewrites them on import.
    type: list
    elements: str
    default: [workflowId, toolId, _id, createdAt, updatedAt, createdBy, updatedBy]
  force:
    description: Import even when the target already holds the source's content.
    type: bool
    default: false
  deploy:
    description:
      - Deploy the workflow right after an import that changed it, in the same task (an imported workflow stays
        "In Development" until deployed), before the export that verifies it. Nothing is deployed when the import
        was unchanged, so a rerun stays free.
      - No API tells whether a workflow is deployed. A server that exports the deployed version shows a workflow
        whose deploy failed as still different, so the next run imports and deploys it again; on a server that
        exports the imported version, deploy it with M(koreai.ai_for_process.workflow_deploy) after a failed deploy.
    type: bool
    default: false
  file_context:
    description: The C(fileContext) sent with each upload.
    type: str
    default: bulkImport
  chunk_size:
    description:
      - Files larger than this many bytes are uploaded in an upload session, in chunks of this size. What the server
        refuses as too large (HTTP 413) is sent again through a session in chunks half as large, down to 256 bytes.
    type: int
    default: 26214400
  backup_dir:
    description:
      - Directory where the target's previous export is kept, before an import changes an existing workflow, as
        V(<workflow_id>.<UTC timestamp>[.<name>].zip) (id and name percent-encoded), created V(0600) from its first
        byte (the directory V(0700)). Nothing is written when the import is unchanged, for a new workflow, or in check
        mode. Unset, no backup is kept.
      - The archive is the one downloaded to compare, so a backup costs no extra request. It holds the target's
        secrets (its environment variables), so never commit this directory; the module writes a C(.gitignore) into
        it that ignores everything (unless one is there already); keep it as a private CI artifact.
      - >-
        To restore, import the backup into the same workflow with its own secrets (they are the target's), the
        connection in E(KOREAI_HOST) and E(KOREAI_API_KEY):
        C(ansible localhost -m koreai.ai_for_process.workflow_import -a "src=<backup> workflow_id=<id>
        carry_source_secrets=true deploy=true").
    type: path
    version_added: 0.3.0
  backup_keep:
    description: Number of backups kept per workflow in O(backup_dir); the oldest beyond it are removed.
    type: int
    default: 5
    version_added: 0.3.0
  journal:
    description:
      - File (JSON lines, created V(0600)) to which each creation of a new workflow is appended, synced to disk; a line
        before its import is sent, and a line with the new workflow's id and the import's dock status id the moment
        the server names them, before the module waits for the job.
      - No API finds a workflow by its name, so this is how a run killed at any point leaves what the next run needs
        to never create the workflow twice. The M(koreai.ai_for_process.promotion) action keeps it beside the
        environment's ids file and folds it into the ids and the promotion state; nothing else reads it.
    type: path
    version_added: 0.5.0
notes:
  - The API key needs the C(Export workflow) scope (to compare and verify) and the C(Import workflow) scope.
  - An imported workflow starts "In Development" on the server until it is deployed (O(deploy=true), or
    M(koreai.ai_for_process.workflow_deploy)). With O(deploy=true) the key also needs the C(Deploy) scope.
seealso:
  - module: koreai.ai_for_process.workflow_export
  - module: koreai.ai_for_process.workflow_deploy
"""

EXAMPLES = r"""
- name: Promote a reviewed workflow into staging, keeping staging's own variables
  koreai.ai_for_process.workflow_import:
    host: https://staging.process.example.com
    api_key: "{{ vault_staging_api_key }}"
    src: exports/dev/extracted/invoice-approval
    workflow_id: a-19c0ffee
    env_variables: "{{ lookup('ansible.builtin.file', 'env/staging/invoice-approval.json') }}"
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"

- name: Promote again, keeping what staging changed by hand since the promotion before (its baseline)
  koreai.ai_for_process.workflow_import:
    src: exports/dev/extracted/invoice-approval
    workflow_id: a-19c0ffee
    baseline: "{{ promoted_before.baseline }}"
    target_edits: keep  # the default; refuse stops the workflow, overwrite imports the source's values
  vars:
    promoted_before: {baseline: "v1:"}  # the result of the import before, as the promotion keeps it

- name: Create a workflow with the values a refusal listed in missing_values, given back in its form
  koreai.ai_for_process.workflow_import:
    src: exports/dev/extracted/invoice-approval
    name: invoice-approval-eu
    secret_values:
      env/API_TOKEN: "{{ vault_staging_invoice_token }}"
      env/BASE_URL: https://invoices.staging.example.com

- name: Import into an existing workflow, keeping the version it replaces in a private backup
  koreai.ai_for_process.workflow_import:
    src: exports/dev/invoice-approval.zip
    workflow_id: a-19c0ffee
    backup_dir: backups/staging  # holds staging's secrets: never commit it
  register: promoted

- name: Import a new workflow and keep its id (a new workflow needs its secrets given)
  koreai.ai_for_process.workflow_import:
    src: exports/dev/onboarding.zip
    name: onboarding
    env_variables:
      BASE_URL: https://onboarding.staging.example.com
      API_TOKEN: "{{ vault_staging_onboarding_token }}"
  register: imported

- name: Show the new workflow's id
  ansible.builtin.debug:
    msg: "{{ imported.workflow_id }}"

# The plan of a promotion: ansible-playbook promote.yml --check --diff
"""

RETURN = r"""
workflow_id:
  description: ID of the target workflow (the new one's when it was created).
  returned: with O(src)
  type: str
  sample: a-19c0ffee
dock_status_id:
  description: Dock status ID of the import job.
  returned: with O(src), when an import was started
  type: str
status:
  description: Last known status of the import job.
  returned: with O(src), when an import was started
  type: str
file_ids:
  description: File IDs of the uploaded members, by role (C(flow), C(app), C(env)).
  returned: with O(src), when files were uploaded
  type: dict
created:
  description: Whether a new workflow was created.
  returned: with O(src)
  type: bool
verified:
  description: Whether the target's export matched the source after the import; null when nothing was imported.
  returned: with O(src)
  type: bool
deploy_dock_status_id:
  description: Dock status ID of the deploy job, with O(deploy=true) after an import.
  returned: when a deploy was started
  type: str
source_digest:
  description: SHA-256 over the source's flow and app definitions as compared (without O(ignore_keys)); the
    environment variables are left out.
  returned: with O(src), when the source could be read
  type: str
backup_file:
  description: Path of the backup of the target taken before this import, with O(backup_dir).
  returned: with O(src), when an existing workflow was changed and O(backup_dir) is set
  type: str
  version_added: 0.3.0
  sample: backups/staging/a-19c0ffee.20261201T231105.123456Z.invoice-approval.zip
members_changed:
  description: Names of the members that differ between the source and the target.
  returned: with O(src)
  type: list
  elements: str
missing_values:
  description:
    - Pointers of the secrets that have no value for this environment (neither given nor on the target), in the form
      O(secret_values) takes (C(env/<NAME>) for a variable); the workflow is refused when there is any. Given back in
      O(secret_values) with values, the same import goes through. Empty when nothing is missing.
  returned: with O(src)
  type: list
  elements: str
  sample: [env/API_TOKEN, flow/nodes/crm-1/settings/headers/Authorization/value]
  version_added: 0.5.0
edited_values:
  description:
    - Pointers of the plain values the target changed since the last promotion (O(workflows[].baseline) does not
      hold them), kept, refused or overwritten as O(target_edits) says.
  returned: with O(src)
  type: list
  elements: str
  sample: [flow/nodes/notify-1/settings/channel]
  version_added: 0.5.0
replaced_values:
  description:
    - Without O(workflows[].baseline) (a first promotion into an existing workflow), pointers of the target's plain
      values that differ from the source's, which the import replaces.
  returned: with O(src)
  type: list
  elements: str
  version_added: 0.5.0
baseline:
  description:
    - What this import brought, for the next one (O(workflows[].baseline)), as C(v1:) and the 32-bit digests of the
      source's plain values at their pointers, in base64. It holds no secret (the environment's variables and every
      secret are left out). Keep it after a run that imported or found the target up to date.
  returned: with O(src), when the workflow was not refused
  type: str
  version_added: 0.5.0
outcome:
  description:
    - What happened to the workflow, C(created), C(updated), C(unchanged), C(failed) or C(not started) (the batch
      stopped before it). In check mode, what the import would do.
  returned: with O(src)
  type: str
  sample: updated
  version_added: 0.4.0
deployed:
  description: Whether this task deployed the workflow (O(deploy=true) after an import that changed it).
  returned: with O(src)
  type: bool
  version_added: 0.4.0
results:
  description: One entry per workflow of O(workflows), with the same keys plus C(src), C(name), C(changed),
    C(failed) and C(msg).
  returned: with O(workflows)
  type: list
  elements: dict
summary:
  description:
    - Counts over O(workflows). C(changed) counts the created and the updated workflows, C(failed) the failed and
      those not started.
    - C(created), C(updated), C(not_started) and C(deployed) count the workflows with that RV(outcome) and those
      deployed (added in 0.4.0).
  returned: with O(workflows)
  type: dict
  sample: {total: 20, changed: 2, unchanged: 18, failed: 0, created: 1, updated: 1, not_started: 0, deployed: 2}
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
"""

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import (
    ExtractOptions, archive_limits_argument_spec, archive_limits_from,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.backups import DEFAULT_KEEP, backup_settings
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.baseline import BaselineError, decoded
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import (
    ClassifierError, classifier_argument_spec, classifier_from_params,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.creation_journal import CreationJournal
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import MASK
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.given import remember_given
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.importing import ImportOperation, ImportOptions, ImportRequest
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.members import DEFAULT_IGNORE_KEYS
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.outcomes import IMPORT_OUTCOMES
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner_options import runner_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.fill import TARGET_EDITS
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.upload import DEFAULT_CHUNK_SIZE, DEFAULT_FILE_CONTEXT
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError, check_positive, identifier, text


def argument_spec():
    """The module's own options (the connection options come from KoreaiModule)."""
    item = dict(
        src=dict(type="path", required=True),
        workflow_id=dict(type="str", aliases=["tool_id"]),
        name=dict(type="str"),
        flow_id=dict(type="str", aliases=["callflow_id"]),
        env_variables=dict(type="raw", no_log=True),
        secret_values=dict(type="raw", no_log=True),
        baseline=dict(type="str", no_log=False),
    )
    spec = {key: dict(value, required=False) for key, value in item.items()}
    spec.update(
        workflows=dict(type="list", elements="dict", options=item),
        ignore_keys=dict(type="list", elements="str", default=list(DEFAULT_IGNORE_KEYS), no_log=False),
        force=dict(type="bool", default=False),
        deploy=dict(type="bool", default=False),
        file_context=dict(type="str", default=DEFAULT_FILE_CONTEXT),
        chunk_size=dict(type="int", default=DEFAULT_CHUNK_SIZE),
        carry_source_secrets=dict(type="bool", default=False),
        target_edits=dict(type="str", choices=list(TARGET_EDITS), default=TARGET_EDITS[0]),
    )
    spec.update(backup_dir=dict(type="path"), backup_keep=dict(type="int", default=DEFAULT_KEEP), journal=dict(type="path"))
    spec.update(archive_limits_argument_spec())
    spec.update(classifier_argument_spec())
    spec.update(runner_argument_spec())
    return spec


def import_request(item, prefix):
    """One ImportRequest from the options of one workflow; prefix names where they came from."""
    workflow_id = identifier(item.get("workflow_id"), prefix + "workflow_id")
    name = text(item.get("name"), prefix + "name")
    if not workflow_id and not name:
        raise PlanError("%sworkflow_id or %sname is required: the workflow to import into, or the name of a new one"
                        % (prefix, prefix))
    for option, value in (("workflow_id", workflow_id), ("name", name)):
        if value and MASK in value:
            raise PlanError("%s%s %r holds %s, a mask from some output, not an identity: give the real %s"
                            % (prefix, option, value, MASK, option))
    try:
        baseline = decoded(item.get("baseline"), prefix + "baseline")
    except BaselineError as exc:
        raise PlanError(str(exc))
    return ImportRequest(src=text(item.get("src"), prefix + "src", required=True), workflow_id=workflow_id, name=name,
                         flow_id=text(item.get("flow_id"), prefix + "flow_id"),
                         env_variables=item.get("env_variables"), secret_values=item.get("secret_values"),
                         option_prefix=prefix, baseline=baseline)


def plan_imports(params, known_secrets=None):
    """Validate params; return the ImportRequests and the ImportOptions (given secrets go to known_secrets)."""
    check_positive(params, ("chunk_size",))
    known_secrets = set() if known_secrets is None else known_secrets
    for item in params["workflows"] or [params]:
        remember_given(known_secrets, item.get("secret_values"), item.get("env_variables"))
    try:
        classifier = classifier_from_params(params)
    except ClassifierError as exc:
        raise PlanError(str(exc))
    if params["workflows"] is None:
        requests = [import_request(params, "")]
    else:
        requests = [import_request(item, "workflows[%d]." % index) for index, item in enumerate(params["workflows"])]
    options = ImportOptions(ignore_keys=tuple(params["ignore_keys"]), force=params["force"],
                            file_context=params["file_context"], chunk_size=params["chunk_size"], deploy=params["deploy"],
                            backup=backup_settings(params), carry_source_secrets=params["carry_source_secrets"],
                            classifier=classifier, known_secrets=known_secrets, target_edits=params["target_edits"],
                            archive_limits=ExtractOptions(**archive_limits_from(params)),
                            journal=CreationJournal(params["journal"]) if params.get("journal") else None)
    return requests, options


def main():
    module = KoreaiModule(
        argument_spec(),
        mutually_exclusive=[("src", "workflows"), ("workflow_id", "workflows"), ("name", "workflows"),
                            ("env_variables", "workflows"), ("secret_values", "workflows"), ("baseline", "workflows")],
        required_one_of=[("src", "workflows")],
    )
    try:
        requests, options = plan_imports(module.params, module.known_secrets)
        results, elapsed = module.run_operation(
            lambda client, settings: ImportOperation(client, settings, options), requests)
    except KoreaiError as exc:
        module.fail_from_error(exc)
    module.exit_results(results, module.params["workflows"] is None, elapsed, module.params["fail_on_error"],
                        outcomes=IMPORT_OUTCOMES)


if __name__ == "__main__":
    main()
