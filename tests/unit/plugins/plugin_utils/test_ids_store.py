# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The strict ids store: parsing, validation, the lock, private atomic writes, vault round trips."""

import json
import os
import subprocess
import sys

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret, is_encrypted

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import (
    StoreError, acquire_lock, dump_yaml, parse_yaml, release_lock, validate_ids)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import PRIVATE_FILE, REPORT_FILE
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import write_private
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._store_files import (
    VaultFile, default_store_file, state_file_of)


def test_a_key_given_twice_is_refused_naming_both_lines():
    with pytest.raises(StoreError, match=r"ids/prod.yml: key 'wf-1' is given twice \(lines 1 and 3\)"):
        parse_yaml("wf-1: a-1\nwf-2: a-2\nwf-1: a-3\n", "ids/prod.yml")


def test_malformed_yaml_names_the_file():
    with pytest.raises(StoreError, match=r"^ids/prod.yml is not valid YAML"):
        parse_yaml("wf-1: [a-1\n", "ids/prod.yml")


def test_a_list_is_not_an_ids_file():
    with pytest.raises(StoreError, match="must hold a mapping, not a list"):
        parse_yaml("- a-1\n", "ids/prod.yml")


def test_an_empty_file_is_an_empty_store():
    assert parse_yaml("# nothing yet\n", "ids/prod.yml") == {}


def test_one_id_under_two_names_is_refused_naming_both():
    with pytest.raises(StoreError, match=r"id a-1 is given to both 'wf-1' and 'wf-2'"):
        validate_ids({"wf-1": "a-1", "wf-2": "a-1"}, "ids/prod.yml")


def test_an_id_must_be_a_string():
    with pytest.raises(StoreError, match=r"the id of 'wf-1' must be a non-empty string"):
        validate_ids({"wf-1": None}, "ids/prod.yml")


def test_write_private_is_0600_and_leaves_no_temp_file(tmp_path):
    path = str(tmp_path / "ids" / "prod.yml")
    write_private(path, b"wf-1: a-1\n", PRIVATE_FILE, durable=True, make_dirs=True)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert os.listdir(str(tmp_path / "ids")) == ["prod.yml"]


def test_write_private_syncs_the_bytes_before_the_rename_and_gives_the_final_mode_last(tmp_path, monkeypatch):
    path = str(tmp_path / "reports" / "prod.json")
    seen = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: seen.append(("fsync", oct(os.fstat(fd).st_mode & 0o777))) or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda src, dst: seen.append(("replace", oct(os.stat(src).st_mode & 0o777)))
                        or real_replace(src, dst))
    write_private(path, b"{}", REPORT_FILE, durable=True, make_dirs=True)
    assert seen == [("fsync", "0o600"), ("replace", "0o644")]
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"


def test_the_lock_is_exclusive_and_names_its_owner(tmp_path):
    path = str(tmp_path / "prod.yml.lock")
    acquire_lock(path, os.getpid(), timeout=0)
    with pytest.raises(StoreError, match=r"locked by process %d on .*another promotion of this environment is running" % os.getpid()):
        acquire_lock(path, os.getpid(), timeout=0.3, poll=0.05)
    assert release_lock(path, os.getpid())
    assert not os.path.exists(path)


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    path = str(tmp_path / "prod.yml.lock")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    acquire_lock(path, int(dead.stdout), timeout=0)
    owner = acquire_lock(path, os.getpid(), timeout=0)
    assert owner["pid"] == os.getpid()
    release_lock(path, os.getpid())


def test_a_lock_of_another_host_is_never_taken_over_even_when_its_pid_is_dead_here(tmp_path):
    path = str(tmp_path / "prod.yml.lock")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"pid": int(dead.stdout), "host": "another-controller", "since": "2026-12-01T00:00:00Z"}, handle)
    with pytest.raises(StoreError, match="locked by process %s on another-controller" % dead.stdout.strip()):
        acquire_lock(path, os.getpid(), timeout=0.2, poll=0.05)
    assert os.path.exists(path)


def test_release_leaves_another_owners_lock(tmp_path):
    path = str(tmp_path / "prod.yml.lock")
    acquire_lock(path, os.getppid(), timeout=0)
    assert not release_lock(path, os.getpid())
    assert os.path.exists(path)
    os.unlink(path)


def _loader(password):
    loader = DataLoader()
    if password:
        loader.set_vault_secrets([("default", VaultSecret(password.encode()))])
    return loader


def test_a_vaulted_store_is_read_and_written_encrypted_again(tmp_path):
    path = str(tmp_path / "prod.yml")
    loader = _loader("s3cret")
    with open(path, "wb") as handle:
        handle.write(loader._vault.encrypt(b"wf-1: a-1\n", loader._vault.secrets[0][1]))  # pylint: disable=protected-access
    store = VaultFile(loader, path)
    assert store.read() == {"wf-1": "a-1"}
    store.write({"wf-1": "a-1", "wf-2": "a-2"}, "ids")
    with open(path, "rb") as handle:
        raw = handle.read()
    assert is_encrypted(raw) and b"a-2" not in raw
    assert VaultFile(loader, path).read() == {"wf-1": "a-1", "wf-2": "a-2"}


def test_a_vaulted_store_without_the_secret_names_the_file(tmp_path):
    path = str(tmp_path / "prod.yml")
    writer = _loader("s3cret")
    with open(path, "wb") as handle:
        handle.write(writer._vault.encrypt(b"wf-1: a-1\n", writer._vault.secrets[0][1]))  # pylint: disable=protected-access
    with pytest.raises(StoreError, match=r"prod.yml is vault-encrypted and cannot be decrypted with this play's vault secrets"):
        VaultFile(_loader(None), path).read()


def test_an_unreadable_store_names_the_file(tmp_path):
    path = tmp_path / "prod.yml"
    path.mkdir()
    with pytest.raises(StoreError, match=r"prod.yml cannot be read"):
        VaultFile(_loader(None), str(path)).read()


def test_the_state_file_is_beside_the_ids_file():
    assert state_file_of("/p/ids/prod.yml") == "/p/ids/prod.state.yml"


def test_a_secret_file_that_is_not_yaml_is_named_without_its_text():
    with pytest.raises(StoreError) as caught:
        parse_yaml('{"variables": [{"value": "hunter2-secret"\n', "env/prod/x.json", show_content=False)
    assert "env/prod/x.json is not valid YAML: line" in str(caught.value) and "hunter2" not in str(caught.value)


class UnsafeText(str):
    """A str subclass whose str() is itself, as ansible-core before 2.19 hands plugins their variables."""

    def __str__(self):  # pylint: disable=invalid-str-returned
        return self


def test_store_files_are_written_from_str_subclasses():
    text = dump_yaml({UnsafeText("invoice-approval"): UnsafeText("a-0001"), "state": [UnsafeText("x")]}, "header")
    assert text == "# header\ninvoice-approval: a-0001\nstate:\n- x\n"


@pytest.mark.parametrize("src, expected", [
    ("exports/dev", "exports/ids/prod.yml"),
    ("dev", "ids/prod.yml"),  # a bare directory name: beside it is the base itself
    ("/srv/exports/dev", "/srv/exports/ids/prod.yml"),
    ("exports/dev/", "exports/dev/ids/prod.yml"),  # as the stores written so far were found: moving it would lose them
    ("", "ids/prod.yml"),
])
def test_an_environments_file_defaults_to_beside_the_source_tree(src, expected):
    assert default_store_file(src, "prod", "ids", ".yml") == expected
