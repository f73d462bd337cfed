# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the one classifier of secret values.

A value is a secret by the key it is under, by its own shape, or by what surrounds it:

- key names, matched in every casing and separator (``dbPassword``, ``client_secret``, ``X-Api-Key``, ``smtp.pass``,
  ``hmacKey``, ``X-Auth``); keys about a secret rather than holding one stay readable (``tokenUrl``, ``maxTokens``,
  ``authType``). The strong names (``password``, ``*secret*``, ``*token*``...) hide whatever is under them; the weak
  ones (``pass``, ``auth``, ``hmac``, ``salt``, ``sig``, ``signature``...) hide text only, and not an auth scheme's
  name (``auth: oauth2``);
- value shapes: ``Bearer ...``, a PEM private key, a JWT, provider keys (``sk-...``, ``ghp_...``, ``xoxb-...``);
- header-like items, whatever their field names: the value of ``{key|name|header|headerName..., value}`` whose name
  names a secret (``{"key": "X-Auth", "value": ...}``), and in an argument list the value after a flag naming one
  (``["--password", "..."]``);
- credential parts of a string, hidden alone so that a reviewer still sees the rest: a URL's password
  (``user:PART@``), query or fragment parameters named like credentials (``?access_token=PART``), the secret path
  of well-known webhook services (``hooks.slack.com/services/PART``), and ``name=PART`` pairs in connection strings
  and arguments (``--password=PART``, ``Password=PART;``).

A value that only refers to another (``{{env.API_TOKEN}}``, ``${TOKEN}``) is not a secret under a key name.
Declarations (see ``_secrets_file``) name pointers that are environment-owned or known not secret; they win over
the rules above. Users extend and narrow the rules with secret_keys, not_secret_keys and secret_value_patterns.
"""

import fnmatch
import re
from collections import namedtuple

from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.declarations import (
    Declarations, DeclarationError, load_declarations,
)

SECRET_KEYS = ("password", "passwd", "pwd", "passphrase", "apikey", "cookie", "setcookie", "authorization",
               "proxyauthorization", "dsn", "pin", "accountkey", "sharedaccesskey")
SECRET_KEY_PATTERNS = ("*secret*", "*token*", "*password*", "*passwd*", "*passphrase*", "*private*key*", "*access*key*",
                       "*apikey*", "*api*key", "credential*", "*credentials", "*connection*string*", "*cookie*",
                       "*authorization", "*signing*key*", "*session*key*", "*encryption*key*", "*clientsecret*")
WEAK_KEY_WORDS = frozenset(("pass", "auth", "hmac", "salt", "signing", "signature", "sig", "otp", "passcode",
                            "credential", "pw"))
# A key naming what is about a secret, not the secret: tokenUrl, maxTokens, secretName, passwordPolicy, authType...
NOT_SECRET_SUFFIXES = ("name", "names", "ref", "reference", "policy", "url", "uri", "endpoint", "type", "length", "expiry",
                       "expiresat", "expiresin", "ttl", "count", "limit", "limits", "header", "headername", "field",
                       "location", "path", "settings", "config", "enabled", "required", "usage", "used", "budget",
                       "format", "prefix", "placement", "param", "parameter", "algorithm", "alg", "method", "mode",
                       "scheme", "version")
TOKEN_COUNT_PREFIXES = ("max", "min", "num", "total", "prompt", "completion", "input", "output", "context")
AUTH_SCHEME_WORDS = frozenset(("none", "basic", "bearer", "digest", "oauth", "oauth1", "oauth2", "apikey", "jwt", "hmac",
                               "ntlm", "kerberos", "custom", "header", "query", "body", "true", "false", "enabled",
                               "disabled", "required", "optional", "sha256", "sha1", "sha512", "hmacsha256"))
VALUE_PATTERNS = (
    r"^\s*(?:bearer|basic|token|digest|bot|apikey|hmac|negotiate)\s+[A-Za-z0-9._~+/=:-]{6,}",
    r"\bbearer\s+[A-Za-z0-9._~+/=-]{8,}",
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
    r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    r"\b(?:sk|rk|pk)[-_](?:live|test|proj|ant)?[-_]?[A-Za-z0-9_-]{16,}",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}", r"\bgithub_pat_[A-Za-z0-9_]{20,}", r"\bglpat-[A-Za-z0-9_-]{16,}",
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}", r"\bxapp-\d-[A-Za-z0-9-]{10,}", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bAIza[0-9A-Za-z_-]{30,}", r"\bkg-[A-Za-z0-9][A-Za-z0-9-]{7,}", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
    r"\bnpm_[A-Za-z0-9]{36}\b", r"\bhf_[A-Za-z0-9]{30,}\b", r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b",
    r"(?:^|;\s*)(?:session|sessionid|sid|jsessionid|phpsessid|connect\.sid|auth|token)=[^;\s]{8,}",
)
REFERENCE = re.compile(r"^\s*(?:\{\{[^{}]*\}\}|\$\{[^{}]*\}|\{env\.[^{}]*\})\s*$")
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'`]+")
PAIR = re.compile(r"(?:^|(?<=[?&;#\s,]))(-{0,2}[A-Za-z_][A-Za-z0-9_.\[\]-]*)=([^&;#\s,\"'()]+)")
FLAG = re.compile(r"^-{1,2}[A-Za-z][A-Za-z0-9_.-]*$")
URL_KEY_PARAMS = frozenset(("key", "code"))  # named like nothing secret, yet the credential of a signed URL
WEBHOOK_PATHS = (  # (host glob, pattern of the path whose group 1 is the secret)
    ("hooks.slack.com", r"/(?:services|workflows|triggers)/(.+)"),
    ("discord.com", r"/api/webhooks/[^/]+/([^/?#]+)"), ("discordapp.com", r"/api/webhooks/[^/]+/([^/?#]+)"),
    ("*.webhook.office.com", r"/webhookb2/(.+)"), ("outlook.office.com", r"/webhook/(.+)"),
    ("hooks.zapier.com", r"/hooks/catch/(.+)"), ("api.telegram.org", r"/bot([^/]+)"),
    ("maker.ifttt.com", r"/trigger/[^/]+/with/key/([^/?#]+)"), ("webhook.site", r"/([^/?#]+)"),
)

Part = namedtuple("Part", "name start end")  # a credential inside a string: text[start:end], named to match it


def normalised_key(key):
    return "".join(char for char in str(key).lower() if char not in "_-. ")


def key_words(key):
    """The words of a key name in any casing and separator: ``hmacKey`` -> hmac, key; ``X-Auth`` -> x, auth."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(key))
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return [word for word in re.split(r"[^A-Za-z0-9]+", text.lower()) if word]


