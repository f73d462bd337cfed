# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""archives: content digest, diff, validation and safe extraction of export archives."""

import hashlib
import json
import os
import random
import stat
import zipfile

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive import archives
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import (
    DEFAULT_OPTIONS, ExtractOptions, archive_diff, check_extractable, extract_archive, inspect_archive,
)
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.digests import file_sha256
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import DownloadError, UnsafeArchive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.classifier import DEFAULT_CLASSIFIER
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.redaction import find_unredacted
from ansible_collections.koreai.ai_for_process.plugins.module_utils._secrets.leaves import PLACEHOLDER
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.review_tree import STATE_FILE
from ansible_collections.koreai.ai_for_process.tests.emulator.server import canonical_json, content_digest
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import (
    export_to, new_client, sha256_of, write_zip, zip_bytes,
)
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.test_runner import run

PADDING_MEMBER = "attachments/blob.bin"
NOISE = random.Random(7).randbytes(20000)


def extracted_files(path, options=DEFAULT_OPTIONS):
    """{relative path: bytes} of the review tree extract_archive writes for the archive at path (state file aside)."""
    root = path + ".tree"
    extract_archive(path, root, False, options)
    files = {}
    for directory, _subdirs, names in os.walk(root):
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/")
            if relative != STATE_FILE:
                with open(os.path.join(directory, name), "rb") as handle:
                    files[relative] = handle.read()
    return files


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
    diff = archive_diff(str(tmp_path / "one.zip"), str(tmp_path / "two.zip"), "dest.zip", DEFAULT_CLASSIFIER)
    assert diff == {"before_header": "dest.zip", "after_header": "dest.zip", "prepared": ""}


def test_diff_after_bump_hides_env_values_but_shows_they_changed(emulator, client, tmp_path):
    old_values = env_values(emulator.expected("dev", "a-0001"))
    export_to(client, "a-0001", tmp_path / "old.zip")
    emulator.bump("dev", "a-0001")
    new_values = env_values(emulator.expected("dev", "a-0001"))
    export_to(client, "a-0001", tmp_path / "new.zip")
    prepared = archive_diff(str(tmp_path / "old.zip"), str(tmp_path / "new.zip"), "x", DEFAULT_CLASSIFIER)["prepared"]
    lines = prepared.splitlines()
    assert "~ member changed: env_variables.json (values hidden: it may hold secrets)" in lines
    assert "~ member changed: flow_definition.json" in lines
    assert "~ member changed: app_definition.json" in lines
    assert '-  "revision": 1,' in lines and '+  "revision": 2,' in lines
    assert '-      "value": "<hidden>"' in lines and '+      "value": "<hidden, changed>"' in lines
    assert '       "key": "API_TOKEN",' in lines  # the variable's own name stays visible
    for value in old_values + new_values:
        assert value not in prepared
    assert prepared.endswith("\n")


@pytest.mark.parametrize("member", ["env_variables.json", "envVariables.json", "env-variables.json",
                                    "EnvVariables.json", "config/ENV_VARIABLES.JSON"])
def test_diff_finds_the_env_member_whatever_its_spelling(tmp_path, member):
    old = write_zip(tmp_path / "old.zip", {member: json.dumps({"variables": [
        {"name": "DB_URL", "value": "postgres://old-db"}, {"name": "SAME", "value": "kept-value"}]})})
    new = write_zip(tmp_path / "new.zip", {member: json.dumps({"variables": [
        {"name": "DB_URL", "value": "postgres://new-db"}, {"name": "SAME", "value": "kept-value"}]})})
    prepared = archive_diff(old, new, "x", DEFAULT_CLASSIFIER)["prepared"]
    for value in ("old-db", "new-db", "kept-value"):
        assert value not in prepared
    assert '"name": "DB_URL"' in prepared and '+      "value": "<hidden, changed>"' in prepared
    assert '-      "value": "<hidden>"' in prepared


