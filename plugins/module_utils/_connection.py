# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the connection options every module takes.

Their argument spec (with the ``KOREAI_*`` environment fallbacks), the checks
that tell an unusable host, API key, CA path, timeout or retries before any
request, and the warnings about settings that put the key at risk. No message
holds the key or any part of it.
"""

import os

from ansible.module_utils.basic import env_fallback

from ansible_collections.koreai.ai_for_process.plugins.module_utils._urls import display_url, is_http_url

API_KEY_SOURCES = "api_key or the KOREAI_API_KEY environment variable"


def connection_argument_spec():
    """Options every module of the collection takes to reach an environment (host and api_key, required here or in
    the environment, are checked by connection_problems)."""
    return dict(
        host=dict(type="str", fallback=(env_fallback, ["KOREAI_HOST"])),
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["KOREAI_API_KEY"])),
        kind=dict(type="str", default="workflow", choices=["workflow", "tool"], fallback=(env_fallback, ["KOREAI_KIND"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["KOREAI_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["KOREAI_CA_PATH"])),
        allow_http_downloads=dict(type="bool", default=False),
        timeout=dict(type="float", default=30, fallback=(env_fallback, ["KOREAI_TIMEOUT"])),
        retries=dict(type="int", default=5, fallback=(env_fallback, ["KOREAI_RETRIES"])),
    )


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
