# Appended to the conf.py that `antsibull-docs sphinx-init` generates (tests/ecosystem/lib.sh), so that the
# docsite builds without network access and still with -W (warnings are errors):
# - no intersphinx inventories are fetched (docs.ansible.com and docs.python.org cannot be reached offline);
# - references into the Ansible docs that intersphinx would have resolved are linked to their pages on
#   docs.ansible.com by name instead. Any other unresolved reference, such as a broken :ref: in an extra docs
#   page of this collection, still fails the build.
import re as _re

from docutils import nodes as _nodes

intersphinx_mapping = {}

_ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
_ANSIBLE_LABELS = {
    "ansible_configuration_settings": "reference_appendices/config.html",
    "common_return_values": "reference_appendices/common_return_values.html",
    "playbooks_vault": "vault_guide/index.html",
    "module_defaults": "playbook_guide/playbooks_module_defaults.html",
    "playbooks_tags": "playbook_guide/playbooks_tags.html",
    "action_plugins": "plugins/action.html",
}
_OTHER_COLLECTION = _re.compile(r"^ansible_collections\.(?!koreai\.ai_for_process\.)([a-z0-9_]+)\.([a-z0-9_]+)\.(.+)$")


def _link_to_ansible_docs(app, env, node, contnode):
    if node.get("refdomain") != "std" or node.get("reftype") != "ref":
        return None
    target = node.get("reftarget", "")
    page = _ANSIBLE_LABELS.get(target)
    match = _OTHER_COLLECTION.match(target)
    if page is None and match:
        page = "collections/%s/%s/%s.html" % match.groups()
    if page is None:
        return None
    reference = _nodes.reference("", "", internal=False, refuri=_ANSIBLE_DOCS + page)
    reference.append(contnode)
    return reference


def setup(app):
    app.connect("missing-reference", _link_to_ansible_docs)
