#!/usr/bin/env python
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the export_workflows role against a loop of workflow_export tasks and a uri/get_url playbook.

Runs against the bundled emulator (fixed job duration, fixed archive size) and writes a markdown table
to ``tests/benchmark/results/<timestamp>.md`` and ``tests/benchmark/RESULTS.md``. Expects ansible-playbook
with the collection installed on its path (``tests/benchmark/run.sh`` sets that up).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, fields

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "emulator"))
from control import Emulator  # noqa: E402 pylint: disable=wrong-import-position,import-error

LAUNCH = os.path.join(HERE, "launch.py")
DEFAULT_OUT = os.path.join(HERE, "results")
BIN = os.path.dirname(sys.executable)
ENVIRONMENTS = ("dev", "staging", "prod")
VARIANTS = ("role", "loop", "reference")
VARIANT_TITLES = {"role": "(1) role export_workflows", "loop": "(2) loop of workflow_export",
                  "reference": "(3) uri + until + get_url"}
PLAYBOOKS = {"role": "koreai.ai_for_process.export", "loop": os.path.join(HERE, "playbooks", "loop.yml"),
             "reference": os.path.join(HERE, "playbooks", "reference.yml")}
POLL_INTERVAL = 2  # the module's default poll_interval, also the reference playbook's delay
MEMORY_TARGET_MB = 100


@dataclass
class Run:
    """The cost of one ansible-playbook run of one case."""

    wall: float
    cpu: float
    max_rss_mb: float
    posts: float
    polls: float
    downloads: float
    before_http: float
    http_span: float
    after_http: float


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument("--quick", dest="profile", action="store_const", const="quick",
                         help="default: repeat the role's cases; run (2) and (3) once, and at the largest N only (3) at the largest E")
    profile.add_argument("--full", dest="profile", action="store_const", const="full", help="repeat every case")
    parser.set_defaults(profile="quick")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (medians are reported)")
    parser.add_argument("--sizes", default="10,50,200", help="workflows per environment (N)")
    parser.add_argument("--envs", default="1,3", help="environments (E), at most %d" % len(ENVIRONMENTS))
    parser.add_argument("--variants", default=",".join(VARIANTS), help="subset of %s" % ",".join(VARIANTS))
    parser.add_argument("--job-duration", type=float, default=2.0, help="seconds every export job runs (T)")
    parser.add_argument("--archive-padding", type=int, default=100000, help="bytes added to every archive")
    parser.add_argument("--memory-mb", type=int, default=200, help="size of the archive of the memory case (0: skip)")
    parser.add_argument("--py-spy", action="store_true", help="also profile the role at the largest case with py-spy")
    parser.add_argument("--out", default=DEFAULT_OUT, help="directory of the report; RESULTS.md is written only with the default")
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    args.envs = [int(count) for count in args.envs.split(",")]
    args.variants = [variant for variant in args.variants.split(",") if variant]
    unknown = set(args.variants) - set(VARIANTS)
    if unknown or max(args.envs) > len(ENVIRONMENTS) or min(args.sizes + args.envs) < 1:
        parser.error("variants must be among %s, environments between 1 and %d" % (", ".join(VARIANTS), len(ENVIRONMENTS)))
    return args


def repeats_for(args, variant, size, env_count):
    """How many times to run a case under the chosen profile (0: not run)."""
    if args.profile == "full" or variant == "role":
        return args.repeats
    if size < max(args.sizes):
        return 1
    return 1 if variant == "reference" and env_count == max(args.envs) else 0


# --- running ansible-playbook ----------------------------------------------------------


def workflows(size):
    """The first `size` workflows of the emulator's generated catalog."""
    return [{"workflow_id": "a-%04d" % number, "flow_id": "cf-%04d" % number} for number in range(1, size + 1)]


def write_inventory(path, emu, size, env_count, dest, interpreter):
    """One host per environment, with the variables of the role and of the benchmark playbooks."""
    hosts = {}
    for env in ENVIRONMENTS[:env_count]:
        key = emu.keys[env]
        hosts[env] = {"koreai_host": emu.url, "koreai_api_key": key, "bench_workflows": workflows(size),
                      "export_workflows_host": emu.url, "export_workflows_api_key": key,
                      "export_workflows_list": workflows(size)}
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": interpreter,
                                  "bench_dest": dest, "export_workflows_dest": dest},
                         "hosts": hosts}}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle, indent=1)


