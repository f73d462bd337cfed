# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: an environment's ids and promotion state kept on a branch of the project's git
remote, read at the remote's tip and published on top of it, for jobs that start from an older commit than the one
another job pushed, throw their project directory away (AWX/AAP) or run beside each other (slices of one stage)."""

import contextlib
import fcntl
import os
import random
import re
import subprocess
import tempfile
import time

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError

DEFAULT_AUTHOR_NAME = "koreai.ai_for_process"
DEFAULT_AUTHOR_EMAIL = "promotion@localhost"
DEFAULT_ATTEMPTS = 10
GIT_TIMEOUT = 300  # seconds any one git command may take (a fetch or push of a large project over a slow link)
# A URL's userinfo (user, password or token), the part of a remote's address that must never reach a message.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"]+@")
_MISSING_BRANCH = "couldn't find remote ref"
# A push refused because the branch moved while this job built its commit: fetch again and re-apply. A receiving
# server reports two concurrent updates of one ref either as a plain rejection or as a lost ref lock.
_RACE_REASONS = ("fetch first", "non-fast-forward", "cannot lock ref", "failed to update ref", "incorrect old value")
_CALLER_GIT_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY")


def scrub(text):
    """text without the userinfo of any URL in it (https://user:token@host -> https://host)."""
    return _USERINFO.sub(r"\1", text)


def _reason(completed):
    """git's own last words about a failure, scrubbed of credentials."""
    lines = [line.strip() for line in (completed.stderr or completed.stdout).decode("utf-8", "replace").splitlines()
             if line.strip() and not line.startswith("hint:")]
    # git often says why first and how it ended last ("does not support push options", then "hung up"): keep both.
    errors = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return scrub("; ".join(errors[:2]) if len(errors) > 1 else lines[-1] if lines else "exit %d" % completed.returncode)


def _existing_directory(path):
    """path, or its nearest existing parent (a store's directory may not exist before its first write)."""
    path = os.path.abspath(path)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def _git_environment(name, email):
    """The environment of every git command: this author and committer (never the user's config, which a CI runner
    or an execution environment lacks), English messages, no password prompt, none of the caller's repository."""
    env = {key: value for key, value in os.environ.items() if key not in _CALLER_GIT_VARIABLES}
    env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")  # an unknown host key or a passphrase fails, never waits
    return env


class GitStore:
    """An environment's promotion files kept on a branch of the project's git remote.

    Everything goes through git's plumbing against the remote's tip, never through a checkout: the project's
    checkout may sit on an older commit than the remote (a CI or AWX job started before another job pushed), be
    detached or shallow, hold the user's uncommitted work, and be shared by the forks of one run. So the work tree,
    the index and HEAD are never touched: a temporary index builds the tree (read-tree, hash-object, update-index,
    write-tree), commit-tree makes the commit on the remote's tip, and push sends that commit by id. Forks of one
    controller take turns through a lock in the git directory; jobs elsewhere meet at the remote, whose refusal of a
    stale push makes the loser fetch again and re-apply its files."""

    def __init__(self, work_tree, remote="origin", branch="", author_name=DEFAULT_AUTHOR_NAME,
                 author_email=DEFAULT_AUTHOR_EMAIL, push_options=()):
        self.remote = remote or "origin"
        self.push_options = [argument for option in push_options or () for argument in ("-o", option)]
        self._env = _git_environment(author_name or DEFAULT_AUTHOR_NAME, author_email or DEFAULT_AUTHOR_EMAIL)
        self.top = _existing_directory(work_tree)
        completed = self._run("rev-parse", "--show-toplevel")
        if completed.returncode != 0:
            raise StoreError("%s is not inside a git checkout (%s): the git store keeps the promotion files on the "
                             "remote of the project's clone; run from the clone" % (work_tree, _reason(completed)))
        self.top = os.path.realpath(completed.stdout.decode().strip())
        self._git_dir = os.path.join(self.top, self._git("rev-parse", "--git-common-dir"))
        self.branch = branch or self._current_branch()
        self.shown = self._shown_remote()
        self.tip = None
        self._fetched = False
        self.attempts = 0
        self.committed = False

    # ------------------------------------------------------------------ git
    def _run(self, *args, data=None, index=None):
        env = dict(self._env, GIT_INDEX_FILE=index) if index else self._env
        # No background gc or maintenance in the user's repository, started by a fetch or a push of ours.
        try:
            return subprocess.run(["git", "-c", "gc.auto=0", "-c", "maintenance.auto=false"] + list(args), cwd=self.top,
                                  env=env, input=data, capture_output=True, check=False, timeout=GIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise StoreError("git %s in %s did not answer within %d seconds: check that the remote %s can be reached from "
                             "here" % (args[0], self.top, GIT_TIMEOUT, getattr(self, "shown", scrub(self.remote)))) from None

    def _git(self, *args, data=None, index=None, raw=False):
        """Run git; its stdout (stripped text, or the bytes when raw), or StoreError with git's reason."""
        completed = self._run(*args, data=data, index=index)
        if completed.returncode != 0:
            raise StoreError("git %s failed in %s: %s" % (args[0], self.top, _reason(completed)))
        return completed.stdout if raw else completed.stdout.decode("utf-8", "replace").strip()

    def _current_branch(self):
        completed = self._run("symbolic-ref", "--quiet", "--short", "HEAD")
        if completed.returncode != 0:
            raise StoreError("the checkout %s is on a detached HEAD (as CI checkouts are), so it names no branch to "
                             "keep the promotion files on: give the branch of the store (for example main)" % self.top)
        return completed.stdout.decode().strip()

    def _shown_remote(self):
        """The remote as messages show it: its name and address, without credentials."""
        completed = self._run("remote", "get-url", self.remote)
        address = completed.stdout.decode("utf-8", "replace").strip() if completed.returncode == 0 else ""
        return scrub("%s (%s)" % (self.remote, address) if address and address != self.remote else self.remote)

    @contextlib.contextmanager
    def _turn(self):
        """This checkout's turn at its refs (fetch, push): the forks of one run share one checkout."""
        descriptor = os.open(os.path.join(self._git_dir, "koreai-store.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    # ------------------------------------------------------------------ reading
    def fetch(self):
        """Fetch the remote branch; its tip commit, None when the remote has no such branch yet."""
        with self._turn():
            return self._fetch()

    def _fetch(self):
        completed = self._run("fetch", "--quiet", "--no-tags", "--no-recurse-submodules", self.remote,
                              "refs/heads/%s" % self.branch)
        if completed.returncode == 0:
            self.tip = self._git("rev-parse", "--verify", "FETCH_HEAD^{commit}")
        elif _MISSING_BRANCH in completed.stderr.decode("utf-8", "replace"):
            self.tip = None
        else:
            raise StoreError("the git remote %s cannot be read (the promotion files of branch %s): %s. Fix the "
                             "remote's address or this job's access to it (git fetch %s %s must work here)"
                             % (self.shown, self.branch, _reason(completed), scrub(self.remote), self.branch))
        self._fetched = True
        return self.tip

    def _base(self):
        """The commit the files are read from and published on: the remote's tip, else (no such branch on the remote
        yet) the checkout's HEAD, else (a repository without commits) None."""
        if self.tip:
            return self.tip
        completed = self._run("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        return completed.stdout.decode().strip() if completed.returncode == 0 else None

    def read(self, path):
        """The file's content at the fetched tip (fetched now if not yet; the checkout's HEAD while the remote has no
        such branch); None when the file is absent there."""
        if not self._fetched:
            self.fetch()
        base = self._base()
        if base is None:
            return None
        completed = self._run("rev-parse", "--verify", "--quiet", "%s:%s" % (base, self.relative(path)))
        if completed.returncode != 0:
            return None
        return self._git("cat-file", "blob", completed.stdout.decode().strip(), raw=True)

    def relative(self, path):
        """path as the tree names it (relative to the checkout's top, with /); StoreError when outside."""
        relative = os.path.relpath(os.path.realpath(path), self.top)
        if relative == os.curdir or relative.split(os.sep, maxsplit=1)[0] in (os.pardir, ".git"):
            raise StoreError("%s is not a file of the checkout %s: the git store keeps the project's files only"
                             % (path, self.top))
        return relative.replace(os.sep, "/")

    # ------------------------------------------------------------------ publishing
    def publish(self, files, message, attempts=DEFAULT_ATTEMPTS, since=None):
        """Commit files ({absolute path: bytes}) on the remote's tip and push; the commit now at the remote's tip.

        A push refused because another job pushed first is retried on the new tip, up to attempts times. A commit
        that would change nothing is not made. since (optional): the commit the caller read these files at (what
        fetch or the last publish returned); a file another job changed on the remote after it is refused, not
        overwritten. Sets attempts (pushes tried) and committed (a commit was made)."""
        entries = {self.relative(path): content for path, content in files.items()}
        self.attempts, self.committed = 0, False
        with self._turn():
            while self.attempts < attempts:
                self.attempts += 1
                started = time.monotonic()
                if self._attempt(entries, message, since):
                    return self.tip
                if self.attempts < attempts:
                    # Jobs refused together would race again: each waits a random part of a window that doubles
                    # with each refusal up to 8 attempts' time, so that they come back one by one.
                    window = (time.monotonic() - started) * min(2 ** (self.attempts - 1), 8)
                    time.sleep(random.uniform(0, window))  # nosec B311 - jitter, not a secret
        raise StoreError("the promotion files could not be pushed to %s, branch %s: other jobs pushed first %d times "
                         "in a row. Run the job again, or let fewer jobs publish at once"
                         % (self.shown, self.branch, attempts))

    def _attempt(self, entries, message, since):
        """Fetch, commit entries on the tip, push: True when the remote's tip holds them (self.tip), False when
        another job pushed first."""
        tip = self._fetch()
        self._refuse_changed_since(since, tip, entries)
        commit, changed = self._commit(entries, message)
        if (not changed and tip) or self._pushed(commit):
            self.tip, self.committed = commit, changed
            return True
        return False

    def _commit(self, entries, message):
        """(commit, changed): a commit of entries on the base; the base itself when the files are there already."""
        base = self._base()
        with tempfile.TemporaryDirectory(prefix="koreai-store-", dir=self._git_dir) as scratch:
            index = os.path.join(scratch, "index")
            self._git("read-tree", base or "--empty", index=index)
            listing = b"".join(b"100644 %s\t%s\0" % (self._hash(path, content).encode(), path.encode("utf-8"))
                               for path, content in sorted(entries.items()))
            self._git("update-index", "-z", "--index-info", data=listing, index=index)
            tree = self._git("write-tree", index=index)
        if base and tree == self._git("rev-parse", "%s^{tree}" % base):
            return base, False
        return self._git("commit-tree", tree, "-m", message, *(["-p", base] if base else [])), True

    def _hash(self, path, content):
        """Store content as the blob of path (with the path's attributes, as git add would); its id."""
        return self._git("hash-object", "-w", "--stdin", "--path", path, data=content)

    def _pushed(self, commit):
        """Push commit to the branch: True when it is the remote's tip now, False when another job pushed first."""
        completed = self._run("push", "--porcelain", *self.push_options, self.remote,
                              "%s:refs/heads/%s" % (commit, self.branch))
        if completed.returncode == 0:
            return True
        refused = [line.split("\t")[-1] for line in completed.stdout.decode("utf-8", "replace").splitlines()
                   if line.startswith("!")]
        if refused and any(reason in refused[0] for reason in _RACE_REASONS):
            return False
        raise StoreError("the promotion files could not be pushed to %s, branch %s: %s. Give this job the right to "
                         "push to that branch (a deploy key or token with write access), or set the store's branch "
                         "to one it may push to" % (self.shown, self.branch, scrub(refused[0]) if refused
                                                    else _reason(completed)))

    def _refuse_changed_since(self, since, tip, entries):
        if not since or since == tip:
            return
        before, now = self._blobs(since, entries), self._blobs(tip, entries)
        changed = sorted(path for path in entries if before.get(path) != now.get(path))
        if changed:
            raise StoreError("%s changed on %s, branch %s, after this job read %s: another job published the same "
                             "environment meanwhile. Run this job again, so that it decides from the files as they "
                             "are now" % (", ".join(changed), self.shown, self.branch, since[:12]))

    def _blobs(self, commit, entries):
        """{path: blob id} of entries' paths in commit (an absent path is left out)."""
        if not commit:
            return {}
        listing = self._git("ls-tree", "-z", "--full-tree", commit, "--", *sorted(entries))
        return {line.split("\t", 1)[1]: line.split("\t", 1)[0].split()[2] for line in listing.split("\0") if line}
