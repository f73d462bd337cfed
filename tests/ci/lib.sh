# shellcheck shell=bash
# Shell helpers shared by the test pipeline, the demo, the ecosystem checks and the benchmark (sourced, not run).

# make_venv VENV PYTHON REQUIREMENTS: (re)create VENV with PYTHON when REQUIREMENTS changed since it was made.
make_venv() {
  local venv=$1 python=$2 requirements=$3
  if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$venv/.requirements"; then
    return 0
  fi
  echo "=== creating $venv from ${requirements#"$REPO/"}"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  if ! "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >"$venv.log" 2>&1; then
    grep -v "^WARNING: Location" "$venv.log" | tail -30
    echo "pip install -r $requirements failed (log: $venv.log)" >&2
    return 1
  fi
  cp "$requirements" "$venv/.requirements"
}

# stage_collection REPO DEST: copy what git sees in REPO (uncommitted edits included, ignored files excluded) to DEST,
# which should end in ansible_collections/koreai/ai_for_process: ansible-test refuses any other layout.
stage_collection() {
  local repo=$1 dest=$2
  rm -rf "$dest"
  mkdir -p "$dest"
  if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
      tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$dest"
  else
    (cd "$repo" && tar --exclude=./tests/output --exclude=./.git -cf - .) | tar -xf - -C "$dest"
  fi
}

# install_collection REPO DIST_DIR COLLECTIONS_DIR: build the collection's tarball into DIST_DIR and install it
# into COLLECTIONS_DIR as a user would (ansible-galaxy from PATH); prints the tarball's path.
install_collection() {
  local repo=$1 dist=$2 collections=$3 tarball
  ansible-galaxy collection build --force --output-path "$dist" "$repo" >/dev/null
  tarball=$(find "$dist" -maxdepth 1 -name 'koreai-ai_for_process-*.tar.gz' | sort | tail -1)
  ANSIBLE_COLLECTIONS_PATH="$collections" ansible-galaxy collection install --force -p "$collections" "$tarball" >/dev/null
  echo "$tarball"
}

# setup_controller VENV REQUIREMENTS: put a venv made from REQUIREMENTS first on PATH, with the collection built
# and installed into it as a user would (ANSIBLE_COLLECTIONS_PATH points there). Needs REPO.
setup_controller() {
  local venv=$1 requirements=$2
  make_venv "$venv" python3 "$requirements"
  export PATH="$venv/bin:$PATH"
  echo "=== building and installing the collection"
  install_collection "$REPO" "$venv/dist" "$venv/collections" >/dev/null
  export ANSIBLE_COLLECTIONS_PATH="$venv/collections"
}
