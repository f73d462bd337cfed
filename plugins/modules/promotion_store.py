#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: promotion_store
short_description: Keep one environment's workflow ids and promotion state (used by the promote_workflows role)
version_added: 0.3.0
description:
  - Runs on the controller only (an action plugin). The promote_workflows role calls it in steps around
    M(koreai.ai_for_process.workflow_import); it is documented for that role's readers, not meant for playbooks.
  - V(open) reads the environment's ids file and its promotion state file (C(<ids file stem>.state.yml)), strictly
    (a file that cannot be read, decrypted or parsed, a key given twice or one id under two names stops the environment
    before any request), with the play's vault secrets; checks that every earlier environment imported and deployed
    each workflow; takes the ids file's lock (C(<ids file>.lock)) and returns the import batch.
  - V(settle) names the pending creations the server dropped (imported anew) and the deploys an earlier run left undone.
  - V(close) writes the ids and the state (encrypted again when they were read encrypted, 0600, atomically), the
    promotion report and the summary row, and releases the lock; V(release) only releases it.
  - V(summary) prints the table of every environment; V(push) commits and pushes the ids and the state with git;
    V(drift) fails naming each workflow and member that differs from the reviewed tree.
  - Relative paths resolve against the inventory's directory (C(inventory_dir)), else the playbook's. Nothing is
    written inside the installed collection.
author:
  - AI for Process collection maintainers (@koreai)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written and no lock is taken; an earlier environment that is not done is a warning.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  step:
    description: The step to run.
    type: str
    required: true
    choices: [open, settle, close, release, summary, push, drift]
  mode:
    description: V(promote), or V(drift) (read only, no lock).
    type: str
    choices: [promote, drift]
    default: promote
  environment:
    description: The environment (inventory host) the step is about.
    type: str
  host:
    description: URL of the environment, for the report.
    type: str
  src:
    description:
      - The source tree (C(<src>/extracted/<name>/) preferred, else C(<src>/<name>.zip)); the ids file and the report
        default to C(ids/) and C(promotions/) beside it.
    type: str
  exported_src:
    description: Where the live source environment was exported to, used when O(src) is empty.
    type: str
    version_added: 0.4.0
  workflows:
    description: The workflows to promote (items with C(name) and optionally C(src)).
    type: list
    elements: dict
  ids:
    description: Known C(name -> workflow_id), merged over the ids file.
    type: dict
  env_variables:
    description: C(name -> environment variables) (a mapping, JSON text, or a file, which may be vault-encrypted).
    type: dict
  secret_values:
    description:
      - C(name -> secret values) of the flow and app definitions, each a mapping of pointer to value as
        O(koreai.ai_for_process.workflow_import#module:secret_values) takes (a mapping, JSON text, or a file, which may
        be vault-encrypted).
    type: dict
  ids_file:
    description: The environment's ids file; default C(ids/<environment>.yml) beside O(src), required without O(src).
    type: path
  report:
    description: The promotion report to write; default C(promotions/<environment>.json) beside O(src).
    type: path
  junit_dir:
    description: Directory of the CI report in JUnit XML (C(<environment>.xml)), returned as C(store.paths.junit).
    type: path
    version_added: 0.4.0
  markdown_dir:
    description: Directory of the CI report in Markdown (C(<environment>.md)), returned as C(store.paths.markdown).
    type: path
    version_added: 0.4.0
  backup_dir:
    description: The backup directory of the environment, resolved against the same base.
    type: path
  earlier:
    description: The environments that must have imported and deployed every workflow first (instead of O(order)).
    type: list
    elements: str
  gate:
    description: With O(order), whether the earlier environments gate this one.
    type: bool
    default: true
    version_added: 0.4.0
  lock_timeout:
    description: Seconds to wait for another promotion to release the lock.
    type: float
    default: 600
  git_push:
    description: The ids are pushed to a git remote after the environment (new workflows allowed in AWX/AAP jobs).
    type: bool
    default: false
  allow_ephemeral_ids:
    description: Allow an AWX/AAP job without O(git_push) to create workflows whose ids it cannot keep.
    type: bool
    default: false
  store:
    description: The C(store) returned by V(open).
    type: dict
  batch:
    description: The C(batch) returned by V(open).
    type: list
    elements: dict
  results:
    description: The C(results) of the import batch.
    type: list
    elements: dict
  redo_results:
    description: The C(results) of the import of the dropped pending creations.
    type: list
    elements: dict
  deploy_results:
    description: The C(results) of the deploys of V(settle).
    type: list
    elements: dict
  deploys:
    description: The C(deploys) returned by V(settle).
    type: list
    elements: dict
  deploy:
    description: Whether the role deploys what it imports.
    type: bool
    default: true
  order:
    description:
      - The environments in promotion order. With V(summary), those of the summary. With V(open), those before
        O(environment) must have imported and deployed every workflow first when O(gate) is on and O(mode) is
        V(promote) (O(earlier), when given, wins).
    type: list
    elements: str
  git:
    description: C(remote), C(branch), C(author_name), C(author_email) of V(push).
    type: dict
seealso:
  - module: koreai.ai_for_process.workflow_import
"""

EXAMPLES = r"""
- name: Read an environment's ids and lock them (as the promote_workflows role does)
  koreai.ai_for_process.promotion_store:
    step: open
    environment: staging
    src: exports/dev
    workflows: [{name: invoice-approval}]
    ids_file: ids/staging.yml
    report: promotions/staging.json
"""

RETURN = r"""
batch:
  description: The import batch (V(open)); it holds the environment's variables, register it with C(no_log).
  returned: step open
  type: list
  elements: dict
store:
  description: Paths (resolved), ids, state and whether the lock is held (V(open)).
  returned: step open
  type: dict
report:
  description: The promotion report (V(close)).
  returned: step close
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    """The work is done by the action plugin on the controller; run as a module, say so."""
    module = AnsibleModule(argument_spec=dict(
        step=dict(type="str", required=True, choices=["open", "settle", "close", "release", "summary", "push", "drift"]),
        mode=dict(type="str", choices=["promote", "drift"], default="promote"),
        environment=dict(type="str"), host=dict(type="str"), src=dict(type="str"), exported_src=dict(type="str"),
        workflows=dict(type="list", elements="dict"), ids=dict(type="dict"), env_variables=dict(type="dict", no_log=True),
        secret_values=dict(type="dict", no_log=True),
        ids_file=dict(type="path"), report=dict(type="path"), backup_dir=dict(type="path"),
        junit_dir=dict(type="path"), markdown_dir=dict(type="path"),
        earlier=dict(type="list", elements="str"), gate=dict(type="bool", default=True), lock_timeout=dict(type="float", default=600),
        git_push=dict(type="bool", default=False), allow_ephemeral_ids=dict(type="bool", default=False),
        store=dict(type="dict"), batch=dict(type="list", elements="dict", no_log=True), results=dict(type="list", elements="dict"),
        redo_results=dict(type="list", elements="dict"), deploy_results=dict(type="list", elements="dict"),
        deploys=dict(type="list", elements="dict"), deploy=dict(type="bool", default=True),
        order=dict(type="list", elements="str"), git=dict(type="dict"),
    ), supports_check_mode=True)
    module.fail_json(msg="promotion_store runs on the controller as an action plugin; call it as koreai.ai_for_process.promotion_store")


if __name__ == "__main__":
    main()
