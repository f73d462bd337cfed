# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: checks of module options that every module shares.

Each check names the option to fix; they run before any request is sent or any file written.
"""

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError


class PlanError(KoreaiError):
    """A parameter that cannot work, with the fix in its message."""


def text(value, option, required=False):
    """value as stripped text, None when empty; a PlanError naming option when required and empty."""
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise PlanError("%s must be a non-empty string" % option)
    return value or None


def identifier(value, option, required=False):
    """An id for a URL path segment: '.' and '..' would be resolved away by URL normalisation on the way."""
    value = text(value, option, required)
    if value in (".", ".."):
        raise PlanError("%s %r is not a valid id: it would change the URL path instead of naming a workflow" % (option, value))
    return value


def check_positive(params, options):
    """A PlanError for the first of options that is set and not greater than 0."""
    for option in options:
        if params.get(option) is not None and params[option] <= 0:
            raise PlanError("%s must be greater than 0" % option)
