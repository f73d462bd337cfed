#!/usr/bin/env bash
# The benchmark (make bench): a virtualenv with the oldest tested controller (ansible-core 2.19) and py-spy (tests/requirements/benchmark.txt),
# the collection built and installed from its tarball, then tests/benchmark/run.py against the bundled emulator.
# Arguments go to run.py: --quick (default, about 10 minutes on 2 cores), --smoke (tiny sizes: checks the harness),
# --full (every case 3 times), --py-spy (also profile the role), --help for the rest.
# Results: tests/benchmark/results/ and RESULTS.md; the targets are printed with PASS/FAIL at the end.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${BENCH_VENV:-$REPO/.venv-bench}
# shellcheck source=tests/ci/lib.sh
. "$REPO/tests/ci/lib.sh"

setup_controller "$VENV" "$REPO/tests/requirements/benchmark.txt"

echo "=== benchmark (results in $REPO/tests/benchmark/results/)"
exec "$VENV/bin/python" "$REPO/tests/benchmark/run.py" "$@"
