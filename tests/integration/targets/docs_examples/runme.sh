#!/usr/bin/env bash
# Every example of the docs (README.md, roles/*/README.md, docs/docsite/rst/*.rst, module EXAMPLES), YAML and console
# commands, run against the API emulator by tests/docs/run_examples.py, which says how placeholders map and what is
# skipped.
set -euo pipefail

root=""
IFS=: read -r -a paths <<<"${ANSIBLE_COLLECTIONS_PATH:-${ANSIBLE_COLLECTIONS_PATHS:-}}"
for path in "${paths[@]}"; do
  candidate="$path/ansible_collections/koreai/ai_for_process"
  if [ -f "$candidate/tests/docs/run_examples.py" ]; then
    root=$candidate
    break
  fi
done
if [ -z "$root" ]; then
  echo "koreai.ai_for_process is not on ANSIBLE_COLLECTIONS_PATH (${ANSIBLE_COLLECTIONS_PATH:-unset})" >&2
  exit 1
fi
exec "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" "$root/tests/docs/run_examples.py" --collection-root "$root"
