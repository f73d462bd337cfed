# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the base every module of the collection is built on.

KoreaiModule adds the connection options to a module's own, checks that
``requests`` is installed and that the connection options can work, warns
about insecure ones, runs an operation through the runner, and is the one
exit path. Identity is data: the identity fields of a result (names, ids, digests, paths: IDENTITY_FIELDS), at
the top and in each of its results, leave it as they are. Everything else (messages, warnings, diffs) leaves it
with the API key and every value the run knows as secret (``known_secrets``: values given, target secrets read,
classifier hits) masked by value, but inside the names, ids and paths the result and the task name. Values too
short for masking to mean anything are never registered; they stay out of the output by its structure (member
content is shown only with its secrets hidden; the invocation shows a no_log option as a placeholder, whole).
"""

import os
import sys
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.validation import check_required_one_of

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import (
    ConnectionSettingError, connection_argument_spec, connection_problems, connection_warnings, module_connection,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.requests_lib import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.client import client_from_params
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import Masker, scrub
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.given import MIN_SCRUBBED_LENGTH
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner_options import RUNNER_DEFAULTS, check_runner_options
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner import Runner, Settings


IDENTITY_FIELDS = frozenset((
    "workflow_id", "name", "flow_id", "dock_status_id", "deploy_dock_status_id", "export_job_id", "source_digest",
    "content_digest", "sha256", "src", "dest", "path", "backup_file", "extract_dir", "extracted", "manifest", "file_ids",
    "members", "members_changed", "missing_values", "edited_values", "replaced_values", "baseline"))
IDENTITY_OPTIONS = ("host", "workflow_id", "name", "flow_id", "src", "dest", "dock_status_id", "extract_to", "backup_dir",
                    "manifest", "secrets_file")  # options whose values are names, ids and paths, kept in messages
NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # what ansible-core shows for a no_log option


def _texts(value):
    """Every string in value (a string, or the values of a dict or list)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _texts(item)]
    return []


def identity_texts(result, params):
    """The names, ids, digests and paths of a result (top level and each of its results) and of the options."""
    texts = set()
    for fields in [result] + [item for item in result.get("results") or () if isinstance(item, dict)]:
        texts.update(text for key in IDENTITY_FIELDS if key in fields for text in _texts(fields[key]))
    for options in [params] + [item for item in params.get("workflows") or () if isinstance(item, dict)]:
        texts.update(text for key in IDENTITY_OPTIONS for text in _texts(options.get(key)))
    return texts


def shown_result(result, secrets, keep=()):
    """result as it may leave the module: its identity fields (at the top and in each of its results) as they are,
    everything else with secrets masked, but inside the texts of keep. secrets may be a Masker built once."""
    masker = secrets if isinstance(secrets, Masker) else Masker(secrets, keep)
    shown = {}
    for key, value in result.items():
        if key in IDENTITY_FIELDS:
            shown[key] = value
        elif key == "results" and isinstance(value, list):
            shown[key] = [shown_result(item, masker) if isinstance(item, dict) else scrub(item, masker) for item in value]
        else:
            shown[key] = scrub(value, masker)
    return shown


def shown_arguments(params, spec):
    """The options of the invocation, each no_log option (at any depth of suboptions) a placeholder, whole."""
    shown = {}
    for name, value in params.items():
        option = spec.get(name) or {}
        if option.get("no_log") and value is not None:
            shown[name] = NO_LOG_PLACEHOLDER
        elif option.get("options") and isinstance(value, list):
            shown[name] = [shown_arguments(item, option["options"]) if isinstance(item, dict) else item for item in value]
        elif option.get("options") and isinstance(value, dict):
            shown[name] = shown_arguments(value, option["options"])
        else:
            shown[name] = value
    return shown


