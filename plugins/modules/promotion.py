#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: promotion
short_description: Promote reviewed workflows into one environment, keeping its ids, its order and its secrets
version_added: 0.5.0
description:
  - Runs on the controller (an action plugin) for one inventory host, which stands for one target environment. The
    P(koreai.ai_for_process.promote_workflows#role) role calls it once per environment; use it directly in a playbook of
    your own the same way.
  - "In one task: reads the environment's store (the ids file C(name -> workflow id), and C(<ids file stem>.state.yml),
    the content each workflow holds there and whether it is deployed) strictly, and locks it (C(<ids file>.lock)) for
    the whole promotion; refuses the environment while the stage before it does not hold the content to promote; runs
    M(koreai.ai_for_process.workflow_import) for the whole batch (and M(koreai.ai_for_process.workflow_deploy) for
    deploys an earlier run left undone); writes the ids, the state, the promotion report and the CI reports."
  - "No API finds a workflow by its name, so the ids are the only guard against a duplicate: every creation is
    journalled (C(<ids file stem>.journal)) before its import is sent and again the moment the server names the new
    id. A run killed at any point leaves what the next run needs: it imports into the id the server named (or creates
    anew when the server no longer has it), and refuses to create blindly a workflow whose creation was sent but
    never answered, naming the two ways to resolve it (O(ids) or O(recreate))."
  - "Stages: the environments are promoted stage after stage, each stage an inventory pattern from
    C(promote_workflows_hosts) (see the P(koreai.ai_for_process.promotion_stages#lookup) lookup). An environment is promoted
    only to the content every environment of the stage before it holds and has deployed, as their state records it
    (the digest of the reviewed content, not a flag); a plan (check mode) warns with the words the apply refuses with.
    A play whose batch holds two stages is refused: run one stage per batch (the koreai.ai_for_process.promote
    playbook does)."
  - "With O(git_push), the store lasts between CI and AWX jobs: the ids and the state are read from the tip of the
    project's git remote branch (fetched first, so that a job started from an older commit decides on what the last
    job pushed) and published there after the environment (without touching the checkout), retried on a concurrent
    push. A job that cannot reach the remote refuses before any change."
  - Names, ids and digests are data, never masked; a value that holds the mask is refused, not written.
  - Relative paths resolve against the inventory's directory (C(inventory_dir)), else the playbook's. Nothing is
    written inside the installed collection.
author:
  - AI for Process collection maintainers (@koreai)
extends_documentation_fragment:
  - koreai.ai_for_process.connection
  - koreai.ai_for_process.runner
  - koreai.ai_for_process.secrets
  - koreai.ai_for_process.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - The plan of a promotion. The target is exported to compare (a read); nothing is imported, deployed or written
        but the CI reports, no lock is taken, and every refusal decidable before a change fails the plan as it fails
        the apply (the stage before only warns).
  diff_mode:
    support: full
    details: The member diffs of M(koreai.ai_for_process.workflow_import), secrets masked.
  platform:
    platforms: posix
options:
  mode:
    description: V(promote), or V(drift) (compare the environment with the tree as a plan does, change and lock nothing,
      and fail naming each workflow and member that differs).
    type: str
    choices: [promote, drift]
    default: promote
  compare:
    description:
      - V(all) compares every workflow with the environment (an export of each) and imports what differs.
      - "V(changed) imports and compares only the workflows whose reviewed content or given values differ from what
        the environment's state records it holds, or that the state does not record as imported (and deployed, with
        O(deploy)) under the id of the ids file; the others are trusted to the state: reported C(unchanged) with
        RV(results[].trusted), and nothing is asked of the server about them. An unchanged rerun then sends no request
        at all. A hand edit on the server is not seen this way: the scheduled drift check (O(mode=drift), which
        always compares every workflow) is the guard against it."
      - The given values (O(env_variables), O(secret_values)) are recorded in the state as an HMAC keyed with the
        environment's API key, never as such; after a new API key every workflow is compared once more.
    type: str
    choices: [all, changed]
    default: all
    version_added: 0.5.0
  environment:
    description: The environment's name in the store and the reports; the inventory host by default.
    type: str
  src:
    description:
      - The source tree, as the P(koreai.ai_for_process.export_workflows#role) role writes it (C(<src>/extracted/<name>/)
        preferred, else C(<src>/<name>.zip)). The ids file and the report default to C(ids/) and C(promotions/) beside it.
    type: str
    default: ""
  exported_src:
    description: Where a live source environment was exported to, used when O(src) is empty (then O(ids_file) is required).
    type: str
    default: ""
  workflows:
    description: The workflows to promote, items with C(name) (the file or directory name in the source tree) and
      optionally C(src).
    type: list
    elements: dict
    required: true
  ids:
    description: Known C(name -> workflow id), merged over the ids file (and written into it).
    type: dict
    default: {}
  env_variables:
    description: C(name -> the environment's variables) as M(koreai.ai_for_process.workflow_import) takes them (a
      mapping, JSON text, or a file, which may be vault-encrypted).
    type: dict
    default: {}
  secret_values:
    description: C(name -> secret values by pointer) as M(koreai.ai_for_process.workflow_import) takes them (a mapping,
      JSON text, or a file, which may be vault-encrypted).
    type: dict
    default: {}
  recreate:
    description:
      - Names whose creation a run that died had sent without reading the answer, and which the environment does not
        hold, so that they may be created again. (Where it does hold one, give its id in O(ids) instead.)
    type: list
    elements: str
    default: []
  ids_file:
    description: The environment's ids file; default C(ids/<environment>.yml) beside O(src).
    type: str
    default: ""
  report:
    description: The promotion report (JSON); default C(promotions/<environment>.json) beside O(src).
    type: str
    default: ""
  junit_dir:
    description: Directory of the CI report in JUnit XML (C(<environment>.xml)); empty for none.
    type: str
    default: ""
  markdown_dir:
    description: Directory of the CI report in Markdown (C(<environment>.md)), also appended to E(GITHUB_STEP_SUMMARY)
      when it is set; empty for none.
    type: str
    default: ""
  backup_dir:
    description: Where M(koreai.ai_for_process.workflow_import) keeps a backup of each target before it changes it.
    type: str
    default: ""
  gate:
    description:
      - V(true) refuses the environment while an environment of the stage before it does not hold the content to
        promote (its state records another digest, or no import, or a failed deploy); V(false) turns the check off.
    type: raw
    default: true
  lock_timeout:
    description: Seconds to wait for another promotion of the same environment to release the lock.
    type: float
    default: 600
  git_push:
    description:
      - Keep the store on the project's git remote (see the description), read before deciding and published after.
    type: bool
    default: false
  git_remote:
    description: The remote of O(git_push).
    type: str
    default: origin
  git_branch:
    description: The branch of O(git_push); empty for the checkout's current branch.
    type: str
    default: ""
  git_push_options:
    description: Push options (C(git push -o)) of O(git_push), such as C(ci.skip) for GitLab, so that the commit of the
      ids starts no pipeline.
    type: list
    elements: str
    default: []
  git_author_name:
    description: Author and committer name of the commits O(git_push) makes.
    type: str
    default: koreai.ai_for_process
  git_author_email:
    description: Author and committer email of the commits O(git_push) makes.
    type: str
    default: promotion@localhost
  allow_ephemeral_ids:
    description: Allow an AWX/AAP job without O(git_push) to create workflows whose ids it cannot keep.
    type: bool
    default: false
  deploy:
    description: Deploy what the import changed, and what an earlier run left undeployed.
    type: bool
    default: true
  ignore_keys:
    description: As the option of M(koreai.ai_for_process.workflow_import).
    type: list
    elements: str
    default: [workflowId, toolId, _id, createdAt, updatedAt, createdBy, updatedBy]
  carry_source_secrets:
    description: As the option of M(koreai.ai_for_process.workflow_import).
    type: bool
    default: false
  target_edits:
    description:
      - As the option of M(koreai.ai_for_process.workflow_import). The environment's state keeps, per workflow, the
        baseline of what its last import brought (digests only), which this option's rule needs.
    type: str
    choices: [keep, refuse, overwrite]
    default: keep
