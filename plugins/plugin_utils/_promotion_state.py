# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: one environment's promotion, in plain Python.

The batch for workflow_import, the outcome of each workflow, the next ids and state, the gate on earlier
environments, the report and the summary. No I/O here: the action plugin reads and writes.
"""

import os

from ansible_collections.koreai.ai_for_process.plugins.module_utils._outcomes import CREATED, FAILED, UPDATED
from ansible_collections.koreai.ai_for_process.plugins.module_utils._reports import FAILED_OUTCOMES, failure_lines
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError, validate_ids


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


def build_batch(workflows, src, ids, state, env_variables, secret_values=None):
    """The workflow_import batch: name, src, workflow_id (known, else a pending one to check), env_variables and
    secret_values (each given per name)."""
    batch = []
    for item in workflows:
        name = item["name"]
        entry = {"name": name, "src": item.get("src") or source_of(name, src)}
        workflow_id = ids.get(name) or state.get(name, {}).get("pending_id")
        if workflow_id:
            entry["workflow_id"] = workflow_id
        if name in env_variables:
            entry["env_variables"] = env_variables[name]
        if name in (secret_values or {}):
            entry["secret_values"] = secret_values[name]
        batch.append(entry)
    return batch


def merged_ids(stored, given, path):
    """The ids file's map with promote_workflows_ids over it, checked as one (no id under two names)."""
    merged = dict(stored)
    merged.update(given)
    return validate_ids(merged, "%s with promote_workflows_ids" % path)


def new_names(batch):
    """The names the batch would import as new workflows."""
    return [entry["name"] for entry in batch if not entry.get("workflow_id")]


def pending_checks_to_redo(batch, results, state):
    """Batch entries whose pending id the server does not know (404): they are imported anew."""
    redo = []
    by_name = {result.get("name"): result for result in results}
    for entry in batch:
        pending = state.get(entry["name"], {}).get("pending_id")
        result = by_name.get(entry["name"], {})
        if pending and entry.get("workflow_id") == pending and result.get("failed") and result.get("http_status") == 404:
            redo.append({key: value for key, value in entry.items() if key != "workflow_id"})
    return redo


def deploys_due(results, state, deploy):
    """Workflows the import left alone (unchanged) whose last deploy did not succeed, or is not known."""
    if not deploy:
        return []
    due = []
    for result in results:
        if result.get("failed") or result.get("changed") or not result.get("workflow_id"):
            continue
        if state.get(result["name"], {}).get("deployed") is not True:
            due.append({"workflow_id": result["workflow_id"], "name": result["name"]})
    return due


def final_results(results, redo_results):
    """The import results with each redone entry replaced by its second attempt."""
    redone = {result.get("name"): result for result in redo_results}
    return [redone.get(result.get("name"), result) for result in results]


def outcome_of(result, check_mode):
    """The import's outcome of the workflow (a result without one has failed), as would ... in check mode."""
    outcome = result.get("outcome") or FAILED
    return "would " + outcome[:-1] if check_mode and outcome in (CREATED, UPDATED) else outcome


def _imported(result):
    """Whether this run's import of the workflow reached SUCCESS (a later deploy or verify may still fail)."""
    return str(result.get("status") or "").upper() == "SUCCESS" and bool(result.get("workflow_id"))


def _record_failure(result, record, ids):
    """The state of a workflow whose import or deploy failed; a creation the server named is pending."""
    name, workflow_id = result["name"], result.get("workflow_id")
    if _imported(result):  # the deploy (or the verify) failed: the content is in place
        ids[name] = workflow_id
        return {"imported": True, "deployed": False if result.get("deploy_dock_status_id") or "deploy" in result.get("msg", "")
                else record.get("deployed", False), "source_digest": result.get("source_digest")}
    if result.get("created"):
        return {"pending_id": workflow_id, "imported": False, "deployed": False} if workflow_id else {"imported": False, "deployed": False}
    return dict(record, imported=False, deployed=False)


def next_state(ids, state, results, deploy_results, deploy):
    """The ids and the state after this run: (ids, state). A failed creation records no id, only a pending one."""
    ids, state = dict(ids), {name: dict(record) for name, record in state.items()}
    deployed_now = {result.get("name"): not result.get("failed") for result in deploy_results}
    for result in results:
        name = result.get("name")
        if not name or result.get("not_started"):
            continue
        record = state.get(name, {})
        if result.get("failed"):
            state[name] = _record_failure(result, record, ids)
            continue
        ids[name] = result["workflow_id"]
        if result.get("changed"):
            deployed = bool(result.get("deployed")) if deploy else None
        else:
            deployed = deployed_now.get(name, record.get("deployed"))
        state[name] = {"imported": True, "deployed": deployed,
                       "source_digest": result.get("source_digest") or record.get("source_digest")}
    return ids, state


def earlier_environments(order, environment, gate=True, mode="promote"):
    """The environments before environment in the promotion order, whose state gates it: none without the gate, in
    drift mode, or when environment is not in order."""
    if not gate or mode != "promote" or environment not in order:
        return []
    return list(order[:order.index(environment)])


