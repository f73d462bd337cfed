#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: dock_status_info
short_description: Read the dock status of an AI for Process job
version_added: 0.1.0
description:
  - Reads C(GET /api/public/dock-status/{dockStatusId}) once and returns the job's status, for pipelines that start
    exports with M(koreai.ai_for_process.workflow_export) and O(koreai.ai_for_process.workflow_export#module:wait=false)
    and check on them separately.
  - A C(FAILED) job is reported, not raised; the task fails only when the status cannot be read.
author:
  - AI for Process collection maintainers (@koreai)
extends_documentation_fragment:
  - koreai.ai_for_process.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership:
      - koreai.ai_for_process.ai_for_process
options:
  dock_status_id:
    description: ID of the dock status (C(ds-...)) returned when the job was started.
    type: str
    required: true
seealso:
  - module: koreai.ai_for_process.workflow_export
"""

EXAMPLES = r"""
- name: Check on an export started earlier
  koreai.ai_for_process.dock_status_info:
    host: https://process.kore.ai
    api_key: "{{ vault_koreai_api_key }}"
    dock_status_id: "{{ started.dock_status_id }}"
  register: job
  until: job.status != 'IN_PROGRESS'
  retries: 60
  delay: 5
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""

RETURN = r"""
dock_status_id:
  description: ID of the dock status read.
  returned: always
  type: str
  sample: ds-2f6c1a
status:
  description: C(IN_PROGRESS), C(SUCCESS) or C(FAILED).
  returned: success
  type: str
  sample: SUCCESS
workflow_id:
  description: ID of the workflow (or tool) the job belongs to, when the server gives it.
  returned: success
  type: str
export_job_id:
  description: ID of the export job, when the server gives it.
  returned: success
  type: str
download_url:
  description: Download URL, when the dock status carries one (absolute, whitespace removed).
  returned: success
  type: str
percentage_complete:
  description: Progress in percent, when the server gives it.
  returned: success
  type: float
failure:
  description: The fields a C(FAILED) status carries to explain itself (C(message), C(error), ...).
  returned: success
  type: dict
document:
  description: The dock status as the server returned it.
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.koreai.ai_for_process.plugins.module_utils._client import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, client_from_params, connection_argument_spec, connection_problems, raise_for_status,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._export import (
    ExportJob, parse_json_object, update_job, find_value,
)


def read_dock_status(client, dock_status_id):
    """The parsed job and the raw document of one dock status."""
    action = "dock status %s" % dock_status_id
    response = client.get(client.api_url("api", "public", "dock-status", dock_status_id))
    raise_for_status(response, client, action, not_found="dock status %s not found on %s" % (dock_status_id, client.origin))
    document = parse_json_object(response, action)
    job = update_job(ExportJob(find_value(document, ("workflowId", "toolId")), dock_status_id=dock_status_id),
                     document, client.base_url)
    return job, document


def main():
    spec = connection_argument_spec()
    spec.update(dock_status_id=dict(type="str", required=True))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
    problems = connection_problems(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    dock_status_id = module.params["dock_status_id"].strip()
    client = client_from_params(module.params, pool_size=1)
    try:
        job, document = read_dock_status(client, dock_status_id)
    except KoreaiError as exc:
        module.fail_json(msg=exc.message, dock_status_id=dock_status_id, **exc.details)
    finally:
        client.close()
    module.exit_json(changed=False, dock_status_id=dock_status_id, status=job.status, workflow_id=job.workflow_id,
                     export_job_id=job.export_job_id, download_url=job.download_url,
                     percentage_complete=job.percentage_complete, failure=job.failure, document=document)


if __name__ == "__main__":
    main()
