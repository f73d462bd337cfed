# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: one environment's promotion, in plain Python.

The batch for workflow_import (each workflow's known or pending id), the creations a run that died left in its
journal, the gate on the stage before, each workflow's outcome, the next ids and state, the report and the summary.
No I/O here: the promotion action reads and writes.

An environment's state records, per workflow name:

- ``source_digest``: the digest of the reviewed content the environment holds (``definition_digest`` of the tree);
- ``given_digest``: an HMAC, keyed with the environment's API key, of the values given for the workflow there
  (``env_variables``, ``secret_values``), absent when none were given: it tells a changed value without holding it;
- ``imported``: whether that content is in place; ``deployed``: whether its last deploy succeeded (None: not asked);
- ``baseline``: digests of the plain values the last import brought (no value itself), so that the next import tells
  a value the target changed since from one the source changed;
- ``pending_id``: the id a server named for a creation not confirmed yet (a failed import, or a run that died);
- ``sent``: when a creation was sent whose answer was never read, so the server may hold it without anybody knowing
  its id: the next run does not create that workflow again unless told how.

Every decision here keys on the names of the batch the action built and on the ids it read (its store, the journal),
never on text that came back through a module's output.
"""

import hashlib
import hmac
import json
import os

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.masking import MASK
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.outcomes import CREATED, FAILED, NOT_STARTED, UNCHANGED, UPDATED
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.reports import FAILED_OUTCOMES, failure_lines
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError, validate_ids

RECREATE_OPTION = "promote_workflows_recreate"
IDS_OPTION = "promote_workflows_ids"
GIVEN_OPTIONS = ("env_variables", "secret_values")
COMPARE_OPTION = "promote_workflows_compare"


def unknown_names(names, given, option):
    """Refuse keys of an option that name no workflow of promote_workflows_list."""
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise StoreError("%s names %s, which %s not in promote_workflows_list: fix the name or add the workflow"
                         % (option, ", ".join(unknown), "is" if len(unknown) == 1 else "are"))


def source_of(name, src):
    """The extracted tree <src>/extracted/<name>/ when it exists, else <src>/<name>.zip."""
    tree = os.path.join(src, "extracted", name)
    return tree if os.path.isdir(tree) else os.path.join(src, name + ".zip")


def merged_ids(stored, given, path):
    """The ids file's map with promote_workflows_ids over it, checked as one (no id under two names)."""
    merged = dict(stored)
    merged.update(given)
    return validate_ids(merged, "%s with %s" % (path, IDS_OPTION))


def refuse_masked(value, what):
    """Identity is data: a value that holds the mask cannot be an id or a name, and is never written."""
    if isinstance(value, str) and MASK in value:
        raise StoreError("%s holds the mask %s where an id belongs (%r): a secret value was masked inside it, so it "
                         "cannot be trusted; nothing was written from it" % (what, MASK, value))
    return value


# ------------------------------------------------------------------ creations a run left behind

def fold_journal(state, ids, journal):
    """The state with the creations recorded in a journal: an id the server named becomes pending; a creation sent
    and never answered is marked sent. Names whose id the store already holds are left alone."""
    state = {name: dict(record) for name, record in state.items()}
    for name, entry in journal.items():
        if ids.get(name):
            continue
        record = state.setdefault(name, {"imported": False, "deployed": False})
        if entry.get("workflow_id"):
            record["pending_id"] = refuse_masked(entry["workflow_id"], "the creation journal's id of %s" % name)
            record.pop("sent", None)
        elif not record.get("pending_id"):
            record["sent"] = entry.get("since") or "an unknown time"
    return state


def blocked_creations(names, ids, state, recreate):
    """The refusal for workflows whose creation was sent and never answered, unless recreate names them; None."""
    blocked = [name for name in names if not ids.get(name) and state.get(name, {}).get("sent")
               and not state[name].get("pending_id") and name not in recreate]
    if not blocked:
        return None
    return ("the creation of %s was sent by a run that ended before the server's answer was read (%s), so the "
            "environment may hold %s already: where it does, give the id (%s: {%s}); where it does not, allow a new "
            "creation (%s: [%s])" % (
                ", ".join(blocked), "; ".join("%s at %s" % (name, state[name]["sent"]) for name in blocked),
                "them" if len(blocked) > 1 else "it", IDS_OPTION,
                ", ".join("%s: <its id>" % name for name in blocked), RECREATE_OPTION, ", ".join(blocked)))


# ------------------------------------------------------------------ the batch

def build_batch(workflows, src, ids, state, given):
    """The workflow_import batch: name, src, workflow_id (known, else pending), and what given holds for the name
    (option -> {name: value}, e.g. env_variables and secret_values)."""
    batch = []
    for item in workflows:
        name = item["name"]
        entry = {"name": name, "src": item.get("src") or source_of(name, src)}
        record = state.get(name, {})
        workflow_id = ids.get(name) or record.get("pending_id")
        if workflow_id:
            entry["workflow_id"] = workflow_id
        if ids.get(name) and record.get("baseline"):
            entry["baseline"] = record["baseline"]  # what the last promotion brought: the target's own edits show
        for option, values in given.items():
            if name in values:
                entry[option] = values[name]
        batch.append(entry)
    return batch


def given_digest(entry, key):
    """The HMAC (SHA-256, keyed with the environment's API key) of the values given for one batch entry, None when
    none are given. Keyed, so that the state committed to git holds no digest a guess of a secret could be checked
    against by anyone without the key (who holds the key can read the values from the server anyway); a new key
    makes every workflow compared once more, the safe way round."""
    given = {option: entry[option] for option in GIVEN_OPTIONS if option in entry}
    if not given:
        return None
    text = json.dumps(given, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def trusted_names(batch, ids, state, deploy):
    """The names compare: changed trusts the state for: the environment's state records that it holds this content
    (the same source and given digests), imported under the id its ids file holds (ids: the file's map, not what
    promote_workflows_ids gives over it), and deployed when deploys are on; no creation of it is pending or was sent
    unanswered."""
    trusted = set()
    for entry in batch:
        name, record = entry["name"], state.get(entry["name"]) or {}
        holds = bool(entry.get("source_digest")) and record.get("source_digest") == entry["source_digest"] \
            and record.get("given_digest") == entry.get("given_digest") and record.get("imported") is True
        settled = bool(ids.get(name)) and entry.get("workflow_id") == ids[name] and not record.get("pending_id") \
            and not record.get("sent") and (record.get("deployed") is True or not deploy)
        if holds and settled:
            trusted.add(name)
    return trusted


def with_trusted(batch, results, trusted):
    """The results of the whole batch in its order: the import's, one per compared entry, and for each trusted entry
    an unchanged result marked trusted (nothing was asked of the server about it)."""
    compared = iter(results)
    return [{"changed": False, "outcome": UNCHANGED, "trusted": True, "workflow_id": entry["workflow_id"]}
            if entry["name"] in trusted else next(compared) for entry in batch]


def new_names(batch):
    """The names the batch would import as new workflows."""
    return [entry["name"] for entry in batch if not entry.get("workflow_id")]


def to_redo(batch, results, state):
    """Batch entries whose pending id the server does not know (404): they are imported anew, without the id."""
    redo = []
    for entry, result in zip(batch, results):
        pending = state.get(entry["name"], {}).get("pending_id")
        if pending and entry.get("workflow_id") == pending and result.get("failed") and result.get("http_status") == 404:
            redo.append({key: value for key, value in entry.items() if key != "workflow_id"})
    return redo


def deploys_due(batch, results, state, deploy):
    """(entry, workflow_id) of the workflows the import left alone whose last deploy did not succeed, or is not known."""
    if not deploy:
        return []
    return [entry for entry, result in zip(batch, results)
            if entry.get("workflow_id") and not result.get("failed") and not result.get("changed")
            and state.get(entry["name"], {}).get("deployed") is not True]


# ------------------------------------------------------------------ the gate

def gate_problems(digests, earlier, deploy=True):
    """Why this environment must wait for the stage before it; [] when every environment of that stage holds the
    content to promote. digests: {name: digest}; earlier: [(environment, state file, its state or None)]."""
    problems = []
    for environment, path, state in earlier:
        if state is None:
            problems.append("%s has no promotion state (%s): promote %s first" % (environment, path, environment))
            continue
        others = [name for name in digests if state.get(name, {}).get("source_digest") != digests[name]
                  or not state[name].get("imported")]
        undeployed = [name for name in digests if name not in others and deploy and state[name].get("deployed") is False]
        if others:
            problems.append("%s does not hold this content of %s (its state, %s, records another or none): promote %s "
                            "first" % (environment, ", ".join(others), path, environment))
        if undeployed:
            problems.append("%s has not deployed %s: rerun %s until its deploys succeed"
                            % (environment, ", ".join(undeployed), environment))
    return problems


# ------------------------------------------------------------------ after the run

def _succeeded_import(result):
    """Whether this run's import reached SUCCESS (a later deploy or verify may still have failed)."""
    return str(result.get("status") or "").upper() == "SUCCESS"


def workflow_id_of(entry, result, journal):
    """The workflow's id after this run: the one the batch gave, else the one the journal recorded (the server named
    it), else the result's when it is not masked; None when no id is known."""
    if entry.get("workflow_id"):
        return entry["workflow_id"]
    recorded = journal.get(entry["name"], {}).get("workflow_id")
    if recorded:
        return recorded
    returned = result.get("workflow_id")
    return refuse_masked(returned, "the id returned for %s" % entry["name"]) if returned else None


def _held(entry, deployed, baseline=None):
    """The record of a workflow whose content (the batch's digests) the environment now holds."""
    record = {"source_digest": entry.get("source_digest"), "imported": True, "deployed": deployed}
    if entry.get("given_digest"):
        record["given_digest"] = entry["given_digest"]
    if baseline:
        record["baseline"] = refuse_masked(baseline, "the baseline of %s" % entry["name"])
    return record


def record_of(entry, result, deployed_later, previous, deploy):
    """One workflow's state after this run; the digests are the batch's, computed from what it handed over."""
    if result.get("not_started"):
        return previous
    baseline = result.get("baseline") or previous.get("baseline")  # this import's, else the last one's
    if result.get("failed"):
        if _succeeded_import(result) and entry.get("workflow_id_after"):  # the deploy (or the verify) failed
            return _held(entry, False if result.get("deploy_dock_status_id") else previous.get("deployed", False),
                         baseline)
        workflow_id = entry.get("workflow_id_after")
        if workflow_id and (result.get("created") or previous.get("pending_id") == workflow_id):
            return {"pending_id": workflow_id, "imported": False, "deployed": False}
        return {"imported": False, "deployed": False}
    if result.get("changed"):
        deployed = bool(result.get("deployed")) if deploy else None
    else:
        deployed = deployed_later if deployed_later is not None else previous.get("deployed")
    return _held(entry, deployed, baseline)


def next_state(ids, state, batch, results, deployed_later, deploy):
    """(ids, state) after this run. batch entries carry their source_digest and workflow_id_after; deployed_later is
    {name: whether the deploy of an unchanged workflow succeeded}."""
    ids, state = dict(ids), {name: dict(record) for name, record in state.items()}
    for entry, result in zip(batch, results):
        name = entry["name"]
        record = record_of(entry, result, deployed_later.get(name), state.get(name, {}), deploy)
        if record.get("imported") and entry.get("workflow_id_after"):
            ids[name] = refuse_masked(entry["workflow_id_after"], "the id of %s" % name)
        if record:
            state[name] = record
    return ids, state


def outcome_of(result, check_mode):
    """A workflow's outcome (a result without one has failed), as would ... in check mode."""
    outcome = result.get("outcome") or (NOT_STARTED if result.get("not_started") else FAILED if result.get("failed")
                                        else UPDATED if result.get("changed") else UNCHANGED)
    return "would " + outcome[:-1] if check_mode and outcome in (CREATED, UPDATED) else outcome


def report_of(environment, host, batch, results, state, deploys, check_mode):
    """The promotion report of one environment, one entry per workflow sorted by name. deploys: {name: the deploy
    result of an unchanged workflow}. deployed is the workflow's deploy state after this run (None in check mode);
    deployed_now whether this run deployed it (in check mode: would deploy it)."""
    entries = []
    for entry, result in sorted(zip(batch, results), key=lambda pair: pair[0]["name"]):
        name, deploy_result = entry["name"], deploys.get(entry["name"], {})
        failed = result.get("failed") or deploy_result.get("failed")
        entries.append({
            "name": name, "workflow_id": entry.get("workflow_id_after"), "source_digest": entry.get("source_digest"),
            "outcome": FAILED if deploy_result.get("failed") else outcome_of(result, check_mode),
            "verified": result.get("verified"), "trusted": bool(result.get("trusted")), "deployed": None if check_mode else state.get(name, {}).get("deployed"),
            "deployed_now": bool(entry.get("would_deploy")) if check_mode else bool(
                (result.get("deployed") and not result.get("failed")) or (deploy_result and not deploy_result.get("failed"))),
            "dock_status_id": result.get("dock_status_id"),
            "deploy_dock_status_id": deploy_result.get("deploy_dock_status_id") or result.get("deploy_dock_status_id"),
            "missing_values": result.get("missing_values") or [],
            "error": (deploy_result.get("msg") if deploy_result.get("failed") else result.get("msg")) if failed else None})
    return {"environment": environment, "host": host, "workflows": entries}


def ci_rows(report):
    """The rows CI reports show for one environment's report (one per workflow): deployed says whether this run
    deployed it (in a plan: would deploy it), as the summary counts."""
    return [{"environment": report["environment"], "name": entry["name"], "outcome": entry["outcome"],
             "deployed": entry["deployed_now"], "message": entry["error"] or ""} for entry in report["workflows"]]


COUNTED = {"created": "created", "would create": "created", "updated": "updated", "would update": "updated",
           "unchanged": "unchanged"}


def summary_of(report, notes):
    """One environment's summary row: counts by outcome, the deploys of this run (or the plan's), failure lines and
    notes (where the ids were recorded)."""
    entries = report["workflows"]
    outcomes = [COUNTED.get(entry["outcome"]) for entry in entries]
    lines = failure_lines(ci_rows(report)) + ["  " + note for note in notes if note]
    return {"environment": report["environment"], "total": len(entries), "created": outcomes.count("created"),
            "updated": outcomes.count("updated"), "unchanged": outcomes.count("unchanged"),
            "deployed": sum(1 for entry in entries if entry["deployed_now"]),
            "failed": sum(1 for entry in entries if entry["outcome"] in FAILED_OUTCOMES), "lines": lines}


def trusted_note(report):
    """The summary's note on the workflows compare: changed trusted the state for ('' when none)."""
    trusted = sum(1 for entry in report["workflows"] if entry["trusted"])
    if not trusted:
        return ""
    return ("%d unchanged workflow%s trusted to the promotion state, not compared (%s: changed); the drift check "
            "compares them" % (trusted, "" if trusted == 1 else "s", COMPARE_OPTION))


def drift_lines(batch, results):
    """One line per workflow whose environment differs from the reviewed tree (the import's check-mode results)."""
    lines = []
    for entry, result in sorted(zip(batch, results), key=lambda pair: pair[0]["name"]):
        name = entry["name"]
        if result.get("failed"):
            lines.append("%s: not compared: %s" % (name, result.get("msg")))
        elif result.get("created"):
            lines.append("%s: not in the environment (no id known)" % name)
        elif result.get("changed"):
            lines.append("%s (%s): %s differ" % (name, entry.get("workflow_id"),
                                                 ", ".join(result.get("members_changed") or ["members"])))
    return lines