def gate_problems(names, earlier):
    """Why this environment must wait: earlier is [(environment, state file, state or None)]; [] when none."""
    problems = []
    for environment, path, state in earlier:
        if state is None:
            problems.append("%s has no promotion state (%s): promote %s first" % (environment, path, environment))
            continue
        missing = [name for name in names if not state.get(name, {}).get("imported")]
        undeployed = [name for name in names if state.get(name, {}).get("imported") and state[name].get("deployed") is False]
        if missing:
            problems.append("%s has not imported %s: promote %s first" % (environment, ", ".join(missing), environment))
        if undeployed:
            problems.append("%s has not deployed %s: rerun %s until its deploys succeed"
                            % (environment, ", ".join(undeployed), environment))
    return problems


def deployed_this_run(results, deploy_results):
    """Names deployed by this run: by the import batch, or by the deploy of what an earlier run left undeployed."""
    names = {result.get("name") for result in results if result.get("deployed") and not result.get("failed")}
    return names | {result.get("name") for result in deploy_results if not result.get("failed")}


def report_of(environment, host, results, deploy_results, state, check_mode):
    """The promotion report of one environment: one entry per workflow, sorted by name.

    deployed is the workflow's deploy state after this run (None where deploys are off, or in check mode unknown)."""
    deploy_by_name = {result.get("name"): result for result in deploy_results}
    entries = []
    for result in sorted(results, key=lambda item: str(item.get("name"))):
        deploy = deploy_by_name.get(result.get("name"), {})
        failed = result.get("failed") or deploy.get("failed")
        entries.append({
            "name": result.get("name"), "workflow_id": result.get("workflow_id"), "source_digest": result.get("source_digest"),
            "outcome": "failed" if deploy.get("failed") else outcome_of(result, check_mode), "verified": result.get("verified"),
            "deployed": state.get(result.get("name"), {}).get("deployed"), "dock_status_id": result.get("dock_status_id"),
            "deploy_dock_status_id": deploy.get("deploy_dock_status_id") or result.get("deploy_dock_status_id"),
            "error": (deploy.get("msg") if deploy.get("failed") else result.get("msg")) if failed else None})
    return {"environment": environment, "host": host, "workflows": entries}


def ci_rows(report):
    """The rows of the ci_report action for one environment's report (one per workflow)."""
    return [{"environment": report["environment"], "name": entry["name"] or entry["workflow_id"], "outcome": entry["outcome"],
             "deployed": bool(entry["deployed"]), "message": entry["error"] or ""} for entry in report["workflows"]]


COUNTED = {"created": "created", "would create": "created", "updated": "updated", "would update": "updated",
           "unchanged": "unchanged"}


def summary_of(report, deployed, ids_note):
    """One environment's summary row: counts by outcome, the deploys of this run (or the plan's), failure lines."""
    entries = report["workflows"]
    outcomes = [COUNTED.get(entry["outcome"]) for entry in entries]
    lines = failure_lines(ci_rows(report))
    if ids_note:
        lines.append("  " + ids_note)
    return {"environment": report["environment"], "total": len(entries), "created": outcomes.count("created"),
            "updated": outcomes.count("updated"), "unchanged": outcomes.count("unchanged"), "deployed": deployed,
            "failed": sum(1 for entry in entries if entry["outcome"] in FAILED_OUTCOMES), "lines": lines}


def summary_table(rows, order, check_mode, current):
    """The summary of every environment (order), each row or a line saying why it has none."""
    verbs = ("would create", "would update", "would deploy") if check_mode else ("created", "updated", "deployed")
    lines = ["%-16s %6s %14s %14s %10s %14s %7s" % ("environment", "total", verbs[0], verbs[1], "unchanged", verbs[2], "failed")]
    for index, environment in enumerate(order):
        row = rows.get(environment)
        if row and "total" in row:
            counts = tuple(row[key] for key in ("total", "created", "updated", "unchanged", "deployed", "failed"))
            lines.append("%-16s %6d %14d %14d %10d %14d %7d" % ((environment,) + counts))
            lines.extend(row["lines"])
        elif current in order and index > order.index(current):
            lines.append("%-16s %s" % (environment, "not promoted yet: it follows once every environment above succeeded"))
        else:
            lines.append("%-16s %s" % (environment, "not promoted: " + ((row or {}).get("msg") or "the host did not reach the import")))
    return lines


def drift_lines(results):
    """One line per workflow whose environment differs from the reviewed tree (the import's check-mode results)."""
    lines = []
    for result in sorted(results, key=lambda item: str(item.get("name"))):
        name = result.get("name") or result.get("workflow_id")
        if result.get("failed"):
            lines.append("%s: not compared: %s" % (name, result.get("msg")))
        elif result.get("created"):
            lines.append("%s: not in the environment (no id known)" % name)
        elif result.get("changed"):
            lines.append("%s (%s): %s differ" % (name, result.get("workflow_id"), ", ".join(result.get("members_changed") or ["members"])))
    return lines
