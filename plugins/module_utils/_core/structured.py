# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: an option that takes data, given as data or as JSON text.

Options such as ``env_variables`` and ``secret_values`` come as a mapping from a playbook, or as JSON text from a
lookup (``lookup('file', ...)``) or a template. This is the one place that tells them apart, for the modules and
for the controller's plugins alike.
"""

import json


class NotJson(ValueError):
    """Text that looks like JSON (it starts with ``{`` or ``[``) and does not parse; the message names the option."""


def looks_like_json(text):
    """Whether text (a str) is meant as a JSON object or array."""
    return text.lstrip().startswith(("{", "["))


def json_or_data(value, option):
    """value as data: a mapping or a list as given, JSON text parsed; any other value (a plain string, a number) is
    returned as it is, for the caller to accept or refuse. NotJson names option for text that looks like JSON and does
    not parse (or nests too deeply to parse)."""
    if not isinstance(value, str) or not looks_like_json(value):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        reason = "it nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise NotJson("%s is not valid JSON (%s)" % (option, reason)) from None
