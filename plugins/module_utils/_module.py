# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the base every module of the collection is built on.

KoreaiModule adds the connection options to a module's own, checks that
``requests`` is installed and that the connection options can work, warns
about insecure ones, runs an operation through the runner, and is the one
exit path: results and messages leave it with the API key and every value the run knows
as secret (``known_secrets``: values given, target secrets read, classifier hits)
scrubbed out.
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.validation import check_required_one_of

from ansible_collections.koreai.ai_for_process.plugins.module_utils._connection import (
    ConnectionSettingError, connection_argument_spec, connection_problems, connection_warnings, module_connection,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._http_lib import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport import client_from_params
from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import scrub
from ansible_collections.koreai.ai_for_process.plugins.module_utils._runner_options import RUNNER_DEFAULTS, check_runner_options
from ansible_collections.koreai.ai_for_process.plugins.module_utils._runner import Runner, Settings


class KoreaiModule(AnsibleModule):
    """An AnsibleModule with the collection's connection options, checks and exit path."""

    def __init__(self, argument_spec, required_one_of=None, **kwargs):
        self.known_secrets = set()  # values the run learns are secret (given, read from a target, classified)
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
        known = sorted(getattr(self, "known_secrets", None) or ())
        return [value for value in (params.get("api_key"),) if value] + known

    def exit_json(self, **kwargs):
        super().exit_json(**scrub(kwargs, self._secrets()))

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        super().fail_json(**scrub(kwargs, self._secrets()))

    def warn(self, warning):
        super().warn(scrub(warning, self._secrets()))

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
