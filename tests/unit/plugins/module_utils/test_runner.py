# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner with the export operation and a real module, against the emulator."""

import json
import os
import stat
import zipfile
from collections import defaultdict

import pytest

from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive import archives
from ansible_collections.koreai.ai_for_process.plugins.module_utils._archive.archives import inspect_archive
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export import ExportOperation
from ansible_collections.koreai.ai_for_process.plugins.module_utils._module import KoreaiModule
from ansible_collections.koreai.ai_for_process.plugins.module_utils._operations.export_plan import plan_requests
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.poll_schedule import (
    FIRST_POLL_DELAY, ROUND_WINDOW, next_poll_delay,
)
from ansible_collections.koreai.ai_for_process.plugins.modules.workflow_export import argument_spec
from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import (
    WRONG_KEY, api_log, patch_module_args, sha256_of,
)

IDS = ["a-%04d" % number for number in range(1, 21)]


def make_module(emulator, **args):
    base = dict(host=emulator.url, api_key=emulator.keys["dev"], poll_interval=0.05, wait_timeout=10, retries=1, timeout=5)
    base.update(args)
    with patch_module_args(base):
        return KoreaiModule(argument_spec(), add_file_common_args=True)


def run(emulator, dest, ids, **args):
    """Run one batch like the module does; return {workflow_id: result}."""
    module = make_module(emulator, dest=str(dest), workflows=[{"workflow_id": wid} for wid in ids], **args)
    params = module.params
    results, _elapsed = module.run_operation(
        lambda client, settings: ExportOperation(module, client, settings, params["force"], params["backup"]),
        plan_requests(params))
    assert [result["workflow_id"] for result in results] == list(ids)
    return {result["workflow_id"]: result for result in results}


def part_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".part")]


def assert_exported(emulator, result, dest):
    path = os.path.join(str(dest), result["workflow_id"] + ".zip")
    expected = emulator.expected("dev", result["workflow_id"])
    assert (result["failed"], result["status"], result["dest"]) == (False, "SUCCESS", path)
    assert result["content_digest"] == inspect_archive(path).content_digest == expected["content_digest"]
    assert result["sha256"] == sha256_of(path)
    assert result["size"] == os.path.getsize(path)
    assert result["members"] == sorted(expected["members"])
    assert result["dock_status_id"].startswith("ds-") and result["export_job_id"].startswith("workflow-ej-")


