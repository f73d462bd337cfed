#!/usr/bin/env bash
# Run every test of the collection: ansible-test sanity and units on each ansible-core line, integration on the first
# two lines, ansible-lint, the release notes and the ecosystem checks (ansible-builder, ansible-runner, docs,
# galaxy-importer), in two lanes side by side (the machine has two cores).
# Needs only PyPI (no Docker). Usage: tests/ci/run-tests.sh [sanity|units|integration|lint|ecosystem ...]
# MATRIX="2.19:python3 2.16:python3 latest:/path/to/python3.13" overrides the ansible-core/Python pairs; the first is
# the main line. What runs where, to keep make test under 30 minutes on two cores (FULL_MATRICES=1 runs every
# integration target and topic on every line):
# - the main line runs every integration target and topic; the fault, bad-input and load matrices and the docs'
#   examples (MAIN_ONLY_TARGETS) exercise the collection's own Python and docs, the same on every line: they run on
#   the main line only, in the second lane;
# - the second line runs the targets of what differs between ansible-core lines (LINE_TARGETS: the roles, the
#   controller-side plugins and the modules they run) with the topics not marked `when: all_topics`;
# - further lines (the newest ansible-core on the newest Python) run sanity and units.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${WORK:-${TMPDIR:-/tmp}/koreai-ci-$(id -u)}
# A work directory this run creates (venvs, copies of the collection, logs) is removed when it ends, so that /tmp is
# left as it was; one that existed before (WORK=... kept between runs) is kept as a cache.
if [ ! -e "$WORK" ]; then
  trap 'rm -rf "$WORK"' EXIT
fi
STEPS=${*:-sanity units integration lint ecosystem}
DEST="$WORK/src/ansible_collections/koreai/ai_for_process"
# shellcheck source=tests/ci/lib.sh
. "$REPO/tests/ci/lib.sh"
# shellcheck source=tests/ci/awx.sh
. "$REPO/tests/ci/awx.sh"

# The newest ansible-core line runs on Python 3.13: pyenv's build if there is one (its shims may be broken), else any
# python3.13 on PATH that actually starts.
default_matrix() {
  local candidate
  for candidate in "$(pyenv root 2>/dev/null || echo /nonexistent)/versions/3.13.0/bin/python3.13" python3.13; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then
      echo "2.19:python3 2.16:python3 latest:$candidate"
      return
    fi
  done
  echo "NOTICE: no Python 3.13 interpreter found; the newest ansible-core line is NOT tested on this machine." >&2
  echo "2.19:python3 2.16:python3"
}
MATRIX=${MATRIX:-$(default_matrix)}

# ansible-test --venv bootstraps pip from a host unreachable here; it uses this cache file instead.
install_get_pip_standin() {
  local venv=$1 pipver cache
  pipver=$("$venv/bin/python" -c 'import ansible_test,os,re; p=os.path.join(os.path.dirname(ansible_test.__file__),"_internal","python_requirements.py"); print(re.search(r"pip=.([0-9.]+).", open(p).read()).group(1))')
  cache="$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
  [ -s "$cache" ] && return
  mkdir -p "${cache%/*}"
  cat >"$cache" <<'PY'
import glob, os, subprocess, sys, ensurepip
whl = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))[-1]
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, os.path.join(whl, "pip"), "install"] + args))
PY
}

MAIN_ONLY_TARGETS=(workflow_export_faults workflow_export_bad_input workflow_export_load docs_examples)
LINE_TARGETS=(role_promote_workflows role_export_workflows ci_report)

# run_ansible_test CORE PYTHON DEST ROLE: the requested ansible-test steps for one ansible-core line on the copy at
# DEST. ROLE: main (sanity, units, integration but MAIN_ONLY_TARGETS), main-only (integration of MAIN_ONLY_TARGETS),
# second (sanity, units, integration of LINE_TARGETS, the topics of every line), further (sanity, units).
run_ansible_test() {
  local core=$1 python=$2 dest=$3 role=$4 venv="$WORK/venv-$1" pyver step
  make_venv "$venv" "$python" "$REPO/tests/requirements/ansible-$core.txt" || return 1
  install_get_pip_standin "$venv"
  pyver=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  local extra_args=()
  read -r -a extra_args <<<"${ANSIBLE_TEST_ARGS:-}"
  for step in $STEPS; do
    case $step in sanity | units | integration) ;; *) continue ;; esac
    local line_args=() all_topics=true
    if [ "$step" = integration ] && [ ${#extra_args[@]} -eq 0 ]; then
      case $role in
        main) [ -n "${FULL_MATRICES:-}" ] || line_args=("${MAIN_ONLY_TARGETS[@]/#/--exclude=}") ;;
        main-only) line_args=("${MAIN_ONLY_TARGETS[@]}") ;;
        second) [ -n "${FULL_MATRICES:-}" ] || { all_topics=false; line_args=("${LINE_TARGETS[@]}"); } ;;
        further) [ -n "${FULL_MATRICES:-}" ] || continue ;;
      esac
    elif [ "$role" = main-only ]; then
      continue
    fi
    printf -- '---\nall_topics: %s\n' "$all_topics" >"$dest/tests/integration/integration_config.yml"
    echo "=== ansible-core $core / Python $pyver ($role): ansible-test $step ${line_args[*]}"
    local start=$SECONDS
    (cd "$dest" && PATH="$venv/bin:$PATH" ansible-test "$step" --venv --python "$pyver" --color no "${extra_args[@]}" \
      "${line_args[@]}") || return 1
    echo "=== ansible-test $step took $((SECONDS - start)) s"
  done
}