def test_diff_hides_secret_keys_in_every_member(tmp_path):
    old = write_zip(tmp_path / "old.zip", {"a.json": '{"k": 1, "same": true}', "gone.txt": "bye", "keep.bin": b"\0\1",
                                           "config/tokens.json": '{"accessToken": "s3cr3t-old", "api_key": "k-same"}',
                                           "flow.json": '{"auth": {"clientSecret": "cs-old", "Password": "pw", "url": "u"}}'})
    new = write_zip(tmp_path / "new.zip", {"a.json": '{"same": true, "k": 2}', "new.bin": b"\2", "keep.bin": b"\0\1",
                                           "config/tokens.json": '{"accessToken": "s3cr3t-new", "api_key": "k-same"}',
                                           "flow.json": '{"auth": {"clientSecret": "cs-new", "Password": "pw", "url": "v"}}',
                                           "env_variables.json": '{"v": "added-secret"}'})
    prepared = archive_diff(old, new, "x", DEFAULT_CLASSIFIER)["prepared"]
    lines = prepared.splitlines()
    assert lines[0] == "~ member changed: a.json"
    assert '-  "k": 1,' in lines and '+  "k": 2,' in lines
    assert "~ member changed: config/tokens.json (values hidden: it may hold secrets)" in lines
    assert '-  "accessToken": "<hidden>",' in lines and '+  "accessToken": "<hidden, changed>",' in lines
    assert '   "api_key": "<hidden>"' in lines
    assert '-    "clientSecret": "<hidden>",' in lines and '+    "clientSecret": "<hidden, changed>",' in lines
    assert '     "Password": "<hidden>",' in lines and '+    "url": "v"' in lines
    assert "+ member added: env_variables.json" in lines
    assert "- member removed: gone.txt" in lines and "+ member added: new.bin" in lines
    assert not [line for line in lines if "keep.bin" in line]
    for secret in ("s3cr3t-old", "s3cr3t-new", "added-secret", "k-same", "cs-old", "cs-new", '"pw"'):
        assert secret not in prepared


def test_diff_never_shows_non_json_or_large_members(tmp_path):
    big = json.dumps({"blob": "x" * 70000, "token": "t"})
    old = write_zip(tmp_path / "old.zip", {"notes.txt": "password=hunter2", "bad.json": "{token: old}", "big.json": big})
    new = write_zip(tmp_path / "new.zip", {"notes.txt": "password=hunter3", "bad.json": "{token: new}",
                                           "big.json": big.replace('"t"', '"u"')})
    lines = archive_diff(old, new, "x", DEFAULT_CLASSIFIER)["prepared"].splitlines()
    assert lines == ["~ member changed: %s (not shown: not JSON, or larger than 65536 bytes)" % name
                     for name in ("bad.json", "big.json", "notes.txt")]


def test_diff_against_no_previous_file(client, tmp_path):
    export_to(client, "a-0001", tmp_path / "new.zip")
    prepared = archive_diff(None, str(tmp_path / "new.zip"), "x", DEFAULT_CLASSIFIER)["prepared"]
    assert prepared.splitlines() == ["+ member added: app_definition.json", "+ member added: env_variables.json",
                                     "+ member added: flow_definition.json"]
    assert archive_diff(str(tmp_path / "missing.zip"), str(tmp_path / "new.zip"), "x", DEFAULT_CLASSIFIER)["prepared"] == prepared


