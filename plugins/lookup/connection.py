# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: connection
short_description: The connection of an environment, from its own settings and the controller's KOREAI_* variables
version_added: 0.4.0
description:
  - Returns the connection options (C(host), C(api_key), C(validate_certs), C(ca_path), C(kind)) of one
    environment, resolved from the given settings and the controller's environment by the rule every module of the
    collection resolves its own connection options with (the O(koreai.ai_for_process.workflow_export#module:host)
    option and the ones after it).
  - An empty O(host) takes E(KOREAI_HOST). E(KOREAI_API_KEY), E(KOREAI_CA_PATH), E(KOREAI_KIND) and
    E(KOREAI_VALIDATE_CERTS) belong to the host in E(KOREAI_HOST) (as an AWX credential of the collection's type
    injects them together) and are used only for that host, so a host that sets its own URL never receives the
    controller's key.
  - The given O(api_key) and O(ca_path) win over the environment's, as does a O(kind) other than V(workflow). The
    environment can only turn certificate validation off (E(KOREAI_VALIDATE_CERTS=false)), never on. A
    E(KOREAI_VALIDATE_CERTS) that is neither true nor false, or a E(KOREAI_KIND) that is neither V(workflow) nor
    V(tool), is an error naming the variable.
  - The key is returned, never logged; give the result only to tasks with C(no_log) where they could show it.
options:
  host:
    description: The environment's URL; empty means E(KOREAI_HOST).
    type: str
    default: ""
  api_key:
    description: The environment's API key; empty means E(KOREAI_API_KEY) when the host is the one in E(KOREAI_HOST).
    type: str
    default: ""
  validate_certs:
    description: Whether to validate TLS certificates; for the host in E(KOREAI_HOST), E(KOREAI_VALIDATE_CERTS) may turn it off.
    type: bool
    default: true
  ca_path:
    description: CA bundle; empty means E(KOREAI_CA_PATH) for the host in E(KOREAI_HOST).
    type: str
    default: ""
  kind:
    description: V(workflow) (AI for Process) or V(tool) (Agent Platform); for the host in E(KOREAI_HOST), V(workflow)
      gives way to E(KOREAI_KIND).
    type: str
    choices: [workflow, tool]
    default: workflow
"""

EXAMPLES = r"""
- name: Export with the environment's connection, or the controller's from KOREAI_HOST and KOREAI_API_KEY
  koreai.ai_for_process.workflow_export:
    host: "{{ connection.host }}"
    api_key: "{{ connection.api_key }}"
    validate_certs: "{{ connection.validate_certs }}"
    ca_path: "{{ connection.ca_path | default(omit, true) }}"
    kind: "{{ connection.kind }}"
    workflow_id: a-5e1f0c2d
    dest: exports/invoice-approval.zip
  vars:
    connection: "{{ lookup('koreai.ai_for_process.connection', host=environment_url | default('')) }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One mapping with C(host), C(api_key), C(validate_certs), C(ca_path) and C(kind) (empty strings where unset).
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import (
    ConnectionSettingError, resolve_connection,
)

OPTIONS = ("host", "api_key", "validate_certs", "ca_path", "kind")


class LookupModule(LookupBase):
    """The resolved connection options of one environment, by the rule the modules resolve theirs with."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        given = {name: self.get_option(name) for name in OPTIONS}
        given.update({name: None for name in ("host", "api_key", "ca_path") if not given[name]})  # empty means unset
        try:
            resolved = resolve_connection(given, os.environ)
        except ConnectionSettingError as exc:
            raise AnsibleLookupError(str(exc)) from None
        return [{name: "" if value is None else value for name, value in resolved.items()}]
