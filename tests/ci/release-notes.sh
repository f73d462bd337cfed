#!/usr/bin/env bash
# The release notes of galaxy.yml's version: antsibull-changelog release (writes CHANGELOG.rst, records the release
# in changelogs/changelog.yaml and removes the fragments it consumed), then check_release_notes.py on the result.
# Usage: tests/ci/release-notes.sh           the release, in this checkout (make release-notes; commit the result)
#        tests/ci/release-notes.sh --check   the same in a scratch copy, this checkout untouched (make test)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${WORK:-${TMPDIR:-/tmp}/koreai-ci-$(id -u)}
# shellcheck source=tests/ci/lib.sh
. "$REPO/tests/ci/lib.sh"
VENV="$WORK/venv-lint"
make_venv "$VENV" python3 "$REPO/tests/requirements/lint.txt"
export PATH="$VENV/bin:$PATH"  # antsibull-changelog runs ansible-doc to find the modules
VERSION=$(sed -n 's/^version: *//p' "$REPO/galaxy.yml")

target="$REPO"
if [ "${1:-}" = --check ]; then
  target="$WORK/release-notes/ansible_collections/koreai/ai_for_process"
  stage_collection "$REPO" "$target"
fi
cd "$target"
"$VENV/bin/antsibull-changelog" lint
"$VENV/bin/antsibull-changelog" release --version "$VERSION"
"$VENV/bin/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml
"$VENV/bin/python" "$REPO/tests/ci/check_release_notes.py" "$target"
echo "=== release notes of $VERSION: $target/CHANGELOG.rst"
if [ "${1:-}" = --check ]; then
  rm -rf "$WORK/release-notes"
fi
