# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: reports that CI systems read, from the outcome rows of a run.

A row is ``{environment, name, outcome, deployed, message}``; ``outcome`` is a word such as ``exported``,
``changed``, ``unchanged``, ``created``, ``updated``, ``failed`` or ``not started``. ``render_markdown`` gives a
summary (a table of counts per environment, then the failures with their messages); ``render_junit`` gives JUnit
XML (one testcase per workflow and environment, ``classname`` = environment). Rows are already scrubbed of
secrets by the modules; control characters are removed here so the XML stays well formed. ``result_rows`` makes the
rows of a registered batch result, ``failure_lines`` and ``export_summary`` the lines of the summary a role prints.
"""

import re
from collections import OrderedDict
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.outcomes import FAILED, NOT_STARTED

# A workflow that was not started did not reach its target either: CI must not go green on it.
FAILED_OUTCOMES = (FAILED, NOT_STARTED)
SKIPPED_OUTCOMES = ("skipped",)
ROW_KEYS = ("environment", "name", "outcome", "deployed", "message")
NO_RESULT = "the host did not reach the export task"
# Characters XML 1.0 does not allow (C0 controls but tab, newline, carriage return; surrogates; U+FFFE/U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class ReportError(ValueError):
    """Rows that cannot be reported (not a list of mappings, or a row without environment or name)."""


def clean_text(value):
    """value as text without the characters XML cannot carry (other control characters become spaces)."""
    text = "" if value is None else "%s" % (value,)
    return _XML_INVALID.sub(" ", text)


def normalise_rows(rows):
    """The rows as dicts with every key of ROW_KEYS (text, outcome lower case); ReportError names a bad row."""
    if not isinstance(rows, (list, tuple)):
        raise ReportError("rows must be a list of mappings, got %s" % type(rows).__name__)
    normalised = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ReportError("rows[%d] must be a mapping, got %s" % (index, type(row).__name__))
        missing = [key for key in ("environment", "name") if not clean_text(row.get(key)).strip()]
        if missing:
            raise ReportError("rows[%d] has no %s" % (index, " and no ".join(missing)))
        normalised.append(dict(
            environment=clean_text(row["environment"]).strip(),
            name=clean_text(row["name"]).strip(),
            outcome=clean_text(row.get("outcome") or "unknown").strip().lower().replace("_", " "),
            deployed=bool(row.get("deployed")),
            message=clean_text(row.get("message")).strip(),
        ))
    return normalised


def is_failure(row):
    return row["outcome"] in FAILED_OUTCOMES


def is_skipped(row):
    return row["outcome"] in SKIPPED_OUTCOMES


def count_by_environment(rows):
    """OrderedDict environment -> {'total', 'failed', 'not started', 'deployed', <outcome>: n}, in row order."""
    counts = OrderedDict()
    for row in rows:
        env = counts.setdefault(row["environment"], OrderedDict(total=0, failed=0, deployed=0))
        env["total"] += 1
        env["deployed"] += 1 if row["deployed"] else 0
        if is_failure(row):
            env["failed"] += 1
        else:
            env[row["outcome"]] = env.get(row["outcome"], 0) + 1
    return counts


def failure_lines(rows):
    """The lines of a summary that name each failed workflow, then those not started (once, with the first reason)."""
    lines = ["  FAILED %s: %s" % (row["name"], row["message"]) for row in rows if row["outcome"] == FAILED]
    not_started = [row for row in rows if row["outcome"] == NOT_STARTED]
    if not_started:
        lines.append("  NOT STARTED %d workflows: %s" % (len(not_started), not_started[0]["message"]))
    return lines


def result_rows(environment, result):
    """The rows of one environment's registered batch result (workflow_export or workflow_import): one per workflow,
    or one failed row for the whole environment when the task returned no results."""
    result = result or {}
    if not isinstance(result.get("results"), list):
        return [dict(environment=environment, name="(every workflow)", outcome=FAILED, deployed=False,
                     message=result.get("msg", NO_RESULT))]
    return [dict(environment=environment, name=item.get("name") or item.get("workflow_id"),
                 outcome=item.get("outcome") or FAILED, deployed=bool(item.get("deployed")),
                 message=(item.get("msg") or "") if item.get("failed") else "") for item in result["results"]]


def export_summary(results, order, check_mode):
    """The export role's summary: per environment (in order) a row of counts, its failures and where its files are."""
    verb, change = ("would export", "would change") if check_mode else ("exported", "changed")
    lines = ["%-20s %7s %12s %9s %12s %8s" % ("environment", "total", verb, "unchanged", change, "failed")]
    for environment in order:
        result = results.get(environment) or {}
        counts = result.get("summary")
        if not isinstance(counts, dict):
            lines.append("%-20s %s" % (environment, "not exported: %s" % result.get("msg", NO_RESULT)))
            continue
        lines.append("%-20s %7d %12d %9d %12d %8d" % (environment, counts["total"], counts["total"] - counts["failed"],
                                                      counts["unchanged"], counts["changed"], counts["failed"]))
        lines.extend(failure_lines(result_rows(environment, result)))
        lines.append("  files: %s%s" % (result.get("dest"), " (check mode: nothing written)" if check_mode else ""))
    return lines


