# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: the files CI reads (JUnit XML, a Markdown summary, GitHub's step summary), written on
the controller by the ci_report and promotion actions."""

import os

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.reports import render_junit, render_markdown
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import REPORT_FILE
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import write_private

STEP_SUMMARY_VAR = "GITHUB_STEP_SUMMARY"


def write_report(path, text):
    """Replace path atomically with text (mode 0644: a report holds no secret), its directory created if needed."""
    write_private(path, to_bytes(text), REPORT_FILE, durable=True, make_dirs=True)


def append_step_summary(text):
    """Append text to the file named by GITHUB_STEP_SUMMARY when it is set; its path, else None."""
    path = os.environ.get(STEP_SUMMARY_VAR)
    if not path:
        return None
    with open(path, "ab") as out:
        out.write(to_bytes("\n" + text))
    return path


def write_ci_reports(paths, title, rows):
    """Write the JUnit XML and the Markdown of rows where paths["junit"] and paths["markdown"] say (empty: none), and
    append the Markdown to GitHub's step summary when it is set; return the paths written."""
    markdown = render_markdown(title, rows)
    written = []
    for key, text in (("junit", render_junit(title, rows)), ("markdown", markdown)):
        if paths.get(key):
            write_report(paths[key], text)
            written.append(paths[key])
    step_summary = append_step_summary(markdown)
    return written + ([step_summary] if step_summary else [])
