# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: where the files a play writes go, for the roles and the controller-side plugins.

One base for relative paths (the inventory's directory, else the playbook's, else the current directory), so that
files land in the project whether it runs from a shell, CI or AWX; and one rule: nothing is written inside the
installed collection, which the next install replaces.
"""

import os

from ansible.module_utils.common.validation import check_type_path

COLLECTION_ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))


class PathError(ValueError):
    """A path the play would write to cannot be used; the message names the option and the fix."""


def base_of(task_vars):
    """The one base of relative paths: the inventory's directory (of the file that defines the host), else the
    playbook's, else the current directory. (A host list such as -i localhost, has no directory: ansible-core names
    it 'None'.)"""
    inventory_dir = str(task_vars.get("inventory_dir") or "")
    return inventory_dir if os.path.isabs(inventory_dir) else task_vars.get("playbook_dir") or os.getcwd()


def resolve(path, base):
    """An absolute, normalised path: path itself (~ and $VARIABLES expanded, as a path option's are), or path under
    base."""
    path = check_type_path(path)
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(base, path))


def refuse_inside_collection(path, option):
    """Nothing is written inside the installed collection: PathError naming the option and the fix."""
    real = os.path.realpath(path)
    if real == COLLECTION_ROOT or real.startswith(COLLECTION_ROOT + os.sep):
        raise PathError("%s resolves to %s, inside the installed collection, which the next collection install "
                        "replaces: give an absolute path, or run with an inventory file (-i) so that relative paths "
                        "resolve against its directory" % (option, path))
