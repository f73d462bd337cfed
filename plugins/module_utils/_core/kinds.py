# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: what differs between AI for Process workflows and Agent Platform tools.

Kore.ai publishes the same export, import, deploy and dock status APIs for both
products; only the route segment and the body field names differ. Answers are
parsed the same way whatever the kind (``workflowId`` or ``toolId``, job type
WORKFLOWS or TOOLS).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """The spellings of one kind of entity in the API."""

    name: str
    routes: tuple
    data_field: str
    name_field: str

    def describe(self, entity_id):
        """``workflow a-1`` or ``tool t-1``, for messages."""
        return "%s %s" % (self.name, entity_id)


KINDS = {
    "workflow": Kind("workflow", ("workflows", "workflow"), "workflowDataFileId", "workflowName"),
    "tool": Kind("tool", ("tools", "tool"), "toolDataFileId", "toolName"),
}
DEFAULT_KIND = "workflow"


def kind_named(name):
    """The Kind for the connection option kind (workflow when unset)."""
    return KINDS[name or DEFAULT_KIND]


def other_kind(kind):
    """The other product's Kind, to tell a user on the wrong one which kind to set."""
    return next(candidate for candidate in KINDS.values() if candidate.name != kind.name)
