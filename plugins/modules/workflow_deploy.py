#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: workflow_deploy
short_description: Deploy or undeploy AI for Process workflows
version_added: 0.3.0
description:
  - Deploys (C(POST /api/public/workflows/{workflowId}/deploy)) or undeploys one workflow (O(workflow_id)) or a
    batch (O(workflows)) concurrently, and follows each job's dock status until it ends.
  - No API tells whether a workflow is deployed, so the module cannot know whether a deploy changes anything; it
    reports C(changed) whenever it deployed or undeployed. To deploy only what an import changed, use
    O(koreai.ai_for_process.workflow_import#module:deploy=true) instead.
author:
  - AI for Process collection maintainers (@koreai)
extends_documentation_fragment:
  - koreai.ai_for_process.connection
  - koreai.ai_for_process.runner
  - koreai.ai_for_process.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Check mode sends nothing and reports C(changed), as a real run would.
  diff_mode:
    support: none
options:
  workflow_id:
    description:
      - ID of the workflow. Exactly one of O(workflow_id) and O(workflows) is required.
    type: str
    aliases: [tool_id]
  workflows:
    description: Workflows to deploy or undeploy in one task, concurrently.
    type: list
    elements: dict
    suboptions:
      workflow_id:
        description: ID of the workflow.
        type: str
        required: true
        aliases: [tool_id]
      name:
        description: A name to show in messages.
        type: str
  state:
    description: Whether the workflows should be deployed or undeployed.
    type: str
    choices: [deployed, undeployed]
    default: deployed
notes:
  - The API key needs the C(Deploy) (or C(Undeploy)) scope.
seealso:
  - module: koreai.ai_for_process.workflow_import
"""

EXAMPLES = r"""
- name: Deploy a workflow imported earlier
  koreai.ai_for_process.workflow_deploy:
    host: https://staging.process.example.com
    api_key: "{{ vault_staging_api_key }}"
    workflow_id: a-19c0ffee
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"

- name: Undeploy two workflows
  koreai.ai_for_process.workflow_deploy:
    workflows:
      - workflow_id: a-19c0ffee
      - workflow_id: a-77aa01be
    state: undeployed
"""

RETURN = r"""
workflow_id:
  description: ID of the workflow.
  returned: with O(workflow_id)
  type: str
deploy_dock_status_id:
  description: Dock status ID of the deploy or undeploy job.
  returned: with O(workflow_id), when a job was started
  type: str
deploy_status:
  description: Last known status of that job.
  returned: with O(workflow_id), when a job was started
  type: str
results:
  description: One entry per workflow of O(workflows), with the same keys plus C(changed), C(failed) and C(msg).
  returned: with O(workflows)
  type: list
  elements: dict
summary:
  description: Counts over O(workflows).
  returned: with O(workflows)
  type: dict
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
"""

from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.deploy import DeployOperation, DeployRequest
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner_options import runner_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import identifier, text


def argument_spec():
    """The module's own options (the connection options come from KoreaiModule)."""
    spec = dict(
        workflow_id=dict(type="str", aliases=["tool_id"]),
        workflows=dict(type="list", elements="dict", options=dict(
            workflow_id=dict(type="str", required=True, aliases=["tool_id"]),
            name=dict(type="str"),
        )),
        state=dict(type="str", choices=["deployed", "undeployed"], default="deployed"),
    )
    spec.update(runner_argument_spec())
    return spec


def deploy_requests(params):
    """The workflows to deploy, validated."""
    if params["workflows"] is None:
        return [DeployRequest(identifier(params["workflow_id"], "workflow_id", required=True))]
    return [DeployRequest(identifier(item["workflow_id"], "workflows[%d].workflow_id" % index, required=True),
                          name=text(item.get("name"), "workflows[%d].name" % index))
            for index, item in enumerate(params["workflows"])]


def main():
    module = KoreaiModule(argument_spec(), mutually_exclusive=[("workflow_id", "workflows")],
                          required_one_of=[("workflow_id", "workflows")])
    try:
        requests = deploy_requests(module.params)
        results, elapsed = module.run_operation(
            lambda client, settings: DeployOperation(client, settings, module.params["state"]), requests)
    except KoreaiError as exc:
        module.fail_from_error(exc)
    module.exit_results(results, module.params["workflows"] is None, elapsed, module.params["fail_on_error"])


if __name__ == "__main__":
    main()
