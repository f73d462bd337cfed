# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the secret classifier shared by workflow_export and workflow_import."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Which values are secrets: the classifier's extensions and exceptions."""

    DOCUMENTATION = r"""
options:
  secret_keys:
    description:
      - More JSON key names whose values are secrets, as names or glob patterns (C(*) and C(?)), matched
        case-insensitively with C(_), C(-), C(.) and spaces ignored (C(*pin*) matches C(userPin) and C(PIN_CODE)).
      - Built in are C(password), C(passwd), C(pwd), C(passphrase), C(*secret*), C(*token*), C(*private*key*),
        C(*access*key*), C(apikey), C(cookie), C(authorization), C(dsn), C(*connection*string*), C(credential*), ...
        Keys about a secret rather than holding one stay readable (C(tokenUrl), C(maxTokens), C(secretName),
        C(passwordPolicy)), and so do numbers and booleans under token-like keys.
      - Values are also secrets by their shape, whatever their key (C(Bearer)/C(Basic)/C(Token) credentials, URLs
        with C(user:password@), PEM private keys, JWTs, provider keys such as C(sk-...), C(ghp_...), C(xoxb-...),
        C(AKIA...), C(kg-...)), and as the C(value) of C({key|name|header, value}) items whose key names a secret
        (an C(Authorization) or C(Cookie) header item). In the environment-variables member every value is one.
      - The same classifier decides what review trees redact, what diffs hide, which values a promotion takes from
        the target and what the task's output scrubs.
    type: list
    elements: str
    default: []
    version_added: 0.3.0
  not_secret_keys:
    description:
      - JSON key names (or glob patterns, matched as in O(secret_keys)) that only look like secrets; their values are
        judged by their shape alone. They win over O(secret_keys) and the built-in names.
    type: list
    elements: str
    default: []
    version_added: 0.3.0
  secret_value_patterns:
    description:
      - More Python regular expressions; a string value in which one is found is a secret, whatever its key.
    type: list
    elements: str
    default: []
    version_added: 0.3.0
"""
