#!/usr/bin/env bash
# Build the collection's docsite (antsibull-docs + Sphinx, offline, warnings are errors): the module, role and
# extra docs pages (docs/docsite/) of the collection as built and installed from its tarball.
# Usage: tests/ecosystem/build-docs.sh            -> HTML in ${WORK}/docsite/build/html (printed at the end)
#        DOCS_DEST=docs/build tests/ecosystem/build-docs.sh   -> HTML in docs/build/build/html
set -euo pipefail
ECO_NAME=docs-build  # its own scratch space: may run while tests/ecosystem/run.sh runs with the same WORK
# shellcheck source=tests/ecosystem/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST=${DOCS_DEST:-$WORK/docsite}
case $DEST in /*) ;; *) DEST="$PWD/$DEST" ;; esac
start=$SECONDS
make_ecosystem_venv
stage_ecosystem
build_collection
(cd "$STAGE" && antsibull-docs lint-collection-docs --plugin-docs .)
build_docsite "$DEST"
echo "=== docsite built in $((SECONDS - start)) s"
echo "=== open file://$DEST/build/html/index.html"
echo "    module page: file://$DEST/build/html/collections/koreai/ai_for_process/workflow_export_module.html"
