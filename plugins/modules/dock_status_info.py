#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: dock_status_info
short_description: Read the dock status of an AI for Process job
version_added: 0.3.0
description:
  - Reads C(GET /api/public/dock-status/{dockStatusId}) once and returns the job's status, for pipelines that start
    exports with M(koreai.ai_for_process.workflow_export) and O(koreai.ai_for_process.workflow_export#module:wait=false)
    and check on them separately.
  - A failed job (C(FAILED), C(CANCELLED), C(ERROR), ...) is reported, not raised; the task fails only when the
    status cannot be read. RV(done) and RV(succeeded) tell what the status means, whatever its spelling.
author:
  - AI for Process collection maintainers (@koreai)
extends_documentation_fragment:
  - koreai.ai_for_process.connection
  - koreai.ai_for_process.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: none
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
  until: job.done
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
  description: The job's status as the server spelled it, upper-cased (C(IN_PROGRESS), C(SUCCESS), C(FAILED), ...).
  returned: success
  type: str
  sample: SUCCESS
done:
  description: Whether the job ended, successfully or not.
  returned: success
  type: bool
succeeded:
  description: Whether the job ended successfully.
  returned: success
  type: bool
workflow_id:
  description: ID of the workflow (or tool) the job belongs to, when the server gives it.
  returned: success
  type: str
export_job_id:
  description: ID of the export (or import) job, when the server gives it.
  returned: success
  type: str
download_url:
  description:
    - Download URL, when the dock status carries one (absolute, whitespace removed), without its query string,
      fragment and user info, where a signed URL keeps its signature; RV(document) shows them masked.
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

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.downloads import signing_values
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import read_dock_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url


def main():
    module = KoreaiModule(dict(dock_status_id=dict(type="str", required=True)))
    dock_status_id = module.params["dock_status_id"].strip()
    client = module.client()
    try:
        job, document = read_dock_status(client, dock_status_id)
    except KoreaiError as exc:
        module.fail_from_error(exc, dock_status_id=dock_status_id)
    finally:
        client.close()
    if job.download_url:  # no output holds what signs it
        module.known_secrets.update(signing_values(job.download_url))
    module.exit_json(changed=False, dock_status_id=dock_status_id, status=job.status, done=job.succeeded or job.failed,
                     succeeded=job.succeeded, workflow_id=job.server_workflow_id, export_job_id=job.job_id,
                     download_url=display_url(job.download_url) if job.download_url else None, percentage_complete=job.percentage_complete, failure=job.failure,
                     document=document)


if __name__ == "__main__":
    main()
