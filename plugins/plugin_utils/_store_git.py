# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: commit an environment's ids and state and push them to the project's git remote,
for runners that throw the project directory away after each job (AWX/AAP)."""

import os
import subprocess

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError


def _git(args, cwd, env=None):
    """Run git; return its stdout, or raise StoreError with git's own message."""
    completed = subprocess.run(["git"] + args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise StoreError("git %s failed in %s: %s" % (args[0], cwd, detail[-1] if detail else "exit %d" % completed.returncode))
    return completed.stdout.strip()


def push_store(files, options, environment):
    """git add + commit (when staged changes) + push of files; returns the result fields (changed, commit, pushed_to)."""
    existing = [path for path in files if os.path.exists(path)]
    if not existing:
        return {"changed": False, "msg": "nothing to push"}
    cwd = _git(["rev-parse", "--show-toplevel"], os.path.dirname(existing[0]))
    remote = options.get("remote") or "origin"
    branch = options.get("branch") or _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    env = dict(os.environ, GIT_AUTHOR_NAME=options.get("author_name") or "koreai.ai_for_process",
               GIT_AUTHOR_EMAIL=options.get("author_email") or "promotion@localhost")
    env.update(GIT_COMMITTER_NAME=env["GIT_AUTHOR_NAME"], GIT_COMMITTER_EMAIL=env["GIT_AUTHOR_EMAIL"])
    _git(["add", "--"] + existing, cwd, env)
    staged = subprocess.run(["git", "diff", "--cached", "--quiet", "--"] + existing, cwd=cwd, check=False).returncode != 0
    if staged:
        _git(["commit", "-q", "-m", "Workflow ids and promotion state of %s" % environment, "--"] + existing, cwd, env)
    try:
        _git(["push", "-q", remote, "HEAD:refs/heads/%s" % branch], cwd, env)
    except StoreError as exc:
        raise StoreError("the ids of %s could not be pushed to %s (%s), so the next job would not find them: %s. Fix the "
                         "remote's access or push the commit by hand" % (environment, remote, branch, exc)) from None
    return {"changed": staged, "commit": _git(["rev-parse", "HEAD"], cwd), "pushed_to": "%s %s" % (remote, branch)}
