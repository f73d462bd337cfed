# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: the run of the promotion action for one environment, step by step.

run() reads the stages and the store, builds the batch, checks the stage before, imports (and deploys what an
earlier run left undeployed), then writes the ids, the state and the reports. Decisions key on the batch built here
(the names of promote_workflows_list, the ids read from the store and the journal, the digests of the tree), never on
text that came back through a module's output.
"""

import os
import time

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import (
    ConnectionSettingError, connection_argument_spec, resolve_connection,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.members import definition_digest, load_source
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.reports import FAILED_OUTCOMES
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.promotion_options import promotion_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import ClassifierError, classifier_from_params
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.structured import NotJson, json_or_data
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils import _promotion_state as promotion
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ci_files import write_ci_reports
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import (
    StoreError, validate_ids,
)
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._promotion_paths import lost_store_evidence, promotion_paths
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._promotion_store import EnvironmentStore
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._stages import (
    LEGACY_ORDER_OPTION, ORDER_OPTION, TARGET_MARK, StageError, batch_problem, earlier_stage, stage_index, stages_of,
)
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._paths import base_of, resolve
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._store_files import VaultFile, state_file_of
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._store_git import GitStore
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import pretty_json
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import REPORT_FILE
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import write_private

IMPORT_MODULE = "koreai.ai_for_process.workflow_import"
DEPLOY_MODULE = "koreai.ai_for_process.workflow_deploy"
AWX_VARS = ("awx_job_id", "tower_job_id")
CONNECTION_OPTIONS = tuple(connection_argument_spec())
CONNECTION_SETTINGS = ("host", "api_key", "validate_certs", "ca_path", "kind")
CLASSIFIER_OPTIONS = ("secret_keys", "not_secret_keys", "secret_value_patterns", "secrets_file")
RUNNER_OPTIONS = ("concurrency", "wait_timeout", "poll_interval", "max_jobs")
IMPORT_ITEM_KEYS = ("name", "src", "workflow_id", "env_variables", "secret_values", "baseline")
ARGUMENT_SPEC = promotion_argument_spec()
ARGUMENT_DEFAULTS = {name: option.get("default") for name, option in ARGUMENT_SPEC.items()}


def resolved_connection(given):
    """An environment's connection, its KOREAI_* settings resolved by the rule the modules and the lookup use (an
    empty host, key or CA path is unset)."""
    given = {name: None if name in ("host", "api_key", "ca_path") and not value else value for name, value in given.items()}
    try:
        return resolve_connection(given, os.environ)
    except ConnectionSettingError as exc:
        raise StoreError(str(exc)) from None


class ModuleRunFailed(Exception):
    """A module the promotion runs failed as a whole (not one workflow of it); the message is the module's."""


def gate_setting(value):
    """'verify', True or False from the gate option (a bool, or the word verify)."""
    if isinstance(value, str) and value.strip().lower() == "verify":
        return "verify"
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise StoreError("gate (promote_workflows_gate) must be true, false or verify, not %r" % (value,)) from None


