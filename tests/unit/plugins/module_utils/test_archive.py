# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_archive: content digest, diff, validation and safe extraction of export archives."""

import hashlib
import json
import random
import stat
import zipfile

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive import (
    archive_diff, check_extractable, extracted_files, file_sha256, inspect_archive,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._errors import DownloadError, UnsafeArchive
from ansible_collections.koreai.ai_for_process.tests.emulator.server import canonical_json, content_digest
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import (
    export_to, new_client, sha256_of, write_zip, zip_bytes,
)

PADDING_MEMBER = "attachments/blob.bin"
NOISE = random.Random(7).randbytes(20000)


def env_values(expected):
    """Every value string of the expected env_variables.json."""
    return [variable["value"] for variable in expected["members"]["env_variables.json"]["variables"]]


def test_digest_of_downloads_matches_emulator(emulator, client, tmp_path):
    first, second = tmp_path / "one.zip", tmp_path / "two.zip"
    export_to(client, "a-0001", first, "cf-0001")
    export_to(client, "a-0001", second, "cf-0001")
    expected = emulator.expected("dev", "a-0001")
    one, two = inspect_archive(str(first)), inspect_archive(str(second))
    assert first.read_bytes() != second.read_bytes()
    assert file_sha256(str(first)) == sha256_of(first) != sha256_of(second) == file_sha256(str(second))
    assert one.content_digest == two.content_digest == expected["content_digest"]
    assert one.members == two.members == sorted(expected["members"])
    emulator.bump("dev", "a-0001")
    bumped = tmp_path / "three.zip"
    export_to(client, "a-0001", bumped, "cf-0001")
    changed = inspect_archive(str(bumped)).content_digest
    assert changed == emulator.expected("dev", "a-0001")["content_digest"] != expected["content_digest"]


def test_digest_of_environments_differ(emulator, tmp_path):
    digests = {}
    for env in ("dev", "prod"):
        export_to_env(emulator, env, tmp_path / (env + ".zip"))
        digests[env] = inspect_archive(str(tmp_path / (env + ".zip"))).content_digest
        assert digests[env] == emulator.expected(env, "a-0002")["content_digest"]
    assert digests["dev"] != digests["prod"]


def export_to_env(emulator, env, path):
    client = new_client(emulator, env)
    try:
        export_to(client, "a-0002", path)
    finally:
        client.close()


def test_digest_with_binary_member(emulator, client, tmp_path):
    emulator.config(download_padding=300000)
    export_to(client, "a-0003", tmp_path / "a.zip")
    info = inspect_archive(str(tmp_path / "a.zip"))
    expected = emulator.expected("dev", "a-0003")
    assert PADDING_MEMBER in info.members
    assert info.content_digest == expected["content_digest"]
    files = extracted_files(str(tmp_path / "a.zip"))
    assert hashlib.sha256(files[PADDING_MEMBER]).hexdigest() == expected["members"][PADDING_MEMBER]["sha256"]


def test_digest_ignores_json_formatting_order_and_metadata(tmp_path):
    document = {"b": [1, {"y": "ü", "x": None}], "a": {"z": 1.5, "k": True}}
    same = write_zip(tmp_path / "a.zip", {"flow.json": json.dumps(document), "notes.txt": b"raw  bytes\n",
                                          "dir/": b"", "bad.json": b"{not json"})
    other = write_zip(tmp_path / "b.zip", {"bad.json": b"{not json", "notes.txt": b"raw  bytes\n",
                                           "flow.json": json.dumps(document, indent="\t", ensure_ascii=True, sort_keys=True)},
                      compression=zipfile.ZIP_STORED)
    expected = content_digest({"flow.json": canonical_json(document), "notes.txt": b"raw  bytes\n", "bad.json": b"{not json"})
    assert inspect_archive(same).content_digest == inspect_archive(other).content_digest == expected
    assert inspect_archive(same).members == ["bad.json", "flow.json", "notes.txt"]
    changed = write_zip(tmp_path / "c.zip", {"flow.json": json.dumps(document), "notes.txt": b"raw bytes\n",
                                             "bad.json": b"{not json"})
    assert inspect_archive(changed).content_digest != expected


def test_digest_depends_on_member_names(tmp_path):
    one = write_zip(tmp_path / "a.zip", {"a.json": "{}", "b.json": "[]"})
    two = write_zip(tmp_path / "b.zip", {"a.json": "[]", "b.json": "{}"})
    assert inspect_archive(one).content_digest != inspect_archive(two).content_digest


def corrupt_crc(path):
    data = zip_bytes({"a.json": '{"value": 1111}'}, compression=zipfile.ZIP_STORED)
    path.write_bytes(data.replace(b"1111", b"2222"))


def corrupt_deflate(path):
    data = bytearray(zip_bytes({"a.json": json.dumps({"k": "abcdefgh" * 4000, "n": list(range(3000))})}))
    for index in range(60, 400):
        data[index] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("make, text", [
    (lambda path: path.write_bytes(zip_bytes({"a.json": "{}" * 5000})[:-40]), "is not a readable zip archive"),
    (lambda path: path.write_bytes(zip_bytes({"a.bin": NOISE}, zipfile.ZIP_STORED)[:len(NOISE) // 2]), "is not a readable zip archive"),
    (lambda path: path.write_bytes(b""), "is not a readable zip archive"),
    (lambda path: path.write_bytes(b"<html><body>Please sign in</body></html>"), "is not a readable zip archive"),
    (lambda path: path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4), "is not a readable zip archive"),
    (corrupt_crc, "is a corrupt zip: member a.json fails its CRC check"),
    (lambda path: None, "is not a readable zip archive"),
], ids=["truncated-end", "truncated-start", "empty", "html", "zip-magic-only", "bad-crc", "missing"])
def test_inspect_archive_rejects_broken_files(tmp_path, make, text):
    path = tmp_path / "broken.zip"
    make(path)
    with pytest.raises(DownloadError) as info:
        inspect_archive(str(path), "the download of a-1")
    assert info.value.message.startswith("the download of a-1 ")
    assert text in info.value.message


def test_inspect_archive_rejects_corrupt_deflate_stream(tmp_path):
    path = tmp_path / "broken.zip"
    corrupt_deflate(path)
    with pytest.raises(DownloadError):
        inspect_archive(str(path))


def test_diff_of_two_exports_of_one_revision_is_empty(client, tmp_path):
    export_to(client, "a-0001", tmp_path / "one.zip")
    export_to(client, "a-0001", tmp_path / "two.zip")
    diff = archive_diff(str(tmp_path / "one.zip"), str(tmp_path / "two.zip"), "dest.zip")
    assert diff == {"before_header": "dest.zip", "after_header": "dest.zip", "prepared": ""}


def test_diff_after_bump_hides_env_variables(emulator, client, tmp_path):
    old_values = env_values(emulator.expected("dev", "a-0001"))
    export_to(client, "a-0001", tmp_path / "old.zip")
    emulator.bump("dev", "a-0001")
    new_values = env_values(emulator.expected("dev", "a-0001"))
    export_to(client, "a-0001", tmp_path / "new.zip")
    prepared = archive_diff(str(tmp_path / "old.zip"), str(tmp_path / "new.zip"), "x")["prepared"]
    lines = prepared.splitlines()
    assert "~ member changed: env_variables.json (values hidden: it may hold secrets)" in lines
    assert "~ member changed: flow_definition.json" in lines
    assert "~ member changed: app_definition.json" in lines
    assert "--- a/flow_definition.json" in lines and "+++ b/flow_definition.json" in lines
    assert '-  "revision": 1,' in lines and '+  "revision": 2,' in lines
    assert not [line for line in lines if "env_variables" in line and line.startswith(("---", "+++"))]
    for value in old_values + new_values:
        assert value not in prepared
    assert prepared.endswith("\n")


def test_diff_lists_added_removed_and_changed_members(tmp_path):
    old = write_zip(tmp_path / "old.zip", {"a.json": '{"k": 1, "same": true}', "gone.txt": "bye", "keep.bin": b"\0\1",
                                           "config/Secret_tokens.json": '{"token": "s3cr3t-old"}'})
    new = write_zip(tmp_path / "new.zip", {"a.json": '{"same": true, "k": 2}', "new.bin": b"\2", "keep.bin": b"\0\1",
                                           "config/Secret_tokens.json": '{"token": "s3cr3t-new"}',
                                           "env_variables.json": '{"v": "added-secret"}'})
    prepared = archive_diff(old, new, "x")["prepared"]
    lines = prepared.splitlines()
    assert lines[0] == "~ member changed: a.json"
    assert "-  \"k\": 1," in lines and "+  \"k\": 2," in lines
    assert "~ member changed: config/Secret_tokens.json (values hidden: it may hold secrets)" in lines
    assert "+ member added: env_variables.json" in lines
    assert "- member removed: gone.txt" in lines
    assert "+ member added: new.bin" in lines
    assert not [line for line in lines if "keep.bin" in line]
    for secret in ("s3cr3t-old", "s3cr3t-new", "added-secret"):
        assert secret not in prepared


def test_diff_against_no_previous_file(client, tmp_path):
    export_to(client, "a-0001", tmp_path / "new.zip")
    prepared = archive_diff(None, str(tmp_path / "new.zip"), "x")["prepared"]
    assert prepared.splitlines() == ["+ member added: app_definition.json", "+ member added: env_variables.json",
                                     "+ member added: flow_definition.json"]
    assert archive_diff(str(tmp_path / "missing.zip"), str(tmp_path / "new.zip"), "x")["prepared"] == prepared


def zip_with(path, info, data=b"x"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ok.json", "{}")
        archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return str(path)


@pytest.mark.parametrize("name, reason", [
    ("../x", "climbs out of the directory with '..'"),
    ("a/../../x", "climbs out of the directory with '..'"),
    ("..\\x", "climbs out of the directory with '..'"),
    ("/abs", "has an absolute path"),
    ("/etc/cron.d/x", "has an absolute path"),
    ("\\abs", "has an absolute path"),
    ("C:\\x", "has an absolute path"),
    ("c:/x", "has an absolute path"),
])
def test_check_extractable_refuses_paths(tmp_path, name, reason):
    path = zip_with(tmp_path / "bad.zip", zipfile.ZipInfo(name))
    with zipfile.ZipFile(path) as archive:
        assert name in archive.namelist()
        with pytest.raises(UnsafeArchive) as info:
            check_extractable(archive)
    assert info.value.message == "refusing to extract member %r: it %s" % (name, reason)
    with pytest.raises(UnsafeArchive):
        extracted_files(path)


def test_check_extractable_refuses_symlinks(tmp_path):
    info = zipfile.ZipInfo("link.json")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = zip_with(tmp_path / "bad.zip", info, b"/etc/passwd")
    with pytest.raises(UnsafeArchive) as error:
        extracted_files(path)
    assert error.value.message == "refusing to extract member 'link.json': it is a symbolic link"


def test_check_extractable_refuses_decompression_bomb(tmp_path):
    path = zip_with(tmp_path / "bomb.zip", zipfile.ZipInfo("bomb.json"), b"0" * (4 * 1024 * 1024))
    with zipfile.ZipFile(path) as archive:
        with pytest.raises(UnsafeArchive) as error:
            check_extractable(archive)
    assert error.value.message.startswith("refusing to extract member 'bomb.json': it expands ")
    assert error.value.message.endswith(" times (a decompression bomb?)")


def test_check_extractable_accepts_ordinary_members(tmp_path):
    regular = zipfile.ZipInfo("dir/file.json")
    regular.create_system = 3
    regular.external_attr = (stat.S_IFREG | 0o644) << 16
    path = zip_with(tmp_path / "ok.zip", regular, b"x" * (512 * 1024))  # compresses well, but is small
    with zipfile.ZipFile(path) as archive:
        check_extractable(archive)
    assert sorted(extracted_files(path)) == ["dir/file.json", "ok.json"]


def test_extracted_files_pretty_prints_json(emulator, client, tmp_path):
    export_to(client, "a-0004", tmp_path / "a.zip")
    files = extracted_files(str(tmp_path / "a.zip"))
    expected = emulator.expected("dev", "a-0004")["members"]
    assert sorted(files) == sorted(expected)
    for name, document in expected.items():
        assert files[name] == (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_extracted_files_keeps_other_members_raw(tmp_path):
    path = write_zip(tmp_path / "a.zip", {"./notes.txt": b"\xff\x00raw", "bad.json": b"{oops", "u.json": '{"b": "ü", "a": []}'})
    assert extracted_files(path) == {"notes.txt": b"\xff\x00raw", "bad.json": b"{oops",
                                     "u.json": '{\n  "a": [],\n  "b": "ü"\n}\n'.encode("utf-8")}
