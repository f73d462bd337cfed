# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that read export archives (export, import): how large an archive may be."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The budgets an archive is checked against before it is read or written out."""

    DOCUMENTATION = r"""
options:
  max_archive_bytes:
    description:
      - Most bytes an archive may expand to, in all; a larger one is refused before it is read.
      - A download (the export, or the export an import compares with) stops once it passes this budget plus 1/64
        (for the zip's own structure), and once it has taken O(wait_timeout), however slowly it arrives; nothing is
        kept.
    type: int
    default: 536870912
  max_members:
    description: Most members an archive may hold.
    type: int
    default: 10000
  max_member_bytes:
    description: Most bytes one member may expand to.
    type: int
    default: 268435456
"""