class PromotionRun:
    """One environment's promotion (or drift check): built from the action's arguments and the task's variables."""

    def __init__(self, action, args, task_vars):
        self.action = action
        self.args = args
        self.task_vars = task_vars
        self.environment = args["environment"] or task_vars.get("inventory_hostname") or "localhost"
        self.drift = args["mode"] == "drift"
        self.check_mode = action.check_mode or self.drift
        self.store = None
        self.classifier = None
        self.stored_ids = {}
        self.warnings = []
        self.diffs = []

    # ------------------------------------------------------------------ the steps
    def run(self):
        stages = self._stages()
        if stage_index(stages, self.environment) is None:
            return {"changed": False, "skipped": True, "skip_reason": "%s is not a stage of this promotion "
                    "(promote_workflows_hosts): nothing to promote into it" % self.environment}
        connection = self._connection()
        paths = promotion_paths(self.args, self.environment, self._base(), self.check_mode)
        self.classifier = self._classifier(paths["base"])
        given = self._given(paths["base"])
        self.store = EnvironmentStore(self.action.loader, paths, self._git(paths))
        if not self.check_mode:
            self.store.lock(self.args["lock_timeout"])
        self.store.fetch()
        ids, state = self._read_store()
        batch = self._batch(paths, ids, state, given, connection["api_key"])
        self._check_before_importing(batch, ids, state, paths, stages)
        if self.drift:
            return self._drift_result(batch, self._import(batch, connection, paths))
        self._mark_sending(batch, ids, state)
        results = self._import_untrusted(batch, state, connection, paths)
        results = self._redo_dropped_creations(batch, results, state, connection, paths)
        deploys = self._deploy_due(batch, results, state, connection)
        return self._record(paths, batch, results, deploys, ids, state, connection)

    def close(self):
        if self.store is not None:
            self.store.unlock()

    def failure(self, message):
        return {"failed": True, "changed": False, "msg": message, "warnings": self.warnings}

    # ------------------------------------------------------------------ where, who, what
    def _base(self):
        return base_of(self.task_vars)

    def _stages(self):
        hostvars = self.task_vars.get("hostvars") or {}

        def host_setting(host):
            return hostvars[host].get(TARGET_MARK) if host in hostvars else None

        stages = stages_of(self.task_vars, self.action.loader, host_setting)
        if self.task_vars.get(LEGACY_ORDER_OPTION) not in (None, "", []) and not self.task_vars.get(ORDER_OPTION):
            self.warnings.append("promote_order is deprecated: name the stages in %s instead" % ORDER_OPTION)
        problem = None if self.drift else batch_problem(stages, [str(host) for host in self.task_vars.get("ansible_play_batch") or []])
        if problem:
            raise StageError(problem)
        return stages

    def _connection(self):
        """The environment's connection, its KOREAI_* settings resolved as the roles and modules resolve them."""
        resolved = resolved_connection({name: self.args[name] for name in CONNECTION_SETTINGS})
        if not resolved["host"]:
            raise StoreError("set promote_workflows_host (or KOREAI_HOST in the controller's environment)")
        if not resolved["api_key"]:
            raise StoreError("set promote_workflows_api_key (KOREAI_API_KEY is used only for the host in KOREAI_HOST)")
        if self.action.connection_name not in ("local", "ansible.builtin.local", "ansible.legacy.local"):
            raise StoreError("the promotion runs its modules on the controller, where it keeps the environment's ids: set "
                             "ansible_connection: local for %s" % self.environment)
        connection = {name: self.args[name] for name in CONNECTION_OPTIONS}
        connection.update({name: value for name, value in resolved.items() if value not in (None, "")})
        return connection

    def _given(self, base):
        """{option: {name: value}} of the values given per workflow: a mapping, JSON text, or a (vaulted) file."""
        names = [item.get("name") for item in self.args["workflows"]]
        promotion.unknown_names(names, self.args["ids"], "promote_workflows_ids")
        given = {}
        for option in ("env_variables", "secret_values"):
            variable = "promote_workflows_" + option
            promotion.unknown_names(names, self.args[option], variable)
            given[option] = {name: self._given_value(variable, name, value, base) for name, value in self.args[option].items()}
        return given

    def _given_value(self, option, name, value, base):
        if isinstance(value, (dict, list)):
            return value
        text = str(value).strip()
        try:
            parsed = json_or_data(text, "%s[%s]" % (option, name))
        except NotJson as exc:
            raise StoreError(str(exc)) from None
        if parsed is not text:
            return parsed
        path = resolve(text, base)
        if not os.path.isfile(path):
            raise StoreError("%s[%s]: %s is not a file (relative paths resolve against %s)" % (option, name, text, base))
        return VaultFile(self.action.loader, path, holds_secrets=True).read()

    def _classifier(self, base):
        """The classifier the import uses (its options, the project's secrets file resolved against the base): the
        digest of the tree is computed with it, so that every environment's digest of one content is the same."""
        if self.args["secrets_file"]:
            self.args["secrets_file"] = resolve(self.args["secrets_file"], base)
        try:
            return classifier_from_params({name: self.args[name] for name in CLASSIFIER_OPTIONS})
        except ClassifierError as exc:
            raise StoreError(str(exc)) from None

    def _git(self, paths):
        if not self.args["git_push"]:
            return None
        return GitStore(os.path.dirname(paths["ids_file"]), remote=self.args["git_remote"], branch=self.args["git_branch"],
                        author_name=self.args["git_author_name"], author_email=self.args["git_author_email"],
                        push_options=self.args["git_push_options"])

    # ------------------------------------------------------------------ the store and the batch
    def _read_store(self):
        """The ids (the file's, with promote_workflows_ids over them) and the state, with the creations a run that
        died recorded in its journal folded in (and, outside check mode, written at once)."""
        stored, state = self.store.read()
        self.stored_ids = validate_ids(stored, self.store.paths["ids_file"])
        ids = promotion.merged_ids(self.stored_ids, self.args["ids"], self.store.paths["ids_file"])
        journal = self.store.journal()
        if journal:
            state = promotion.fold_journal(state, ids, journal)
            if not self.check_mode:
                self.store.write(self.stored_ids, state, "Creations recorded by an interrupted promotion of %s"
                                 % self.environment)
                self.store.clear_journal()
        return ids, state

    def _batch(self, paths, ids, state, given, api_key):
        workflows = [dict(item, src=resolve(item["src"], paths["base"])) if item.get("src") else item
                     for item in self.args["workflows"]]
        batch = promotion.build_batch(workflows, paths.get("src", ""), ids, state, given)
        for entry in batch:
            entry["source_digest"] = self._digest(entry["src"])
            entry["given_digest"] = promotion.given_digest(entry, api_key)
        return batch

    def _digest(self, src):
        """The digest of a workflow's reviewed content (None when the source cannot be read: the import says why)."""
        try:
            return definition_digest(load_source(src), self.args["ignore_keys"], self.classifier)
        except KoreaiError:
            return None

    def _check_before_importing(self, batch, ids, state, paths, stages):
        """Every refusal decidable before a change: creations sent without an answer, a store lost, the stage before,
        an AWX job that would lose its ids. A plan warns about the stage before where the apply refuses."""
        if self.drift:
            return
        names = [entry["name"] for entry in batch]
        blocked = promotion.blocked_creations(names, ids, state, self.args["recreate"])
        if blocked:
            raise StoreError(blocked)
        new = promotion.new_names(batch)
        if new and not self.store.ids_file.exists:
            evidence = lost_store_evidence(self.args, paths, self.environment, new, self.store.raw)
            if evidence:
                raise StoreError("%s does not exist, but %s record earlier promotions of %s into %s: point "
                                 "promote_workflows_ids_file at its ids file (or remove those files if %s was reset), or "
                                 "they would be created again" % (paths["ids_file"], ", ".join(evidence), ", ".join(new),
                                                                  self.environment, self.environment))
        problems = self._gate(batch, stages)
        if problems and not self.check_mode:
            raise StoreError("not promoted, the stage before does not hold this content: " + "; ".join(problems))
        self.warnings.extend("the apply will refuse: " + problem for problem in problems)
        self._refuse_ephemeral(new)

    def _gate(self, batch, stages):
        gate = gate_setting(self.args["gate"])
        if gate is False:
            return []
        earlier = []
        for environment in earlier_stage(stages, self.environment):
            path = state_file_of(self._earlier_ids_file(environment))
            earlier.append((environment, path, self.store.state_of(path)))
        digests = {entry["name"]: entry["source_digest"] for entry in batch if entry["source_digest"]}
        problems = promotion.gate_problems(digests, earlier, self.args["deploy"])
        if gate == "verify" and not problems:
            problems = [problem for environment, _path, _state in earlier for problem in self._verify(environment, batch)]
        return problems

    def _earlier_ids_file(self, environment):
        """Another environment's ids file: the one its inventory variables name, else beside this one, named for it."""
        hostvars = self.task_vars.get("hostvars") or {}
        own = hostvars[environment].get("promote_workflows_ids_file") if environment in hostvars else None
        return resolve(own or self._ids_file_of(environment), self._base())

    def _verify(self, environment, batch):
        """Why an environment of the stage before does not hold the tree, as its export shows (the gate verify): the
        import in check mode there, with its own connection and ids."""
        hostvars = self.task_vars.get("hostvars") or {}
        settings = hostvars[environment] if environment in hostvars else {}
        resolved = resolved_connection({name: settings.get("promote_workflows_" + name, ARGUMENT_DEFAULTS[name])
                                        for name in CONNECTION_SETTINGS})
        connection = dict(self._connection(), **{key: value for key, value in resolved.items() if value not in (None, "")})
        ids_file = self._earlier_ids_file(environment)
        ids = VaultFile(self.action.loader, ids_file).parse(self.store.raw(ids_file), ids_file)
        unknown = [entry["name"] for entry in batch if not ids.get(entry["name"])]
        if unknown:
            return ["%s has no id of %s in %s: promote %s first" % (environment, ", ".join(unknown), ids_file, environment)]
        checked = [dict({key: entry[key] for key in ("name", "src")}, workflow_id=ids[entry["name"]]) for entry in batch]
        results = self._import(checked, connection, {}, check_mode=True, exact=True)
        return ["%s does not hold this content of %s, as its export shows: %s" % (
            environment, entry["name"], result.get("msg") if result.get("failed") else
            ", ".join(result.get("members_changed") or ["members"]) + " differ") for entry, result in zip(checked, results)
            if result.get("failed") or result.get("changed")]

    def _ids_file_of(self, environment):
        """Another environment's ids file when the inventory does not name its own: beside this one, named for it."""
        ids_file = self.store.paths["ids_file"]
        return os.path.join(os.path.dirname(ids_file), environment + os.path.splitext(ids_file)[1])

    def _refuse_ephemeral(self, new):
        job = next((self.task_vars[name] for name in AWX_VARS if self.task_vars.get(name) not in (None, "")), None)
        if not new or job is None or self.args["git_push"] or self.args["allow_ephemeral_ids"] or self.check_mode:
            return
        raise StoreError(
            "this AWX/AAP job (%s) would create %s, and their new ids would be lost with the job's project directory, so the "
            "next job would create them again. Keep the ids: set promote_workflows_git_push: true (the ids and the state "
            "are read from and pushed to the project's git remote), or give the ids in promote_workflows_ids, or accept "
            "the risk with promote_workflows_allow_ephemeral_ids: true" % (job, ", ".join(new)))

    def _mark_sending(self, batch, ids, state):
        """With a git store, publish that the new workflows are being created before any is sent: a job that dies
        takes its journal with it, and the next job must not create them blindly."""
        new = promotion.new_names(batch)
        if not new or not self.store.git or self.check_mode:
            return
        marked = {name: dict(state.get(name, {}), sent=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())) for name in new}
        self.store.write(ids, dict(state, **marked), "Creations of %s about to be sent" % self.environment)

    # ------------------------------------------------------------------ the modules
    def _import_untrusted(self, batch, state, connection, paths):
        """workflow_import of the batch; with compare: changed, only of the workflows the state does not record this
        environment holding as they are now, under the id of its ids file (the others are trusted, asked nothing: the
        drift check compares them)."""
        trusted = promotion.trusted_names(batch, self.stored_ids, state, self.args["deploy"]) \
            if self.args["compare"] == "changed" else set()
        compared = [entry for entry in batch if entry["name"] not in trusted]
        return promotion.with_trusted(batch, self._import(compared, connection, paths), trusted)

    def _module_args(self, connection, extra):
        args = dict(connection)
        args.update({name: self.args[name] for name in RUNNER_OPTIONS})
        args.update(extra, fail_on_error=False)
        return args

    def _import(self, batch, connection, paths, check_mode=None, exact=None):
        """workflow_import of the batch; its results, one per entry, in the batch's order. exact (drift, the gate's
        verify): compare with the tree itself, a value the target changed by hand included."""
        if not batch:
            return []
        check_mode = self.check_mode if check_mode is None else check_mode
        exact = self.drift if exact is None else exact
        extra = {"workflows": [{key: entry[key] for key in IMPORT_ITEM_KEYS if entry.get(key) not in (None, "")}
                               for entry in batch],
                 "deploy": self.args["deploy"] and not self.drift, "ignore_keys": self.args["ignore_keys"],
                 "carry_source_secrets": self.args["carry_source_secrets"],
                 "target_edits": "overwrite" if exact else self.args["target_edits"]}
        extra.update({name: self.args[name] for name in CLASSIFIER_OPTIONS if self.args[name] not in (None, "")})
        if paths.get("backup_dir"):
            extra["backup_dir"] = paths["backup_dir"]
        if not check_mode:
            extra["journal"] = paths["journal"]
        result = self._run_module(IMPORT_MODULE, self._module_args(connection, extra), check_mode)
        return self._results_of(result, len(batch), IMPORT_MODULE)

    def _run_module(self, name, args, check_mode):
        result = self.action.execute_module(name, args, self.task_vars, check_mode)
        self.warnings.extend(result.get("warnings") or [])
        diff = result.get("diff")
        if diff:
            self.diffs.extend(diff if isinstance(diff, list) else [diff])
        return result

    @staticmethod
    def _results_of(result, count, module):
        results = result.get("results")
        if not isinstance(results, list) or len(results) != count:
            raise ModuleRunFailed("%s failed: %s" % (module, result.get("msg") or result.get("module_stderr")
                                                     or "it returned no result per workflow"))
        return results

    def _redo_dropped_creations(self, batch, results, state, connection, paths):
        """Import anew the pending creations the server does not know (404); their results replace the first ones."""
        redo = promotion.to_redo(batch, results, state)
        if not redo:
            return results
        redone = dict(zip((entry["name"] for entry in redo), self._import(redo, connection, paths)))
        for entry in batch:
            if entry["name"] in redone:
                entry.pop("workflow_id", None)
        return [redone.get(entry["name"], result) for entry, result in zip(batch, results)]

    def _deploy_due(self, batch, results, state, connection):
        """{name: deploy result} of the unchanged workflows whose last deploy did not succeed (in check mode each is
        only marked would_deploy)."""
        due = promotion.deploys_due(batch, results, state, self.args["deploy"])
        for entry, result in zip(batch, results):
            entry["would_deploy"] = self.args["deploy"] and (bool(result.get("changed")) or entry in due) \
                and not result.get("failed")
        if not due or self.check_mode:
            return {}
        extra = {"workflows": [{"workflow_id": entry["workflow_id"], "name": entry["name"]} for entry in due]}
        result = self._run_module(DEPLOY_MODULE, self._module_args(connection, extra), False)
        return dict(zip((entry["name"] for entry in due), self._results_of(result, len(due), DEPLOY_MODULE)))

    # ------------------------------------------------------------------ recording
    def _record(self, paths, batch, results, deploys, ids, state, connection):
        journal = self.store.journal()
        for entry, result in zip(batch, results):
            entry["workflow_id_after"] = promotion.workflow_id_of(entry, result, journal)
        deployed_later = {name: not result.get("failed") for name, result in deploys.items()}
        new_ids, new_state = promotion.next_state(ids, state, batch, results, deployed_later, self.args["deploy"])
        new_state = promotion.fold_journal(new_state, new_ids, journal)
        written = False
        if not self.check_mode and (new_ids != self.stored_ids or new_state != state or journal):
            self.store.write(new_ids, new_state, "Workflow ids and promotion state of %s" % self.environment)
            self.store.clear_journal()
            written = True
        report = promotion.report_of(self.environment, connection["host"], batch, results, new_state, deploys, self.check_mode)
        if not self.check_mode and batch:
            write_private(paths["report"], pretty_json(report, escape_non_ascii=True), REPORT_FILE, durable=True,
                          make_dirs=True)
        rows = promotion.ci_rows(report)
        ci_files = write_ci_reports(paths, self._title(), rows)
        return dict(self._result(report, results, deploys, written, ci_files, paths), ci_rows=rows)

    def _title(self):
        return "%s of %s" % ("Promotion plan" if self.check_mode else "Promotion", self.environment)

    def _result(self, report, results, deploys, written, ci_files, paths):
        failures = [entry for entry in report["workflows"] if entry["outcome"] in FAILED_OUTCOMES]
        notes = [self._ids_note(report, written, paths), promotion.trusted_note(report)]
        changed = written or any(result.get("changed") for result in results) or any(
            not result.get("failed") for result in deploys.values())
        msg = ("%d of %d workflows failed: %s" % (len(failures), len(report["workflows"]), "; ".join(
            "%s: %s" % (entry["name"], entry["error"]) for entry in failures))) if failures else (
            "planned" if self.check_mode else "promoted")
        result = {"changed": bool(changed), "results": report["workflows"], "failures": failures,
                  "summary_row": promotion.summary_of(report, notes), "store_written": written, "msg": msg,
                  "ids_file": paths["ids_file"], "state_file": paths["state_file"], "ci_reports": ci_files,
                  "warnings": self.warnings, "failed": bool(failures) and self.args["fail_on_error"]}
        if self.diffs:
            result["diff"] = self.diffs
        return result

    def _ids_note(self, report, written, paths):
        created = [entry for entry in report["workflows"] if entry["outcome"] in ("created", "would create")]
        if self.check_mode:
            return "%d new workflows: their ids would be recorded in the ids file" % len(created) if created else ""
        git = self.store.git
        if written and git:
            return "%s published to %s, branch %s: pull to see them" % (
                "new workflow ids and the promotion state" if created else "the promotion state", git.shown, git.branch)
        if written and created:
            return "new workflow ids recorded in %s: commit it with %s" % (paths["ids_file"], paths["state_file"])
        if written:
            return "promotion state recorded in %s: commit it" % paths["state_file"]
        return ""

    def _drift_result(self, batch, results):
        lines = promotion.drift_lines(batch, results)
        result = {"changed": False, "drift": lines, "failed": bool(lines), "warnings": self.warnings,
                  "_ansible_verbose_always": True,  # the verdict shows, as a debug task's message would
                  "msg": ("%s differs from the reviewed tree: %s" % (self.environment, "; ".join(lines))) if lines
                  else "%s holds the reviewed tree" % self.environment}
        if self.diffs:
            result["diff"] = self.diffs
        return result
