# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of koreai.ai_for_process.promotion_store: one environment's ids store and promotion state, on the
controller (vault-encrypted files, a lock held from read to write, relative paths against the inventory's directory)."""

import json
import os

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.koreai.ai_for_process.plugins.module_utils._digests import pretty_json
from ansible_collections.koreai.ai_for_process.plugins.module_utils._reports import FAILED_OUTCOMES
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils import _promotion_state as promotion
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import (
    DEFAULT_LOCK_TIMEOUT, StoreError, acquire_lock, release_lock, validate_ids, write_private)
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._store_files import (
    VaultFile, default_store_file, refuse_inside_collection, resolve, state_file_of)
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._store_git import push_store

IDS_HEADER = "name -> workflow id in this environment; written by koreai.ai_for_process.promote_workflows: commit it"
STATE_HEADER = "last promotion state per workflow (imported, deployed, pending creations): commit it with the ids"
AWX_VARS = ("awx_job_id", "tower_job_id")


class ActionModule(ActionBase):
    """Steps: open (read, check, lock, batch), settle (pending ids to create anew, deploys due), close (write, unlock),
    release (unlock only), summary (every environment's table), push (commit and push the store), drift (the check)."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        step = args.get("step")
        handlers = {"open": self._open, "settle": self._settle, "close": self._close, "release": self._release,
                    "summary": self._summary, "push": self._push, "drift": self._drift}
        if step not in handlers:
            return dict(result, failed=True, msg="step must be one of %s, not %r" % (", ".join(sorted(handlers)), step))
        try:
            result.update(handlers[step](args, task_vars or {}))
        except StoreError as exc:
            result.update(failed=True, msg="%s: %s" % (args.get("environment", "promotion store"), exc))
        except OSError as exc:
            result.update(failed=True, msg="%s: %s: %s" % (args.get("environment", "promotion store"), exc.filename, exc.strerror))
        return result

    # ------------------------------------------------------------------ paths
    @staticmethod
    def _base(task_vars):
        """The one base of relative paths: the inventory's directory, else the playbook's."""
        return task_vars.get("inventory_dir") or task_vars.get("playbook_dir") or os.getcwd()

    @staticmethod
    def _ids_file(args):
        """This environment's ids file: the one given, else ids/<environment>.yml beside the source tree."""
        if args.get("ids_file"):
            return args["ids_file"]
        if not args.get("src"):
            raise StoreError("set promote_workflows_ids_file: a live source has no tree to keep the ids beside")
        return default_store_file(args["src"], args["environment"], "ids", ".yml")

    def _paths(self, args, task_vars, check_mode):
        if not args.get("environment"):
            raise StoreError("environment (the inventory host being promoted) is required")
        base = self._base(task_vars)
        report = args.get("report") or default_store_file(args.get("src"), args["environment"], "promotions", ".json")
        paths = {"base": base, "ids_file": resolve(self._ids_file(args), base), "report": resolve(report, base),
                 "backup_dir": resolve(args["backup_dir"], base) if args.get("backup_dir") else None}
        paths["state_file"] = state_file_of(paths["ids_file"])
        paths["lock_file"] = paths["ids_file"] + ".lock"
        for kind, extension in (("junit", ".xml"), ("markdown", ".md")):
            directory = args.get(kind + "_dir")
            paths[kind] = resolve(os.path.join(directory, args["environment"] + extension), base) if directory else ""
        source = args.get("src") or args.get("exported_src")
        if source:
            paths["src"] = resolve(source, base)
        elif any(not item.get("src") for item in args.get("workflows") or []):
            raise StoreError("set promote_workflows_src (the exported tree of the source environment) or "
                             "promote_workflows_source_host: a workflow without its own src has nowhere to come from")
        if not check_mode and args.get("mode", "promote") == "promote":
            refuse_inside_collection(paths["ids_file"], "promote_workflows_ids_file")
            refuse_inside_collection(paths["report"], "promote_workflows_report")
            if paths["backup_dir"]:
                refuse_inside_collection(paths["backup_dir"], "promote_workflows_backup_dir")
        return paths

    def _owner_pid(self):
        return os.getppid()  # the ansible-playbook process: a task's worker ends with the task

    # ------------------------------------------------------------------ open
    def _open(self, args, task_vars):
        check_mode = bool(self._task.check_mode or self._play_context.check_mode)
        paths = self._paths(args, task_vars, check_mode)
        names = [item["name"] for item in args.get("workflows") or []]
        promotion.unknown_names(names, args.get("ids") or {}, "promote_workflows_ids")
        given = {}
        for option, role_variable in (("env_variables", "promote_workflows_env_variables"),
                                      ("secret_values", "promote_workflows_secret_values")):
            promotion.unknown_names(names, args.get(option) or {}, role_variable)
            given[option] = {name: self._given(role_variable, name, value, paths["base"])
                             for name, value in (args.get(option) or {}).items()}
        warnings = self._gate(args, task_vars, names, check_mode)
        locked = False
        if not check_mode and args.get("mode", "promote") == "promote":
            acquire_lock(paths["lock_file"], self._owner_pid(), float(args.get("lock_timeout", DEFAULT_LOCK_TIMEOUT)))
            locked = True
        try:
            ids, state = self._read_store(paths, args)
            workflows = [dict(item, src=resolve(item["src"], paths["base"])) if item.get("src") else item
                         for item in args.get("workflows") or []]
            batch = promotion.build_batch(workflows, paths.get("src", ""), ids, state, given["env_variables"],
                                          given["secret_values"])
            self._refuse_ephemeral(args, task_vars, batch)
        except BaseException:
            if locked:
                release_lock(paths["lock_file"], self._owner_pid())
            raise
        return {"changed": False, "batch": batch, "warnings": warnings,
                "store": {"paths": paths, "ids": ids, "state": state, "locked": locked, "new": promotion.new_names(batch)}}

    def _read_store(self, paths, args):
        ids_file, state_file = VaultFile(self._loader, paths["ids_file"]), VaultFile(self._loader, paths["state_file"])
        stored, state = ids_file.read(), state_file.read()
        if not ids_file.exists and state_file.exists and state.get("workflows"):
            raise StoreError("%s is missing but %s records earlier promotions: restore the ids file (from git) before "
                             "promoting, or every workflow would be created again" % (paths["ids_file"], paths["state_file"]))
        ids = promotion.merged_ids(validate_ids(stored, paths["ids_file"]), args.get("ids") or {}, paths["ids_file"])
        return ids, dict(state.get("workflows") or {})

    def _given(self, option, name, value, base):
        """A workflow's given values (option[name]): a mapping, JSON text (a lookup's result), or a file (relative to
        the base, may be vaulted)."""
        if isinstance(value, (dict, list)):
            return value
        text = str(value).strip()
        if text.startswith(("{", "[")):
            try:
                return json.loads(text)
            except ValueError as exc:
                raise StoreError("%s[%s] is not valid JSON: %s" % (option, name, exc)) from None
        path = resolve(text, base)
        if not os.path.isfile(path):
            raise StoreError("%s[%s]: %s is not a file (relative paths resolve against %s)" % (option, name, text, base))
        return VaultFile(self._loader, path, holds_secrets=True).read()

    @staticmethod
    def _earlier(args):
        """The environments that gate this one: those given as earlier, else those before it in order."""
        if args.get("earlier") is not None or args.get("order") is None:
            return args.get("earlier") or []
        return promotion.earlier_environments(args["order"], args.get("environment"), boolean(args.get("gate", True)),
                                              args.get("mode", "promote"))

    def _gate(self, args, task_vars, names, check_mode):
        """Refuse this environment while an earlier one has a workflow not imported or not deployed (a plan warns)."""
        earlier = []
        hostvars = task_vars.get("hostvars", {})
        for environment in self._earlier(args):
            own = hostvars[environment].get("promote_workflows_ids_file") if environment in hostvars else None
            path = state_file_of(resolve(own or self._earlier_ids_file(args, environment), self._base(task_vars)))
            file_ = VaultFile(self._loader, path)
            earlier.append((environment, path, file_.read().get("workflows", {}) if file_.exists else None))
        problems = promotion.gate_problems(names, earlier)
        if problems and not check_mode:
            raise StoreError("not promoted, an earlier environment is not done: " + "; ".join(problems))
        return ["the apply will wait: " + problem for problem in problems]

    def _earlier_ids_file(self, args, environment):
        """An earlier environment's ids file when its own is not in the inventory: beside this environment's, named
        for it (ids/staging.yml beside ids/prod.yml), as the role's default and a per-host pattern both put it."""
        ids_file = self._ids_file(args)
        return os.path.join(os.path.dirname(ids_file), environment + os.path.splitext(ids_file)[1])

    @staticmethod
    def _refuse_ephemeral(args, task_vars, batch):
        new = promotion.new_names(batch)
        job = next((task_vars[name] for name in AWX_VARS if task_vars.get(name) not in (None, "")), None)
        if not new or job is None or boolean(args.get("git_push", False)) or boolean(args.get("allow_ephemeral_ids", False)):
            return
        raise StoreError(
            "this AWX/AAP job (%s) would create %s, and their new ids would be lost with the job's project directory, so the "
            "next job would create them again. Keep the ids: set promote_workflows_git_push: true (commits and pushes the "
            "ids to the project's git remote), or give the ids in promote_workflows_ids, or accept the risk with "
            "promote_workflows_allow_ephemeral_ids: true" % (job, ", ".join(new)))

    # ------------------------------------------------------------------ settle, close, release
    def _settle(self, args, task_vars):
        store, results = args["store"], args.get("results") or []
        redo = promotion.pending_checks_to_redo(args.get("batch") or [], results, store["state"])
        redone = {entry["name"] for entry in redo}
        kept = [result for result in results if result.get("name") not in redone]
        return {"changed": False, "redo": redo, "deploys": promotion.deploys_due(kept, store["state"], boolean(args.get("deploy", True)))}

    def _close(self, args, task_vars):
        check_mode = bool(self._task.check_mode or self._play_context.check_mode)
        store, paths = args["store"], args["store"]["paths"]
        try:
            results = promotion.final_results(args.get("results") or [], args.get("redo_results") or [])
            deploy_results = args.get("deploy_results") or []
            ids, state = promotion.next_state(store["ids"], store["state"], results, deploy_results, boolean(args.get("deploy", True)))
            written = False if check_mode else self._write_store(paths, ids, state, store)
            report = promotion.report_of(args.get("environment"), args.get("host"), results, deploy_results, state, check_mode)
            if not check_mode and results:
                write_private(paths["report"], pretty_json(report, escape_non_ascii=True))
            deployed = len(promotion.deployed_this_run(results, deploy_results)) if not check_mode else (
                sum(1 for result in results if result.get("changed")) * boolean(args.get("deploy", True)) + len(args.get("deploys") or []))
            row = promotion.summary_of(report, deployed, self._ids_note(paths, written, store, results, check_mode))
        finally:
            if store.get("locked"):
                release_lock(paths["lock_file"], self._owner_pid())
        failed = [entry for entry in report["workflows"] if entry["outcome"] in FAILED_OUTCOMES]
        msg = "%d of %d workflows failed: %s" % (len(failed), len(report["workflows"]), "; ".join(
            "%s: %s" % (entry["name"], entry["error"]) for entry in failed)) if failed else "promoted"
        return {"changed": written, "report": report, "ci_rows": promotion.ci_rows(report), "store_written": written,
                "failures": failed, "msg": msg,
                "ansible_facts": {"promote_workflows_summary_row": row}}

    def _write_store(self, paths, ids, state, store):
        """Write the ids and the state when they differ from what was read; True when written."""
        if ids == store["ids"] and state == store["state"]:
            return False
        ids_file, state_file = VaultFile(self._loader, paths["ids_file"]), VaultFile(self._loader, paths["state_file"])
        ids_file.read()
        state_file.read()
        state_file.encrypt_like(ids_file)
        ids_file.encrypt_like(state_file)
        ids_file.write(ids, IDS_HEADER)
        state_file.write({"workflows": state}, STATE_HEADER)
        return True

    @staticmethod
    def _ids_note(paths, written, store, results, check_mode):
        created = [result for result in results if result.get("created") and not result.get("failed")]
        if check_mode:
            return "%d new workflows: their ids would be recorded in the ids file" % len(created) if created else ""
        if written and created:
            return "new workflow ids recorded in %s: commit it with %s" % (paths["ids_file"], paths["state_file"])
        if written:
            return "promotion state recorded in %s: commit it" % paths["state_file"]
        return ""

    def _release(self, args, task_vars):
        store = args.get("store") or {}
        released = bool(store.get("locked")) and release_lock(store["paths"]["lock_file"], self._owner_pid())
        return {"changed": False, "released": released}

    # ------------------------------------------------------------------ summary, push, drift
    def _summary(self, args, task_vars):
        check_mode = bool(self._task.check_mode or self._play_context.check_mode)
        order = list(args.get("order") or [])
        hostvars = task_vars.get("hostvars", {})
        rows = {}
        for environment in order:
            host = hostvars.get(environment) if environment in hostvars else None
            rows[environment] = (host.get("promote_workflows_summary_row") if host is not None else None) or {}
        lines = promotion.summary_table(rows, order, check_mode, task_vars.get("inventory_hostname"))
        return {"changed": False, "msg": lines}

    def _push(self, args, task_vars):
        paths = args["store"]["paths"]
        return push_store([paths["ids_file"], paths["state_file"]], args.get("git") or {}, args.get("environment"))

    def _drift(self, args, task_vars):
        lines = promotion.drift_lines(args.get("results") or [])
        return {"changed": False, "drift": lines, "failed": bool(lines),
                "msg": ("%s differs from the reviewed tree: %s" % (args.get("environment"), "; ".join(lines))) if lines
                else "%s holds the reviewed tree" % args.get("environment")}
