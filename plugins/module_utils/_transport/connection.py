# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the connection options every module takes.

Their argument spec, the one rule by which the controller's ``KOREAI_*``
variables fill them (``resolve_connection``: for the modules and for the
connection lookup the roles use), the checks that tell an unusable host, API
key, CA path, timeout or retries before any request, and the warnings about
settings that put the key at risk. No message holds the key or any part of it.
"""

import os

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.validation import check_type_path
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.urls import display_url, is_http_url

ENV_HOST = "KOREAI_HOST"
# The settings of the environment in KOREAI_HOST, as the collection's AWX credential type injects them together: they
# go to that host only, never to a host a task or a role names itself.
HOST_SETTINGS = {"api_key": "KOREAI_API_KEY", "validate_certs": "KOREAI_VALIDATE_CERTS",
                 "ca_path": "KOREAI_CA_PATH", "kind": "KOREAI_KIND"}
KINDS = ("workflow", "tool")
DEFAULT_KIND = KINDS[0]
API_KEY_SOURCES = "api_key, or KOREAI_API_KEY for the host in KOREAI_HOST"


class ConnectionSettingError(ValueError):
    """A KOREAI_* variable holds a value that cannot be used; the message names the variable and the fix."""


def connection_argument_spec():
    """Options every module of the collection takes to reach an environment. host and api_key (required here or in
    the environment) and the settings of KOREAI_HOST are filled by resolve_connection and checked by
    connection_problems; timeout and retries are the controller's, for whatever host."""
    return dict(
        host=dict(type="str"),
        api_key=dict(type="str", no_log=True),
        kind=dict(type="str", default=DEFAULT_KIND, choices=list(KINDS)),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        allow_http_downloads=dict(type="bool", default=False),
        timeout=dict(type="float", default=30, fallback=(env_fallback, ["KOREAI_TIMEOUT"])),
        retries=dict(type="int", default=5, fallback=(env_fallback, ["KOREAI_RETRIES"])),
    )


def resolve_connection(given, environ):
    """The connection of an environment (host, api_key, validate_certs, ca_path, kind) from the given settings (None
    where unset) and environ's KOREAI_* variables.

    An unset host takes KOREAI_HOST. The settings of HOST_SETTINGS from environ belong to that host and fill only a
    connection to it: a host of its own never receives the controller's key. Given settings win, except that
    KOREAI_VALIDATE_CERTS can only turn validation off and a kind of workflow (the default) gives way to KOREAI_KIND.
    ConnectionSettingError names a KOREAI_* value that cannot be used.
    """
    env_host = environ.get(ENV_HOST) or None
    host = env_host if given.get("host") is None else given["host"]
    env = environ if env_host is not None and host == env_host else {}
    kind = given.get("kind") or DEFAULT_KIND
    return {
        "host": host,
        "api_key": _given_or_env(given, env, "api_key"),
        "validate_certs": given.get("validate_certs") is not False and not env_turns_validation_off(env),
        "ca_path": _given_or_env(given, env, "ca_path"),
        "kind": env_kind(env) if kind == DEFAULT_KIND else kind,
    }


def _given_or_env(given, env, option):
    value = given.get(option)
    return (env.get(HOST_SETTINGS[option]) or None) if value is None else value


def env_turns_validation_off(env):
    """Whether KOREAI_VALIDATE_CERTS (unset or empty: true) turns certificate validation off; a value that is neither
    true nor false is refused rather than taken as false."""
    variable = HOST_SETTINGS["validate_certs"]
    try:
        return not boolean(env.get(variable) or True, strict=True)
    except TypeError:
        raise ConnectionSettingError("%s in the controller's environment is neither true nor false: set it to true or "
                                     "false, or unset it" % variable) from None


def env_kind(env):
    """KOREAI_KIND (unset or empty: workflow); a value that names no kind is refused."""
    variable = HOST_SETTINGS["kind"]
    kind = env.get(variable) or DEFAULT_KIND
    if kind not in KINDS:
        raise ConnectionSettingError("%s in the controller's environment is %r: set it to %s, or unset it"
                                     % (variable, kind, " or ".join(KINDS)))
    return kind


def module_connection(params, environ):
    """A module's connection options resolved by resolve_connection, a ca_path from the environment expanded as the
    option's own is (~ and variables)."""
    resolved = resolve_connection(params, environ)
    if resolved["ca_path"] and params.get("ca_path") is None:
        resolved["ca_path"] = check_type_path(resolved["ca_path"])
    return resolved


def connection_problems(params):
    """Return a message for each unusable connection option (empty when all are fine)."""
    problems = []
    host = (params.get("host") or "").strip()
    if not host:
        problems.append("host is not set; set host or the KOREAI_HOST environment variable to the environment's URL")
    elif not is_http_url(host):
        problems.append("host must be a URL with a scheme, such as https://process.kore.ai; got %r" % host)
    problems.append(api_key_problem(params.get("api_key")))
    problems.append(ca_path_problem(params.get("ca_path")))
    if params.get("timeout") is not None and params["timeout"] <= 0:
        problems.append("timeout must be a number of seconds greater than 0")
    if params.get("retries") is not None and params["retries"] < 0:
        problems.append("retries must be 0 or more")
    return [problem for problem in problems if problem]


def api_key_problem(api_key):
    """Why api_key cannot be used (None when it can); the message never holds the key or any part of it."""
    if api_key is None:
        return "api_key is not set; set %s" % API_KEY_SOURCES
    key = api_key.strip()
    if not key:
        return "api_key is empty; set %s" % API_KEY_SOURCES
    if not all("!" <= char <= "~" for char in key):
        return ("api_key (or KOREAI_API_KEY) holds a character that cannot be sent in an HTTP header: only printable "
                "ASCII without spaces is allowed; look for a line break, a space or an invisible character pasted "
                "with the key")
    return None


def ca_path_problem(ca_path):
    """Why ca_path cannot be read (None when it is unset or readable)."""
    if not ca_path:
        return None
    if not os.path.exists(ca_path):
        return "ca_path %s does not exist; set it to a PEM file of the CA certificates that sign the server's" % ca_path
    if not os.access(ca_path, os.R_OK | (os.X_OK if os.path.isdir(ca_path) else 0)):
        return "ca_path %s is not readable by this user" % ca_path
    return None


def connection_warnings(params):
    """Warnings (for module.warn) about options that put the key and the exported secrets at risk."""
    warnings = []
    if params.get("validate_certs") is False:
        warnings.append("validate_certs is false: the server's certificate is not checked, so anyone on the network "
                        "path can read the API key and the exported secrets; set ca_path for a private CA instead")
    host = (params.get("host") or "").strip()
    if host.lower().startswith("http://"):
        warnings.append("host %s uses plain http: the API key and the exported secrets travel unencrypted; use https"
                        % display_url(host))
    return warnings