def launch(command, record_file, log_file):
    """Run command under launch.py; return its record (wall, cpu, max_rss_mb, rc) and its start time."""
    started = time.time()
    with open(log_file, "w", encoding="utf-8") as log:
        subprocess.call([sys.executable, LAUNCH, record_file] + command, stdout=log, stderr=subprocess.STDOUT,
                        cwd=os.path.dirname(record_file))
    with open(record_file, encoding="utf-8") as handle:
        record = json.loads(handle.readlines()[-1])
    if record["rc"] != 0:
        with open(log_file, encoding="utf-8") as handle:
            tail = handle.read()[-3000:]
        raise RuntimeError("%s failed (rc=%s), log %s:\n%s" % (" ".join(command), record["rc"], log_file, tail))
    return record, started


def playbook_command(variant, inventory):
    """The ansible-playbook command line of a variant."""
    return [os.path.join(BIN, "ansible-playbook"), "-i", inventory, PLAYBOOKS[variant]]


def count_archives(dest):
    """Number of .zip files under dest."""
    return sum(1 for _root, _dirs, files in os.walk(dest) for name in files if name.endswith(".zip"))


def run_case_once(emu, workdir, variant, size, env_count, prefix=None):
    """Run one case from a clean emulator and a clean dest; return its Run."""
    emu.reset()
    dest = os.path.join(workdir, "dest")
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    inventory = os.path.join(workdir, "inventory.yml")
    write_inventory(inventory, emu, size, env_count, dest, sys.executable)
    command = (prefix or []) + playbook_command(variant, inventory)
    record, started = launch(command, os.path.join(workdir, "record.jsonl"), os.path.join(workdir, "%s.log" % variant))
    total = size * env_count
    if count_archives(dest) != total:
        raise RuntimeError("%s: expected %d archives in %s, found %d" % (variant, total, dest, count_archives(dest)))
    stats = emu.stats()
    times = [entry["t"] for entry in emu.log()]
    return Run(wall=record["wall"], cpu=record["cpu"], max_rss_mb=record["max_rss_mb"],
               posts=stats["posts"] / total, polls=stats["polls"] / total, downloads=stats["downloads"] / total,
               before_http=min(times) - started, http_span=max(times) - min(times),
               after_http=started + record["wall"] - max(times))


def median_run(runs):
    """The per-metric medians of runs."""
    return Run(**{name: statistics.median(getattr(run, name) for run in runs) for name in (field.name for field in fields(Run))})


# --- floor and memory ------------------------------------------------------------------


def export_once(emu, env, workflow_id, flow_id):
    """Start an export, wait for its job, download it; return (download seconds, bytes)."""
    headers = {"x-api-key": emu.keys[env]}
    url = "%s/api/public/workflows/%s/export?flowId=%s" % (emu.url, workflow_id, flow_id)
    with urllib.request.urlopen(urllib.request.Request(url, method="POST", headers=headers), timeout=30) as response:
        answer = json.loads(response.read().decode("utf-8"))
    status_url = "%s/api/public/dock-status/%s" % (emu.url, answer["dockStatusId"])
    while True:
        with urllib.request.urlopen(urllib.request.Request(status_url, headers=headers), timeout=30) as response:
            if json.loads(response.read().decode("utf-8"))["status"] == "SUCCESS":
                break
        time.sleep(0.1)
    started, size = time.monotonic(), 0
    with urllib.request.urlopen(urllib.request.Request(answer["downloadURL"], headers=headers), timeout=300) as response:
        for chunk in iter(lambda: response.read(1 << 20), b""):
            size += len(chunk)
    return time.monotonic() - started, size


def physical_floor(emu, job_duration):
    """T plus the median download time of one export (the first download also builds the archive)."""
    emu.reset()
    samples = [export_once(emu, "dev", "a-%04d" % number, "cf-%04d" % number) for number in range(1, 4)]
    download = statistics.median(seconds for seconds, _size in samples)
    return {"job_duration": job_duration, "download": download, "floor": job_duration + download,
            "archive_bytes": samples[0][1]}


def memory_case(emu, workdir, size_mb):
    """Export one workflow whose archive is size_mb MiB through the module; return the peak RSS figures."""
    emu.reset()
    emu.put_workflow("dev", "a-0001", padding=size_mb * 1024 * 1024)
    dest = os.path.join(workdir, "memory-dest")
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    module_records = os.path.join(workdir, "module-rss.jsonl")
    if os.path.exists(module_records):
        os.unlink(module_records)
    interpreter = os.path.join(workdir, "python-under-launch")
    with open(interpreter, "w", encoding="utf-8") as handle:
        handle.write('#!/bin/sh\nexec "%s" "%s" "%s" "%s" "$@"\n' % (sys.executable, LAUNCH, module_records, sys.executable))
    os.chmod(interpreter, 0o755)
    inventory = os.path.join(workdir, "memory-inventory.yml")
    write_inventory(inventory, emu, 1, 1, dest, interpreter)
    record, _started = launch(playbook_command("loop", inventory), os.path.join(workdir, "memory.jsonl"),
                              os.path.join(workdir, "memory.log"))
    with open(module_records, encoding="utf-8") as handle:
        modules = [json.loads(line) for line in handle]
    archive = os.path.join(dest, "dev", "a-0001.zip")
    return {"size_mb": size_mb, "archive_bytes": os.path.getsize(archive), "wall": record["wall"],
            "module_rss_mb": max(module["max_rss_mb"] for module in modules),
            "tree_rss_mb": record["max_rss_mb"]}