# run_lane DEST ROLE:PAIR...: the lines of PAIR... one after the other on the copy at DEST, each in its role.
run_lane() {
  local dest=$1 item role pair
  shift
  for item in "$@"; do
    role=${item%%/*} pair=${item#*/}
    run_ansible_test "${pair%%:*}" "${pair#*:}" "$dest" "$role" || return 1
  done
}

# Lane a: the main line (but its main-only targets). Lane b, on a copy of its own: the second line, the further
# lines, the main line's main-only targets, then ansible-lint and the ecosystem checks. Measured, the two lanes end
# within a few minutes of each other.
run_lines() {
  local pairs lane_a lane_b rc=0 dest_b="$WORK/src-b/ansible_collections/koreai/ai_for_process" further=() pair
  read -r -a pairs <<<"$MATRIX"
  if [ ${#pairs[@]} -lt 2 ]; then
    run_lane "$DEST" "main/${pairs[0]}" "main-only/${pairs[0]}" && run_other_checks
    return
  fi
  for pair in "${pairs[@]:2}"; do
    further+=("further/$pair")
  done
  stage_collection "$REPO" "$dest_b"
  run_lane "$DEST" "main/${pairs[0]}" >"$WORK/lane-a.log" 2>&1 &
  lane_a=$!
  { run_lane "$dest_b" "second/${pairs[1]}" "${further[@]}" "main-only/${pairs[0]}" && DEST=$dest_b run_other_checks; } \
    >"$WORK/lane-b.log" 2>&1 &
  lane_b=$!
  wait "$lane_a" || rc=1
  cat "$WORK/lane-a.log"
  wait "$lane_b" || rc=1
  cat "$WORK/lane-b.log"
  rm -rf "$dest_b/tests/output/.tmp"
  return $rc
}

run_lint() {
  local venv="$WORK/venv-lint"
  make_venv "$venv" python3 "$REPO/tests/requirements/lint.txt" || return 1
  # playbooks/controller_*.yml use awx.awx: ansible-lint resolves its modules from the copy tests/ci/awx.sh makes.
  # .ansible-lint leaves them out of a lint of the collection (Galaxy's importer has no awx.awx); named, they are linted.
  ensure_awx_collection "$WORK/awx-collections" || return 1
  echo "=== ansible-lint (production profile, offline)"
  (cd "$DEST" && ANSIBLE_COLLECTIONS_PATH="${DEST%/ansible_collections/*}:$WORK/awx-collections" "$venv/bin/ansible-lint" --offline \
    --profile production . playbooks/controller_setup.yml playbooks/controller_job_templates.yml) || return 1
  echo "=== antsibull-changelog lint"
  (cd "$DEST" && "$venv/bin/antsibull-changelog" lint) || return 1
  echo "=== release notes (antsibull-changelog release in a scratch copy; every module, role and playbook named)"
  WORK=$WORK "$REPO/tests/ci/release-notes.sh" --check
}

# run_other_checks: ansible-lint and the ecosystem checks, those of them STEPS asks for.
run_other_checks() {
  case " $STEPS " in *" lint "*) run_lint || return 1 ;; esac
  case " $STEPS " in *" ecosystem "*) WORK=$WORK "$REPO/tests/ecosystem/run.sh" || return 1 ;; esac
}

stage_collection "$REPO" "$DEST"
run_lines || { echo "=== at least one check failed (see above)" >&2; exit 1; }
rm -rf "$DEST/tests/output/.tmp"
echo "=== all requested checks passed: $STEPS on ${MATRIX}"
