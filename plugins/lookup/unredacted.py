# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: unredacted
short_description: Secret values left in clear in review trees
version_added: 0.3.0
description:
  - Lists every value of the JSON files below the given directories that the collection's secret classifier calls
    secret and that is not a C(<redacted:koreai...>) placeholder, as C(<file> at <JSON pointer>); a JSON file that
    cannot be parsed is listed as C(<file> (cannot be checked)). An empty list means the trees hold no secret.
  - It is the check of M(koreai.ai_for_process.workflow_export)'s O(koreai.ai_for_process.workflow_export#module:extract_to)
    trees, with the same classifier, for a review or CI step; the playbook C(koreai.ai_for_process.check_tree) wraps it.
  - Links are neither followed nor listed.
options:
  _terms:
    description: Directories to check (a review tree, or a directory holding several).
    type: list
    elements: path
    required: true
  secret_keys:
    description: As O(koreai.ai_for_process.workflow_export#module:secret_keys).
    type: list
    elements: str
    default: []
  not_secret_keys:
    description: As O(koreai.ai_for_process.workflow_export#module:not_secret_keys).
    type: list
    elements: str
    default: []
  secret_value_patterns:
    description: As O(koreai.ai_for_process.workflow_export#module:secret_value_patterns).
    type: list
    elements: str
    default: []
  secrets_file:
    description:
      - As O(koreai.ai_for_process.workflow_export#module:secrets_file), the project's declaration of environment-owned
        and not secret pointers, read on the controller (a relative path from the current directory; empty for none).
    type: str
    version_added: 0.5.0
"""

EXAMPLES = r"""
- name: Fail when a review tree holds a value in clear
  ansible.builtin.assert:
    that: lookup('koreai.ai_for_process.unredacted', 'exports', wantlist=True) == []
    fail_msg: "{{ lookup('koreai.ai_for_process.unredacted', 'exports', wantlist=True) }}"

- name: The same check with the project's declaration of environment-owned values
  ansible.builtin.assert:
    that: lookup('koreai.ai_for_process.unredacted', 'exports', secrets_file='secrets.yml', wantlist=True) == []
"""

RETURN = r"""
_raw:
  description: One C(<file> at <JSON pointer>) entry per secret value in clear, files relative to the directory given.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import find_unredacted
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import ClassifierError, classifier_from_params


class LookupModule(LookupBase):
    """The unredacted values of review trees."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            options = {name: self.get_option(name) for name in ("secret_keys", "not_secret_keys", "secret_value_patterns")}
            secrets_file = self.get_option("secrets_file")
            options["secrets_file"] = os.path.abspath(os.path.expanduser(secrets_file)) if secrets_file else None
            classifier = classifier_from_params(options)
        except ClassifierError as exc:
            raise AnsibleLookupError(str(exc))
        found = []
        for term in terms:
            if not os.path.isdir(term):
                raise AnsibleLookupError("%s is not a directory; give a review tree (extract_to) or a directory of them" % term)
            for relative, pointer in find_unredacted(term, classifier):
                where = os.path.join(term, relative)
                found.append("%s at %s" % (where, pointer) if pointer else "%s (cannot be checked)" % where)
        return found