def py_spy_profile(emu, workdir, out_dir, size, env_count):
    """Run the role once under py-spy (every process, idle time included); return the path of the profile."""
    path = os.path.join(out_dir, "py-spy-role-%dx%d.speedscope.json" % (size, env_count))
    prefix = [os.path.join(BIN, "py-spy"), "record", "--subprocesses", "--idle", "--format", "speedscope", "--rate", "200",
              "--output", path, "--"]
    run_case_once(emu, workdir, "role", size, env_count, prefix=prefix)
    return path


# --- report ----------------------------------------------------------------------------


def machine():
    """Where and with what the benchmark ran."""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
    version = subprocess.run([os.path.join(BIN, "ansible-playbook"), "--version"], capture_output=True, text=True, check=True)
    with open("/proc/loadavg", encoding="utf-8") as handle:
        load = " ".join(handle.read().split()[:3])
    return {"nproc": os.cpu_count(), "cpu": models[0] if models else platform.processor(),
            "python": platform.python_version(), "ansible": version.stdout.splitlines()[0], "load": load}


def fmt(value, digits=1):
    """A number for the table."""
    return "%.*f" % (digits, value)


def case_table(results, args):
    """Markdown table of every case's medians."""
    lines = ["| N | E | variant | runs | wall s | controller CPU s | peak RSS MB | POST/wf | polls/wf | downloads/wf "
             "| before 1st request s | HTTP span s | after last request s |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (variant, size, env_count), runs in results.items():
        run = median_run(runs)
        lines.append("| %d | %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            size, env_count, VARIANT_TITLES[variant], len(runs), fmt(run.wall), fmt(run.cpu), fmt(run.max_rss_mb, 0),
            fmt(run.posts, 2), fmt(run.polls, 2), fmt(run.downloads, 2), fmt(run.before_http), fmt(run.http_span),
            fmt(run.after_http)))
    if args.profile == "quick":
        lines.append("\nQuick profile (the default): the role's cases are medians of %d runs; (2) and (3) ran once, and at "
                     "N = %d only (3) at E = %d, because (2) spends T + about 1 s per workflow (some 10 minutes at N = 200); "
                     "`--full` runs and repeats every case." % (args.repeats, max(args.sizes), max(args.envs)))
    return lines


def wall(results, variant, size, env_count):
    """Median wall time of a case, or None when it did not run."""
    runs = results.get((variant, size, env_count))
    return statistics.median(run.wall for run in runs) if runs else None


