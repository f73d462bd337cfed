#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ci_report
short_description: Write a Markdown summary and JUnit XML of workflow outcomes for CI
version_added: 0.3.0
description:
  - Renders the outcome rows of a run (one per workflow and environment) as a Markdown summary (a table of counts
    per environment, then every failure with its message) and as JUnit XML (one testcase per workflow and
    environment, C(classname) = the environment, failures with their messages), and writes them on the controller.
  - When C(GITHUB_STEP_SUMMARY) is set in the controller's environment, the Markdown is appended to the file it
    names, so a GitHub Actions job shows it on its summary page.
  - The rows are expected scrubbed of secrets, as the collection's modules return them; control characters are
    removed and text is escaped for XML and Markdown.
  - This is an action plugin, so it runs on the controller whatever the connection of the host is.
author:
  - AI for Process collection maintainers (@koreai)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The reports are written in check mode too, so that a plan shows in CI; they describe the run, not a target.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  title:
    description: Title of the report (the Markdown heading, the name of the JUnit test suites).
    type: str
    default: AI for Process workflows
  rows:
    description:
      - One mapping per workflow and environment, with C(environment) and C(name) (required), C(outcome)
        (C(exported), C(changed), C(unchanged), C(created), C(updated), C(failed), C(not started), C(skipped), ...),
        C(deployed) (bool) and C(message).
      - C(failed) and C(not started) are failures in both reports; C(skipped) is a skipped testcase.
      - Exactly one of O(rows) and O(results_var) is required.
    type: list
    elements: dict
  results_var:
    description:
      - Name of the variable each environment of O(environments) registered its batch
        M(koreai.ai_for_process.workflow_export) result in (with O(koreai.ai_for_process.workflow_export#module:workflows)).
        The rows are then made from those results (each workflow's RV(koreai.ai_for_process.workflow_export#module:outcome)),
        one failed row for an environment without results, and the task also returns and shows RV(summary).
    type: str
    version_added: 0.4.0
  environments:
    description: The environments whose results O(results_var) names, in the order of the summary (required with it).
    type: list
    elements: str
    version_added: 0.4.0
  markdown_path:
    description: File to write the Markdown summary to (replaced atomically, mode C(0644)); missing directories are created.
    type: path
  junit_path:
    description: File to write the JUnit XML to (replaced atomically, mode C(0644)); missing directories are created.
    type: path
notes:
  - Without O(markdown_path), O(junit_path) and C(GITHUB_STEP_SUMMARY), nothing is written and the Markdown is only
    returned (with O(results_var), the summary too).
  - C(GITHUB_STEP_SUMMARY) is read from the environment of the controller process (as a CI job sets it); the
    C(environment) keyword of a task does not set it, because the action runs in the controller process.
seealso:
  - module: koreai.ai_for_process.workflow_export
"""

EXAMPLES = r"""
- name: Report the exports of this run to CI
  koreai.ai_for_process.ci_report:
    title: Nightly export
    rows:
      - {environment: dev, name: invoice-approval, outcome: unchanged, deployed: false, message: ""}
      - {environment: dev, name: onboarding, outcome: failed, deployed: false, message: "export job FAILED"}
    junit_path: "{{ playbook_dir }}/junit-export.xml"
    markdown_path: "{{ playbook_dir }}/export-summary.md"

- name: Export the workflows of each environment (inventory host), whatever fails
  koreai.ai_for_process.workflow_export:
    workflows:
      - {workflow_id: a-5e1f0c2d, name: invoice-approval}
      - {workflow_id: a-77aa01be, name: onboarding}
    dest: "exports/{{ inventory_hostname }}"
    fail_on_error: false
  register: exported

- name: Show the summary of every environment's export and report it to CI
  koreai.ai_for_process.ci_report:
    title: Nightly export
    results_var: exported
    environments: "{{ ansible_play_hosts_all }}"
    junit_path: "{{ playbook_dir }}/junit-export.xml"
  run_once: true
"""

RETURN = r"""
markdown:
  description: The Markdown summary.
  returned: success
  type: str
markdown_path:
  description: Where the Markdown was written (O(markdown_path)), or null.
  returned: success
  type: str
junit_path:
  description: Where the JUnit XML was written (O(junit_path)), or null.
  returned: success
  type: str
step_summary:
  description: The C(GITHUB_STEP_SUMMARY) file the Markdown was appended to, or null when the variable is not set.
  returned: success
  type: str
counts:
  description: Per environment, C(total), C(failed) (failed and not started), C(deployed) and the count of each other outcome.
  returned: success
  type: dict
  sample: {dev: {total: 2, failed: 1, deployed: 0, unchanged: 1}}
failed_count:
  description: Rows that are failures (C(failed) or C(not started)), over all environments.
  returned: success
  type: int
summary:
  description:
    - The summary of the exports, one line per environment with its counts (total, exported, unchanged, changed,
      failed; V(would export) and V(would change) in check mode), then a line naming each failed workflow, one for
      the workflows not started, and where the environment's files are. It is shown in the task's output.
  returned: with O(results_var)
  type: list
  elements: str
  version_added: 0.4.0
"""
