# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""workflow_import's backup_dir: the target's previous export kept before an import, and restored from it."""

import os
import stat

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.backups import STAGING_PREFIX, backups_of
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.members import DEFAULT_IGNORE_KEYS, without_keys
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.validation import PlanError
from ansible_collections.koreai.ai_for_process.plugins.modules import workflow_import
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_promotion import export, import_


def restore_args():
    """The documented restore passes carry_source_secrets=true; only where the module knows that option."""
    return {"carry_source_secrets": True} if "carry_source_secrets" in workflow_import.argument_spec() else {}


def content_of(emulator, env, workflow_id):
    """The workflow's members as the server holds them, without the keys an import rewrites."""
    return without_keys(emulator.workflow(env, workflow_id)["members"], DEFAULT_IGNORE_KEYS)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_import_keeps_a_private_backup_that_restores_the_target(emulator, tmp_path):
    original = content_of(emulator, "staging", "a-0021")
    exported = export(emulator, "dev", tmp_path, ["a-0021"])["a-0021"]
    backups = tmp_path / "backups" / "staging"
    (result,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0021", name="invoice approval",
                        backup_dir=str(backups))
    assert (result["changed"], result["failed"]) == (True, False), result["msg"]
    backup = result["backup_file"]
    assert os.path.dirname(backup) == str(backups)
    assert os.path.basename(backup).startswith("a-0021.") and backup.endswith(".invoice%20approval.zip")
    assert (mode_of(backup), mode_of(str(backups))) == (0o600, 0o700)
    assert content_of(emulator, "staging", "a-0021") != original

    (restored,) = import_(emulator, "staging", src=backup, workflow_id="a-0021", backup_dir=str(backups),
                          **restore_args())
    assert (restored["changed"], restored["failed"]) == (True, False), restored["msg"]
    assert content_of(emulator, "staging", "a-0021") == original
    assert sorted(os.listdir(str(backups))) == sorted([".gitignore"] + [os.path.basename(path) for path in (backup, restored["backup_file"])])


def test_a_backup_restores_only_its_own_workflow(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0027"])["a-0027"]
    backups = tmp_path / "backups" / "staging"
    (result,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0027", backup_dir=str(backups))
    other = content_of(emulator, "staging", "a-0028")
    for target in ("a-0028", None):
        (crossed,) = import_(emulator, "staging", fail_on_error=False, src=result["backup_file"], carry_source_secrets=True,
                             **({"workflow_id": target} if target else {"name": "copy of a-0027"}))
        assert crossed["failed"] is True and "belongs to workflow a-0027" in crossed["msg"], crossed["msg"]
        assert "carry_source_secrets=true only restores a workflow's own backup into that workflow" in crossed["msg"]
    assert content_of(emulator, "staging", "a-0028") == other
    assert not [entry for entry in emulator.log() if entry.get("kind") == "import" and entry.get("env") == "staging"
                and entry.get("workflow_id") == "a-0028"]


def test_the_backup_directory_keeps_its_archives_out_of_git(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0023"])["a-0023"]
    backups = tmp_path / "backups" / "staging"
    (result,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0023", backup_dir=str(backups))
    assert result["backup_file"], result["msg"]
    ignore = backups / ".gitignore"
    assert ignore.read_text().splitlines()[-1] == "*" and mode_of(str(ignore)) == 0o600
    ignore.write_text("*.zip\n")  # the user's own is left as it is
    import_(emulator, "staging", src=exported["dest"], workflow_id="a-0023", backup_dir=str(backups), force=True)
    assert ignore.read_text() == "*.zip\n"


def test_no_backup_when_unchanged_new_or_in_check_mode(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0022"])["a-0022"]
    backups = tmp_path / "backups"
    (plan,) = import_(emulator, "staging", check_mode=True, src=exported["dest"], workflow_id="a-0022", backup_dir=str(backups))
    assert plan["changed"] is True and "backup_file" not in plan
    assert not backups.exists()
    (created,) = import_(emulator, "staging", src=exported["dest"], name="new one", backup_dir=str(backups),
                         env_variables={"BASE_URL": "https://staging.example.invalid/new", "API_TOKEN": "token-new-one"})
    assert created["created"] is True and "backup_file" not in created
    (first,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0022", backup_dir=str(backups))
    (again,) = import_(emulator, "staging", src=exported["dest"], workflow_id="a-0022", backup_dir=str(backups))
    assert again["changed"] is False and "backup_file" not in again
    assert sorted(os.listdir(str(backups))) == [".gitignore", os.path.basename(first["backup_file"])]


def test_backup_keep_removes_the_oldest_of_that_workflow_only(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0023", "a-0024"])
    backups = tmp_path / "backups"
    kept = []
    for _round in range(3):
        results = import_(emulator, "staging", force=True, backup_keep=2, backup_dir=str(backups), workflows=[
            {"src": exported[wid]["dest"], "workflow_id": wid} for wid in ("a-0023", "a-0024")])
        assert [result["failed"] for result in results] == [False, False]
        kept.append(os.path.basename(results[0]["backup_file"]))
    assert backups_of(str(backups), "a-0023") == kept[1:]
    assert len(backups_of(str(backups), "a-0024")) == 2
    assert not [name for name in os.listdir(str(backups)) if name.startswith(STAGING_PREFIX)]


def test_a_failed_import_keeps_the_backup_and_no_staging_file(emulator, tmp_path):
    exported = export(emulator, "dev", tmp_path, ["a-0025", "a-0026"])
    emulator.fault("a-0025", "import_failed", env="staging")
    emulator.fault("a-0026", "download_404", env="staging")
    backups = tmp_path / "backups"
    failed, unread = import_(emulator, "staging", backup_dir=str(backups), fail_on_error=False, workflows=[
        {"src": exported[wid]["dest"], "workflow_id": wid} for wid in ("a-0025", "a-0026")])
    assert failed["failed"] is True and os.path.isfile(failed["backup_file"])
    assert unread["failed"] is True and "backup_file" not in unread
    assert sorted(os.listdir(str(backups))) == [".gitignore", os.path.basename(failed["backup_file"])]


@pytest.mark.parametrize("args, message", [
    ({"backup_keep": 0}, "backup_keep must be 1 or more"),
    ({"backup_dir": "FILE"}, "is not a directory"),
])
def test_bad_backup_options_fail_before_any_request(emulator, tmp_path, args, message):
    (tmp_path / "FILE").write_text("x")
    args = {key: str(tmp_path / value) if value == "FILE" else value for key, value in args.items()}
    with pytest.raises(PlanError, match=message):
        import_(emulator, "staging", src=str(tmp_path), workflow_id="a-0027", **args)
    assert emulator.log() == []
