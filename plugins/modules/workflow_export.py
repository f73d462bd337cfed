#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: workflow_export
short_description: Export AI for Process workflows to verified .zip files, idempotently
version_added: 0.3.0
description:
  - Starts the Export Workflow API job of one workflow (O(workflow_id)) or of many (O(workflows)), follows each
    job's dock status until it succeeds or fails, downloads the exported archive and keeps it at O(dest).
  - The archive is compared with the file already at O(dest) by its content (a digest over the member names and
    bytes, JSON members compared as parsed documents), because the server rebuilds the zip with new timestamps on
    every export. The task reports C(changed) only when the content on disk changed.
  - Downloads go to a temp file beside O(dest), are checked against C(Content-Length) and as a zip, and replace
    O(dest) by an atomic move. A failure leaves the previous file as it was and no temp file behind.
  - A batch (O(workflows)) starts every job as fast as O(concurrency) allows, polls the jobs in flight together,
    downloads each archive as soon as its job succeeds, and lets one failing workflow not stop the others.
  - Tolerates the response shapes the public API docs show, including both spellings of the export route.
author:
  - AI for Process collection maintainers (@koreai)
extends_documentation_fragment:
  - koreai.ai_for_process.connection
  - koreai.ai_for_process.runner
  - koreai.ai_for_process.archive_limits
  - koreai.ai_for_process.secrets
  - ansible.builtin.files
  - koreai.ai_for_process.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - Check mode exports, waits and downloads as a run does, into a private temp file that is removed, and writes
        nothing else (no O(dest), review tree, backup or manifest). So it reports the C(changed) a run would report,
        from the content, and fails where a run would (a refused key, a missing workflow). An export changes nothing
        on the server.
      - With O(force=false) and an existing O(dest), nothing is sent, as in a run.
  diff_mode:
    support: full
    details:
      - Lists the members added, removed or changed, with a unified diff of changed JSON members up to 64 KiB, under
        a header naming the workflow.
      - Secret values are never shown. The environment-variables member is recognised by its name whatever its
        spelling (C(env_variables.json), C(envVariables.json), C(env-variables.json)), and in every member the values
        the classifier calls secret (see O(secret_keys)) are masked; a masked value that changed (compared with the
        value at the same identity before) still says so.
