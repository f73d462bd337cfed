# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX/AAP job templates the collection creates: what keeps two promotions of one environment apart."""

import os

import yaml

PLAYBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "..", "playbooks", "controller_job_templates.yml")


def created(module):
    """The arguments of every task of the playbook that calls module."""
    with open(PLAYBOOK, encoding="utf-8") as handle:
        plays = yaml.safe_load(handle)
    return {task["name"]: task[module] for play in plays for task in play["tasks"] if module in task}


def test_promote_jobs_and_the_promotion_workflow_never_run_two_at_once():
    templates = created("awx.awx.job_template")
    promote = [args for args in templates.values() if args.get("job_type") == "run" and "promote" in args["name"]]
    workflows = list(created("awx.awx.workflow_job_template").values())
    assert promote and workflows
    assert [args.get("allow_simultaneous") for args in promote + workflows] == [False] * (len(promote) + len(workflows))


def test_plan_and_promote_jobs_keep_the_ids_and_the_state_on_the_git_remote():
    jobs = [args for args in created("awx.awx.job_template").values() if args["playbook"] == "{{ koreai_controller_promote_playbook }}"]
    assert len(jobs) == 2
    assert [args["extra_vars"] for args in jobs] == [{
        "promote_workflows_git_push": True, "promote_workflows_git_branch": "{{ koreai_controller_store_branch }}"}] * 2