class KoreaiModule(AnsibleModule):
    """An AnsibleModule with the collection's connection options, checks and exit path."""

    def __init__(self, argument_spec, required_one_of=None, **kwargs):
        self.known_secrets = set()  # values the run learns are secret (given, read from a target, classified)
        self._held_warnings = []  # masked with the rest of the output when the module exits
        spec = connection_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=spec, **kwargs)
        # Checked after AnsibleModule's own checks, which name a misspelled option only after every other problem.
        given = {name: value for name, value in self.params.items() if value is not None}
        try:
            check_required_one_of(required_one_of, given)
        except TypeError as exc:
            self.fail_json(msg=str(exc))
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
        self._resolve_connection()
        problems = connection_problems(self.params)
        if problems:
            self.fail_json(msg="; ".join(problems))
        for warning in connection_warnings(self.params):
            self.warn(warning)

    def _resolve_connection(self):
        """Fill the connection options from the KOREAI_* variables that belong to the host (resolve_connection)."""
        try:
            self.params.update(module_connection(self.params, os.environ))
        except ConnectionSettingError as exc:
            self.fail_json(msg=str(exc))
        if self.params["api_key"]:
            self.no_log_values.add(self.params["api_key"])  # as no_log does for a value given as the option

    # --- running ------------------------------------------------------------------

    def client(self, pool_size=1):
        """An ApiClient for the module's connection options (close it when done)."""
        return client_from_params(self.params, pool_size=pool_size)

    def runner_settings(self):
        """Settings from the options every job-running module shares; a PlanError names one out of range."""
        params = self.params
        check_runner_options(params)
        return Settings(wait=params.get("wait", RUNNER_DEFAULTS["wait"]), wait_timeout=params["wait_timeout"],
                        poll_interval=params["poll_interval"], concurrency=params["concurrency"],
                        max_jobs=params["max_jobs"], check_mode=self.check_mode, diff=self._diff)

    def run_operation(self, make_operation, requests):
        """Run make_operation(client, settings) for every request; return (results, seconds it took)."""
        settings = self.runner_settings()
        started = time.monotonic()
        client = self.client(pool_size=settings.concurrency)
        try:
            results = Runner(client, settings, make_operation(client, settings)).run(requests)
        finally:
            client.close()
        return results, round(time.monotonic() - started, 3)

    # --- the exit path ----------------------------------------------------------------

    def _secrets(self):
        params = getattr(self, "params", None) or {}
        known = sorted(value for value in getattr(self, "known_secrets", None) or () if len(value) >= MIN_SCRUBBED_LENGTH)
        return [value for value in (params.get("api_key"),) if value] + known

    def _shown(self, result):
        """result masked (see shown_result) with the invocation built here; core is kept from masking again.

        ansible-core's exit path runs remove_values(result, no_log_values), which masks every substring equal to the
        value of a no_log option (env_variables, secret_values) in every string: a variable value 'approval' would turn
        the name 'invoice-approval' into 'invoice-********', and an id or digest would be garbled the same way. So the
        masking is done here, and core is handed the invocation built here (no_log options as a placeholder) and only
        the no_log values that are secrets here (not a variable's name, which a member given whole holds as a value)
        and occur in no name, id or path; those are masked here already, so core's pass changes nothing.
        """
        params = getattr(self, "params", None) or {}
        keep = identity_texts(result, params)
        secrets = self._secrets()
        masker = Masker(secrets, keep)
        shown = shown_result(result, masker)
        shown["invocation"] = {"module_args": scrub(shown_arguments(params, getattr(self, "argument_spec", None) or {}),
                                                    masker)}
        held, self._held_warnings = getattr(self, "_held_warnings", []), []
        for warning in held:
            super().warn(scrub(warning, masker))
        if isinstance(sys.exc_info()[1], KoreaiError):
            scrub(sys.exc_info()[1], masker)  # in place: the traceback core may show holds its message
        self.no_log_values = {value for value in getattr(self, "no_log_values", ()) if value in secrets
                              and not any(value in text for text in keep)}
        return shown

    def exit_json(self, **kwargs):
        super().exit_json(**self._shown(kwargs))

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        shown = self._shown(kwargs)
        super().fail_json(shown.pop("msg"), **shown)

    def warn(self, warning):
        """Hold a warning until the module exits, to mask it with the rest of the output."""
        self._held_warnings.append(warning)

    def fail_from_error(self, error, **result):
        """Fail with a collection error's message and the result fields it carries."""
        result.update(error.details)
        self.fail_json(error.message, **result)

    def exit_results(self, results, single, elapsed, fail_on_error, outcomes=None, **extra):
        """Exit with one workflow's result, or with a batch's results, summary and diffs; outcomes (an OutcomeRule)
        names each workflow's outcome and adds its counts to the summary."""
        if outcomes:
            outcomes.apply(results)
        for result in results:
            for warning in result.pop("warnings", []):
                self.warn(warning)
        if single:
            self._exit_single(results[0], **extra)
        diffs = [result.pop("diff") for result in results if result.get("diff")]
        failures = [result for result in results if result["failed"]]
        changed = sum(1 for result in results if result["changed"])
        unchanged = sum(1 for result in results if not result["changed"] and not result["failed"])
        outcome = dict(changed=bool(changed), results=results, elapsed=elapsed, summary=dict(
            total=len(results), changed=changed, failed=len(failures), unchanged=unchanged))
        if outcomes:
            outcome["summary"].update(outcomes.counts(results))
        outcome.update(extra, changed=bool(changed) or bool(extra.get("changed")))
        if diffs:
            outcome["diff"] = diffs
        if not failures:
            self.exit_json(**outcome)
        outcome["msg"] = batch_failure_message(results, failures)
        if fail_on_error:
            self.fail_json(**outcome)
        self.exit_json(**outcome)

    def _exit_single(self, result, **extra):
        result.pop("name", None)
        result.update(extra)
        if result.pop("failed"):
            self.fail_json(**result)
        self.exit_json(**result)


def batch_failure_message(results, failures):
    """One line naming each failed workflow; a reason shared by workflows never started is said once."""
    not_started = [failure for failure in failures if failure.get("not_started")]
    named = ["%s: %s" % (failure.get("name") or failure["workflow_id"], failure["msg"])
             for failure in failures if not failure.get("not_started")]
    if not_started:
        named.append("%d more not started" % len(not_started))
    return "%d of %d workflows failed: %s" % (len(failures), len(results), "; ".join(named))