def ratio_table(results, args):
    """Markdown table of the wall-time ratios (2)/(1) and (3)/(1)."""
    lines = ["| N | E | (1) role s | (2) loop s | (3) reference s | (2)/(1) | (3)/(1) |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for size in args.sizes:
        for env_count in args.envs:
            walls = [wall(results, variant, size, env_count) for variant in VARIANTS]
            shown = ["-" if value is None else fmt(value) for value in walls]
            ratios = ["-" if None in (walls[0], value) else fmt(value / walls[0]) + "x" for value in walls[1:]]
            lines.append("| %d | %d | %s |" % (size, env_count, " | ".join(shown + ratios)))
    return lines


def target_lines(results, args, floor, memory):
    """Markdown table of the issue's targets against the measured figures."""
    size, env_count, duration = max(args.sizes), max(args.envs), args.job_duration
    role, reference = wall(results, "role", size, env_count), wall(results, "reference", size, env_count)
    role_polls = [run.polls for (variant, _n, _e), runs in results.items() if variant == "role" for run in runs]
    poll_bound = duration / POLL_INTERVAL + 2
    rows = [
        ("%dx%d via the role within T + 5 s = %s s" % (size, env_count, fmt(duration + 5)),
         role is not None and role <= duration + 5, "-" if role is None else "%s s (floor %s s)" % (fmt(role), fmt(floor["floor"], 2))),
        ("reference / role >= 50x at %dx%d" % (size, env_count), None not in (role, reference) and reference / role >= 50,
         "-" if None in (role, reference) else fmt(reference / role) + "x"),
        ("polls per workflow <= T / poll_interval + 2 = %s (role)" % fmt(poll_bound, 1),
         bool(role_polls) and max(role_polls) <= poll_bound, "-" if not role_polls else "max %s" % fmt(max(role_polls), 2)),
    ]
    if memory:
        rows.append(("module peak RSS < %d MB for a %d MB archive" % (MEMORY_TARGET_MB, memory["size_mb"]),
                     memory["module_rss_mb"] < MEMORY_TARGET_MB, "%s MB" % fmt(memory["module_rss_mb"])))
    lines = ["| target | measured | met |", "|---|---|---|"]
    lines.extend("| %s | %s | %s |" % (target, measured, "yes" if met else "**no**") for target, met, measured in rows)
    return lines


def report(args, info, results, floor, memory, profile_path):
    """The whole markdown report."""
    lines = [
        "# Benchmark: export_workflows role vs. a task loop vs. uri/get_url", "",
        "Command: `%s`  " % " ".join(["tests/benchmark/run.sh"] + sys.argv[1:]),
        "Date: %s  " % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "Machine: %d CPUs (%s), Python %s, %s; load average at the end %s (other jobs share this machine, so "
        "compare ratios from one run rather than absolute times)." % (
            info["nproc"], info["cpu"], info["python"], info["ansible"], info["load"]),
        "Emulator: job duration T = %s s, archives of %d bytes, shape `table`, plain HTTP on localhost; "
        "environments are inventory hosts (local connection, default forks)." % (args.job_duration, floor["archive_bytes"]),
        "", "Physical floor: T + download of one export = %s + %s = **%s s**." % (
            fmt(floor["job_duration"], 2), fmt(floor["download"], 3), fmt(floor["floor"], 2)),
        "", "## Targets", ""] + target_lines(results, args, floor, memory)
    lines += ["", "## Wall time ratios (medians)", ""] + ratio_table(results, args)
    lines += ["", "## Every case (medians)", ""] + case_table(results, args)
    lines += ["", "Controller CPU: user + system seconds of ansible-playbook, its workers and the module processes. "
              "Peak RSS: the largest single process of the run. Requests per workflow come from the emulator's log, "
              "reset before each run. Before/after: seconds from the start of ansible-playbook to the first API request, "
              "and from the last API request to its exit (Ansible's own overhead)."]
    if memory:
        lines += ["", "## Memory", "",
                  "One workflow whose archive is %d bytes (%d MiB padding), exported by `workflow_export` in %s s: peak RSS "
                  "of the module process **%s MB** (measured by running the module's interpreter under `launch.py`); "
                  "largest process of the whole ansible-playbook run %s MB." % (
                      memory["archive_bytes"], memory["size_mb"], fmt(memory["wall"]), fmt(memory["module_rss_mb"]),
                      fmt(memory["tree_rss_mb"]))]
    if profile_path:
        lines += ["", "py-spy profile of the role at the largest case (open it in https://www.speedscope.app): `%s`." % profile_path]
    return "\n".join(lines) + "\n"


# --- main ------------------------------------------------------------------------------


def run_cases(emu, workdir, args):
    """Run every case of the profile; return {(variant, N, E): [Run, ...]}."""
    results = {}
    for size in args.sizes:
        for env_count in args.envs:
            for variant in args.variants:
                runs = []
                for number in range(repeats_for(args, variant, size, env_count)):
                    runs.append(run_case_once(emu, workdir, variant, size, env_count))
                    print("%-9s N=%-3d E=%d run %d: wall %.1f s, cpu %.1f s, polls/wf %.2f" % (
                        variant, size, env_count, number + 1, runs[-1].wall, runs[-1].cpu, runs[-1].polls), flush=True)
                if runs:
                    results[(variant, size, env_count)] = runs
    return results


def main(argv=None):
    """Run the benchmark and write its report."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="koreai-bench-")
    emulator_args = ["--job-duration", str(args.job_duration), "--workflows", str(max(args.sizes)), "--no-https",
                     "--shape", "table", "--download-padding", str(args.archive_padding)]
    try:
        with Emulator.start(*emulator_args, python=sys.executable) as emu:
            floor = physical_floor(emu, args.job_duration)
            print("floor: %.2f s" % floor["floor"], flush=True)
            results = run_cases(emu, workdir, args)
            memory = memory_case(emu, workdir, args.memory_mb) if args.memory_mb else None
            profile_path = py_spy_profile(emu, workdir, args.out, max(args.sizes), max(args.envs)) if args.py_spy else None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(args, machine(), results, floor, memory, profile_path)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = [os.path.join(args.out, "%s.md" % stamp)] + ([os.path.join(HERE, "RESULTS.md")] if args.out == DEFAULT_OUT else [])
    for path in paths:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
