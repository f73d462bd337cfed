# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: promotion_stages
short_description: The stages of a promotion, and how a play runs them one after the other
version_added: 0.5.0
description:
  - Reads the stages of a promotion from the inventory, as the M(koreai.ai_for_process.promotion) action does, and
    returns the hosts to promote in stage order with the C(serial) that makes each stage one batch of the play.
  - A stage is an inventory pattern (a host, a group, C(prod-*)); its hosts are independent environments, promoted
    together (as many at once as the forks allow); each stage waits for the whole stage before it.
  - "The stages are the variable C(promote_workflows_hosts) (a list of patterns, or one string of patterns separated
    by commas; set it for all hosts or with C(-e)). Unset, every promotion target is its own stage, in inventory
    order: a host with its own C(promote_workflows_host), or every host when none has one. So the source environment
    (dev, exported with M(koreai.ai_for_process.workflow_export)) is never a stage. The older variable C(promote_order)
    is still read when C(promote_workflows_hosts) is unset."
  - The shipped playbook C(koreai.ai_for_process.promote) uses it; use it the same way in a playbook of your own.
options:
  _terms:
    description: None; the lookup reads the inventory and the variables above.
    required: false
  play_hosts:
    description: The hosts the play may run (C(ansible_play_hosts_all), which honours C(--limit)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Plan the stages once
  hosts: all
  gather_facts: false
  tasks:
    - name: Keep the hosts and batches of the promotion on localhost
      ansible.builtin.set_fact:
        promotion: "{{ lookup('koreai.ai_for_process.promotion_stages', play_hosts=ansible_play_hosts_all) }}"
      run_once: true
      delegate_to: localhost
      delegate_facts: true

- name: Promote, one stage per batch
  hosts: "{{ hostvars['localhost']['promotion']['hosts'] }}"
  serial: "{{ hostvars['localhost']['promotion']['serial'] }}"
  max_fail_percentage: 0
  gather_facts: false
  roles:
    - role: koreai.ai_for_process.promote_workflows
"""

RETURN = r"""
_raw:
  description:
    - One mapping with C(hosts) (the hosts of O(play_hosts) in stage order), C(serial) (the number of them in each
      stage, as the play keyword takes it) and C(stages) (their hosts, stage by stage).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._stages import (
    TARGET_MARK, StageError, play_plan, stages_of,
)


class LookupModule(LookupBase):
    """The hosts and batches of a promotion."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        hostvars = variables.get("hostvars") or {}

        def host_setting(host):
            return hostvars[host].get(TARGET_MARK) if host in hostvars else None

        try:
            stages = stages_of(variables, self._loader, host_setting)
        except StageError as exc:
            raise AnsibleLookupError(str(exc)) from None
        return [play_plan(stages, [str(host) for host in self.get_option("play_hosts")])]