def zip_with(path, info, data=b"x"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ok.json", "{}")
        archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return str(path)


def refusal(path, options=DEFAULT_OPTIONS):
    with zipfile.ZipFile(path) as archive:
        with pytest.raises(UnsafeArchive) as info:
            check_extractable(archive, options)
    return info.value.message


@pytest.mark.parametrize("name, reason", [
    ("../x", "climbs out of the directory with '..'"),
    ("a/../../x", "climbs out of the directory with '..'"),
    ("..\\x", "climbs out of the directory with '..'"),
    ("/abs", "has an absolute path"),
    ("/etc/cron.d/x", "has an absolute path"),
    ("\\abs", "has an absolute path"),
    ("C:\\x", "has an absolute path"),
    ("c:/x", "has an absolute path"),
    (".git/config", "has a path component starting with '.' (allow_dot_members lets it through)"),
    (".gitattributes", "has a path component starting with '.' (allow_dot_members lets it through)"),
    ("sub/.GIT/hooks/pre-commit", "has a path component starting with '.' (allow_dot_members lets it through)"),
    ("./.env", "has a path component starting with '.' (allow_dot_members lets it through)"),
    (".koreai-extract.json", "has the name of the tree's state file"),
])
def test_check_extractable_refuses_paths(tmp_path, name, reason):
    path = zip_with(tmp_path / "bad.zip", zipfile.ZipInfo(name))
    with zipfile.ZipFile(path) as archive:
        assert name in archive.namelist()
    assert refusal(path) == "refusing to extract member %r: it %s" % (name, reason)
    with pytest.raises(UnsafeArchive):
        extracted_files(path)
    with pytest.raises(UnsafeArchive):
        extract_archive(path, str(tmp_path / "tree"), False)
    assert not (tmp_path / "tree").exists()


def test_dot_members_pass_when_allowed(tmp_path):
    path = write_zip(tmp_path / "a.zip", {".meta/info.json": "{}", "flow.json": "{}"})
    allowed = ExtractOptions(allow_dot_members=True)
    assert sorted(extracted_files(path, allowed)) == [".meta/info.json", "flow.json"]
    state_file = write_zip(tmp_path / "b.zip", {".KOREAI-EXTRACT.json": "{}"})
    assert "state file" in refusal(state_file, allowed)


@pytest.mark.parametrize("names, first, second", [
    (["x.json", "./x.json"], "./x.json", "x.json"),
    (["x.json", "x.json"], "x.json", "x.json"),
    (["a//b.json", "a/b.json"], "a/b.json", "a//b.json"),
    (["x.json", "x.json/y.json"], "x.json/y.json", "x.json"),
    (["Flow.json", "flow.JSON"], "flow.JSON", "Flow.json"),
    (["Dir/a.json", "dir"], "Dir/a.json", "dir"),
])
def test_check_extractable_refuses_colliding_names(tmp_path, names, first, second):
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(zipfile.ZipInfo(name), b"{}")
    root = tmp_path / "tree"
    root.mkdir()
    (root / "x.json").write_bytes(b"previous")
    message = refusal(str(path))
    assert message == ("refusing to extract member %r: it lands on the same file as member %r (names are compared "
                       "after normalisation, case-insensitively)" % (first, second))
    with pytest.raises(UnsafeArchive):
        extract_archive(str(path), str(root), False)
    assert os.listdir(root) == ["x.json"] and (root / "x.json").read_bytes() == b"previous"


def test_check_extractable_refuses_symlinks(tmp_path):
    info = zipfile.ZipInfo("link.json")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = zip_with(tmp_path / "bad.zip", info, b"/etc/passwd")
    assert refusal(path) == "refusing to extract member 'link.json': it is a symbolic link"


def test_check_extractable_refuses_decompression_bomb(tmp_path):
    path = zip_with(tmp_path / "bomb.zip", zipfile.ZipInfo("bomb.json"), b"0" * (4 * 1024 * 1024))
    message = refusal(path)
    assert message.startswith("refusing to extract member 'bomb.json': it expands ")
    assert message.endswith(" times (a decompression bomb?)")


def many_small_members(path, count, size):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            archive.writestr("m/%04d.bin" % index, b"\0" * size)
    return str(path)


def test_total_budget_stops_many_small_members(tmp_path):
    """Members under the ratio check's size add up; the total budget stops them before any is read."""
    path = many_small_members(tmp_path / "many.zip", 40, 60 * 1024)
    assert os.path.getsize(path) < 10 * 1024
    budget = ExtractOptions(max_archive_bytes=2 * 1024 * 1024)
    assert refusal(path, budget) == ("refusing to extract the archive: its members add up to 2457600 bytes, "
                                     "more than max_archive_bytes=2097152")
    with pytest.raises(UnsafeArchive) as info:
        inspect_archive(path, "the download of a-1", budget)
    assert info.value.message.startswith("refusing the download of a-1: its members add up to 2457600 bytes")
    with pytest.raises(UnsafeArchive):
        extract_archive(path, str(tmp_path / "tree"), False, budget)
    assert not (tmp_path / "tree").exists()


def test_default_budget_refuses_600_members_of_1_mib(tmp_path):
    path = many_small_members(tmp_path / "bomb.zip", 600, 1024 * 1024)
    assert refusal(path) == ("refusing to extract the archive: its members add up to 629145600 bytes, "
                             "more than max_archive_bytes=536870912")


def test_member_count_and_member_size_budgets(tmp_path):
    path = many_small_members(tmp_path / "many.zip", 11, 10)
    assert refusal(path, ExtractOptions(max_members=10)) == (
        "refusing to extract the archive: it holds 11 members, more than max_members=10")
    assert refusal(path, ExtractOptions(max_member_bytes=9)) == (
        "refusing to extract the archive: member 'm/0000.bin' has 10 bytes, more than max_member_bytes=9")
    with pytest.raises(UnsafeArchive) as info:
        inspect_archive(path, "the download", ExtractOptions(max_members=10))
    assert info.value.message == "refusing the download: it holds 11 members, more than max_members=10"


def test_check_extractable_accepts_ordinary_members(tmp_path):
    regular = zipfile.ZipInfo("dir/file.json")
    regular.create_system = 3
    regular.external_attr = (stat.S_IFREG | 0o644) << 16
    path = zip_with(tmp_path / "ok.zip", regular, b"x" * (60 * 1024))  # compresses well, but is small
    with zipfile.ZipFile(path) as archive:
        assert [name for name, _info in check_extractable(archive)] == ["dir/file.json", "ok.json"]


def test_extracted_files_pretty_prints_json_and_redacts_env_values(emulator, client, tmp_path):
    export_to(client, "a-0004", tmp_path / "a.zip")
    expected = emulator.expected("dev", "a-0004")["members"]
    plain = extracted_files(str(tmp_path / "a.zip"), ExtractOptions(redact=False))
    assert sorted(plain) == sorted(expected)
    for name, document in expected.items():
        assert plain[name] == (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    files = extracted_files(str(tmp_path / "a.zip"))
    assert files["flow_definition.json"] == plain["flow_definition.json"]
    variables = json.loads(files["env_variables.json"])["variables"]
    assert [(item["key"], item["value"], item["isSecured"]) for item in variables] == [
        ("BASE_URL", PLACEHOLDER, False), ("API_TOKEN", PLACEHOLDER, True)]


def test_extracted_files_keeps_other_members_raw(tmp_path):
    path = write_zip(tmp_path / "a.zip", {"./notes.txt": b"\xff\x00raw", "bad.json": b"{oops", "u.json": '{"b": "ü", "a": []}'})
    expected = {"notes.txt": b"\xff\x00raw", "bad.json": b"{oops", "u.json": '{\n  "a": [],\n  "b": "ü"\n}\n'.encode("utf-8")}
    assert extracted_files(path, ExtractOptions(redact=False)) == expected
    redacted_files = extracted_files(path)
    assert redacted_files["bad.json"] == b'"<redacted:koreai>"\n'  # cannot be parsed, so it is redacted whole
    assert redacted_files["notes.txt"] == expected["notes.txt"]


def test_extract_archive_writes_a_redacted_tree_and_keeps_the_archive_complete(emulator, client, tmp_path):
    archive, root = tmp_path / "a.zip", tmp_path / "extract" / "a-0001"
    export_to(client, "a-0001", archive)
    report = extract_archive(str(archive), str(root), False)
    assert report.written == ["app_definition.json", "env_variables.json", "flow_definition.json"]
    served = env_values(emulator.expected("dev", "a-0001"))
    for directory, _subdirs, names in os.walk(tmp_path / "extract"):
        for name in names:
            content = (tmp_path / "extract" / directory / name).read_bytes()
            for value in served:
                assert value.encode() not in content
                assert hashlib.sha256(value.encode()).hexdigest().encode() not in content
    assert find_unredacted(str(root), DEFAULT_CLASSIFIER) == []
    with zipfile.ZipFile(archive) as original:
        assert all(value.encode() in original.read("env_variables.json") for value in served)
    assert not extract_archive(str(archive), str(root), False).changed


def test_extract_archive_streams_large_members_raw(tmp_path):
    blob = random.Random(3).randbytes(3 * 1024 * 1024)
    path = write_zip(tmp_path / "a.zip", {"attachments/blob.bin": blob, "flow.json": "{}"})
    root = tmp_path / "tree"
    assert extract_archive(path, str(root), True).written == ["attachments/blob.bin", "flow.json"]
    assert not root.exists()
    extract_archive(path, str(root), False)
    assert (root / "attachments" / "blob.bin").read_bytes() == blob


def test_extract_archive_reports_the_stale_files_it_deletes(tmp_path):
    root = tmp_path / "tree"
    extract_archive(write_zip(tmp_path / "one.zip", {"a.json": "{}", "old/b.json": "[]"}), str(root), False)
    (root / "mine.md").write_bytes(b"user notes")
    report = extract_archive(write_zip(tmp_path / "two.zip", {"a.json": "{}"}), str(root), False)
    assert (report.written, report.deleted, report.kept) == ([], ["old/b.json"], ["mine.md"])
    assert sorted(os.listdir(root)) == [".koreai-extract.json", "a.json", "mine.md"]


def test_inspect_archive_gives_the_ids_the_definitions_name(tmp_path):
    path = write_zip(tmp_path / "a.zip", {"flow_definition.json": '{"workflowId": " a-1 "}', "App_Definition.json": '{"toolId": 7}',
                                          "env_variables.json": '{"workflowId": "a-2"}', "notes.json": '{"workflowId": "a-3"}'})
    assert inspect_archive(path).owners == {"flow_definition.json": "a-1", "App_Definition.json": "7"}
    broken = write_zip(tmp_path / "b.zip", {"flow_definition.json": "{oops", "app_definition.json": "[]"})
    assert inspect_archive(broken).owners == {"flow_definition.json": None, "app_definition.json": None}


def test_an_export_reads_its_download_as_a_zip_once(emulator, tmp_path, monkeypatch):
    """The digests and the owner check come from one pass over the downloaded archive."""
    opened = []
    real_zipfile = zipfile.ZipFile

    def recording_zipfile(file, *args, **kwargs):
        opened.append(str(file))
        return real_zipfile(file, *args, **kwargs)

    monkeypatch.setattr(archives.zipfile, "ZipFile", recording_zipfile)
    assert run(emulator, tmp_path, ["a-0001"])["a-0001"]["changed"]
    assert len([path for path in opened if path.endswith(".part")]) == 1
