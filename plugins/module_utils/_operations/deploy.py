# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: deploying and undeploying a workflow.

``POST .../workflows/{id}/deploy`` (JSON ``isAsync``) and ``.../undeploy`` answer
a dock status id (the docs' sample spells it ``dock-statusId``); some answer
SUCCESS at once. No API reads whether a workflow is deployed, so a deploy is
always reported as a change.
"""

from dataclasses import dataclass

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import raise_for_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import Job, started_job
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner import Call, Wait

VERB_AND_SCOPE = {"deployed": ("deploy", "Deploy"), "undeployed": ("undeploy", "Undeploy")}  # by state: URL verb, key scope
DEPLOY_RESULT_KEYS = {"dock_status_id": "deploy_dock_status_id", "status": "deploy_status"}  # a job's keys in a result


@dataclass
class DeployRequest:
    """One workflow to deploy or undeploy."""

    workflow_id: str
    name: str = None


def start_deploy(client, workflow_id, state="deployed"):
    """POST the deploy (or undeploy) of workflow_id; return its Job (which may already have succeeded)."""
    verb, scope = VERB_AND_SCOPE[state]
    action = "%s of %s" % (verb, client.kind.describe(workflow_id))
    response = client.post_on_route(workflow_id, verb, json={"isAsync": True} if verb == "deploy" else {})
    raise_for_status(response, client, action, scope=scope,
                     not_found="%s not found on %s" % (client.kind.describe(workflow_id), client.origin))
    return started_job(client, response, Job(action, workflow_id, scope=scope), done_is_enough=True)


def deploy_steps(client, workflow_id, state, result):
    """Steps that deploy (or undeploy) workflow_id and wait for it; they fill result's deploy fields."""
    job = yield Call(start_deploy, client, workflow_id, state)
    result.update(deploy_dock_status_id=job.dock_status_id, deploy_status=job.status)
    if not job.succeeded:
        try:
            job = yield Wait(job, "deploy")
        except KoreaiError as exc:  # the result's own job ids stay those of the step before (an import)
            exc.details = {DEPLOY_RESULT_KEYS.get(key, key): value for key, value in exc.details.items()}
            raise
    result.update(deploy_status=job.status, deployed=state == "deployed")
    return job


class DeployOperation:
    """The runner's operation for workflow_deploy."""

    def __init__(self, client, settings, state):
        self.client = client
        self.settings = settings
        self.state = state

    @staticmethod
    def initial_result(request):
        return dict(workflow_id=request.workflow_id, name=request.name, deploy_dock_status_id=None, deploy_status=None,
                    changed=False, failed=False, msg="")

    def steps(self, request, result):
        verb = VERB_AND_SCOPE[self.state][0]
        if self.settings.check_mode:
            return dict(changed=True, msg="check mode: would %s %s" % (verb, self.client.kind.describe(request.workflow_id)))
        yield from deploy_steps(self.client, request.workflow_id, self.state, result)
        return dict(changed=True, msg="%sed %s" % (verb, self.client.kind.describe(request.workflow_id)))