def test_batch_of_twenty_then_rerun_is_unchanged(emulator, tmp_path):
    first = run(emulator, tmp_path, IDS)
    for result in first.values():
        assert_exported(emulator, result, tmp_path)
        assert result["changed"] is True and result["msg"] == ""
        assert stat.S_IMODE(os.stat(result["dest"]).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == sorted(wid + ".zip" for wid in IDS)
    inodes = {wid: os.stat(result["dest"]).st_ino for wid, result in first.items()}
    stats = emulator.stats()
    assert (stats["jobs_created"], stats["downloads"], stats["second_origin_with_key"]) == (20, 20, 0)

    second = run(emulator, tmp_path, IDS)
    for wid, result in second.items():
        assert_exported(emulator, result, tmp_path)
        assert result["changed"] is False
        assert result["sha256"] == first[wid]["sha256"]
        assert os.stat(result["dest"]).st_ino == inodes[wid]  # not replaced
    assert emulator.stats()["jobs_created"] == 40
    assert not part_files(tmp_path)


def test_one_failed_job_fails_only_its_workflow(emulator, tmp_path):
    ids = IDS[:6]
    emulator.fault("a-0004", "job_failed")
    results = run(emulator, tmp_path, ids)
    failed = results.pop("a-0004")
    assert failed["failed"] is True and failed["changed"] is False
    assert "export of workflow a-0004 FAILED" in failed["msg"]
    assert "workflow validation failed for a-0004" in failed["msg"]
    assert failed["dock_status_id"].startswith("ds-")
    assert not os.path.exists(failed["dest"])
    for result in results.values():
        assert_exported(emulator, result, tmp_path)
    assert emulator.keys["dev"] not in json.dumps(failed)


def test_failed_post_fails_only_its_workflow(emulator, tmp_path):
    emulator.fault("a-0002", "post_500")
    results = run(emulator, tmp_path, IDS[:3])
    assert results["a-0002"]["failed"] and "HTTP 500" in results["a-0002"]["msg"]
    assert results["a-0002"]["http_status"] == 500
    assert_exported(emulator, results["a-0001"], tmp_path)
    assert_exported(emulator, results["a-0003"], tmp_path)


def in_flight_peak(emulator):
    """Most export jobs running at once: a job runs from its POST to its last (SUCCESS) dock status read."""
    entries = api_log(emulator)
    last_poll = {}
    for entry in entries:
        if "/dock-status/" in entry["path"]:
            last_poll[entry["workflow_id"]] = entry["t"]
    posts = [entry for entry in entries if entry["method"] == "POST"]
    peak = 0
    for post in posts:
        running = [other for other in posts if other["t"] <= post["t"] <= last_poll[other["workflow_id"]]]
        peak = max(peak, len(running))
    return peak


def test_max_jobs_caps_jobs_in_flight(emulator, tmp_path):
    results = run(emulator, tmp_path, IDS[:8], max_jobs=2, concurrency=8)
    for result in results.values():
        assert_exported(emulator, result, tmp_path)
    assert in_flight_peak(emulator) == 2


def test_without_max_jobs_jobs_overlap(emulator, tmp_path):
    run(emulator, tmp_path, IDS[:8], max_jobs=0, concurrency=8)
    assert in_flight_peak(emulator) > 2


def post_and_reads(emulator):
    """{workflow_id: [time of its export POST, times of its dock status reads...]}"""
    by_workflow = defaultdict(list)
    for entry in api_log(emulator):
        if entry["method"] == "POST" or "/dock-status/" in entry["path"]:
            by_workflow[entry["workflow_id"]].append(entry["t"])
    return by_workflow


def test_a_job_is_read_no_sooner_than_its_schedule_says_and_seen_done_only_once_it_was(emulator, tmp_path):
    """The schedule's gaps are test_poll_schedule's; here, a real run keeps to it. Load only delays reads, so each read
    comes at its point of the schedule or later (at most ROUND_WINDOW early, as a round takes it)."""
    duration, cap = 1.5, 0.4
    emulator.config(job_duration=duration)
    run(emulator, tmp_path, IDS[:1], poll_interval=cap)
    times = post_and_reads(emulator)[IDS[0]]
    ages = [read - times[0] for read in times[1:]]
    points = schedule_points(0.0, cap, until=ages[-1])
    assert all(age >= point - ROUND_WINDOW for age, point in zip(ages, points)), (ages, points)
    assert ages[-1] >= duration  # seen done only once it was


def test_a_batch_starts_together_after_its_first_post(emulator, tmp_path):
    delay = 1.0
    for workflow_id in IDS[1:4]:
        emulator.fault(workflow_id, "post_slow", delay=delay)
    run(emulator, tmp_path, IDS[:4])
    posts = [entry["t"] for entry in api_log(emulator, method="POST")]
    assert max(posts[1:]) - min(posts[1:]) < delay  # each POST went out before the slow ones were answered


def test_a_batch_reads_its_younger_jobs_half_as_often(emulator, tmp_path):
    duration, ids = 2.0, IDS[:16]
    emulator.config(job_duration=duration)
    results = run(emulator, tmp_path, ids, poll_interval=0.4)
    for result in results.values():
        assert_exported(emulator, result, tmp_path)
    reads = [len(times) - 1 for times in post_and_reads(emulator).values()]
    # the first job of each series reads at every point (6 here); the others skip every other one while it runs
    assert sum(reads) <= 0.8 * len(reads) * max(reads), reads
    for times in post_and_reads(emulator).values():
        assert times[-1] - times[0] >= duration  # none seen done before it was


def schedule_points(offset, cap=5.0, until=12.0):
    points = [next_poll_delay(0.0, cap, offset)]
    while points[-1] < until:
        points.append(points[-1] + next_poll_delay(points[-1], cap, offset))
    return points


@pytest.mark.parametrize("cap", [5.0, 0.4])
def test_the_second_series_reads_halfway_between_the_schedule_points(cap):
    points, halfway = schedule_points(0.0, cap), schedule_points(0.5, cap)
    assert points[0] == FIRST_POLL_DELAY
    for before, after, middle in zip(points, points[1:], halfway):
        assert middle == pytest.approx((before + after) / 2)


def test_a_batch_reads_every_job_at_the_age_its_first_job_was_seen_done(emulator, tmp_path):
    duration, ids = 2.0, IDS[:8]
    emulator.config(job_duration=duration)
    run(emulator, tmp_path, ids, poll_interval=5)
    seen_done = [times[-1] - times[0] for times in post_and_reads(emulator).values()]
    next_point = min(point for point in schedule_points(0.0) if point > duration)  # 2.58 s
    first_halfway = min(point for point in schedule_points(0.5) if point > duration)  # 2.2 s: seen done there first
    assert next_point - first_halfway > 0.35  # what the jobs reading on the points would wait without the rule
    assert min(seen_done) >= duration and max(seen_done) - min(seen_done) < 0.3, seen_done


def test_a_quick_job_among_slow_ones_is_read_at_least_every_other_point(emulator, tmp_path):
    cap = 0.4
    for workflow_id in IDS[:3]:  # the elders never end
        emulator.fault(workflow_id, "job_stuck")
    emulator.config(job_duration=1.5)
    results = run(emulator, tmp_path, IDS[:4], poll_interval=cap, wait_timeout=3)
    assert [results[workflow_id]["failed"] for workflow_id in IDS[:4]] == [True, True, True, False]
    times = post_and_reads(emulator)[IDS[3]]
    gaps = [later - earlier for earlier, later in zip(times[1:], times[2:])]
    assert max(gaps) <= 2 * cap + 0.2  # a skipped point at most between two reads
    assert times[-1] - times[0] <= 1.5 + 2 * cap + 0.2  # so it is seen done within two steps of its end


def test_no_temp_files_after_download_failures(emulator, tmp_path):
    kept = run(emulator, tmp_path, ["a-0003"])["a-0003"]
    kept_bytes = open(kept["dest"], "rb").read()
    emulator.fault("a-0002", "download_truncated")
    emulator.fault("a-0003", "download_corrupt_zip")
    emulator.fault("a-0004", "download_html")
    results = run(emulator, tmp_path, ["a-0001", "a-0002", "a-0003", "a-0004"])
    assert_exported(emulator, results.pop("a-0001"), tmp_path)
    assert results["a-0002"]["msg"].startswith("download of workflow a-0002: ")
    assert results["a-0003"]["msg"].startswith("download of workflow a-0003 (application/zip) is not a readable zip")
    assert results["a-0004"]["msg"].startswith("download of workflow a-0004 (text/html) is not a readable zip")
    for wid, result in results.items():
        assert result["failed"] and not result["changed"], wid
        downloads = api_log(emulator, path_part="/api/v1/account/exports/", workflow_id=wid)
        assert len(downloads) == 3 + (1 if wid == "a-0003" else 0)  # three attempts (plus the first run's)
    assert not os.path.exists(results["a-0002"]["dest"]) and not os.path.exists(results["a-0004"]["dest"])
    assert open(kept["dest"], "rb").read() == kept_bytes  # a failure leaves the previous file as it was
    assert sorted(os.listdir(tmp_path)) == ["a-0001.zip", "a-0003.zip"]
    assert not part_files(tmp_path)


def test_changed_workflow_is_replaced_with_a_diff(emulator, tmp_path):
    run(emulator, tmp_path, ["a-0001", "a-0002"])
    old_values = [variable["value"] for variable in emulator.expected("dev", "a-0002")["members"]["env_variables.json"]["variables"]]
    emulator.bump("dev", "a-0002")
    results = run(emulator, tmp_path, ["a-0001", "a-0002"], _ansible_diff=True, backup=True)
    assert results["a-0001"]["changed"] is False and "diff" not in results["a-0001"]
    changed = results["a-0002"]
    assert changed["changed"] is True
    assert_exported(emulator, changed, tmp_path)
    prepared = changed["diff"]["prepared"]
    assert "~ member changed: env_variables.json (values hidden: it may hold secrets)" in prepared.splitlines()
    assert "~ member changed: flow_definition.json" in prepared.splitlines()
    for value in old_values:
        assert value not in prepared
    assert changed["backup_file"] and os.path.exists(changed["backup_file"])
    assert inspect_archive(changed["backup_file"]).content_digest != changed["content_digest"]


def test_extract_to(emulator, tmp_path):
    dest, extract = tmp_path / "zips", tmp_path / "extracted"
    dest.mkdir()
    results = run(emulator, dest, ["a-0001", "a-0002"], extract_to=str(extract))
    for wid, result in results.items():
        assert result["changed"] is True and result["extract_dir"] == str(extract / wid)
        members = emulator.expected("dev", wid)["members"]
        assert sorted(os.listdir(extract / wid)) == sorted(list(members) + [".koreai-extract.json"])
        for name, document in members.items():
            extracted = json.loads((extract / wid / name).read_text(encoding="utf-8"))
            if name == "env_variables.json":
                assert [variable["key"] for variable in extracted["variables"]] == [
                    variable["key"] for variable in document["variables"]]
                assert {variable["value"] for variable in extracted["variables"]} == {"<redacted:koreai>"}
            else:
                assert extracted == document
            assert stat.S_IMODE(os.stat(extract / wid / name).st_mode) == 0o600
    again = run(emulator, dest, ["a-0001", "a-0002"], extract_to=str(extract))
    assert [result["changed"] for result in again.values()] == [False, False]


def test_check_mode_exports_and_compares_but_writes_nothing(emulator, tmp_path):
    ids = ["a-0001", "a-0003", "a-0002"]
    run(emulator, tmp_path, ids[:2])
    on_disk = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    emulator.reset()
    emulator.edit("dev", "a-0003", "flow_definition.json", set={"nodes.1.settings.prompt": "Changed by hand"})
    plan = run(emulator, tmp_path, ids, _ansible_check_mode=True)
    assert [plan[wid]["changed"] for wid in ids] == [False, True, True]
    assert [plan[wid]["msg"] for wid in ids] == ["check mode: exported and compared; dest " + state for state in (
        "is up to date", "would change", "would change")]
    assert {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)} == on_disk  # nothing written
    assert sum(1 for request in api_log(emulator) if request["method"] == "POST") == 3
    applied = run(emulator, tmp_path, ids)
    assert [applied[wid]["changed"] for wid in ids] == [plan[wid]["changed"] for wid in ids]  # the plan was right
    kept = run(emulator, tmp_path, ids, _ansible_check_mode=True, force=False)
    assert [(kept[wid]["changed"], kept[wid]["status"]) for wid in ids] == [(False, "SKIPPED")] * 3