options:
  workflow_id:
    description:
      - ID of the workflow to export (C(a-...)), as shown in the browser's network tab when exporting in the UI.
      - Exactly one of O(workflow_id) and O(workflows) is required.
    type: str
    aliases: [tool_id]
  flow_id:
    description:
      - Callflow ID of the deployed workflow version, sent as the C(flowId) query parameter.
    type: str
    aliases: [callflow_id]
  name:
    description:
      - File name (without C(.zip)) used when O(dest) is a directory, and directory name under O(extract_to).
        Defaults to O(workflow_id).
    type: str
  workflows:
    description:
      - Workflows to export in one task, concurrently. O(dest) is then a directory, created with mode C(0700) when
        it does not exist; each archive is written to C(<dest>/<name or workflow_id>.zip).
      - Names must be usable as file names (no C(/), C(\\) or C(..)) and distinct.
    type: list
    elements: dict
    suboptions:
      workflow_id:
        description: ID of the workflow.
        type: str
        required: true
        aliases: [tool_id]
      flow_id:
        description: Callflow ID, sent as C(flowId).
        type: str
        aliases: [callflow_id]
      name:
        description: File name without C(.zip); defaults to the workflow ID.
        type: str
      dest:
        description: File path for this workflow's archive, instead of the one under O(dest).
        type: path
      dock_status_id:
        description:
          - Resume this workflow's job started earlier (for example the C(dock_status_id) of a batch result that
            timed out) instead of starting a new export.
        type: str
      download_url:
        description: As O(download_url), for this item; requires O(workflows[].dock_status_id).
        type: str
  dest:
    description:
      - Where to keep the archive. An existing directory, or a path ending in C(/), means
        C(<dest>/<name or workflow_id>.zip). The directory that holds the archive must exist (with O(workflows) it
        is created); otherwise the task fails before any export starts.
      - Without O(dest) the module only starts the export (and waits for it when O(wait=true)) and returns the ids
        and download URL; it then never reports C(changed), as an export changes nothing on the server.
      - Requires O(wait=true).
    type: path
  force:
    description:
      - When V(true), export and replace O(dest) when its content differs.
      - When V(false), an existing O(dest) is left alone without calling the API.
    type: bool
    default: true
  backup:
    description:
      - Keep a timestamped copy of O(dest) before replacing it.
    type: bool
    default: false
  extract_to:
    description:
      - Also unpack each archive into C(<extract_to>/<name or workflow_id>/) for review in git, JSON members
        pretty-printed with sorted keys and a trailing newline, so that C(git diff) shows only real changes.
      - Secret values are redacted by default (O(redact_extracted)); the archive at O(dest) stays complete.
      - The tree holds a state file, C(.koreai-extract.json), listing what the collection wrote. A file no longer in
        the export is deleted only when the state file lists it and it still holds what was written; files you
        added or edited are left alone, reported in RV(extracted) and in a warning.
      - Links are never followed below C(<extract_to>/<name>), which must not itself be a link. Members with absolute
        paths, C(..), links, names starting with C(.) (see O(allow_dot_members)), names that collide once
        normalised, or sizes over the budgets are refused before anything is written.
      - New files are C(0600) and directories C(0700) unless O(mode) is set; with O(mode), files get it and
        directories get the matching read and search bits. O(owner) and O(group) apply to the tree too.
      - Requires O(dest).
    type: path
  redact_extracted:
    description:
      - Replace secret values with a placeholder in the O(extract_to) tree. Every value of the environment-variables
        member (found by its normalised name) is redacted, variable names kept, and in every member each value the
        classifier calls secret, by key name, by value shape or in a header item (see O(secret_keys)).
      - M(koreai.ai_for_process.workflow_import) never uploads a placeholder; it keeps the target's own values.
      - Set to V(false) only when the tree is kept somewhere as safe as the archive.
    type: bool
    default: true
  redaction_key:
    description:
      - With a key, each placeholder carries 64 bits of HMAC-SHA256 over the member, the value's place and the value,
        so a reviewer sees whether a value changed between exports made with the same key, and nothing about it.
      - Anyone holding the key can test guesses against the tree, so keep it as secret as the values (a CI secret,
        never in the repository).
    type: str
  allow_dot_members:
    description:
      - Extract members whose path has a component starting with C(.) (such as C(.git/config) or
        C(.gitattributes)), which are refused by default because git would act on them in the review tree.
    type: bool
    default: false
  wait:
    description:
      - Follow the dock status until the job succeeds or fails. With V(false) the module returns right after
        starting the job; resume it later with O(dock_status_id).
    type: bool
    default: true
  dock_status_id:
    description:
      - Resume a job started earlier with O(wait=false) (or one that timed out) instead of starting a new one. Use
        with O(workflow_id); with O(workflows), give it per item.
      - The archive is downloaded from the URL the dock status gives; where it gives none (as in the API docs'
        sample), and O(download_url) is not set, a new export is started once the resumed job succeeded, since no
        output keeps a download URL's signature.
      - When the dock status names another workflow than O(workflow_id), the task fails instead of saving that
        workflow's export under this one's name.
    type: str
  download_url:
    description:
      - The complete download URL of the job resumed with O(dock_status_id), used when the dock status does not give
        one. No result of this module holds it whole (RV(download_url) has no query string); give it only when you
        kept it from elsewhere.
    type: str
  manifest:
    description:
      - With O(workflows), also keep a JSON manifest at this path, holding per workflow its file, sha256, content digest,
        size, status, dock status and export job ids and the time of the export that produced the file on disk.
      - An entry changes only when its file changes or its workflow fails, so a rerun that exports nothing new
        leaves the manifest untouched. It is written atomically, mode C(0600) unless O(mode) is set.
    type: path
notes:
  - Files are created with mode C(0600) (or O(mode)) from their first byte, because exports hold the workflow's
    environment variables, which may be secrets; backups too. An existing file keeps its mode unless O(mode) is set.
  - The archive holds C(flow_definition.json), C(app_definition.json) and C(env_variables.json); the module does not
    depend on these names.
  - The content digest counts JSON members as parsed documents, so key order, indentation and timestamps of the zip
    do not matter; JSON members over 32 MiB count by their bytes. A value the server changes on every export (an
    export timestamp inside a member) is content too, so each export from such a server reports C(changed).
  - When run on localhost, set C(ansible_python_interpreter) to C({{ ansible_playbook_python }}) so the module runs
    with the Python that has C(requests).
seealso:
  - module: koreai.ai_for_process.dock_status_info
  - module: ansible.builtin.get_url
"""

EXAMPLES = r"""
- name: Export one workflow and keep it under version control
  koreai.ai_for_process.workflow_export:
    host: https://process.kore.ai
    api_key: "{{ vault_koreai_api_key }}"
    workflow_id: a-5e1f0c2d
    flow_id: cf-8b21d3
    dest: /srv/backups/workflows/
    backup: true
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"

