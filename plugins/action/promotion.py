# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of koreai.ai_for_process.promotion: one environment's whole promotion, on the controller.

Reads and locks the environment's store, builds the batch, checks the stage before, runs workflow_import (and
workflow_deploy for deploys an earlier run left undone) through _execute_module, records every creation the moment
the server names it, and writes the ids, the state and the reports. Drift mode is the same without import. The docs
are in the module stub (plugins/modules/promotion.py).
"""

from ansible.plugins.action import ActionBase

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._paths import PathError
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._promotion_run import ARGUMENT_SPEC, ModuleRunFailed, PromotionRun
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._stages import StageError


class ActionModule(ActionBase):
    """Promote (or compare) one environment; every error of the store, the stages or a module run ends here."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        run = PromotionRun(self, args, task_vars or {})
        try:
            result.update(run.run())
        except (StoreError, StageError, PathError, ModuleRunFailed) as exc:
            result.update(run.failure("%s: %s" % (run.environment, exc)))
        except OSError as exc:
            result.update(run.failure("%s: %s: %s" % (run.environment, exc.filename, exc.strerror)))
        finally:
            run.close()
        return result

    def execute_module(self, name, args, task_vars, check_mode):
        """Run one of the collection's modules for this host, in check mode or not whatever the task's mode is (as
        the builtin template action runs copy)."""
        saved = self._task.check_mode
        self._task.check_mode = check_mode
        try:
            return self._execute_module(module_name=name, module_args=args, task_vars=task_vars)
        finally:
            self._task.check_mode = saved

    @property
    def loader(self):
        return self._loader

    @property
    def connection_name(self):
        return getattr(self._connection, "transport", None) or getattr(self._connection, "_load_name", "")

    @property
    def check_mode(self):
        return bool(self._task.check_mode or self._play_context.check_mode)

    @property
    def diff_mode(self):
        return bool(self._task.diff)