def test_check_mode_fails_where_the_apply_would(emulator, tmp_path):
    results = run(emulator, tmp_path, ["a-0001"], _ansible_check_mode=True, api_key="kg-wrong-key")
    assert results["a-0001"]["failed"] is True and "refused" in results["a-0001"]["msg"]
    assert os.listdir(tmp_path) == []


def test_wait_timeout_returns_dock_status_id(emulator, tmp_path):
    emulator.fault("a-0001", "job_stuck")
    results = run(emulator, tmp_path, ["a-0001", "a-0002"], wait_timeout=0.3)
    stuck = results["a-0001"]
    assert stuck["failed"] is True
    assert stuck["msg"].startswith("export of workflow a-0001 did not finish within wait_timeout=0.3 s (last status IN_PROGRESS")
    assert stuck["msg"].endswith("resume it with dock_status_id=%s" % stuck["dock_status_id"])
    assert_exported(emulator, results["a-0002"], tmp_path)
    assert not os.path.exists(stuck["dest"])


def test_a_refused_key_stops_the_batch_after_one_post(emulator, tmp_path):
    results = run(emulator, tmp_path, IDS[:5], api_key=WRONG_KEY)
    first, rest = results.pop(IDS[0]), list(results.values())
    assert first["failed"] and "refused" in first["msg"] and not first.get("not_started")
    assert all(result["failed"] and result["not_started"] for result in rest)
    assert {result["msg"] for result in rest} == {"not started: " + first["msg"]}
    assert len(api_log(emulator, method="POST")) == 1