def is_reference(value):
    """Whether value only refers to another (``{{env.TOKEN}}``, ``${TOKEN}``): no credential is in it."""
    return isinstance(value, str) and bool(REFERENCE.match(value))


class ClassifierError(ValueError):
    """A classifier option that cannot be used (its message names the option and the fix)."""


def _compiled(patterns, option):
    compiled = []
    for index, pattern in enumerate(patterns or ()):
        try:
            compiled.append(re.compile(pattern))
        except (re.error, TypeError) as exc:
            raise ClassifierError("%s[%d] is not a valid regular expression (%s); give a Python regular expression such "
                                  "as '^myco_[0-9a-f]{32}$'" % (option, index, exc))
    return tuple(compiled)


class Classifier:
    """Decides which values are secrets (see the module's docstring).

    secret_keys and not_secret_keys are key names or glob patterns (matched case-insensitively, with ``_``, ``-``,
    ``.`` and spaces ignored); secret_value_patterns are regular expressions searched in values; declarations a
    _secrets_file.Declarations.
    """

    def __init__(self, secret_keys=(), not_secret_keys=(), secret_value_patterns=(), declarations=None):
        self.extra_keys = tuple(normalised_key(pattern) for pattern in secret_keys or ())
        self.not_keys = tuple(normalised_key(pattern) for pattern in not_secret_keys or ())
        self.value_patterns = tuple(re.compile(pattern, re.IGNORECASE) for pattern in VALUE_PATTERNS) + _compiled(
            secret_value_patterns, "secret_value_patterns")
        self.declarations = declarations or Declarations()
        self._key_strengths = {}  # key -> its strength: documents repeat their keys, the patterns are many

    def key_strength(self, key):
        """``"strong"`` when a key names a secret whatever is under it, ``"weak"`` when only text under it is one,
        else None."""
        if key not in self._key_strengths:
            self._key_strengths[key] = self._strength_of(key)
        return self._key_strengths[key]

    def _strength_of(self, key):
        norm = normalised_key(key)
        if not norm or any(fnmatch.fnmatchcase(norm, pattern) for pattern in self.not_keys):
            return None
        if norm in SECRET_KEYS or any(fnmatch.fnmatchcase(norm, pattern) for pattern in self.extra_keys):
            return "strong"
        words = key_words(key)
        about = norm.endswith(NOT_SECRET_SUFFIXES) or ("token" in norm and norm.startswith(TOKEN_COUNT_PREFIXES))
        if not about and any(fnmatch.fnmatchcase(norm, pattern) for pattern in SECRET_KEY_PATTERNS):
            return "strong"
        if words and words[-1] not in NOT_SECRET_SUFFIXES and WEAK_KEY_WORDS.intersection(words):
            return "weak"
        return None

    def key_is_secret(self, key):
        """Whether a JSON key (or a header's or parameter's name) names a secret."""
        return self.key_strength(key) is not None

    def value_is_secret(self, value):
        """Whether a string is a credential by its shape (auth scheme, PEM, JWT, provider key...)."""
        return isinstance(value, str) and not is_reference(value) and any(
            pattern.search(value) for pattern in self.value_patterns)

    def secret_under_key(self, key, value):
        """Whether value, under key, is a secret by the key's name: anything under a strong name but booleans, nulls,
        references and numbers under token-ish names; only text that is no auth scheme's name under a weak one."""
        strength = self.key_strength(key)
        if strength is None or value is None or isinstance(value, bool) or is_reference(value):
            return False
        if strength == "weak":
            return isinstance(value, str) and normalised_key(value) not in AUTH_SCHEME_WORDS and bool(value.strip())
        return not (isinstance(value, (int, float)) and "token" in normalised_key(key))

    def names_secret_header(self, item):
        """Whether a dict is a header-like item ({key|name|header..., value}) whose name names a secret."""
        return any(normalised_key(field) in HEADER_NAME_FIELDS and isinstance(name, str) and self.key_is_secret(name)
                   for field, name in item.items())

    def flag_names_secret(self, text):
        """Whether text is a command-line flag naming a secret (``--password``, ``--api-key``)."""
        return isinstance(text, str) and bool(FLAG.match(text)) and self.key_is_secret(text.lstrip("-"))

    def credential_parts(self, value):
        """The Parts of a string that are credentials (see the module's docstring), in order; () for none."""
        if not isinstance(value, str) or "=" not in value and "://" not in value:
            return ()
        parts = {}
        for match in URL.finditer(value):
            for part in _url_parts(match.group(0), match.start()):
                parts.setdefault(part.start, part)
        for match in PAIR.finditer(value):
            if self._pair_is_secret(value, match) and not is_reference(match.group(2)):
                name = "%s=" % match.group(1).lstrip("-").lower()
                parts.setdefault(match.start(2), Part(name, match.start(2), match.end(2)))
        return _unique_names(sorted(parts.values(), key=lambda part: part.start))

    def _pair_is_secret(self, value, match):
        in_query = match.start() > 0 and value[match.start() - 1] in "?&#"
        return self.key_is_secret(match.group(1).lstrip("-")) or (in_query and normalised_key(match.group(1)) in URL_KEY_PARAMS)

    def declared(self, address):
        """``"owned"`` or ``"not secret"`` when the declarations name the pointer address (or a parent), else None."""
        return self.declarations.verdict(address)


