# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the outcome of each workflow of a batch, and the batch's counts of them.

A workflow is ``not started`` (the batch stopped before it), ``failed``, ``unchanged``, or changed: ``created`` when
the run makes a new workflow, else ``updated`` (an import) or ``changed`` (an export). Check mode says what a real
run would do, with the same words.
"""

NOT_STARTED = "not started"
FAILED = "failed"
UNCHANGED = "unchanged"
CREATED = "created"
UPDATED = "updated"


class OutcomeRule:
    """How one module names the outcome of each workflow and what its batch summary counts besides today's keys."""

    def __init__(self, changed, counted, counts_deployed=False):
        self.changed = changed
        self.counted = counted
        self.counts_deployed = counts_deployed

    def outcome(self, result):
        """The outcome of one workflow's result."""
        if result.get("not_started"):
            return NOT_STARTED
        if result.get("failed"):
            return FAILED
        if not result.get("changed"):
            return UNCHANGED
        return CREATED if result.get("created") else self.changed

    def apply(self, results):
        """Give each result its outcome (and, where deploys count, whether it was deployed)."""
        for result in results:
            result["outcome"] = self.outcome(result)
            if self.counts_deployed:
                result["deployed"] = bool(result.get("deployed"))

    def counts(self, results):
        """The counts of the outcomes in counted (keys with _ for spaces), and of the deployed workflows."""
        outcomes = [result["outcome"] for result in results]
        counts = dict((outcome.replace(" ", "_"), outcomes.count(outcome)) for outcome in self.counted)
        if self.counts_deployed:
            counts["deployed"] = sum(1 for result in results if result["deployed"])
        return counts


# The summary's keys total, changed, unchanged and failed (which includes the workflows not started) stay as they
# were; each rule adds the counts of its other outcomes.
IMPORT_OUTCOMES = OutcomeRule(UPDATED, (CREATED, UPDATED, NOT_STARTED), counts_deployed=True)
EXPORT_OUTCOMES = OutcomeRule("changed", (NOT_STARTED,))
