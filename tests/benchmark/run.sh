#!/usr/bin/env bash
# The benchmark (make bench): a virtualenv with the oldest tested controller (ansible-core 2.19) and py-spy,
# the collection built and installed from its tarball, then tests/benchmark/run.py against the bundled emulator.
# Arguments go to run.py: --quick (default, about 25 minutes on 2 cores), --full (every case 3 times, hours),
# --py-spy (also profile the role), --help for the rest. Results: tests/benchmark/results/ and RESULTS.md.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${BENCH_VENV:-$REPO/.venv-bench}
REQUIREMENTS="$REPO/tests/requirements/ansible-2.19.txt"

if [ ! -x "$VENV/bin/ansible-playbook" ] || [ ! -x "$VENV/bin/py-spy" ] || ! cmp -s "$REQUIREMENTS" "$VENV/.requirements"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS" py-spy
  cp "$REQUIREMENTS" "$VENV/.requirements"
fi
export PATH="$VENV/bin:$PATH"

echo "=== building and installing the collection"
ansible-galaxy collection build --force --output-path "$VENV/dist" "$REPO" >/dev/null
ansible-galaxy collection install --force -p "$VENV/collections" "$VENV"/dist/koreai-ai_for_process-*.tar.gz >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$VENV/collections"

echo "=== benchmark (results in $REPO/tests/benchmark/results/)"
exec "$VENV/bin/python" "$REPO/tests/benchmark/run.py" "$@"
