#!/usr/bin/env python
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the export_workflows role and workflow_import against hand-written uri/get_url playbooks.

Runs against the bundled emulator (fixed job duration T, fixed archive size), checks the performance targets
and writes a markdown report to ``tests/benchmark/results/<timestamp>.md`` and ``tests/benchmark/RESULTS.md``.
Expects ansible-playbook with the collection installed on its path (``tests/benchmark/run.sh`` sets that up).
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
import zipfile
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "emulator"))
from control import Emulator  # noqa: E402 pylint: disable=wrong-import-position,import-error

LAUNCH = os.path.join(HERE, "launch.py")
DEFAULT_OUT = os.path.join(HERE, "results")
BIN = os.path.dirname(sys.executable)
ENVIRONMENTS = ("dev", "staging", "prod")
PLAYBOOK_DIR = os.path.join(HERE, "playbooks")
PLAYBOOKS = {
    "role": "koreai.ai_for_process.export",
    "reference_each": os.path.join(PLAYBOOK_DIR, "reference_each.yml"),
    "reference": os.path.join(PLAYBOOK_DIR, "reference.yml"),
    "loop": os.path.join(PLAYBOOK_DIR, "loop.yml"),
    "import": os.path.join(PLAYBOOK_DIR, "import.yml"),
    "reference_import": os.path.join(PLAYBOOK_DIR, "reference_import.yml"),
    "baseline": os.path.join(PLAYBOOK_DIR, "baseline.yml"),
    "floor": os.path.join(PLAYBOOK_DIR, "floor.yml"),
    "promote": "koreai.ai_for_process.promote",
    "promote_role": os.path.join(PLAYBOOK_DIR, "promote_role.yml"),
}
TITLES = {
    "role": "role export_workflows (one batch task per environment)",
    "reference_each": "hand-written: uri POST, uri until (delay 2), get_url, one workflow after the other",
    "reference": "hand-written, each task looping over all workflows (uri POST; uri until, delay 2; get_url)",
    "loop": "a loop of single-workflow workflow_export tasks",
    "import": "workflow_import, one batch",
    "reference_import": "hand-written: uri upload x3, uri import, uri until (delay 2), every run",
    "baseline": "Ansible alone: ping, assert, debug",
    "floor": "the floor: one module task that lasts T (wait_for)",
    "promote": "koreai.ai_for_process.promote, one stage of tenants",
    "promote_role": "the promote_workflows role over every host (gate off)",
}
RESULT_FIELDS = ("posts", "polls", "downloads", "uploads", "imports", "deploys")

# The targets.
RATIO_TARGET = 22.0
FLOOR_TARGET = 1.6  # the role at most this many times the one-task floor (Ansible's own module start-up is the rest)
SCALE_MARGIN = 2.5
OVERSHOOT_SHARE = 0.35
OVERSHOOT_DURATIONS = (0.5, 1.0, 3.0, 10.0)
MAX_POLLS_AT_10 = 10
IMPORT_RATIO_TARGET = 10.0
MEMORY_TARGET_MB = 100
FLEET_TARGET = 1.3  # N tenants with F forks at most this x (N / F) x one environment's time (at N = 100)
FLEET_TARGET_SIZE = 100
CORES = os.cpu_count() or 1
FLEET_CPU_PER_TENANT = 0.5  # controller CPU seconds one more tenant adds to an unchanged rerun with compare: changed
FLEET_RSS_MB = 128  # peak RSS of the largest process of any fleet run
FLEET_REQUESTS_ONE_CHANGED = 1.0  # requests per workflow of the fleet when one workflow of the tree changed
FLEET_KINDS = {"first": "first promotion (creates every workflow)", "unchanged": "unchanged rerun, compare: changed",
               "one_changed": "rerun, one workflow changed, compare: changed"}

SIZES = {  # the default sizes, and the --smoke sizes for checking the harness
    "quick": dict(ratio=20, scale=200, scale_envs=3, overshoot=50, imports=100, memory_mb=200, fleet=(1, 10, 100),
                  fleet_workflows=50, startup_envs=10),
    "smoke": dict(ratio=4, scale=20, scale_envs=2, overshoot=8, imports=6, memory_mb=5, fleet=(1, 3), fleet_workflows=3,
                  startup_envs=3),
}
SECTIONS = ("ratio", "scale", "overshoot", "import", "overhead", "memory")
OPTIONAL_SECTIONS = ("fleet", "startup")  # long: run only when --sections names them


@dataclass
class Run:
    """The cost of one ansible-playbook run."""

    wall: float
    cpu: float
    max_rss_mb: float
    started: float
    counts: dict
    first_request: float
    last_request: float
    server_cpu: float = 0.0  # CPU seconds of the emulator during the run
    jobs: list = field(default_factory=list)  # export jobs: (overshoot seconds, polls)
    tasks: list = field(default_factory=list)  # from the bench_task_times callback


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", dest="profile", action="store_const", const="quick",
                        help="default: the role's cases --repeats times, the hand-written playbooks once")
    parser.add_argument("--full", dest="profile", action="store_const", const="full",
                        help="every case --repeats times, and the loop of workflow_export tasks")
    parser.add_argument("--smoke", dest="profile", action="store_const", const="smoke",
                        help="tiny sizes, one run each: checks the harness, not the targets")
    parser.set_defaults(profile="quick")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the repeated cases (medians are reported)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="subset of %s" % ",".join(SECTIONS))
    parser.add_argument("--archive-padding", type=int, default=100000, help="bytes added to every archive")
    parser.add_argument("--memory-mb", type=int, help="MiB of padding of the memory case's workflow (0: skip)")
    parser.add_argument("--py-spy", action="store_true", help="also profile the role at the scale case with py-spy")
    parser.add_argument("--fleet-sizes", help="tenants per stage of the fleet section, 1 (the one-environment "
                                              "reference) included (default 1,10,100)")
    parser.add_argument("--fleet-forks", default="10,25", help="forks of the fleet section")
    parser.add_argument("--fleet-duration", type=float, default=2.0, help="T of the fleet section's jobs, seconds")
    parser.add_argument("--startup-ref", help="git ref of the promote role to compare with in the startup section "
                                              "(for example main)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="directory of the report; RESULTS.md is written only with the default")
    args = parser.parse_args(argv)
    args.sections = [name for name in args.sections.split(",") if name]
    if set(args.sections) - set(SECTIONS + OPTIONAL_SECTIONS):
        parser.error("sections must be among %s" % ", ".join(SECTIONS + OPTIONAL_SECTIONS))
    args.sizes = dict(SIZES["smoke" if args.profile == "smoke" else "quick"])
    if args.fleet_sizes:
        args.sizes["fleet"] = tuple(int(size) for size in args.fleet_sizes.split(","))
    args.fleet_forks = [int(forks) for forks in args.fleet_forks.split(",")]
    if args.memory_mb is not None:
        args.sizes["memory_mb"] = args.memory_mb
    if args.profile == "smoke":
        args.repeats = 1
    return args


def repeats(args, repeated):
    """Runs of a case: the repeated ones (the collection's) --repeats times, the others once unless --full."""
    return args.repeats if repeated or args.profile == "full" else 1


# --- running ansible-playbook ----------------------------------------------------------


def workflows(size):
    """The first `size` workflows of the emulator's generated catalog."""
    return [{"workflow_id": "a-%04d" % number, "flow_id": "cf-%04d" % number} for number in range(1, size + 1)]


def write_inventory(path, emu, hosts, interpreter, **common):
    """One host per environment: hosts is {env: {extra variables}}; common variables go to all."""
    inventory = {"all": {"vars": dict(common, ansible_connection="local", ansible_python_interpreter=interpreter),
                         "hosts": {}}}
    for env, variables in hosts.items():
        key = emu.keys[env]
        inventory["all"]["hosts"][env] = dict(variables, koreai_host=emu.url, koreai_api_key=key,
                                              export_workflows_host=emu.url, export_workflows_api_key=key)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle, indent=1)
    return path


