#!/usr/bin/env bash
# The main job, end to end: a virtualenv with ansible-core and requests, the collection built and
# installed from its tarball, the bundled emulator started, the export_workflows role run against
# two emulated environments (dev, staging), then dev's reviewed tree promoted into staging and prod
# with the promote_workflows role (plan, then apply), then the emulator stopped.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$REPO/.venv}
OUT=${OUT:-$REPO/demo-output}
STATE="$VENV/emulator-state.json"

# shellcheck source=tests/ci/lib.sh
. "$REPO/tests/ci/lib.sh"

setup_controller "$VENV" "$REPO/tests/requirements/ansible-2.19.txt"

echo "=== starting the AI for Process emulator"
python "$REPO/tests/emulator/server.py" --daemon --state-file "$STATE" --port "${DEMO_PORT:-18471}" --no-https --job-duration 2 --idle-exit 300 >/dev/null
emulator_pid=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$STATE")
trap 'kill "$emulator_pid" 2>/dev/null || true' EXIT
export KOREAI_DEMO_STATE="$STATE"

echo "=== ansible-playbook koreai.ai_for_process.export (two environments)"
ansible-playbook koreai.ai_for_process.export -i "$REPO/tests/demo/inventory.yml" -e "export_workflows_dest=$OUT"

# The emulator starts afresh each time: ids recorded by an earlier demo name workflows it no longer has.
rm -rf "$OUT/ids" "$OUT/promotions"

echo "=== ansible-playbook koreai.ai_for_process.promote --check (the plan: dev's tree into staging, then prod)"
ansible-playbook koreai.ai_for_process.promote -i "$REPO/tests/demo/targets.yml" -e "promote_workflows_src=$OUT/dev" --check \
  -e "promote_workflows_backup_dir=$OUT/backups/{{ inventory_hostname }}"

echo "=== ansible-playbook koreai.ai_for_process.promote (the apply)"
ansible-playbook koreai.ai_for_process.promote -i "$REPO/tests/demo/targets.yml" -e "promote_workflows_src=$OUT/dev" \
  -e "promote_workflows_backup_dir=$OUT/backups/{{ inventory_hostname }}"

echo "=== exported files:"
for env in dev staging; do
  archives=("$OUT/$env"/*.zip)
  echo "  $OUT/$env/            (${#archives[@]} archives)"
  echo "  $OUT/$env/manifest.json"
  echo "  $OUT/$env/extracted/  (pretty-printed JSON for review)"
done
echo "  $OUT/ids/staging.yml, $OUT/ids/prod.yml   (each environment's workflow ids, to commit)"
echo "  $OUT/promotions/                          (each environment's promotion report)"
echo "  $OUT/backups/                             (the targets' previous exports, secrets in clear: never commit)"
