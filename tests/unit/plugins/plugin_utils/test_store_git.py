# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The git store of a promotion, with real git against bare repositories: reads at the remote's tip, publishes that
leave the checkout alone, parallel publishers, shallow and detached checkouts, unreachable and refusing remotes."""

import multiprocessing
import os
import shutil
import subprocess
import threading

import pytest

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._store_git import GitStore, scrub

SEED = ["-c", "user.name=seed", "-c", "user.email=seed@example.invalid"]


@pytest.fixture(autouse=True)
def machine_without_git_identity(tmp_path, monkeypatch):
    """git as on a fresh CI runner or AWX execution environment: no user.name, no global or system config; and no
    repository above tmp_path (the collection's own checkout) is found by accident."""
    home = tmp_path / "home"
    home.mkdir()
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def git(cwd, *args, data=None):
    """Run git for the test's own setup and checks; its stdout."""
    completed = subprocess.run(["git"] + SEED + list(args), cwd=str(cwd), input=data, capture_output=True, check=False)
    assert completed.returncode == 0, completed.stderr.decode()
    return completed.stdout.decode().strip()


@pytest.fixture(scope="module")
def remote_template(tmp_path_factory):
    """A bare remote whose main holds two commits of the project (README, then playbook.yml), made once."""
    base = tmp_path_factory.mktemp("template")
    git(base, "init", "-q", "--bare", "-b", "main", "remote.git")
    git(base, "clone", "-q", "remote.git", "seed")
    (base / "seed" / "README").write_text("the project\n")
    (base / "seed" / "playbook.yml").write_text("---\n")
    for path, message in (("README", "the project"), ("playbook.yml", "a playbook")):
        git(base / "seed", "add", path)
        git(base / "seed", "commit", "-q", "-m", message)
    git(base / "seed", "push", "-q", "origin", "main")
    return base / "remote.git"


@pytest.fixture
def remote(remote_template, tmp_path):
    """This test's own copy of the template remote."""
    shutil.copytree(str(remote_template), str(tmp_path / "remote.git"))
    return tmp_path / "remote.git"


def clone(remote, dest, *options):
    git(remote.parent, "clone", "-q", *options, "file://%s" % remote, str(dest))
    return dest


def push_by_hand(remote, tmp_path, path, text, name="other"):
    """Another job: its own clone commits path and pushes it the ordinary way."""
    other = clone(remote, tmp_path / name)
    (other / path).parent.mkdir(parents=True, exist_ok=True)
    (other / path).write_text(text)
    git(other, "add", path)
    git(other, "commit", "-q", "-m", "%s by another job" % path)
    git(other, "push", "-q", "origin", "HEAD")


def remote_file(remote, path, branch="main"):
    return git(remote, "show", "%s:%s" % (branch, path))


def snapshot(checkout):
    """What a publish must not touch: HEAD, the index's bytes, the work tree's status and files."""
    with open(os.path.join(str(checkout), ".git", "index"), "rb") as index:
        index_bytes = index.read()
    files = sorted(str(path.relative_to(checkout)) for path in checkout.rglob("*") if ".git" not in path.parts)
    return git(checkout, "rev-parse", "HEAD"), index_bytes, git(checkout, "status", "--porcelain"), files


def test_read_sees_the_files_another_job_pushed_after_this_checkout_was_made(remote, tmp_path):
    job = clone(remote, tmp_path / "job")
    push_by_hand(remote, tmp_path, "ids/staging.yml", "invoice-approval: a-1\n")
    store = GitStore(str(job / "ids"))

    assert store.fetch() == git(remote, "rev-parse", "main")
    assert store.read(str(job / "ids" / "staging.yml")) == b"invoice-approval: a-1\n"
    assert store.read(str(job / "ids" / "prod.yml")) is None
    assert not (job / "ids").exists()


def test_publish_commits_on_the_remote_tip_and_leaves_the_checkout_alone(remote, tmp_path):
    job = clone(remote, tmp_path / "job")
    (job / "README").write_text("the user's unfinished edit\n")
    (job / "playbook.yml").write_text("---\n- hosts: all\n")
    git(job, "add", "playbook.yml")
    push_by_hand(remote, tmp_path, "ids/staging.yml", "wf: a-1\n")
    (job / "ids").mkdir()
    (job / "ids" / "prod.yml").write_bytes(b"wf: p-1\n")
    before = snapshot(job)
    tip_before = git(remote, "rev-parse", "main")

    commit = GitStore(str(job), author_name="Promotion bot", author_email="bot@example.invalid").publish(
        {str(job / "ids" / "prod.yml"): b"wf: p-1\n"}, "Workflow ids of prod")

    assert snapshot(job) == before
    assert git(remote, "rev-parse", "main") == commit
    assert git(remote, "log", "-1", "--format=%P|%an <%ae>|%cn <%ce>|%s", "main") == (
        "%s|Promotion bot <bot@example.invalid>|Promotion bot <bot@example.invalid>|Workflow ids of prod" % tip_before)
    assert remote_file(remote, "ids/prod.yml") == "wf: p-1"
    assert remote_file(remote, "ids/staging.yml") == "wf: a-1"
    assert remote_file(remote, "README") == "the project"


def test_an_unchanged_publish_makes_no_commit(remote, tmp_path):
    job = clone(remote, tmp_path / "job")
    files = {str(job / "ids" / "prod.yml"): b"wf: p-1\n", str(job / "state" / "prod.yml"): b"workflows: {}\n"}
    store = GitStore(str(job))
    first = store.publish(files, "ids of prod")
    assert store.committed

    again = GitStore(str(job))
    assert again.publish(files, "ids of prod") == first
    assert not again.committed and again.attempts == 1
    assert git(remote, "rev-list", "--count", "main") == "3"


class RacingStore(GitStore):
    """A store whose first push waits at a barrier: the publishers that meet there push into each other."""

    barrier = None

    def _pushed(self, commit):
        if self.attempts == 1:
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return super()._pushed(commit)


def publish_tenant(checkout, tenant, barrier, results):
    """One publisher (a process of its own): its tenant's ids and state; reports (tenant, attempts, error)."""
    RacingStore.barrier = barrier
    store = RacingStore(checkout)
    files = {os.path.join(checkout, kind, "%s.yml" % tenant): ("%s of %s\n" % (kind, tenant)).encode()
             for kind in ("ids", "state")}
    try:
        store.publish(files, "promotion of %s" % tenant)
        results.put((tenant, store.attempts, None))
    except StoreError as exc:
        results.put((tenant, store.attempts, str(exc)))


def publish_in_parallel(checkouts, barrier_timeout):
    """Publish tenant-<n> from checkouts[n], every publisher in its own process; {tenant: (attempts, error)}."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(checkouts), timeout=barrier_timeout), context.Queue()
    processes = [context.Process(target=publish_tenant, args=(str(checkout), "tenant-%d" % number, barrier, results))
                 for number, checkout in enumerate(checkouts)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _process in processes]
    for process in processes:
        process.join(timeout=60)
    return {tenant: (attempts, error) for tenant, attempts, error in outcomes}


def test_four_publishers_in_parallel_all_land(remote, tmp_path):
    checkouts = [clone(remote, tmp_path / ("slice-%d" % number)) for number in range(4)]

    outcomes = publish_in_parallel(checkouts, barrier_timeout=20)

    assert {tenant: error for tenant, (_attempts, error) in outcomes.items()} == dict.fromkeys(outcomes)
    for number in range(4):
        assert remote_file(remote, "ids/tenant-%d.yml" % number) == "ids of tenant-%d" % number
        assert remote_file(remote, "state/tenant-%d.yml" % number) == "state of tenant-%d" % number
    attempts = sorted(attempts for attempts, _error in outcomes.values())
    print("attempts of four racing publishers: %s" % attempts)
    # All four pushed at once from one tip: one won at its first attempt, the three others were refused and re-applied.
    assert attempts[0] == 1 and min(attempts[1:]) >= 2
    assert git(remote, "rev-list", "--count", "main") == "6"


def test_forks_sharing_one_checkout_take_turns(remote, tmp_path):
    checkout = clone(remote, tmp_path / "job")

    outcomes = publish_in_parallel([checkout, checkout], barrier_timeout=0.5)

    assert outcomes == {"tenant-0": (1, None), "tenant-1": (1, None)}
    assert remote_file(remote, "ids/tenant-1.yml") == "ids of tenant-1"


@pytest.mark.parametrize("options, detach", [
    (["--depth", "1"], False),
    ([], True),
    (["--depth", "1"], True),
], ids=["shallow", "detached", "shallow-and-detached"])
def test_shallow_and_detached_checkouts_read_and_publish(remote, tmp_path, options, detach):
    job = clone(remote, tmp_path / "job", *options)
    if detach:
        git(job, "checkout", "-q", "--detach", "HEAD")
    push_by_hand(remote, tmp_path, "ids/staging.yml", "wf: a-1\n")
    head = git(job, "rev-parse", "HEAD")
    store = GitStore(str(job), branch="main")

    assert store.read(str(job / "ids" / "staging.yml")) == b"wf: a-1\n"
    commit = store.publish({str(job / "ids" / "prod.yml"): b"wf: p-1\n"}, "ids of prod")

    assert git(remote, "rev-parse", "main") == commit and git(job, "rev-parse", "HEAD") == head
    assert remote_file(remote, "ids/prod.yml") == "wf: p-1" and remote_file(remote, "ids/staging.yml") == "wf: a-1"


def test_a_detached_checkout_without_a_branch_is_refused_with_the_fix(remote, tmp_path):
    job = clone(remote, tmp_path / "job")
    git(job, "checkout", "-q", "--detach", "HEAD~1")

    with pytest.raises(StoreError, match=r"detached HEAD .*: give the branch of the store"):
        GitStore(str(job))


def test_a_missing_remote_branch_is_created_from_the_checkout(remote, tmp_path):
    job = clone(remote, tmp_path / "job")
    store = GitStore(str(job), branch="promotion-state")

    assert store.fetch() is None
    assert store.read(str(job / "README")) == b"the project\n"
    assert store.read(str(job / "ids" / "prod.yml")) is None
    commit = store.publish({str(job / "ids" / "prod.yml"): b"wf: p-1\n"}, "ids of prod")

    assert git(remote, "rev-parse", "promotion-state") == commit
    assert git(remote, "rev-parse", "promotion-state~1") == git(remote, "rev-parse", "main")
    assert remote_file(remote, "ids/prod.yml", "promotion-state") == "wf: p-1"


def test_a_repository_without_commits_publishes_a_first_commit(tmp_path):
    git(tmp_path, "init", "-q", "--bare", "-b", "main", "empty.git")
    git(tmp_path, "init", "-q", "-b", "main", "project")
    git(tmp_path / "project", "remote", "add", "origin", str(tmp_path / "empty.git"))
    store = GitStore(str(tmp_path / "project"))

    assert store.fetch() is None and store.read(str(tmp_path / "project" / "ids" / "prod.yml")) is None
    commit = store.publish({str(tmp_path / "project" / "ids" / "prod.yml"): b"wf: p-1\n"}, "ids of prod")

    assert git(tmp_path / "empty.git", "ls-tree", "-r", "--name-only", "main") == "ids/prod.yml"
    assert git(tmp_path / "empty.git", "rev-parse", "main") == commit
    assert GitStore(str(tmp_path / "project")).read(str(tmp_path / "project" / "ids" / "prod.yml")) == b"wf: p-1\n"


@pytest.mark.parametrize("url", ["https://deploy:s3cr3t-token@127.0.0.1:1/project.git", "/no/such/remote.git"])
def test_an_unreachable_remote_is_a_store_error_naming_it_without_credentials(remote, tmp_path, url):
    job = clone(remote, tmp_path / "job")
    git(job, "remote", "set-url", "origin", url)
    shown = url.replace("deploy:s3cr3t-token@", "")

    for action in (lambda store: store.fetch(), lambda store: store.publish({str(job / "ids.yml"): b"wf: a\n"}, "m")):
        with pytest.raises(StoreError) as raised:
            action(GitStore(str(job)))
        assert "the git remote origin (%s) cannot be read" % shown in str(raised.value)
        assert "s3cr3t" not in str(raised.value) and "Traceback" not in str(raised.value)


def test_a_remote_given_as_an_address_is_shown_without_credentials(remote, tmp_path):
    job = clone(remote, tmp_path / "job")

    with pytest.raises(StoreError) as raised:
        GitStore(str(job), remote="https://x-access-token:ghp_s3cr3t@127.0.0.1:1/project.git").fetch()
    assert "the git remote https://127.0.0.1:1/project.git cannot be read" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)


@pytest.mark.parametrize("text, scrubbed", [
    ("fatal: unable to access 'https://x-access-token:ghp_abc@github.com/o/r.git/': 403",
     "fatal: unable to access 'https://github.com/o/r.git/': 403"),
    ("To https://oauth2:glpat-abc@gitlab.example/o/r.git", "To https://gitlab.example/o/r.git"),
    ("remote: https://ghp_abc@github.com/o/r.git", "remote: https://github.com/o/r.git"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),
])
def test_scrub_removes_the_userinfo_of_urls(text, scrubbed):
    assert scrub(text) == scrubbed


def test_a_push_the_remote_refuses_is_not_retried_and_names_the_fix(remote, tmp_path):
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    job = clone(remote, tmp_path / "job")
    store = GitStore(str(job))

    with pytest.raises(StoreError, match=r"pushed to origin \(file://.*\), branch main: \[remote rejected\] "
                                         r"\(pre-receive hook declined\)\. Give this job the right to push"):
        store.publish({str(job / "ids" / "prod.yml"): b"wf: p-1\n"}, "ids of prod")
    assert store.attempts == 1


def test_a_file_another_job_changed_since_this_job_read_it_is_refused(remote, tmp_path):
    job = clone(remote, tmp_path / "job")
    store = GitStore(str(job))
    read_at = store.fetch()
    push_by_hand(remote, tmp_path, "ids/prod.yml", "wf: p-2\n")

    assert store.publish({str(job / "ids" / "staging.yml"): b"wf: a-1\n"}, "ids of staging", since=read_at)
    with pytest.raises(StoreError, match=r"^ids/prod.yml changed on origin .*, branch main, after this job read"):
        store.publish({str(job / "ids" / "prod.yml"): b"wf: p-1\n"}, "ids of prod", since=read_at)
    assert remote_file(remote, "ids/prod.yml") == "wf: p-2"


def test_a_path_outside_the_checkout_is_refused(remote, tmp_path):
    job = clone(remote, tmp_path / "job")

    with pytest.raises(StoreError, match=r"is not a file of the checkout"):
        GitStore(str(job)).publish({str(tmp_path / "elsewhere.yml"): b""}, "m")
    with pytest.raises(StoreError, match=r"is not inside a git checkout"):
        GitStore(str(tmp_path / "home"))