def export_hosts(size, env_count):
    """Inventory hosts exporting the first `size` workflows of each of the first env_count environments."""
    return {env: {"bench_workflows": workflows(size), "export_workflows_list": workflows(size)}
            for env in ENVIRONMENTS[:env_count]}


def launch(command, workdir, name, environment=None):
    """Run command under launch.py with the task-time callback (environment: variables to set); return (record,
    start time, task document)."""
    record_file, log_file = os.path.join(workdir, "record.jsonl"), os.path.join(workdir, "%s.log" % name)
    times_file = os.path.join(workdir, "task-times.jsonl")
    for stale in (times_file,):
        if os.path.exists(stale):
            os.unlink(stale)
    env = dict(os.environ, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="bench_task_times", BENCH_TASK_TIMES=times_file, **(environment or {}))
    started = time.time()
    with open(log_file, "w", encoding="utf-8") as log:
        subprocess.call([sys.executable, LAUNCH, record_file] + command, stdout=log, stderr=subprocess.STDOUT,
                        cwd=workdir, env=env)
    with open(record_file, encoding="utf-8") as handle:
        record = json.loads(handle.readlines()[-1])
    if record["rc"] != 0:
        with open(log_file, encoding="utf-8") as handle:
            tail = handle.read()[-3000:]
        raise RuntimeError("%s failed (rc=%s), log %s:\n%s" % (" ".join(command), record["rc"], log_file, tail))
    tasks = []
    if os.path.exists(times_file):
        with open(times_file, encoding="utf-8") as handle:
            tasks = json.loads(handle.readlines()[-1])["tasks"]
    return record, started, tasks


def export_jobs(entries, duration):
    """(overshoot, polls) of every export job in a log: from the job's end (its POST + T) to the poll that saw it.

    Each workflow is exported once per run, and the runner stops polling a job once it is seen done, so the
    last dock-status read of a workflow is the one that saw its job end.
    """
    posts, polls = {}, {}
    for entry in entries:
        key = (entry["env"], entry["workflow_id"])
        if entry["kind"] == "export" and entry["job_created"]:
            posts[key] = entry["t"]
        elif entry["kind"] == "status":
            polls.setdefault(key, []).append(entry["t"])
    return [(polls[key][-1] - (posted + duration), len(polls[key])) for key, posted in posts.items() if key in polls]


def run_playbook(emu, workdir, variant, inventory, duration, jobs=True, prefix=None, extra=(), environment=None):
    """Run one playbook (a variant of PLAYBOOKS, or a path; extra: more arguments) and return its Run, measured from
    the emulator's log since its start."""
    command = (prefix or []) + [os.path.join(BIN, "ansible-playbook"), "-i", inventory, PLAYBOOKS.get(variant, variant)]
    command += list(extra)
    server_cpu = process_cpu(emu.process.pid)
    record, started, tasks = launch(command, workdir, variant, environment)
    server_cpu = process_cpu(emu.process.pid) - server_cpu
    entries = [entry for entry in emu.log() if entry["t"] >= started]
    kinds = [entry["kind"] for entry in entries]
    kinds_counted = ("export", "status", "download", "upload", "import", "deploy")
    counts = {name: kinds.count(kind) for name, kind in zip(RESULT_FIELDS, kinds_counted)}
    counts["requests"] = len(entries)
    times = [entry["t"] for entry in entries] or [started]
    return Run(wall=record["wall"], cpu=record["cpu"], max_rss_mb=record["max_rss_mb"], started=started, counts=counts,
               first_request=min(times), last_request=max(times), jobs=export_jobs(entries, duration) if jobs else [],
               tasks=tasks, server_cpu=server_cpu)


def process_cpu(pid):
    """CPU seconds (user + system) a process has used so far, from /proc (0 where there is none)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_dest(workdir, name="dest"):
    """An empty directory under workdir."""
    dest = os.path.join(workdir, name)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    return dest


def export_case(emu, workdir, variant, size, env_count, duration, prefix=None):
    """Export size x env_count workflows with a variant from a reset emulator and an empty dest."""
    emu.reset()
    emu.config(job_duration=duration)
    dest = fresh_dest(workdir)
    inventory = write_inventory(os.path.join(workdir, "inventory.json"), emu, export_hosts(size, env_count), sys.executable,
                                bench_dest=dest, export_workflows_dest=dest)
    run = run_playbook(emu, workdir, variant, inventory, duration, prefix=prefix)
    found = sum(1 for _root, _dirs, files in os.walk(dest) for name in files if name.endswith(".zip"))
    if found != size * env_count:
        raise RuntimeError("%s: expected %d archives in %s, found %d" % (variant, size * env_count, dest, found))
    return run


def repeat(label, count, function, *args, **kwargs):
    """Run function count times, printing each run; return the Runs."""
    runs = []
    for number in range(count):
        runs.append(function(*args, **kwargs))
        print("%-44s run %d: wall %6.2f s, cpu %6.2f s, %s" % (label, number + 1, runs[-1].wall, runs[-1].cpu, runs[-1].counts),
              flush=True)
    return runs


def median_wall(runs):
    return statistics.median(run.wall for run in runs)


# --- sections ---------------------------------------------------------------------------


def ratio_section(emu, workdir, args):
    """20 workflows, 1 s jobs, one environment: the role against the hand-written playbooks."""
    size, duration = args.sizes["ratio"], 1.0
    runs = {"role": [], "floor": []}
    for number in range(repeats(args, True)):  # the role and its floor alternate, so both see the machine's load alike
        runs["role"] += repeat("ratio role N=%d T=%s (%d)" % (size, duration, number + 1), 1, export_case, emu, workdir,
                               "role", size, 1, duration)
        runs["floor"] += repeat("ratio floor T=%s (%d)" % (duration, number + 1), 1, floor_case, emu, workdir, size, duration)
    for variant in ["reference_each", "reference"] + (["loop"] if args.profile == "full" else []):
        runs[variant] = repeat("ratio %s N=%d T=%s" % (variant, size, duration), repeats(args, False), export_case, emu,
                               workdir, variant, size, 1, duration)
    return runs


def floor_case(emu, workdir, size, duration):
    """The floor playbook (one module task lasting duration) on the inventory of the role's case."""
    emu.reset()
    inventory = write_inventory(os.path.join(workdir, "inventory.json"), emu, export_hosts(size, 1), sys.executable,
                                bench_task_seconds=duration)
    return run_playbook(emu, workdir, "floor", inventory, duration, jobs=False)


