# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every YAML example of the collection's docs against the API emulator.

Found automatically: the ``yaml``/``yml``/``yaml+jinja`` code blocks of README.md, roles/*/README.md and
docs/docsite/rst/*.rst, and the EXAMPLES of plugins/modules/*.py. Each document's examples run in order in a
work directory of their own (so a guide's second example finds what its first one wrote), after fixtures that
stand for what the docs assume exists (see FIXTURE_FILES and prepare_fixtures). An example is:

* a playbook (a list of plays): run with ansible-playbook;
* a task list (module EXAMPLES): run inside one play, after the PRELUDES of its document;
* an inventory (``all:``): run with the collection's playbook for the role its variables name (INVENTORY_RUNS);
* a file the docs name in its first line (``# ids/prod.yml``): written there, for the examples after it;
* anything else, or an example listed in SKIP: only parsed (and syntax-checked when it is a playbook), and
  reported; an example that is neither runnable nor in SKIP fails the run.

Placeholders map to the emulator: SUBSTITUTIONS rewrite hosts and absolute paths; every workflow or tool id an
example names is seeded in every emulated environment (with its flow id where the example gives one); every
``vault_*`` variable is the emulator key of the environment its name says (dev, staging, prod; dev otherwise),
and KOREAI_HOST / KOREAI_API_KEY / KOREAI_<ENV>_API_KEY are set. Nothing is left behind: the work directory and
the emulator go away at the end. Usage: run_examples.py [--collection-root DIR] [--only DOCUMENT] [--verbose]
"""

import argparse
import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = ("README.md", "roles/*/README.md", "docs/docsite/rst/*.rst", "plugins/modules/*.py")
YAML_LANGUAGES = ("yaml", "yml", "yaml+jinja")
ENVIRONMENTS = ("dev", "staging", "prod")

# Placeholder -> what it becomes here ({url}: the emulator, {work}: the document's work directory).
SUBSTITUTIONS = (
    (r"https://[A-Za-z0-9.-]*(?:kore\.ai|example\.com|domain\.ai)/?(?=[\s\"'}]|$)", "{url}"),
    (r"(?<![\w.])/srv/", "{work}/srv/"),
)

# (document, title) -> why the example cannot run here (AWX, GitHub-only steps, the network). It is still parsed,
# and syntax-checked when it is a playbook or a task list (modules of collections not installed here pass).
SKIP = {
    ("docs/docsite/rst/getting_started.rst", "collections"):
        "a requirements.yml for ansible-galaxy: installing from Galaxy needs the network",
    ("docs/docsite/rst/promotion_pipeline.rst", "invoice-approval"):
        "an excerpt of ids/staging.yml shown for its shape; the promotion examples write that file themselves",
    ("docs/docsite/rst/promotion_pipeline.rst", "secret_values"):
        "an excerpt of the option's value shown for its pointers; the workflow_import integration target runs them",
    ("docs/docsite/rst/awx.rst", "ansible.builtin.import_playbook"):
        "a project's one-line playbook importing koreai.ai_for_process.promote, which the inventory examples run",
}

# Tasks run before a document's task-list examples, for the registered results those examples use.
PRELUDES = {
    "plugins/modules/dock_status_info.py": [
        {"name": "Start an export (prelude)", "koreai.ai_for_process.workflow_export": {
            "workflow_id": "a-5e1f0c2d", "flow_id": "cf-8b21d3", "wait": False}, "register": "started"}],
}

# Inventory examples: the collection playbooks they are run with, by the prefix of the role variables they set.
INVENTORY_RUNS = {
    "export_workflows_": [["koreai.ai_for_process.export", "--check"], ["koreai.ai_for_process.export"]],
    "promote_workflows_": [["koreai.ai_for_process.promote", "--check", "--diff"], ["koreai.ai_for_process.promote"]],
}

# What the docs assume exists in the directory they run from, beside the exports of dev (prepare_fixtures).
FIXTURE_FILES = {
    "env/%s/%s.json" % (env, workflow): json.dumps({"variables": [
        {"key": "BASE_URL", "value": "https://%s.example.invalid/%s" % (env, workflow), "isSecured": False},
        {"key": "API_TOKEN", "value": "docs-test-token-%s-%s" % (env, workflow), "isSecured": True}]})
    for env in ("staging", "prod") for workflow in ("invoice-approval", "onboarding")
}
FIXTURE_EXPORTS = [{"workflow_id": "a-5e1f0c2d", "flow_id": "cf-8b21d3", "name": "invoice-approval"},
                   {"workflow_id": "a-77aa01be", "flow_id": "cf-1c0ffe", "name": "onboarding"}]
ID_PATTERN = re.compile(r"^[at]-[0-9a-z]+$")
FILE_COMMENT = re.compile(r"^#\s*([\w./-]+\.ya?ml)\b")


class Example:
    """One YAML example: where it is, its title (first name: or key) and its text after substitution."""

    def __init__(self, source, text):
        self.source, self.text, self.error = source, text, None
        try:
            self.document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            self.document, self.error = None, "not valid YAML: %s" % exc
        self.title = title_of(self.document) if self.error is None else text.strip().splitlines()[0]
        self.kind = kind_of(self.document) if self.error is None else "invalid"
        match = FILE_COMMENT.match(text.lstrip())
        self.file_name = match.group(1) if match else None

    @property
    def key(self):
        return (self.source, self.title)


def title_of(document):
    if isinstance(document, list) and document and isinstance(document[0], dict):
        return str(document[0].get("name") or next(iter(document[0]), ""))
    if isinstance(document, dict) and isinstance(document.get("all"), dict):
        return "inventory of " + ", ".join(document["all"].get("hosts") or {})
    if isinstance(document, dict) and document:
        return str(next(iter(document)))
    return ""


def kind_of(document):
    if isinstance(document, list) and document and all(isinstance(item, dict) for item in document):
        return "playbook" if all("hosts" in item or "import_playbook" in item or "ansible.builtin.import_playbook" in item
                                 for item in document) else "tasks"
    if isinstance(document, dict) and "all" in document:
        return "inventory"
    return "data"


def blocks_of(path, text):
    """The YAML code blocks of a Markdown or reStructuredText file, or a module's EXAMPLES."""
    if path.endswith(".md"):
        return [match.group(2) for match in re.finditer(r"^```(\S*)\n(.*?)^```", text, re.S | re.M)
                if match.group(1) in YAML_LANGUAGES]
    if path.endswith(".rst"):
        found = []
        for match in re.finditer(r"^( *)\.\. code-block:: (\S+)\n((?:\1 +\S.*\n|[ \t]*\n)+)", text, re.M):
            if match.group(2) in YAML_LANGUAGES:
                lines = match.group(3).splitlines()
                indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
                found.append("\n".join(line[indent:] for line in lines) + "\n")
        return found
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
            return [node.value.value]
    return []


def collect(root):
    """{document: [raw example text]} for every source, in a stable order."""
    found = {}
    for pattern in SOURCES:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            with open(path, encoding="utf-8") as handle:
                blocks = blocks_of(path, handle.read())
            if blocks:
                found[os.path.relpath(path, root)] = blocks
    return found


def substituted(text, url, work):
    for pattern, replacement in SUBSTITUTIONS:
        text = re.sub(pattern, replacement.format(url=url, work=work).replace("\\", "\\\\"), text)
    return text


def catalog_of(documents):
    """Every id the examples name, with its flow id where one is given: seeded in every environment."""
    entries = {}

    def walk(node):
        if isinstance(node, dict):
            ident = node.get("workflow_id") or node.get("tool_id")
            if isinstance(ident, str) and ID_PATTERN.match(ident):
                entry = entries.setdefault(ident, {"workflow_id": ident, "name": node.get("name") or ident})
                flow = node.get("flow_id") or node.get("callflow_id")
                if flow and entry.setdefault("flow_id", flow) != flow:
                    raise SystemExit("the docs give %s two flow ids: %s and %s" % (ident, entry["flow_id"], flow))
            for key, value in node.items():
                if isinstance(value, str) and ID_PATTERN.match(value) and key not in ("flow_id", "callflow_id"):
                    entries.setdefault(value, {"workflow_id": value, "name": str(key)})
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for document in documents:
        walk(document)
    for entry in FIXTURE_EXPORTS:
        entries.setdefault(entry["workflow_id"], dict(entry))
    for entry in entries.values():
        entry.setdefault("flow_id", "cf-" + entry["workflow_id"][2:])
    return {env: sorted(entries.values(), key=lambda entry: entry["workflow_id"]) for env in ENVIRONMENTS}


def vault_vars(texts, keys):
    """Every vault_* variable the examples use, as the emulator key of the environment its name says."""
    names = set(re.findall(r"\bvault_[a-z0-9_]+", "\n".join(texts)))
    return {name: keys[next((env for env in ENVIRONMENTS if env in name), "dev")] for name in sorted(names)}


class Harness:
    """The emulator, the environment every ansible-playbook gets, and the outcome of each example."""

    def __init__(self, root, work, verbose=False):
        self.root, self.work, self.verbose = root, work, verbose
        self.emulator = None
        self.env = None
        self.outcomes = []

    def start(self, catalog, vars_of):
        sys.path.insert(0, os.path.join(self.root, "tests", "emulator"))
        from control import Emulator  # pylint: disable=import-error,import-outside-toplevel
        catalog_file = os.path.join(self.work, "catalog.json")
        with open(catalog_file, "w", encoding="utf-8") as handle:
            json.dump(catalog, handle)
        self.emulator = Emulator.start("--catalog", catalog_file, "--entity", "both", "--job-duration", "0.05",
                                       "--no-https", "--parent-pid", str(os.getpid()),
                                       "--remove-on-exit", self.work)
        keys = self.emulator.keys
        extra = dict(vars_of(keys), koreai_host=self.emulator.url, koreai_api_key=keys["dev"])
        with open(os.path.join(self.work, "extra-vars.json"), "w", encoding="utf-8") as handle:
            json.dump(extra, handle)
        collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.abspath(os.path.join(self.root, "../../.."))
        self.env = dict(os.environ, KOREAI_HOST=self.emulator.url, KOREAI_API_KEY=keys["dev"],
                        ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                        ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                        ANSIBLE_LOCAL_TEMP=os.path.join(self.work, "ansible-tmp"), ANSIBLE_DEPRECATION_WARNINGS="0")
        for env in ENVIRONMENTS:
            self.env["KOREAI_%s_API_KEY" % env.upper()] = keys[env]

    def stop(self):
        if self.emulator is not None:
            self.emulator.stop()

    def ansible(self, cwd, args):
        """Run ansible-playbook (or another ansible command) in cwd; return (ok, output)."""
        command = args[0] if args[0].startswith("ansible") else "ansible-playbook"
        argv = [command] + (args[1:] if command == args[0] else args)
        if command == "ansible-playbook":
            argv += ["-e", "@" + os.path.join(self.work, "extra-vars.json")]
        done = subprocess.run(argv, cwd=cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
        return done.returncode == 0, done.stdout

    def prepare_fixtures(self):
        """A directory holding dev's exports (archives and review tree) and each environment's variables files."""
        template = os.path.join(self.work, "fixtures")
        os.makedirs(os.path.join(template, "exports", "dev"))
        os.makedirs(os.path.join(template, "srv", "backups", "workflows"))
        for name, content in FIXTURE_FILES.items():
            os.makedirs(os.path.dirname(os.path.join(template, name)), exist_ok=True)
            with open(os.path.join(template, name), "w", encoding="utf-8") as handle:
                handle.write(content)
        play = [{"hosts": "localhost", "gather_facts": False, "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                 "tasks": [{"koreai.ai_for_process.workflow_export": {
                     "workflows": FIXTURE_EXPORTS, "dest": "exports/dev", "extract_to": "exports/dev/extracted"}}]}]
        ok, output = self.run_play(template, "fixtures.yml", play)
        if not ok:
            raise SystemExit("the fixtures could not be prepared:\n" + output)
        os.unlink(os.path.join(template, "fixtures.yml"))
        return template

    def run_play(self, cwd, name, plays):
        path = os.path.join(cwd, name)
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(plays, handle, sort_keys=False)
        return self.ansible(cwd, ["-i", "localhost,", "-c", "local", name])

    def record(self, example, status, detail=""):
        self.outcomes.append((example.source, example.title, example.kind, status, detail))


def wrapped(source, tasks, url, dev_key):
    """A task-list example as one play, the connection set once as the docs' module_defaults do."""
    return [{"name": "Examples of %s" % source, "hosts": "localhost", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "module_defaults": {"group/koreai.ai_for_process.ai_for_process": {"host": url, "api_key": dev_key}},
             "tasks": PRELUDES.get(source, []) + tasks}]


def run_example(harness, cwd, index, example):
    """Run one example in cwd; return (status, output)."""
    if example.file_name:
        target = os.path.join(cwd, example.file_name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(example.text)
    name = "example-%02d.yml" % index
    if example.error:
        return False, example.error
    if example.key in SKIP:
        return check_only(harness, cwd, name, example)
    if example.kind == "playbook":
        with open(os.path.join(cwd, name), "w", encoding="utf-8") as handle:
            handle.write(example.text)
        return harness.ansible(cwd, ["-i", "localhost,", "-c", "local", name])
    if example.kind == "tasks":
        return harness.run_play(cwd, name, wrapped(example.source, example.document, harness.emulator.url,
                                                   harness.emulator.keys["dev"]))
    if example.kind == "inventory":
        return run_inventory(harness, cwd, example.file_name or name, example)
    if example.file_name:
        return True, "written to %s" % example.file_name
    return False, "neither runnable (playbook, task list, inventory, named file) nor listed in SKIP with a reason"


def check_only(harness, cwd, name, example):
    """A skipped example: parsed already; a playbook is also syntax-checked."""
    if example.kind not in ("playbook", "tasks"):
        return True, "parsed"
    plays = yaml.safe_load(example.text) if example.kind == "playbook" else wrapped(example.source, example.document, "", "")
    path = os.path.join(cwd, name)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    ok, output = harness.ansible(cwd, ["-i", "localhost,", "--syntax-check", name])
    if not ok and "couldn't resolve module/action" in output:  # e.g. awx.awx, not installed here
        return True, "parsed; its modules belong to collections not installed here"
    return ok, output


def run_inventory(harness, cwd, name, example):
    if not example.file_name:
        with open(os.path.join(cwd, name), "w", encoding="utf-8") as handle:
            handle.write(example.text)
    runs = [runs for prefix, runs in INVENTORY_RUNS.items() if prefix in example.text]
    if len(runs) != 1:
        return False, "an inventory for none or several of the roles in INVENTORY_RUNS: add how to run it"
    output = []
    for args in runs[0]:
        ok, text = harness.ansible(cwd, [args[0], "-i", name] + args[1:])
        output.append(text)
        if not ok:
            return False, "\n".join(output)
    return True, "\n".join(output)


def run_document(harness, template, source, examples):
    """Every example of one document, in order, in a copy of the fixtures."""
    cwd = os.path.join(harness.work, "docs", re.sub(r"[^\w.-]", "_", source))
    shutil.copytree(template, cwd)
    results = []
    for index, example in enumerate(examples):
        started = time.monotonic()
        ok, output = run_example(harness, cwd, index, example)
        example.seconds = time.monotonic() - started
        status = ("skipped: " + SKIP[example.key]) if example.key in SKIP and ok else ("ok" if ok else "FAILED")
        results.append((example, status, "" if ok and not harness.verbose else output[-6000:]))
        if not ok:
            break
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection-root", default=os.path.abspath(os.path.join(HERE, "..", "..")))
    parser.add_argument("--verbose", action="store_true", help="print every example's output")
    parser.add_argument("--only", action="append", help="run only this document (repeatable; SKIP is then not checked)")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.collection_root)
    work = tempfile.mkdtemp(prefix="koreai-docs-examples-")
    harness = Harness(root, work, args.verbose)
    try:
        raw = {source: blocks for source, blocks in collect(root).items() if not args.only or source in args.only}
        parsed = {}
        for source, blocks in raw.items():
            parsed[source] = [Example(source, substituted(block, "http://emulator.invalid", work)) for block in blocks]
        harness.start(catalog_of(example.document for examples in parsed.values() for example in examples),
                      lambda keys: vault_vars([block for blocks in raw.values() for block in blocks], keys))
        return run_all(harness, raw, bool(args.only))
    finally:
        harness.stop()
        shutil.rmtree(work, ignore_errors=True)


def run_all(harness, raw, partial=False):
    template = harness.prepare_fixtures()
    documents = {}
    for source, blocks in raw.items():
        cwd = os.path.join(harness.work, "docs", re.sub(r"[^\w.-]", "_", source))
        documents[source] = [Example(source, substituted(block, harness.emulator.url, cwd)) for block in blocks]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda item: run_document(harness, template, *item), documents.items()))
    failed = 0
    for results in outcomes:
        for example, status, output in results:
            print("%-40s %-50s %-9s %5.1fs %s" % (example.source, example.title[:50], example.kind, example.seconds, status))
            if output:
                print("    " + output.replace("\n", "\n    "))
            failed += status == "FAILED"
    unused = set() if partial else set(SKIP) - {example.key for examples in documents.values() for example in examples}
    for key in sorted(unused):
        print("SKIP entry matches no example (remove it): %s / %s" % key)
    total = sum(len(examples) for examples in documents.values())
    ran = sum(len(results) for results in outcomes)
    print("docs examples: %d found, %d run or checked, %d failed" % (total, ran, failed))
    return 1 if failed or unused or ran != total else 0


if __name__ == "__main__":
    sys.exit(main())