HEADER_NAME_FIELDS = frozenset(("key", "name", "header", "headername", "headerkey", "field", "fieldname", "param",
                                "paramname", "parameter", "parametername", "label", "title", "k"))
HEADER_VALUE_FIELDS = frozenset(("value", "headervalue", "val", "v", "content", "data", "fieldvalue", "paramvalue",
                                 "parametervalue", "text"))


def _url_parts(url, offset):
    """The userinfo password and webhook secret path of one URL (found at offset in its string)."""
    found = []
    scheme_end = url.index("://") + 3
    authority_end = min([position for position in (url.find(char, scheme_end) for char in "/?#") if position >= 0]
                        or [len(url)])
    authority = url[scheme_end:authority_end]
    if "@" in authority:
        userinfo = authority.rpartition("@")[0]
        if ":" in userinfo:
            start = scheme_end + userinfo.index(":") + 1
            found.append(Part("userinfo", offset + start, offset + scheme_end + len(userinfo)))
    host = authority.rpartition("@")[2].rpartition(":")[0] or authority.rpartition("@")[2]
    path_end = min([position for position in (url.find(char, authority_end) for char in "?#") if position >= 0]
                   or [len(url)])
    for pattern_host, pattern in WEBHOOK_PATHS:
        if fnmatch.fnmatchcase(host.lower(), pattern_host):
            match = re.match(pattern, url[authority_end:path_end])
            if match and match.group(1):
                start = offset + authority_end + match.start(1)
                found.append(Part("path", start, start + len(match.group(1))))
            break
    return found


def _unique_names(parts):
    """parts, a name seen before numbered (``token=``, ``token=#2``), so that each names one place."""
    seen = {}
    unique = []
    for part in parts:
        seen[part.name] = seen.get(part.name, 0) + 1
        unique.append(part if seen[part.name] == 1 else part._replace(name="%s#%d" % (part.name, seen[part.name])))
    return tuple(unique)


def classifier_argument_spec():
    """The options that extend and narrow the classifier (documented by the secrets doc fragment)."""
    return dict(
        secret_keys=dict(type="list", elements="str", default=[], no_log=False),
        not_secret_keys=dict(type="list", elements="str", default=[], no_log=False),
        secret_value_patterns=dict(type="list", elements="str", default=[], no_log=False),
        secrets_file=dict(type="path", no_log=False),
    )


def classifier_from_params(params):
    """The Classifier of a module's (or a lookup's) options, the secrets file's lists added to them; raises
    ClassifierError naming a bad option or file entry."""
    try:
        declarations = load_declarations(params.get("secrets_file"))
    except DeclarationError as exc:
        raise ClassifierError(str(exc))
    return Classifier(list(params.get("secret_keys") or ()) + list(declarations.secret_keys),
                      list(params.get("not_secret_keys") or ()) + list(declarations.not_secret_keys),
                      list(params.get("secret_value_patterns") or ()) + list(declarations.secret_value_patterns),
                      declarations)


DEFAULT_CLASSIFIER = Classifier()