def scale_section(emu, workdir, args):
    """200 workflows x 3 environments, 2 s jobs, through the role."""
    size, env_count, duration = args.sizes["scale"], args.sizes["scale_envs"], 2.0
    return {"role": repeat("scale role N=%d E=%d T=%s" % (size, env_count, duration), repeats(args, True),
                           export_case, emu, workdir, "role", size, env_count, duration)}


def overshoot_section(emu, workdir, args):
    """The role at each job duration of the overshoot target, one run each."""
    size = args.sizes["overshoot"]
    return {duration: repeat("overshoot role N=%d T=%s" % (size, duration), 1, export_case, emu, workdir, "role", size, 1,
                             duration) for duration in OVERSHOOT_DURATIONS}


def import_sources(emu, workdir, size):
    """Export `size` workflows from dev (not timed); return {workflow_id: archive} and the directory of their members."""
    emu.reset()
    emu.config(job_duration=0.1)
    dest = fresh_dest(workdir, "sources")
    inventory = write_inventory(os.path.join(workdir, "inventory.json"), emu, export_hosts(size, 1), sys.executable,
                                bench_dest=dest, export_workflows_dest=dest)
    run_playbook(emu, workdir, "role", inventory, 0.1, jobs=False)
    members = fresh_dest(workdir, "members")
    archives = {}
    for workflow in workflows(size):
        archive = os.path.join(dest, "dev", "%s.zip" % workflow["workflow_id"])
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(os.path.join(members, workflow["workflow_id"]))
        archives[workflow["workflow_id"]] = archive
    return archives, members


def import_inventory(emu, workdir, archives, members, interpreter=sys.executable):
    """staging as the only host, importing each archive into the workflow of the same id."""
    imports = [dict(workflow, src=archives[workflow["workflow_id"]]) for workflow in workflows(len(archives))]
    return write_inventory(os.path.join(workdir, "import-inventory.json"), emu, {"staging": {"bench_imports": imports}},
                           interpreter, bench_members=members)


def import_case(emu, workdir, variant, inventory, duration, expected_imports, reset=True):
    """Run an import playbook (from a reset emulator unless reset is False) and check how many imports it started."""
    if reset:
        emu.reset()
        emu.config(job_duration=duration)
    run = run_playbook(emu, workdir, variant, inventory, duration, jobs=False)
    if run.counts["imports"] != expected_imports:
        raise RuntimeError("%s: expected %d imports, the emulator saw %d" % (variant, expected_imports, run.counts["imports"]))
    return run


def import_section(emu, workdir, args):
    """100 workflows promoted dev -> staging: workflow_import's first run and unchanged rerun, the hand-written playbook."""
    size, duration = args.sizes["imports"], 1.0
    archives, members = import_sources(emu, workdir, size)
    inventory = import_inventory(emu, workdir, archives, members)
    first, rerun = [], []
    for number in range(repeats(args, True)):
        first += repeat("import first run N=%d T=%s (%d)" % (size, duration, number + 1), 1, import_case, emu, workdir, "import",
                        inventory, duration, size)
        rerun += repeat("import unchanged rerun N=%d T=%s (%d)" % (size, duration, number + 1), 1, import_case, emu, workdir,
                        "import", inventory, duration, 0, reset=False)
    reference = repeat("import reference N=%d T=%s" % (size, duration), repeats(args, False), import_case, emu, workdir,
                       "reference_import", inventory, duration, size)
    return {"first": first, "rerun": rerun, "reference_import": reference}


def overhead_section(emu, workdir, args):
    """Ansible alone (ping, assert, debug) on the role's inventory, and the module's import time."""
    emu.reset()
    inventory = write_inventory(os.path.join(workdir, "inventory.json"), emu, export_hosts(1, 1), sys.executable)
    runs = repeat("overhead baseline", repeats(args, True), run_playbook, emu, workdir, "baseline", inventory, 0, jobs=False)
    return {"baseline": runs, "imports": module_import_times(args)}


def module_import_times(args):
    """Median seconds a fresh interpreter takes to import Ansible's module basics, requests, and workflow_export."""
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
    targets = {"ansible.module_utils.basic": "ansible.module_utils.basic", "requests": "requests",
               "workflow_export (all of it)": "ansible_collections.koreai.ai_for_process.plugins.modules.workflow_export"}
    times = {}
    for label, module in targets.items():
        code = "import time; t = time.perf_counter(); import %s; print(time.perf_counter() - t)" % module
        samples = []
        for _number in range(max(3, args.repeats)):
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 env=dict(os.environ, PYTHONPATH=collections))
            samples.append(float(out.stdout.strip()))
        times[label] = statistics.median(samples)
    return times


