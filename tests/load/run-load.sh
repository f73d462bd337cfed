#!/usr/bin/env bash
# The full-size load run (`make load`): LOAD_PER_ENV workflows (default 250) in each of two
# emulated environments (dev, staging), 500 in all, exported by the collection's workflow_export while
# the emulator injects transient faults (429, 5xx, resets, truncated downloads) into LOAD_FAULT_RATE
# (default 0.1) of all requests. It runs the integration target workflow_export_load (the test command
# runs it with 100 per environment) and prints its figures. Exits non-zero when a file is lost or wrong.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$REPO/.venv}
LOAD_PER_ENV=${LOAD_PER_ENV:-250}
LOAD_FAULT_RATE=${LOAD_FAULT_RATE:-0.1}

# shellcheck source=tests/ci/lib.sh
. "$REPO/tests/ci/lib.sh"

setup_controller "$VENV" "$REPO/tests/requirements/ansible-2.19.txt"
export ANSIBLE_ROLES_PATH="$REPO/tests/integration/targets"

work=$(mktemp -d "${TMPDIR:-/tmp}/koreai-load.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "=== load: $LOAD_PER_ENV workflows x 2 environments, fault rate $LOAD_FAULT_RATE"
start=$SECONDS
if ! ansible-playbook -i localhost, "$REPO/tests/load/load.yml" \
  -e "load_per_env=$LOAD_PER_ENV" -e "load_fault_rate=$LOAD_FAULT_RATE" \
  -e "load_figures_file=$work/figures.json" >"$work/ansible.log" 2>&1; then
  tail -40 "$work/ansible.log"
  echo "=== load run FAILED (log above)" >&2
  exit 1
fi
python3 - "$work/figures.json" "$((SECONDS - start))" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
rows = [
    ("environments", f["envs"]),
    ("workflows exported", f["workflows"]),
    ("HTTP requests", f["requests"]),
    ("faults injected (each retried)", "%s (POST %s, dock status %s, download %s)" % (
        f["faults_injected"], f["faults_by_phase"]["post"], f["faults_by_phase"]["status"], f["faults_by_phase"]["download"])),
    ("export POSTs", "%s = %s workflows + %s retries after a 429/503 that started no job" % (
        f["posts"], f["workflows"], f["post_retries_allowed"])),
    ("export jobs created", f["jobs_created"]),
    ("files checked against the expected digest", f["files_checked"]),
    ("files lost or wrong", f["files_lost"]),
    ("temp files left", f["temp_or_extra_files"]),
    ("workflows failed", f["failed_workflows"]),
    ("wall time of the exports", "%s s" % f["wall_seconds"]),
    ("wall time of the whole run", "%s s" % sys.argv[2]),
]
for name, value in rows:
    print("  %-44s %s" % (name, value))
PY
echo "=== load run passed"
