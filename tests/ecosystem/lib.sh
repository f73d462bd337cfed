# shellcheck shell=bash
# Shared by tests/ecosystem/run.sh and tests/ecosystem/build-docs.sh (sourced, not run).
# Needs only PyPI (and Debian's packages for the optional headless browser).

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/ci/lib.sh
. "$REPO/tests/ci/lib.sh"
HERE="$REPO/tests/ecosystem"
WORK=${WORK:-${TMPDIR:-/tmp}/koreai-ci-$(id -u)}
VENV="$WORK/venv-ecosystem"
REQUIREMENTS="$REPO/tests/requirements/ecosystem.txt"
ECO="$WORK/${ECO_NAME:-ecosystem}"                        # scratch space of one run, wiped at its start
STAGE="$ECO/src/ansible_collections/koreai/ai_for_process" # what git sees, as a collection tree
DIST="$ECO/dist"                                           # the built tarball
COLLECTIONS="$ECO/collections"                             # the tarball installed (ansible_collections/ below)
TARBALL=""

pick_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "no Python 3.11 or newer found (set PYTHON=...)" >&2
  return 1
}

# The venv is reused while tests/requirements/ecosystem.txt is unchanged.
make_ecosystem_venv() {
  make_venv "$VENV" "$(pick_python)" "$REQUIREMENTS"
  export PATH="$VENV/bin:$PATH"
  export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
}

# A fresh scratch space holding what git sees as a collection tree.
stage_ecosystem() {
  rm -rf "$ECO"
  mkdir -p "$DIST" "$COLLECTIONS"
  stage_collection "$REPO" "$STAGE"
}

# Build the tarball from the staged tree and install it, as a user of the collection would.
build_collection() {
  TARBALL=$(install_collection "$STAGE" "$DIST" "$COLLECTIONS")
  echo "=== built $(basename "$TARBALL") ($(du -k "$TARBALL" | cut -f1) KiB) and installed it into $COLLECTIONS"
}

# Build the docsite of the installed collection into $1 (HTML in $1/build/html), offline, warnings as errors.
build_docsite() {
  local dest=$1
  rm -rf "$dest"
  mkdir -p "$dest"
  ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS" antsibull-docs sphinx-init --use-current --fail-on-error \
    --project "koreai.ai_for_process" --copyright "contributors to koreai.ai_for_process" \
    --title "koreai.ai_for_process" --dest-dir "$dest" koreai.ai_for_process >/dev/null
  # What the generated requirements.txt asks for is pinned in tests/requirements/ecosystem.txt:
  # check that it is all installed, without reaching any index.
  if ! pip install -q --disable-pip-version-check --no-index -r "$dest/requirements.txt" >"$dest/pip-check.log" 2>&1; then
    cat "$dest/pip-check.log"
    echo "antsibull-docs sphinx-init asks for packages that tests/requirements/ecosystem.txt does not pin" >&2
    return 1
  fi
  cat "$HERE/conf_offline.py" >>"$dest/conf.py"
  if ! ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS" "$dest/build.sh" >"$dest/build.log" 2>&1; then
    grep -E 'WARNING|ERROR|rror' "$dest/build.log" | head -40 || tail -40 "$dest/build.log"
    echo "the docsite build failed; full log: $dest/build.log" >&2
    return 1
  fi
}
