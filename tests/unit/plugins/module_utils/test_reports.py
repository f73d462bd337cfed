# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_reports: the Markdown summary counts per environment and lists failures; the JUnit XML parses and escapes."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.reports import (
    ReportError, count_by_environment, export_summary, normalise_rows, render_junit, render_markdown, result_rows,
)

ROWS = [
    dict(environment="staging", name="invoice-approval", outcome="updated", deployed=True, message=""),
    dict(environment="staging", name="onboarding", outcome="unchanged", deployed=False, message=""),
    dict(environment="staging", name="claims", outcome="failed", deployed=False,
         message="import job FAILED: <flow> & \"quotes\" | pipe\x1b[31m\x00"),
    dict(environment="prod", name="invoice-approval", outcome="created", deployed=True, message=""),
    dict(environment="prod", name="onboarding", outcome="not_started", deployed=False, message="key refused"),
    dict(environment="prod", name="claims", outcome="skipped", deployed=False, message="excluded"),
]


def test_counts_per_environment_in_row_order():
    counts = count_by_environment(normalise_rows(ROWS))
    assert list(counts) == ["staging", "prod"]
    assert counts["staging"] == dict(total=3, failed=1, deployed=1, updated=1, unchanged=1)
    assert counts["prod"] == {"total": 3, "failed": 1, "deployed": 1, "created": 1, "skipped": 1}


def test_junit_parses_with_one_testcase_per_workflow_and_environment():
    root = ET.fromstring(render_junit("Promotion <plan>", ROWS).encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("6", "2", "1")
    assert [suite.get("name") for suite in root] == ["Promotion <plan>: staging", "Promotion <plan>: prod"]
    cases = root.findall("./testsuite/testcase")
    assert [(case.get("classname"), case.get("name")) for case in cases] == [
        (row["environment"], row["name"]) for row in ROWS]
    assert [suite.get("failures") for suite in root] == ["1", "1"]


def test_junit_failures_carry_their_escaped_messages_without_control_characters():
    text = render_junit("t", ROWS)
    root = ET.fromstring(text.encode("utf-8"))
    failure = root.find("./testsuite/testcase[@name='claims']/failure")
    assert failure.get("message") == "import job FAILED: <flow> & \"quotes\" | pipe [31m"
    assert failure.get("type") == "failed"
    assert "\x1b" not in text and "\x00" not in text
    not_started = root.find("./testsuite[@name='t: prod']/testcase[@name='onboarding']/failure")
    assert (not_started.get("type"), not_started.text) == ("not started", "key refused")
    assert root.find("./testsuite[@name='t: prod']/testcase[@name='claims']/skipped").get("message") == "excluded"
    passed = root.find("./testsuite/testcase[@name='invoice-approval']")
    assert passed.find("failure") is None and passed.find("system-out").text == "updated, deployed"


def test_markdown_has_a_table_of_counts_and_the_failures():
    text = render_markdown("Promotion", ROWS)
    lines = text.splitlines()
    assert lines[0] == "### Promotion"
    assert "| environment | total | created | skipped | unchanged | updated | deployed | failed |" in lines
    assert "| staging | 3 | 0 | 0 | 1 | 1 | 1 | **1** |" in lines
    assert "| prod | 3 | 1 | 1 | 0 | 0 | 1 | **1** |" in lines
    assert ("- **staging** / claims (failed): import job FAILED: &lt;flow&gt; &amp; \"quotes\" \\| pipe [31m"
            in lines)
    assert "- **prod** / onboarding (not started): key refused" in lines


def test_markdown_without_failures_lists_none():
    text = render_markdown("Export", ROWS[:2])
    assert "Failures:" not in text and "| staging | 2 | 1 | 1 | 1 | 0 |" in text


def test_no_rows():
    assert "No workflows." in render_markdown("Export", [])
    assert ET.fromstring(render_junit("Export", []).encode()).get("tests") == "0"


@pytest.mark.parametrize("rows, message", [
    ("dev", "rows must be a list"),
    (["dev"], "rows[0] must be a mapping"),
    ([dict(name="a")], "rows[0] has no environment"),
    ([dict(environment="dev", name=" ")], "rows[0] has no name"),
])
def test_bad_rows_are_named(rows, message):
    with pytest.raises(ReportError, match=message.replace("[", r"\[").replace("]", r"\]")):
        render_junit("t", rows)


EXPORTED = {"dest": "/x/prod", "summary": {"total": 4, "changed": 1, "unchanged": 1, "failed": 2, "not_started": 1},
            "results": [
                {"name": "wf-1", "workflow_id": "a-1", "outcome": "changed", "failed": False, "msg": "exported"},
                {"name": None, "workflow_id": "a-2", "outcome": "unchanged", "failed": False, "msg": "unchanged"},
                {"name": "wf-3", "workflow_id": "a-3", "outcome": "failed", "failed": True, "msg": "job FAILED"},
                {"name": "wf-4", "workflow_id": "a-4", "outcome": "not started", "failed": True, "msg": "not started: 401"}]}


def test_the_rows_of_a_registered_result_take_the_modules_outcomes():
    assert result_rows("prod", EXPORTED) == [
        dict(environment="prod", name="wf-1", outcome="changed", deployed=False, message=""),
        dict(environment="prod", name="a-2", outcome="unchanged", deployed=False, message=""),
        dict(environment="prod", name="wf-3", outcome="failed", deployed=False, message="job FAILED"),
        dict(environment="prod", name="wf-4", outcome="not started", deployed=False, message="not started: 401")]
    assert result_rows("dev", None) == [dict(environment="dev", name="(every workflow)", outcome="failed",
                                             deployed=False, message="the host did not reach the export task")]


def test_the_export_summary_names_failures_once_and_where_the_files_are():
    lines = export_summary({"prod": EXPORTED, "dev": {"msg": "bad key"}}, ["prod", "dev", "qa"], False)
    assert lines[0].split() == ["environment", "total", "exported", "unchanged", "changed", "failed"]
    assert lines[1].split() == ["prod", "4", "2", "1", "1", "2"]
    assert lines[2:] == ["  FAILED wf-3: job FAILED", "  NOT STARTED 1 workflows: not started: 401", "  files: /x/prod",
                         "dev                  not exported: bad key",
                         "qa                   not exported: the host did not reach the export task"]
    plan = export_summary({"prod": EXPORTED}, ["prod"], True)
    assert "would export" in plan[0] and "would change" in plan[0] and plan[-1].endswith("(check mode: nothing written)")