def memory_section(emu, workdir, args):
    """Export, then import, one workflow padded to memory_mb MiB, each module process measured alone."""
    size_mb = args.sizes["memory_mb"]
    emu.reset()
    emu.config(job_duration=0.5)
    padding = size_mb * 1024 * 1024
    emu.put_workflow("dev", "a-0001", padding=padding)
    records = os.path.join(workdir, "module-rss.jsonl")
    interpreter = os.path.join(workdir, "python-under-launch")
    with open(interpreter, "w", encoding="utf-8") as handle:
        handle.write('#!/bin/sh\nexec "%s" "%s" "%s" "%s" "$@"\n' % (sys.executable, LAUNCH, records, sys.executable))
    os.chmod(interpreter, 0o755)
    dest = fresh_dest(workdir, "memory-dest")
    inventory = write_inventory(os.path.join(workdir, "memory-inventory.json"), emu, export_hosts(1, 1), interpreter,
                                bench_dest=dest, export_workflows_dest=dest)
    export_run = run_playbook(emu, workdir, "loop", inventory, 0.5, jobs=False)
    export_rss = module_rss(records)
    archive = os.path.join(dest, "dev", "a-0001.zip")
    emu.put_workflow("staging", "a-0001", padding=padding)
    inventory = import_inventory(emu, workdir, {"a-0001": archive}, dest, interpreter)
    import_run = import_case(emu, workdir, "import", inventory, 0.5, 1, reset=False)
    return {"size_mb": size_mb, "archive_bytes": os.path.getsize(archive), "export_rss_mb": export_rss,
            "import_rss_mb": module_rss(records), "export_wall": export_run.wall, "import_wall": import_run.wall,
            "import_counts": import_run.counts}


def module_rss(records):
    """Peak RSS of the module processes recorded so far (the file is emptied)."""
    with open(records, encoding="utf-8") as handle:
        peak = max(json.loads(line)["max_rss_mb"] for line in handle)
    os.unlink(records)
    return peak


def py_spy_profile(emu, workdir, args):
    """Run the role at the scale case under py-spy (every process, idle time included); return the profile's path."""
    size, env_count = args.sizes["scale"], args.sizes["scale_envs"]
    path = os.path.join(args.out, "py-spy-role-%dx%d.speedscope.json" % (size, env_count))
    prefix = [os.path.join(BIN, "py-spy"), "record", "--subprocesses", "--idle", "--format", "speedscope", "--rate", "200",
              "--output", path, "--"]
    export_case(emu, workdir, "role", size, env_count, 2.0, prefix=prefix)
    return path


def download_cost(emu, duration):
    """The median time of one download of an export, and its size (the first download also builds the archive)."""
    emu.reset()
    emu.config(job_duration=duration)
    samples = [export_once(emu, "a-%04d" % number, "cf-%04d" % number) for number in range(1, 4)]
    return {"download": statistics.median(seconds for seconds, _size in samples), "archive_bytes": samples[0][1]}


def export_once(emu, workflow_id, flow_id):
    """Start an export, wait for its job, download it; return (download seconds, bytes)."""
    headers = {"x-api-key": emu.keys["dev"]}
    url = "%s/api/public/workflows/%s/export?flowId=%s" % (emu.url, workflow_id, flow_id)
    with urllib.request.urlopen(urllib.request.Request(url, method="POST", headers=headers), timeout=30) as response:
        answer = json.loads(response.read().decode("utf-8"))
    status_url = "%s/api/public/dock-status/%s" % (emu.url, answer["dockStatusId"])
    while True:
        with urllib.request.urlopen(urllib.request.Request(status_url, headers=headers), timeout=30) as response:
            if json.loads(response.read().decode("utf-8"))["status"] == "SUCCESS":
                break
        time.sleep(0.05)
    started, size = time.monotonic(), 0
    with urllib.request.urlopen(urllib.request.Request(answer["downloadURL"], headers=headers), timeout=300) as response:
        for chunk in iter(lambda: response.read(1 << 20), b""):
            size += len(chunk)
    return time.monotonic() - started, size


# --- a fleet: one stage of many tenants ----------------------------------------------------


def fleet_emulator(tenants, count, duration):
    """An emulator serving dev and `tenants` tenant environments (--fleet) of `count` workflows each."""
    return Emulator.start("--job-duration", str(duration), "--workflows", str(count), "--no-https", "--shape", "table",
                          "--keys", "dev=kg-bench-dev", "--fleet", str(tenants), python=sys.executable)


def fleet_tree(emu, workdir, count):
    """Export dev's `count` workflows, extracted, as a team keeps its reviewed tree (not timed); the tree's path."""
    dest = fresh_dest(workdir, "fleet-tree")
    inventory = write_inventory(os.path.join(workdir, "fleet-export.json"), emu, export_hosts(count, 1), sys.executable,
                                bench_dest=dest, export_workflows_dest=dest, export_workflows_extract=True)
    run_playbook(emu, workdir, "role", inventory, 0, jobs=False)
    return os.path.join(dest, "dev")