- name: Set the connection once for every module of the collection
  module_defaults:
    group/koreai.ai_for_process.ai_for_process:
      host: "{{ koreai_host }}"
      api_key: "{{ koreai_api_key }}"
  block:
    - name: Export a batch of workflows concurrently and unpack them for review
      koreai.ai_for_process.workflow_export:
        workflows:
          - workflow_id: a-5e1f0c2d
            flow_id: cf-8b21d3
            name: invoice-approval
          - workflow_id: a-77aa01be
            flow_id: cf-1c0ffe
            name: onboarding
        dest: "{{ playbook_dir }}/exports"
        extract_to: "{{ playbook_dir }}/exports/extracted"
      register: exports

    - name: Start an export now and collect it later
      koreai.ai_for_process.workflow_export:
        workflow_id: a-5e1f0c2d
        flow_id: cf-8b21d3
        wait: false
      register: started

    - name: Wait for the job started above and download it
      koreai.ai_for_process.workflow_export:
        workflow_id: a-5e1f0c2d
        dock_status_id: "{{ started.dock_status_id }}"
        dest: /srv/backups/workflows/

# Ad-hoc, with the connection taken from the environment. Keep the key out of -a: a failing ad-hoc
# command prints its arguments, and the shell history keeps them.
#   export KOREAI_HOST=https://process.kore.ai
#   read -rs KOREAI_API_KEY && export KOREAI_API_KEY
#   ansible localhost -e ansible_python_interpreter=$(command -v python3) \
#     -m koreai.ai_for_process.workflow_export -a "workflow_id=a-5e1f0c2d flow_id=cf-8b21d3 dest=/tmp/out/"
"""

RETURN = r"""
workflow_id:
  description: ID of the exported workflow.
  returned: with O(workflow_id)
  type: str
  sample: a-5e1f0c2d
flow_id:
  description: Callflow ID sent as C(flowId).
  returned: with O(workflow_id)
  type: str
  sample: cf-8b21d3
dock_status_id:
  description: ID of the job's dock status; use it with O(dock_status_id) to resume, also on a wait timeout.
  returned: with O(workflow_id), when a job was started or resumed
  type: str
  sample: ds-2f6c1a
export_job_id:
  description: ID of the export job.
  returned: with O(workflow_id), when the server gave one
  type: str
  sample: workflow-ej-81c2
status:
  description: Last known job status as the server spelled it, upper-cased (C(IN_PROGRESS), C(SUCCESS), C(FAILED),
    C(CANCELLED), ...), or C(SKIPPED) when O(force=false) kept dest.
  returned: with O(workflow_id)
  type: str
  sample: SUCCESS
download_url:
  description:
    - URL of the exported archive, without its query string, fragment and user info, where a signed URL keeps its
      signature. No output of this module (results, messages, manifest) holds a signature.
    - Resume a job with its RV(dock_status_id).
  returned: with O(workflow_id), when known
  type: str
  sample: https://process.kore.ai/api/v1/account/exports/81c2
dest:
  description: Path of the archive; with O(workflows), the directory the archives were written to.
  returned: with O(dest)
  type: str
  sample: /srv/backups/workflows/a-5e1f0c2d.zip
extract_dir:
  description: Directory the members were extracted to.
  returned: with O(workflow_id) and O(extract_to)
  type: str
extracted:
  description: What the extraction wrote (C(written)), deleted (C(deleted)) and left alone (C(kept)), as paths
    relative to RV(extract_dir).
  returned: with O(extract_to), when the archive was extracted
  type: dict
sha256:
  description: SHA-256 of the archive file at O(dest).
  returned: with O(workflow_id), when dest holds a file
  type: str
content_digest:
  description:
    - Digest of the archive's content (member names and bytes, JSON canonicalised), stable across exports
      of an unchanged workflow.
    - Computed over the redacted content (secret values replaced by placeholders, keyed with O(redaction_key) when
      set), so it cannot be used to test guesses of a secret; without O(redaction_key) a change only in a secret
      value leaves it as it was, though C(changed) and RV(sha256) still show it.
  returned: with O(workflow_id), when dest holds a file
  type: str
size:
  description: Size of the archive in bytes.
  returned: with O(workflow_id), when dest holds a file
  type: int
members:
  description: Names of the files in the archive.
  returned: with O(workflow_id), when dest holds a file
  type: list
  elements: str
  sample: [app_definition.json, env_variables.json, flow_definition.json]
backup_file:
  description: Path of the backup made with O(backup=true).
  returned: when a backup was made
  type: str
elapsed:
  description: Seconds the export took, from start to file in place.
  returned: always
  type: float
results:
  description: One entry per workflow of O(workflows), with the same keys as a single export plus C(name),
    C(changed), C(failed) and C(msg); C(not_started) is true for workflows skipped after an answer every workflow
    would get.
  returned: with O(workflows)
  type: list
  elements: dict
outcome:
  description:
    - What happened to the workflow's archive, C(changed), C(unchanged), C(failed) or C(not started) (the batch
      stopped before it). In check mode, what the export would do.
  returned: with O(workflow_id)
  type: str
  sample: unchanged
  version_added: 0.4.0
