# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes every module of koreai.ai_for_process shares."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The platform and the action group. List it before ansible.builtin.action_common_attributes and its
    actiongroups: of two fragments that describe one attribute, the first one listed wins."""

    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: posix
  action_group:
    support: full
    membership:
      - koreai.ai_for_process.ai_for_process
"""
