# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_modes: symbolic modes give a regular file the mode ansible.builtin.file gives it, and bad clauses are named."""

import itertools
import os
import stat

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.modes import current_umask, symbolic_mode

CLAUSES = ["u=rw", "g+r", "o-r", "a+x", "+x", "=r", "go=", "u+s", "g+s", "o+t", "a-w", "u=rwx,g=rx,o=",
           "g=u", "o=g", "u+X", "a+X", "ug+rw", "u=rw,go=r", "+w", "-r", "u-x+w", "g=u-w", "o+rwxt"]
BASES = [0o600, 0o644, 0o755, 0o000, 0o4750, 0o7777, 0o640]


def reference(text, base):
    """What ansible-core's own parser says (the oracle this parser must agree with)."""
    fake = os.stat_result((stat.S_IFREG | base, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    return AnsibleModule._symbolic_mode_to_octal(fake, text)  # pylint: disable=protected-access


@pytest.mark.parametrize("text, base", list(itertools.product(CLAUSES, BASES)))
def test_agrees_with_ansible_core(text, base):
    assert oct(symbolic_mode(text, base)) == oct(reference(text, base))


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_no_users_leaves_the_umask_bits_alone(umask):
    saved = os.umask(umask)
    try:
        assert current_umask() == umask
        for text in ("+w", "=rw", "+rx"):
            assert oct(symbolic_mode(text, 0o600)) == oct(reference(text, 0o600))
    finally:
        os.umask(saved)


@pytest.mark.parametrize("text", ["x=rw", "u=q", "u", "", "u=r,,g=r", "a+rw g-w"])
def test_bad_clauses_are_refused(text):
    with pytest.raises(ValueError, match="bad symbolic permission for mode"):
        symbolic_mode(text, 0o600)