def test_a_cancelled_job_stops_the_wait_at_once(emulator, tmp_path):
    emulator.fault("a-0001", "job_cancelled")
    result = run(emulator, tmp_path, ["a-0001"], wait_timeout=30)["a-0001"]
    assert result["failed"] and "CANCELLED on the server" in result["msg"]
    assert result["polls"] < 100  # waiting to wait_timeout would take about 600 reads at poll_interval=0.05


def test_non_ascii_content_exports_and_reruns_unchanged(emulator, tmp_path):
    emulator.config(non_ascii=True)
    extract = tmp_path / "tree"
    first = run(emulator, tmp_path, ["a-0001"], extract_to=str(extract))["a-0001"]
    assert_exported(emulator, first, tmp_path)
    flow = json.loads((extract / "a-0001" / "flow_definition.json").read_text(encoding="utf-8"))
    assert "請求書" in json.dumps(flow, ensure_ascii=False)
    again = run(emulator, tmp_path, ["a-0001"], extract_to=str(extract))["a-0001"]
    assert again["changed"] is False


def large_member_bytes(path):
    with zipfile.ZipFile(path) as archive:
        return archive.read("large_payload.json")


def test_json_members_over_the_canonical_limit_are_compared_as_bytes(emulator, tmp_path, monkeypatch):
    """Documented: JSON members larger than CANONICAL_JSON_LIMIT count by their bytes, so a server that formats
    them anew on every export (as the emulator does) makes every export a change; smaller ones count as parsed."""
    emulator.config(large_json_bytes=8192)
    monkeypatch.setattr(archives, "CANONICAL_JSON_LIMIT", 4096)
    first = run(emulator, tmp_path, ["a-0002"])["a-0002"]
    assert first["failed"] is False and "large_payload.json" in first["members"], first["msg"]
    reformatted = 0
    for _attempt in range(5):  # the emulator picks one of ten formattings at random: now and then the same one again
        before = large_member_bytes(first["dest"])
        again = run(emulator, tmp_path, ["a-0002"])["a-0002"]
        differs = large_member_bytes(again["dest"]) != before
        assert again["changed"] is differs and (again["content_digest"] != first["content_digest"]) is differs
        reformatted += differs
        first = again
    assert reformatted
    monkeypatch.setattr(archives, "CANONICAL_JSON_LIMIT", 1024 * 1024)
    assert run(emulator, tmp_path, ["a-0002"])["a-0002"]["changed"] is False


def test_a_value_that_changes_on_every_export_changes_the_content_digest(emulator, tmp_path):
    """Documented: a volatile value (an export timestamp inside a member) is content, so every export is a change."""
    emulator.config(volatile_key="exportedAt")
    first = run(emulator, tmp_path, ["a-0003"])["a-0003"]
    second = run(emulator, tmp_path, ["a-0003"], _ansible_diff=True)["a-0003"]
    assert first["changed"] is True and second["changed"] is True
    assert second["content_digest"] != first["content_digest"]
    assert "exportedAt" in second["diff"]["prepared"]
