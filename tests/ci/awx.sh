# shellcheck shell=bash
# ensure_awx_collection DIR: awx.awx under DIR/ansible_collections/awx/awx, taken from the wheel that
# tests/requirements/awx.txt pins (pip download, PyPI only; kept while the pin is unchanged). Needs REPO and python3.
ensure_awx_collection() {
  local dir=$1 requirements="$REPO/tests/requirements/awx.txt" wheels
  if [ -f "$dir/ansible_collections/awx/awx/MANIFEST.json" ] && cmp -s "$requirements" "$dir/.requirements"; then
    return 0
  fi
  echo "=== extracting awx.awx from the wheel pinned in ${requirements#"$REPO/"}"
  rm -rf "$dir"
  wheels=$(mktemp -d)
  python3 -m pip download -q --disable-pip-version-check --no-deps -r "$requirements" -d "$wheels" >"$wheels/pip.log" 2>&1 ||
    { tail -5 "$wheels/pip.log"; rm -rf "$wheels"; echo "pip download -r $requirements failed" >&2; return 1; }
  python3 - "$wheels" "$dir" <<'PY'
import glob, sys, zipfile
wheels, dest = sys.argv[1:3]
with zipfile.ZipFile(glob.glob(wheels + "/ansible-*.whl")[0]) as wheel:
    wheel.extractall(dest, [name for name in wheel.namelist() if name.startswith("ansible_collections/awx/awx/")])
PY
  rm -rf "$wheels"
  cp "$requirements" "$dir/.requirements"
}