def fleet_project(emu, workdir, tree, tenants, **variables):
    """A fresh project: the tree at exports/dev and an inventory of one stage (the group tenants) of `tenants`
    tenants, each giving its own values to every workflow; returns the inventory's path."""
    project = fresh_dest(workdir, "fleet-project")
    src = os.path.join(project, "exports", "dev")
    shutil.copytree(tree, src)
    names = sorted(os.listdir(os.path.join(src, "extracted")))
    hosts = {env: {"promote_workflows_api_key": emu.keys[env], "promote_workflows_env_variables": {
        name: {"BASE_URL": "https://%s.example.invalid/%s" % (env, name), "API_TOKEN": "token-%s-%s" % (env, name)}
        for name in names}} for env in [env for env in emu.keys if env.startswith("tenant-")][:tenants]}
    common = dict(variables, ansible_connection="local", ansible_python_interpreter=sys.executable,
                  promote_workflows_host=emu.url, promote_workflows_src=src, promote_workflows_hosts=["tenants"],
                  promote_workflows_list=[{"name": name} for name in names])
    path = os.path.join(project, "tenants.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"all": {"vars": common, "children": {"tenants": {"hosts": hosts}}}}, handle, indent=1)
    return path


def change_one_workflow(inventory):
    """A reviewed change of the tree's first workflow (a new key in its flow definition); returns its name."""
    extracted = os.path.join(os.path.dirname(inventory), "exports", "dev", "extracted")
    name = sorted(os.listdir(extracted))[0]
    path = os.path.join(extracted, name, "flow_definition.json")
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    document["benchReviewedChange"] = "one workflow changed"
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    return name


def fleet_case(emu, workdir, tree, tenants, forks, count):
    """The three runs of a stage of `tenants` tenants with `forks` forks, from tenants that hold none of the tree
    (each run checked: every workflow created, then no import, then one import per tenant)."""
    emu.reset()
    inventory = fleet_project(emu, workdir, tree, tenants)
    runs = {}
    for kind, expected in (("first", tenants * count), ("unchanged", 0), ("one_changed", tenants)):
        if kind == "one_changed":
            change_one_workflow(inventory)
        run = run_playbook(emu, os.path.dirname(inventory), "promote", inventory, 0, jobs=False,
                           extra=["-f", str(forks), "-e", "promote_workflows_compare=changed"])
        if run.counts["imports"] != expected:
            raise RuntimeError("fleet %d x %d, %s: expected %d imports, the emulator saw %d"
                               % (tenants, count, kind, expected, run.counts["imports"]))
        print("fleet N=%-3d forks=%-2d %-12s wall %7.2f s, cpu %7.2f s, rss %5.0f MB, %s" % (
            tenants, forks, kind, run.wall, run.cpu, run.max_rss_mb, run.counts), flush=True)
        runs[kind] = run
    return runs


def fleet_section(_emu, workdir, args):
    """One stage of N tenants x the fleet's workflows (N = 1 is one environment's time), each N with each of the
    forks: {(N, forks): {kind: Run}}."""
    sizes, count = args.sizes["fleet"], args.sizes["fleet_workflows"]
    results = {}
    with fleet_emulator(max(sizes), count, args.fleet_duration) as emu:
        tree = fleet_tree(emu, workdir, count)
        for tenants in sizes:
            for forks in ([1] if tenants == 1 else args.fleet_forks):
                results[(tenants, forks)] = fleet_case(emu, workdir, tree, tenants, forks, count)
    return {"runs": results, "workflows": count, "duration": args.fleet_duration}


# --- Ansible's start-up per environment, the promote role before and now ---------------------


def collection_at(workdir, ref):
    """The collection as it was at git ref ref, in a collections directory of its own; that directory."""
    root = os.path.join(workdir, "collections-at-ref")
    shutil.rmtree(root, ignore_errors=True)
    dest = os.path.join(root, "ansible_collections", "koreai", "ai_for_process")
    os.makedirs(dest)
    archive = subprocess.run(["git", "-C", REPO, "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    return root


def startup_runs(emu, workdir, tree, tenants, variant, args):
    """Unchanged reruns (after an untimed first promotion) of one environment and of `tenants`, forks 1, one
    workflow each: {1: [Run], tenants: [Run]}. variant: (collections directory or None, compare)."""
    collections, compare = variant
    environment = {"ANSIBLE_COLLECTIONS_PATH": collections} if collections else None
    # A playbook inside a collection's tree loads that collection first: run a copy from outside this one.
    playbook = shutil.copy(PLAYBOOKS["promote_role"], workdir)
    extra = ["-f", "1", "-e", "promote_workflows_compare=" + compare]
    runs = {}
    for size in (1, tenants):
        emu.reset()
        inventory = fleet_project(emu, workdir, tree, size, promote_workflows_gate=False,
                                  promote_workflows_poll_interval=0.5)
        workdir_of = os.path.dirname(inventory)
        run_playbook(emu, workdir_of, playbook, inventory, 0, jobs=False, extra=extra, environment=environment)
        runs[size] = repeat("startup %s compare=%s N=%d" % ("ref" if collections else "now", compare, size),
                            repeats(args, True), run_playbook, emu, workdir_of, playbook, inventory, 0, jobs=False,
                            extra=extra, environment=environment)
    return runs


def startup_section(_emu, workdir, args):
    """The promote role's cost per environment: this tree's role (compare all and changed) and, with --startup-ref,
    the role at that ref: {label: {size: [Run]}}."""
    tenants = args.sizes["startup_envs"]
    variants = {"now, compare: all": (None, "all"), "now, compare: changed": (None, "changed")}
    if args.startup_ref:
        variants = dict({"before (%s)" % args.startup_ref: (collection_at(workdir, args.startup_ref), "all")}, **variants)
    with fleet_emulator(tenants, 1, 0.1) as emu:
        tree = fleet_tree(emu, workdir, 1)
        return {"tenants": tenants, "runs": {label: startup_runs(emu, workdir, tree, tenants, variant, args)
                                             for label, variant in variants.items()}}


# --- the poll schedule on its own -----------------------------------------------------------


def schedule():
    """The collection's next_poll_delay and its constants (from the installed collection)."""
    sys.path.insert(0, os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0])
    from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs import poll_schedule  # pylint: disable=import-outside-toplevel
    return poll_schedule


def simulate(next_poll_delay, duration, cap):
    """(polls, overshoot share) of a job of `duration` seconds under the schedule, without network latency."""
    now, polls = 0.0, 0
    delay = next_poll_delay(0.0, cap)
    while True:
        now += delay
        polls += 1
        if now >= duration:
            return polls, (now - duration) / duration
        delay = next_poll_delay(now, cap)


# --- report ----------------------------------------------------------------------------


def fmt(value, digits=1):
    return "-" if value is None else "%.*f" % (digits, value)


def quantile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Report:
    """Collects target rows and sections of markdown."""

    def __init__(self):
        self.targets = []
        self.lines = []

    def target(self, name, measured, met):
        self.targets.append((name, measured, met))

    def add(self, *lines):
        self.lines.extend(lines)


def report_ratio(rep, results):
    runs = results["ratio"]
    role, floor = median_wall(runs["role"]), median_wall(runs["floor"])
    rep.add("## 20 workflows, T = 1 s, one environment", "",
            "| variant | runs | wall s (median) | ratio to the role | polls/wf | controller CPU s |", "|---|---:|---:|---:|---:|---:|")
    for variant, variant_runs in runs.items():
        size = len(variant_runs[0].jobs) or 1
        rep.add("| %s | %d | %s | %sx | %s | %s |" % (
            TITLES[variant], len(variant_runs), fmt(median_wall(variant_runs), 2), fmt(median_wall(variant_runs) / role),
            fmt(statistics.median(run.counts["polls"] / size for run in variant_runs), 2),
            fmt(statistics.median(run.cpu for run in variant_runs))))
    ratio = median_wall(runs["reference_each"]) / role
    rep.target("20 wf, T = 1 s: hand-written (one after the other) / role >= %sx" % fmt(RATIO_TARGET, 0),
               "%sx (at the floor %sx)" % (fmt(ratio), fmt(median_wall(runs["reference_each"]) / floor)), ratio >= RATIO_TARGET)
    rep.target("20 wf, T = 1 s: role <= %sx the one-task floor" % fmt(FLOOR_TARGET, 2),
               "%sx (role %s s, floor %s s)" % (fmt(role / floor, 2), fmt(role, 2), fmt(floor, 2)), role / floor <= FLOOR_TARGET)
    rep.add("", "Floor here: `playbooks/floor.yml`, one `wait_for` task lasting T on the role's inventory (Ansible's "
                "start-up and exit, one module's start-up, T) = %s s; the role takes %sx that, and a role at the floor "
                "would be %sx faster than the hand-written playbook. Against the batched hand-written playbook the role "
                "is %sx." % (fmt(floor, 2), fmt(role / floor, 2), fmt(median_wall(runs["reference_each"]) / floor),
                             fmt(median_wall(runs["reference"]) / role)), "")


def report_scale(rep, results, duration=2.0):
    runs = results["scale"]["role"]
    wall = median_wall(runs)
    first = statistics.median(run.first_request - run.started for run in runs)
    span = statistics.median(run.last_request - run.first_request for run in runs)
    after = statistics.median(run.started + run.wall - run.last_request for run in runs)
    size = len(runs[0].jobs)
    cpu = statistics.median(run.cpu for run in runs)
    server_cpu = statistics.median(run.server_cpu for run in runs)
    cores = os.cpu_count() or 1
    rep.add("## %d workflows, T = 2 s, through the role" % size, "",
            "Wall %s s (median of %d, T + %s s): Ansible before the first request %s s, HTTP span %s s, after the "
            "last request %s s; %s polls per job; peak RSS %s MB." % (
                fmt(wall, 2), len(runs), fmt(wall - duration, 2), fmt(first, 2), fmt(span, 2), fmt(after, 2),
                fmt(statistics.median(run.counts["polls"] / size for run in runs), 2),
                fmt(statistics.median(run.max_rss_mb for run in runs), 0)), "",
            "CPU: controller (ansible-playbook, its workers and the module processes) %s s, emulator %s s; on %d cores "
            "that work alone takes at least %s s, while the run's wall time is %s s." % (
                fmt(cpu), fmt(server_cpu), cores, fmt((cpu + server_cpu) / cores, 2), fmt(wall, 2)), "",
            "| step | s |", "|---|---:|")
    rep.add(*("| %s | %s |" % (name.replace("|", "/"), fmt(seconds, 3)) for name, seconds in median_spans(runs)))
    rep.add("")
    rep.target("%d wf: role wall <= T + %s s" % (size, SCALE_MARGIN), "T + %s s" % fmt(wall - duration, 2),
               wall <= duration + SCALE_MARGIN)


def report_overshoot(rep, results, runner):
    rep.add("## Poll schedule: overshoot and polls per job", "",
            "Overshoot: from a job's end (its POST in the emulator's log + T) to the dock-status read that saw it "
            "(the job's last), as a share of T. One role run of %d workflows per T. The first job of each of a batch's "
            "two series of reads (on the schedule's points and halfway between them) is read at every point of its "
            "series (the max column); a younger job skips every other point while an elder of its family is read "
            "in the same round (the median column)." % len(
                next(iter(results["overshoot"].values()))[0].jobs), "",
            "| T s | jobs | min | p10 | median | p90 | max | polls/job median | polls/job max |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sources = [(duration, runs[0].jobs, True) for duration, runs in results["overshoot"].items()]
    if "scale" in results:
        sources.append((2.0, [job for run in results["scale"]["role"] for job in run.jobs], False))
    for duration, jobs, is_target in sources:
        shares = [over / duration for over, _polls in jobs]
        polls = [count for _over, count in jobs]
        rep.add("| %s | %d | %s | %s | %s | %s | %s | %s | %d |" % (
            fmt(duration), len(jobs), *("%.0f%%" % (100 * value) for value in (
                min(shares), quantile(shares, 0.1), statistics.median(shares), quantile(shares, 0.9), max(shares))),
            fmt(statistics.median(polls), 1), max(polls)))
        if is_target:
            rep.target("overshoot median <= %d%% of T at T = %s s" % (100 * OVERSHOOT_SHARE, fmt(duration)),
                       "%.0f%%" % (100 * statistics.median(shares)), statistics.median(shares) <= OVERSHOOT_SHARE)
            if duration == 10.0:
                rep.target("polls per job <= %d at T = 10 s" % MAX_POLLS_AT_10, "max %d (median %s)" % (
                    max(polls), fmt(statistics.median(polls), 1)), max(polls) <= MAX_POLLS_AT_10)
    cap = 5.0
    grid = [0.5 * 1.02 ** step for step in range(0, 400) if 0.5 * 1.02 ** step <= 600]
    simulated = [simulate(runner.next_poll_delay, duration, cap) for duration in grid]
    shares = [share for _polls, share in simulated]
    rep.add("", "The schedule alone (`next_poll_delay` with FIRST_POLL_DELAY = %s s, POLL_GROWTH = %s, poll_interval "
                "= %s s; no latency, no rounds), for T log-uniform in 0.5..600 s: overshoot median %.0f%%, p90 %.0f%%, "
                "max %.0f%% of T." % (runner.FIRST_POLL_DELAY, runner.POLL_GROWTH, cap, 100 * statistics.median(shares),
                                      100 * quantile(shares, 0.9), 100 * max(shares)), "",
            "| T s | " + " | ".join(fmt(duration, 1) for duration in (0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300, 600)) + " |",
            "|---|" + "---:|" * 11)
    points = [simulate(runner.next_poll_delay, duration, cap) for duration in (0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300, 600)]
    rep.add("| polls | " + " | ".join(str(polls) for polls, _share in points) + " |",
            "| overshoot | " + " | ".join("%.0f%%" % (100 * share) for _polls, share in points) + " |", "")


def report_import(rep, results, duration=1.0):
    runs = results["import"]
    first, rerun, reference = median_wall(runs["first"]), median_wall(runs["rerun"]), median_wall(runs["reference_import"])
    size = runs["first"][0].counts["imports"]
    rep.add("## Import: %d workflows promoted dev -> staging, T = 1 s" % size, "",
            "| variant | runs | wall s (median) | ratio to the first run | exports | uploads | imports | polls |",
            "|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, key in (("workflow_import, first run (everything changes)", "first"),
                       ("workflow_import, unchanged rerun", "rerun"), (TITLES["reference_import"], "reference_import")):
        counts = runs[key][0].counts
        rep.add("| %s | %d | %s | %sx | %d | %d | %d | %d |" % (
            label, len(runs[key]), fmt(median_wall(runs[key]), 2), fmt(median_wall(runs[key]) / first), counts["posts"],
            counts["uploads"], counts["imports"], counts["polls"]))
    rep.add("")
    rep.target("import %d wf: hand-written / first run >= %sx" % (size, fmt(IMPORT_RATIO_TARGET, 0)),
               "%sx" % fmt(reference / first), reference / first >= IMPORT_RATIO_TARGET)
    rep.target("import %d wf: unchanged rerun <= T + %s s" % (size, SCALE_MARGIN), "T + %s s" % fmt(rerun - duration, 2),
               rerun <= duration + SCALE_MARGIN)


def report_fleet(rep, fleet):
    runs, count = fleet["runs"], fleet["workflows"]
    one = runs[(1, 1)]
    rep.add("## A fleet: one stage of N tenants x %d workflows, T = %s s" % (count, fmt(fleet["duration"])), "",
            "`koreai.ai_for_process.promote -f FORKS -e promote_workflows_compare=changed` over one stage (the group "
            "`tenants`) on one emulator host; N = 1 is one environment's time. CPU: ansible-playbook, its workers and "
            "the module processes; peak RSS: the largest of them; requests per workflow: every request the emulator "
            "saw / (N x %d); the bound: %s x (N / forks), in one environment's times; the CPU floor: the CPU of the "
            "controller and the emulator over this machine's %d cores, the shortest wall time they allow, in one "
            "environment's times." % (count, fmt(FLEET_TARGET), CORES), "",
            "| N | forks | run | wall s | ratio to one environment | bound | CPU floor | controller CPU s | emulator CPU s | "
            "peak RSS MB | requests/wf | export jobs | imports |",
            "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (tenants, forks), kinds in sorted(runs.items()):
        for kind, title in FLEET_KINDS.items():
            run, ratio, bound = kinds[kind], kinds[kind].wall / one[kind].wall, FLEET_TARGET * tenants / forks
            floor = (run.cpu + run.server_cpu) / CORES / one[kind].wall
            rep.add("| %d | %d | %s | %s | %sx | %s | %sx | %s | %s | %s | %s | %d | %d |" % (
                tenants, forks, title, fmt(run.wall, 2), fmt(ratio, 2), fmt(bound, 1) + "x" if tenants >= forks else "-",
                fmt(floor, 1), fmt(run.cpu), fmt(run.server_cpu), fmt(run.max_rss_mb, 0),
                fmt(run.counts["requests"] / (tenants * count), 2), run.counts["posts"], run.counts["imports"]))
            if tenants == FLEET_TARGET_SIZE:
                rep.target("%d tenants, forks %d, %s: wall <= %s x (%d / %d) x one environment's" % (
                    tenants, forks, title, fmt(FLEET_TARGET), tenants, forks), "%sx (bound %sx, CPU floor %sx)" % (
                    fmt(ratio, 2), fmt(bound, 1), fmt(floor, 1)), ratio <= bound)
                rep.target("%d tenants, forks %d, %s: wall <= %s x the larger of (%d / %d) and the CPU floor" % (
                    tenants, forks, title, fmt(FLEET_TARGET), tenants, forks), "%sx (%sx)" % (
                    fmt(ratio, 2), fmt(FLEET_TARGET * max(tenants / forks, floor), 1)),
                    ratio <= FLEET_TARGET * max(tenants / forks, floor))
    report_fleet_targets(rep, runs, count)
    rep.add("")


def report_fleet_targets(rep, runs, count):
    """The fleet's targets that hold whatever the controller's cores: requests, CPU per tenant, memory."""
    requests = max(kinds["unchanged"].counts["requests"] for kinds in runs.values())
    rep.target("unchanged rerun with compare: changed sends no request, no export job (every N)",
               "%d requests, %d export jobs" % (requests, max(kinds["unchanged"].counts["posts"] for kinds in runs.values())),
               requests == 0)
    largest = max(tenants for tenants, _forks in runs)
    one = runs[(1, 1)]["unchanged"].cpu
    per_tenant = max((kinds["unchanged"].cpu - one) / (tenants - 1) for (tenants, _forks), kinds in runs.items()
                     if tenants == largest > 1)
    rep.target("unchanged rerun, compare: changed: controller CPU per additional tenant <= %s s (N = %d)" % (
        fmt(FLEET_CPU_PER_TENANT, 2), largest), "%s s" % fmt(per_tenant, 2), per_tenant <= FLEET_CPU_PER_TENANT)
    one_changed = max(kinds["one_changed"].counts["requests"] / (tenants * count) for (tenants, _forks), kinds in runs.items())
    rep.target("one workflow changed: requests per workflow of the fleet <= %s (every N)" % fmt(FLEET_REQUESTS_ONE_CHANGED),
               fmt(one_changed, 2), one_changed <= FLEET_REQUESTS_ONE_CHANGED)
    rss = max(run.max_rss_mb for kinds in runs.values() for run in kinds.values())
    rep.target("peak RSS of any fleet run <= %d MB" % FLEET_RSS_MB, "%s MB" % fmt(rss, 0), rss <= FLEET_RSS_MB)


def report_startup(rep, startup):
    tenants = startup["tenants"]
    rep.add("## The promote role per environment, before and now", "",
            "Unchanged reruns of one workflow per environment (T = 0.1 s), `-f 1` (the environments one after the "
            "other), gate off, medians of %d runs each; per additional environment: (the run of %d environments - the "
            "run of one) / %d." % (len(next(iter(startup["runs"].values()))[1]), tenants, tenants - 1), "",
            "| role | tasks started, one environment | wall, one environment s | wall, %d environments s | per additional "
            "environment: wall s | CPU s | requests |" % tenants, "|---|---:|---:|---:|---:|---:|---:|")
    for label, runs in startup["runs"].items():
        one, many = runs[1], runs[tenants]
        cpu_one, cpu_many = (statistics.median(run.cpu for run in side) for side in (one, many))
        rep.add("| %s | %d | %s | %s | %s | %s | %s |" % (
            label, len(one[0].tasks), fmt(median_wall(one), 2), fmt(median_wall(many), 2),
            fmt((median_wall(many) - median_wall(one)) / (tenants - 1), 3), fmt((cpu_many - cpu_one) / (tenants - 1), 3),
            fmt(many[0].counts["requests"] / tenants, 1)))
    rep.add("")


def task_spans(run):
    """(name, seconds) of each task of a run, from its start to the next task's start (the last: to its end);
    a task that made API requests is split into start-up, HTTP and finish."""
    spans = [("Ansible start-up (to the first task)", run.tasks[0]["start"] - run.started)] if run.tasks else []
    for index, task in enumerate(run.tasks):
        end = run.tasks[index + 1]["start"] if index + 1 < len(run.tasks) else (task["end"] or task["start"])
        if task["start"] <= run.first_request <= end and run.first_request != run.started:
            spans += [(task["name"] + ": start-up to the first request", run.first_request - task["start"]),
                      (task["name"] + ": HTTP (first to last request)", run.last_request - run.first_request),
                      (task["name"] + ": after the last request", end - run.last_request)]
        else:
            spans.append((task["name"], end - task["start"]))
    if run.tasks:
        last = run.tasks[-1]
        spans.append(("Ansible exit (after the last task)", run.started + run.wall - (last["end"] or last["start"])))
    return spans


def median_spans(runs):
    names, values = [], {}
    for run in runs:
        for name, seconds in task_spans(run):
            if name not in values:
                names.append(name)
            values.setdefault(name, []).append(seconds)
    return [(name, statistics.median(values[name])) for name in names]


def report_overhead(rep, results):
    rep.add("## Where the time goes", "")
    if "ratio" in results:
        runs = results["ratio"]["role"]
        rep.add("The role at 20 workflows, T = 1 s (medians of %d runs, wall %s s; bench_task_times callback and the "
                "emulator's log):" % (len(runs), fmt(median_wall(runs), 2)), "", "| step | s |", "|---|---:|")
        rep.add(*("| %s | %s |" % (name.replace("|", "/"), fmt(seconds, 3)) for name, seconds in median_spans(runs)))
        runs = results["ratio"]["floor"]
        rep.add("", "The floor (%s, medians of %d runs, wall %s s):" % (TITLES["floor"], len(runs), fmt(median_wall(runs), 2)),
                "", "| step | s |", "|---|---:|")
        rep.add(*("| %s | %s |" % (name, fmt(seconds, 3)) for name, seconds in median_spans(runs)))
        rep.add("")
    if "overhead" in results:
        runs = results["overhead"]["baseline"]
        rep.add("Ansible alone on the same inventory (%s, medians of %d runs, wall %s s):" % (
            TITLES["baseline"], len(runs), fmt(median_wall(runs), 2)), "", "| step | s |", "|---|---:|")
        rep.add(*("| %s | %s |" % (name, fmt(seconds, 3)) for name, seconds in median_spans(runs)))
        rep.add("", "Import time in a fresh interpreter (medians): " + ", ".join(
            "%s %s s" % (name, fmt(seconds, 3)) for name, seconds in results["overhead"]["imports"].items()) + ".", "")


def report_memory(rep, memory):
    rep.add("## Memory", "",
            "One workflow padded with %d MiB (archive of %d bytes): peak RSS of the module process, measured by running "
            "the module's interpreter under `launch.py`: workflow_export **%s MB** (%s s), workflow_import **%s MB** "
            "(%s s; it exports the padded target twice, to compare and to verify, and uploads only the three JSON "
            "members: %s uploads, %s import)." % (
                memory["size_mb"], memory["archive_bytes"], fmt(memory["export_rss_mb"]), fmt(memory["export_wall"]),
                fmt(memory["import_rss_mb"]), fmt(memory["import_wall"]), memory["import_counts"]["uploads"],
                memory["import_counts"]["imports"]), "")
    for name in ("export", "import"):
        rss = memory["%s_rss_mb" % name]
        rep.target("peak RSS <= %d MB, %s of a %d MB workflow" % (MEMORY_TARGET_MB, name, memory["size_mb"]),
                   "%s MB" % fmt(rss), rss <= MEMORY_TARGET_MB)


def machine():
    """Where and with what the benchmark ran."""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
    version = subprocess.run([os.path.join(BIN, "ansible-playbook"), "--version"], capture_output=True, text=True, check=True)
    return {"nproc": os.cpu_count(), "cpu": models[0] if models else platform.processor(),
            "python": platform.python_version(), "ansible": version.stdout.splitlines()[0]}


def load_average():
    with open("/proc/loadavg", encoding="utf-8") as handle:
        return " ".join(handle.read().split()[:3])


def report(args, results, download, load_before, profile_path):
    """The whole markdown report; also returns the target rows."""
    rep = Report()
    if "ratio" in results:
        report_ratio(rep, results)
    if "scale" in results:
        report_scale(rep, results)
    if "overshoot" in results:
        report_overshoot(rep, results, schedule())
    if "import" in results:
        report_import(rep, results)
    report_overhead(rep, results)
    if "memory" in results:
        report_memory(rep, results["memory"])
    if "fleet" in results:
        report_fleet(rep, results["fleet"])
    if "startup" in results:
        report_startup(rep, results["startup"])
    info = machine()
    head = [
        "# Benchmark: the export_workflows role and workflow_import against hand-written playbooks", "",
        "Command: `%s`  " % " ".join(["tests/benchmark/run.sh"] + sys.argv[1:]),
        "Date: %s  " % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "Machine: %d CPUs (%s), Python %s, %s; load average before %s, after %s (other jobs share this machine: "
        "compare ratios from one run, not absolute times)." % (
            info["nproc"], info["cpu"], info["python"], info["ansible"], load_before, load_average()),
        "Emulator: archives of %d bytes, shape `table`, plain HTTP on localhost; environments are inventory hosts "
        "(local connection, default forks). One download takes %s s." % (download["archive_bytes"], fmt(download["download"], 3)),
        "", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    head += ["| %s | %s | %s |" % (name, measured, "PASS" if met else "**FAIL**") for name, measured, met in rep.targets]
    tail = ["", "py-spy profile of the role at the scale case (speedscope format): `%s`." % profile_path] if profile_path else []
    return "\n".join(head + [""] + rep.lines + tail) + "\n", rep.targets


# --- main ------------------------------------------------------------------------------


SECTION_FUNCTIONS = {"ratio": ratio_section, "scale": scale_section, "overshoot": overshoot_section,
                     "import": import_section, "overhead": overhead_section, "memory": memory_section,
                     "fleet": fleet_section, "startup": startup_section}


def main(argv=None):
    """Run the benchmark, print the targets and write the report."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="koreai-bench-")
    emulator_args = ["--job-duration", "1", "--workflows", str(max(200, args.sizes["imports"])), "--no-https",
                     "--shape", "table", "--download-padding", str(args.archive_padding)]
    load_before = load_average()
    results, profile_path = {}, None
    try:
        with Emulator.start(*emulator_args, python=sys.executable) as emu:
            download = download_cost(emu, 0.2)
            for section in SECTIONS + OPTIONAL_SECTIONS:
                if section in args.sections and not (section == "memory" and not args.sizes["memory_mb"]):
                    results[section] = SECTION_FUNCTIONS[section](emu, workdir, args)
            if args.py_spy:
                profile_path = py_spy_profile(emu, workdir, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text, targets = report(args, results, download, load_before, profile_path)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = [os.path.join(args.out, "%s.md" % stamp)]
    if args.out == DEFAULT_OUT and args.profile != "smoke" and set(args.sections) == set(SECTIONS):
        paths.append(os.path.join(HERE, "RESULTS.md"))
    for path in paths:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    print(text)
    print("Targets:")
    for name, measured, met in targets:
        print("  %-4s %-62s %s" % ("PASS" if met else "FAIL", name, measured))
    print("Report: %s" % ", ".join(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
