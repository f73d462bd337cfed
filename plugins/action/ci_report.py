# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of koreai.ai_for_process.ci_report: writes reports CI reads, on the controller (docs in the module stub)."""

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.reports import (
    ReportError, count_by_environment, export_summary, normalise_rows, promotion_summary, render_junit, render_markdown,
    result_rows,
)
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ci_files import append_step_summary, write_report

ARGUMENT_SPEC = dict(
    title=dict(type="str", default="AI for Process workflows"),
    rows=dict(type="list", elements="dict"),
    results_var=dict(type="str"),
    environments=dict(type="list", elements="str"),
    markdown_path=dict(type="path"),
    junit_path=dict(type="path"),
    step_summary=dict(type="bool", default=True),
)
NO_HOST_VARS = {}


class ActionModule(ActionBase):
    """Render the Markdown summary and JUnit XML of outcome rows and write them where asked."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC, mutually_exclusive=[("rows", "results_var")],
            required_one_of=[("rows", "results_var")], required_by={"results_var": "environments"})
        if args["results_var"]:
            args["rows"], summary = self._from_results(args, task_vars or {})
            result.update(summary=summary, _ansible_verbose_always=True)  # shown like a debug task's message
        try:
            rows = normalise_rows(args["rows"])
            markdown = render_markdown(args["title"], rows)
            junit = render_junit(args["title"], rows)
        except ReportError as exc:
            raise AnsibleActionFail("rows: %s; each row needs environment and name (and outcome, deployed, "
                                    "message)" % to_native(exc))
        written = []
        try:
            for path, text in ((args["markdown_path"], markdown), (args["junit_path"], junit)):
                if path:
                    write_report(path, text)
                    written.append(path)
            step_summary = append_step_summary(markdown) if args["step_summary"] else None
        except (OSError, IOError) as exc:
            raise AnsibleActionFail("could not write the report: %s" % to_native(exc))
        counts = dict(count_by_environment(rows))
        result.update(changed=bool(written or step_summary), markdown=markdown, markdown_path=args["markdown_path"],
                      junit_path=args["junit_path"], step_summary=step_summary,
                      counts=counts, failed_count=sum(env["failed"] for env in counts.values()))
        return result

    def _check_mode(self):
        return bool(self._task.check_mode or self._play_context.check_mode)

    def _from_results(self, args, task_vars):
        """The rows and the summary lines of each environment's result registered as results_var."""
        hostvars = task_vars.get("hostvars", NO_HOST_VARS)
        # A registered result is data: read it as it is (raw_get), for templating every environment's whole result
        # costs a fleet of a hundred environments more than the rest of the report.
        variables_of = getattr(hostvars, "raw_get", hostvars.get)
        environments = args["environments"]
        results = {environment: variables_of(environment).get(args["results_var"]) if environment in hostvars else None
                   for environment in environments}
        try:
            if any(isinstance(result, dict) and "summary_row" in result for result in results.values()):
                rows = [row for environment in environments for row in (results[environment] or {}).get("ci_rows") or []]
                return rows, promotion_summary(results, environments, self._check_mode())
            rows = [row for environment in environments for row in result_rows(environment, results[environment])]
            return rows, export_summary(results, environments, self._check_mode())
        except (AttributeError, KeyError, TypeError, ValueError):
            raise AnsibleActionFail("results_var: %s is not the registered result of a workflow_export task with "
                                    "workflows (or of a promotion task) in every environment that has it"
                                    % args["results_var"]) from None
