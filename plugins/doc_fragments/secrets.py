# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the secret classifier shared by workflow_export and workflow_import."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Which values are secrets: the classifier's extensions and exceptions, and the project's declarations."""

    DOCUMENTATION = r"""
options:
  secret_keys:
    description:
      - More JSON key names whose values are secrets, as names or glob patterns (C(*) and C(?)), matched
        case-insensitively with C(_), C(-), C(.) and spaces ignored (C(*pin*) matches C(userPin) and C(PIN_CODE)).
      - Built in are C(password), C(passwd), C(pwd), C(passphrase), C(*secret*), C(*token*), C(*private*key*),
        C(*access*key*), C(apikey), C(cookie), C(authorization), C(dsn), C(*connection*string*), C(credential*), ...,
        whatever they hold, and, for text only, keys with the word C(pass), C(auth), C(hmac), C(salt), C(sig),
        C(signature), C(signing) or C(otp) in any casing and separator (C(smtp.pass), C(hmacKey), C(X-Auth)), but not
        an auth scheme's name (an C(auth) of C(oauth2)). Keys about a secret rather than holding one stay readable (C(tokenUrl),
        C(maxTokens), C(secretName), C(passwordPolicy), C(authType)), and so do numbers and booleans under token-like
        keys and values that only refer to another (C({{env.API_TOKEN}}), C(${TOKEN})).
      - Values are also secrets by their shape, whatever their key (C(Bearer)/C(Basic)/C(Token) credentials, PEM
        private keys, JWTs, provider keys such as C(sk-...), C(ghp_...), C(xoxb-...), C(AKIA...), C(kg-...)); as the
        value of header-like items whose name names a secret, whatever their field names (a C(value) beside a C(key)
        C(Authorization), a C(headerValue) beside a C(headerName) C(X-Auth)); and in an argument list after a flag
        naming one
        (C([--password, ...])).
      - In a string, a credential part alone is a secret, the rest staying readable. Such parts are a URL's password
        (C(user:PART@host)), its query or fragment parameters named like credentials (C(?access_token=PART),
        C(&sig=PART)), the secret path of well-known webhook services (C(hooks.slack.com/services/PART), Discord, Teams,
        Zapier, Telegram, IFTTT), and C(name=PART) pairs (C(--password=PART), C(Password=PART;)).
      - In the environment-variables member, the variables are the environment's, that is every value of each item of its
        variables list (or mapping), or of each entry of a plain name-to-value mapping, but the variable's name and
        flags. What sits beside the variables (C(workflowId), C(environment), C(revision)) is metadata, judged as any
        other value.
      - The same classifier decides what review trees redact, what diffs hide, which values a promotion takes from
        the target and what the task's output masks.
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
  secrets_file:
    description:
      - The project's declaration of what belongs to each environment, beside what the classifier finds, a YAML (or
        JSON) file, kept in git beside the inventory, read where the module runs.
      - V(environment_owned) lists pointers whose values each environment keeps its own (redacted in review trees,
        taken from the target or given, never moved by a promotion), and V(not_secret) pointers that only look like
        secrets (shown, and moved like logic). A pointer has the form O(koreai.ai_for_process.workflow_import#module:secret_values)
        takes (C(flow/nodes/crm-1/settings/webhookUrl), C(env/REGION), C(env-metadata/environment) for what sits beside
        the variables); a segment may be a glob (C(*), C(crm-*)) and C(**) stands for any number of segments; an entry
        names the value at its pointer and every value below it. Where both lists name a value, V(environment_owned)
        wins.
      - V(secret_keys), V(not_secret_keys) and V(secret_value_patterns) are added to the options of these names.
      - >-
        For example: C({environment_owned: [flow/nodes/*/settings/webhookUrl, env/REGION], not_secret:
        [flow/nodes/*/settings/headers/X-Trace-Token/value], secret_keys: [tenantKey]}).
      - The export role takes it as C(export_workflows_secrets_file), the promotion as C(koreai_secrets_file).
    type: path
    version_added: 0.5.0
"""