def promotion_summary(results, order, check_mode):
    """The promote role's summary: per environment (in order) the row of counts its promotion returned (summary_row)
    with its failure lines, or a line saying why it has none."""
    verbs = ("would create", "would update", "would deploy") if check_mode else ("created", "updated", "deployed")
    lines = ["%-16s %6s %14s %14s %10s %14s %7s" % ("environment", "total", verbs[0], verbs[1], "unchanged", verbs[2], "failed")]
    for environment in order:
        result = results.get(environment) or {}
        row = result.get("summary_row")
        if isinstance(row, dict):
            counts = tuple(row[key] for key in ("total", "created", "updated", "unchanged", "deployed", "failed"))
            lines.append("%-16s %6d %14d %14d %10d %14d %7d" % ((environment,) + counts))
            lines.extend(row["lines"])
        elif result.get("skipped"):
            lines.append("%-16s %s" % (environment, "not a stage of this promotion"))
        elif result:
            lines.append("%-16s %s" % (environment, "not promoted: %s" % result.get("msg", NO_RESULT)))
        else:
            lines.append("%-16s %s" % (environment, "not promoted yet: it runs in a later stage, or did not reach the "
                                                    "promotion"))
    return lines


def _md_cell(text):
    """text safe in one Markdown table cell: one line, pipes and HTML escaped."""
    return escape(" ".join(text.split())).replace("|", "\\|")


def _failure_line(row):
    return "- **%s** / %s (%s): %s" % (_md_cell(row["environment"]), _md_cell(row["name"]), row["outcome"],
                                       _md_cell(row["message"]) or "(no message)")


def render_markdown(title, rows):
    """A Markdown summary: a heading, a table of counts per environment, the failures with their messages."""
    rows = normalise_rows(rows)
    counts = count_by_environment(rows)
    outcomes = sorted({key for env in counts.values() for key in env} - {"total", "failed", "deployed"})
    lines = ["### %s" % _md_cell(clean_text(title) or "Workflows"), ""]
    if not rows:
        return "\n".join(lines + ["No workflows.", ""])
    header = ["environment", "total"] + outcomes + ["deployed", "failed"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|")
    for name, env in counts.items():
        cells = [_md_cell(name), "%d" % env["total"]] + ["%d" % env.get(outcome, 0) for outcome in outcomes]
        cells += ["%d" % env["deployed"], ("**%d**" % env["failed"]) if env["failed"] else "0"]
        lines.append("| " + " | ".join(cells) + " |")
    failures = [row for row in rows if is_failure(row)]
    if failures:
        lines += ["", "Failures:", ""]
        lines += [_failure_line(row) for row in failures]
    return "\n".join(lines + [""])


def _testcase(row):
    head = u'    <testcase classname=%s name=%s' % (quoteattr(row["environment"]), quoteattr(row["name"]))
    if is_failure(row):
        message = row["message"] or "failed"
        return [head + ">", "      <failure message=%s type=%s>%s</failure>" % (
            quoteattr(message.split("\n")[0]), quoteattr(row["outcome"]), escape(message)), "    </testcase>"]
    if is_skipped(row):
        return [head + ">", "      <skipped message=%s/>" % quoteattr(row["message"] or row["outcome"]),
                "    </testcase>"]
    out = "%s%s" % (row["outcome"], ", deployed" if row["deployed"] else "")
    return [head + ">", "      <system-out>%s</system-out>" % escape(out), "    </testcase>"]


def render_junit(title, rows):
    """JUnit XML: one testsuite per environment, one testcase per workflow; failures carry their messages."""
    rows = normalise_rows(rows)
    title = clean_text(title) or "Workflows"
    suites = OrderedDict()
    for row in rows:
        suites.setdefault(row["environment"], []).append(row)
    total_failures = sum(1 for row in rows if is_failure(row))
    total_skipped = sum(1 for row in rows if is_skipped(row))
    lines = [u'<?xml version="1.0" encoding="UTF-8"?>',
             "<testsuites name=%s tests=\"%d\" failures=\"%d\" skipped=\"%d\">" % (
                 quoteattr(title), len(rows), total_failures, total_skipped)]
    for env, env_rows in suites.items():
        lines.append("  <testsuite name=%s tests=\"%d\" failures=\"%d\" skipped=\"%d\" errors=\"0\">" % (
            quoteattr("%s: %s" % (title, env)), len(env_rows), sum(1 for row in env_rows if is_failure(row)),
            sum(1 for row in env_rows if is_skipped(row))))
        for row in env_rows:
            lines.extend(_testcase(row))
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"
