# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the options of the promotion action, in one place for the action (which
validates them) and its documentation stub (which ansible-doc and the sanity tests read)."""

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.connection import connection_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.members import DEFAULT_IGNORE_KEYS
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.runner_options import runner_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import classifier_argument_spec
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.fill import TARGET_EDITS

# Seconds a promotion waits for another one of the same environment to release the ids file's lock.
DEFAULT_LOCK_TIMEOUT = 600.0
GIT_AUTHOR = ("koreai.ai_for_process", "promotion@localhost")


def promotion_argument_spec():
    """The promotion action's options. The connection options are the modules', without their environment fallbacks:
    the action resolves the KOREAI_* settings itself, so that the controller's key only goes to its own host."""
    spec = {name: {key: value for key, value in option.items() if key != "fallback"}
            for name, option in connection_argument_spec().items()}
    spec.update(runner_argument_spec())
    spec.update(classifier_argument_spec())
    spec.update(
        mode=dict(type="str", choices=["promote", "drift"], default="promote"),
        compare=dict(type="str", choices=["all", "changed"], default="all"),
        environment=dict(type="str"),
        src=dict(type="str", default=""),
        exported_src=dict(type="str", default=""),
        workflows=dict(type="list", elements="dict", required=True),
        ids=dict(type="dict", default={}),
        env_variables=dict(type="dict", default={}, no_log=True),
        secret_values=dict(type="dict", default={}, no_log=True),
        recreate=dict(type="list", elements="str", default=[]),
        ids_file=dict(type="str", default=""),
        report=dict(type="str", default=""),
        junit_dir=dict(type="str", default=""),
        markdown_dir=dict(type="str", default=""),
        backup_dir=dict(type="str", default=""),
        gate=dict(type="raw", default=True),
        lock_timeout=dict(type="float", default=DEFAULT_LOCK_TIMEOUT),
        git_push=dict(type="bool", default=False),
        git_remote=dict(type="str", default="origin"),
        git_branch=dict(type="str", default=""),
        git_push_options=dict(type="list", elements="str", default=[]),
        git_author_name=dict(type="str", default=GIT_AUTHOR[0]),
        git_author_email=dict(type="str", default=GIT_AUTHOR[1]),
        allow_ephemeral_ids=dict(type="bool", default=False),
        deploy=dict(type="bool", default=True),
        ignore_keys=dict(type="list", elements="str", default=list(DEFAULT_IGNORE_KEYS), no_log=False),
        carry_source_secrets=dict(type="bool", default=False),
        target_edits=dict(type="str", choices=list(TARGET_EDITS), default=TARGET_EDITS[0]),
    )
    return spec
