# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: output_path
short_description: Where a file or directory the play writes goes, by the collection's rule for relative paths
version_added: 0.5.0
description:
  - Returns each given path as an absolute path. A relative path resolves against the directory of the inventory file
    that defines the host (C(inventory_dir)), else the playbook's directory, else the current directory, so that files
    land in the project whether the play runs from a shell, a CI job or AWX; C(~) and C($VARIABLES) are expanded.
  - A path inside the installed collection is refused (the next collection install would replace what is written
    there), as is an empty path, with a message naming O(option).
  - The P(koreai.ai_for_process.export_workflows#role) role places its files with it.
options:
  _terms:
    description: The paths.
    type: list
    elements: str
    required: true
  option:
    description: The name of the setting the paths come from, for the messages.
    type: str
    default: path
"""

EXAMPLES = r"""
- name: Export into exports/dev beside the inventory file, whatever the current directory
  koreai.ai_for_process.workflow_export:
    workflows: "{{ workflows }}"
    dest: "{{ lookup('koreai.ai_for_process.output_path', 'exports/' ~ inventory_hostname, option='dest') }}"
"""

RETURN = r"""
_raw:
  description: The absolute paths, one per term.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._paths import (
    PathError, base_of, refuse_inside_collection, resolve,
)


class LookupModule(LookupBase):
    """Absolute paths for what the play writes, never inside the installed collection."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        option = self.get_option("option")
        base = base_of(variables or {})
        paths = []
        for term in terms:
            if not term:
                raise AnsibleLookupError("%s is empty: set it to a path of your own" % option)
            path = resolve(term, base)
            try:
                refuse_inside_collection(path, option)
            except PathError as exc:
                raise AnsibleLookupError(str(exc)) from None
            paths.append(path)
        return paths