seealso:
  - module: koreai.ai_for_process.workflow_import
  - module: koreai.ai_for_process.workflow_deploy
  - plugin: koreai.ai_for_process.promotion_stages
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Promote the reviewed tree into this environment (as the promote_workflows role does)
  koreai.ai_for_process.promotion:
    host: "{{ promote_workflows_host }}"
    api_key: "{{ promote_workflows_api_key }}"
    src: exports/dev
    workflows: [{name: invoice-approval}, {name: onboarding}]
    env_variables:  # a new workflow needs its variables given; an existing one keeps the target's own
      invoice-approval: env/staging/invoice-approval.json
      onboarding: env/staging/onboarding.json
  register: promoted
"""

RETURN = r"""
results:
  description: One entry per workflow, sorted by name, as the promotion report holds them.
  returned: always, but when skipped or refused
  type: list
  elements: dict
  contains:
    name:
      description: The workflow's name.
      type: str
    workflow_id:
      description: Its id in the environment (null when none is known).
      type: str
    source_digest:
      description: The digest of the reviewed content (flow and app definitions, secrets and O(ignore_keys) aside).
      type: str
    outcome:
      description: C(created), C(updated), C(unchanged), C(failed), C(not started), or in check mode C(would create),
        C(would update).
      type: str
    deployed:
      description: Whether the workflow is deployed in the environment after this run (null in check mode or when not asked).
      type: bool
    deployed_now:
      description: Whether this run deployed it (in check mode, would deploy it).
      type: bool
    trusted:
      description: With O(compare=changed), whether the workflow was trusted to the state (not compared, nothing sent).
      type: bool
      version_added: 0.5.0
    missing_values:
      description: The pointers of the values this environment must give before the workflow can be imported, as
        M(koreai.ai_for_process.workflow_import) lists them.
      type: list
      elements: str
    error:
      description: Why it failed, or null.
      type: str
summary_row:
  description: Counts (total, created, updated, unchanged, deployed, failed) and the lines of the summary table.
  returned: always, but when skipped or refused
  type: dict
failures:
  description: The entries of RV(results) that failed or were not started.
  returned: always, but when skipped or refused
  type: list
  elements: dict
ids_file:
  description: The environment's ids file.
  returned: always, but when skipped or refused
  type: str
store_written:
  description: Whether the ids and the state were written (and published with O(git_push)).
  returned: always, but when skipped or refused
  type: bool
drift:
  description: In O(mode=drift), one line per workflow that differs from the tree.
  returned: in drift mode
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.promotion_options import promotion_argument_spec


def main():
    """The work is done by the action plugin on the controller; run as a module, say so."""
    module = AnsibleModule(argument_spec=promotion_argument_spec(), supports_check_mode=True)
    module.fail_json(msg="koreai.ai_for_process.promotion runs on the controller as an action plugin; call it by its "
                         "full name as a task")


if __name__ == "__main__":
    main()