manifest:
  description: Path of the manifest.
  returned: with O(manifest)
  type: str
summary:
  description:
    - Counts over O(workflows). C(failed) counts the failed workflows and those not started.
    - C(not_started) counts the workflows whose RV(outcome) is C(not started) (added in 0.4.0).
  returned: with O(workflows)
  type: dict
  sample: {total: 50, changed: 1, unchanged: 48, failed: 1, not_started: 0}
"""

import os

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import (
    ExtractOptions, archive_limits_argument_spec, archive_limits_from,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import ExportOperation
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export_plan import plan_requests, single_dest_warning
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import file_options_from, make_private_dirs
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.manifest import write_manifest
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.outcomes import EXPORT_OUTCOMES
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner_options import RUNNER_DEFAULTS, runner_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import (
    ClassifierError, classifier_argument_spec, classifier_from_params,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError


def argument_spec():
    """The module's own options (the connection options come from KoreaiModule)."""
    spec = dict(
        workflow_id=dict(type="str", aliases=["tool_id"]),
        flow_id=dict(type="str", aliases=["callflow_id"]),
        name=dict(type="str"),
        workflows=dict(type="list", elements="dict", options=dict(
            workflow_id=dict(type="str", required=True, aliases=["tool_id"]),
            flow_id=dict(type="str", aliases=["callflow_id"]),
            name=dict(type="str"),
            dest=dict(type="path"),
            dock_status_id=dict(type="str"),
            download_url=dict(type="str", no_log=True),
        )),
        dest=dict(type="path"),
        force=dict(type="bool", default=True),
        backup=dict(type="bool", default=False),
        extract_to=dict(type="path"),
        redact_extracted=dict(type="bool", default=True),
        redaction_key=dict(type="str", no_log=True),
        allow_dot_members=dict(type="bool", default=False),
        wait=dict(type="bool", default=RUNNER_DEFAULTS["wait"]),
        dock_status_id=dict(type="str"),
        download_url=dict(type="str", no_log=True),
        manifest=dict(type="path"),
    )
    spec.update(archive_limits_argument_spec())
    spec.update(classifier_argument_spec())
    spec.update(runner_argument_spec())
    return spec


def create_batch_dest(module):
    """With workflows, dest is a directory the task creates (0700) when it does not exist yet."""
    dest = module.params["dest"]
    if module.params["workflows"] is None or not dest or module.check_mode or os.path.isdir(dest):
        return
    try:
        make_private_dirs(dest, file_options_from(module.params).dir_mode())
    except OSError as exc:
        raise KoreaiError("cannot create the dest directory %s: %s" % (dest, exc.strerror or exc))


def extract_options_from(params):
    """The budgets and rules for reading archives and writing review trees."""
    limits = archive_limits_from(params)
    try:
        classifier = classifier_from_params(params)  # what extract_to redacts, the diff hides and the digest leaves out
    except ClassifierError as exc:
        raise PlanError(str(exc))
    return ExtractOptions(allow_dot_members=params["allow_dot_members"], redact=params["redact_extracted"],
                          redaction_key=params["redaction_key"], classifier=classifier, **limits)


def manifest_outcome(module, results):
    """Write the manifest of a batch; return the result fields it adds."""
    path = module.params["manifest"]
    if not path:
        return {}
    try:
        changed = write_manifest(module, path, module.params["host"], results)
    except KoreaiError:
        raise
    except OSError as exc:
        raise KoreaiError("cannot write manifest %s: %s" % (path, exc.strerror or exc))
    return dict(manifest=path, changed=changed)


def main():
    module = KoreaiModule(
        argument_spec(),
        add_file_common_args=True,
        mutually_exclusive=[("workflow_id", "workflows"), ("dock_status_id", "workflows"), ("manifest", "workflow_id")],
        required_one_of=[("workflow_id", "workflows")],
        required_by={"download_url": "dock_status_id"},
    )
    params = module.params
    try:
        requests = plan_requests(params)
        warning = single_dest_warning(params)
        if warning:
            module.warn(warning)
        extract_options = extract_options_from(params)
        create_batch_dest(module)
        results, elapsed = module.run_operation(lambda client, settings: ExportOperation(
            module, client, settings, params["force"], params["backup"], extract_options), requests)
        extra = dict(manifest_outcome(module, results), dest=params["dest"]) if params["workflows"] is not None else {}
    except KoreaiError as exc:
        module.fail_from_error(exc)
    module.exit_results(results, params["workflows"] is None, elapsed, params["fail_on_error"], outcomes=EXPORT_OUTCOMES,
                        **extra)


if __name__ == "__main__":
    main()
