# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every example of the collection's docs against the API emulator: YAML examples and console commands.

Found automatically, in document order: the ``yaml``/``yml``/``yaml+jinja`` and the ``bash``/``console``/``shell``
code blocks of README.md, roles/*/README.md and docs/docsite/rst/*.rst, and the EXAMPLES of plugins/modules/*.py.
Each document's examples run in order in a work directory of their own (so a guide's command finds what the YAML
examples before it wrote), after fixtures that stand for what the docs assume exists (see FIXTURE_FILES and
prepare_fixtures). The work directory is a git checkout on ``main`` whose ``origin`` is a bare repository of its own,
so the git store of a promotion publishes there. A YAML example is:

* a playbook (a list of plays): run with ansible-playbook;
* a task list (module EXAMPLES): run inside one play, after the PRELUDES of its document, with its PLAY_VARS;
* an inventory (``all:``): run with the collection's playbook for the role its variables name (INVENTORY_RUNS), unless
  it is a named file that a console command of its document runs with ``-i``;
* a file the docs name in its first line (``# ids/prod.yml``): written there, for the examples after it;
* anything else, or an example listed in SKIP: only parsed (and syntax-checked when it is a playbook), and
  reported; an example that is neither runnable nor in SKIP fails the run.

A console example is one ``ansible-playbook`` command, or one ``ansible`` command of a ``koreai.ai_for_process``
module, of a console block (``$`` prompts, backslash continuations and comments understood); it runs with bash
after the document's ``export NAME=value`` lines before it. Other lines (``read -rs``, git, editors, ansible-vault)
are not run: the harness gives what they stand for. A console example in SKIP is only parsed (``--syntax-check``
for a playbook). A restore (workflow_import with ``carry_source_secrets=true``) is checked after it ran: the
workflow holds again the members and secret values it held when the document started, and is deployed; a command
in UNCHANGED must report ``changed=0``.

Placeholders map to the emulator: SUBSTITUTIONS rewrite hosts and absolute paths; every workflow or tool id an
example names is seeded in every emulated environment (with its flow id where the example gives one); every
``vault_*`` variable is the emulator key of the environment its name says (dev, staging, prod; dev otherwise),
and KOREAI_HOST / KOREAI_API_KEY / KOREAI_<ENV>_API_KEY are set (KOREAI_API_KEY is dev's). Console commands also get
CONSOLE_SUBSTITUTIONS and, as they run, the names only a run knows (a backup's timestamp, a dock status id: see
runnable). Nothing is left behind: the work directory and the emulator go away at the end.
Usage: run_examples.py [--collection-root DIR] [--only DOCUMENT] [--verbose]
"""

import argparse
import ast
import glob
import json
import os
import re
import shlex
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
CONSOLE_LANGUAGES = ("bash", "console", "shell", "sh")
ENVIRONMENTS = ("dev", "staging", "prod")
AD_HOC_ENVIRONMENT = "dev"  # the environment of KOREAI_API_KEY, which ad-hoc commands use
COMMAND_TIMEOUT = 600

# Placeholder -> what it becomes here ({url}: the emulator, {work}: the document's work directory).
SUBSTITUTIONS = (
    (r"https://[A-Za-z0-9.-]*(?:kore\.ai|example\.com|domain\.ai)/?(?=[\s\"'}]|$)", "{url}"),
    (r"(?<![\w.])/srv/", "{work}/srv/"),
)
# And in console commands: nothing is left in /tmp; a key file per environment holds its emulator key; a vault
# password is asked of nobody.
CONSOLE_SUBSTITUTIONS = (
    (r"(?<![\w.~])/tmp/", "{work}/tmp/"),
    (r"~/\.config/koreai/", "{work}/keys/"),
    (r"--ask-vault-pass\b", "--vault-password-file {work}/.vault-password"),
)

# (document, title) -> why the example cannot run here (AWX, GitHub-only steps, the network). It is still parsed,
# and syntax-checked when it is a playbook, a task list or an ansible-playbook command (modules of collections not
# installed here pass). A console example's title is its command's first line, without prompt and comment.
SKIP = {
    ("docs/docsite/rst/getting_started.rst", "collections"):
        "a requirements.yml for ansible-galaxy: installing from Galaxy needs the network",
    ("docs/docsite/rst/promotion_pipeline.rst", "invoice-approval"):
        "an excerpt of ids/staging.yml shown for its shape; the promotion examples write that file themselves",
    ("docs/docsite/rst/promotion_pipeline.rst", "secret_values"):
        "an excerpt of the option's value shown for its pointers; the workflow_import integration target runs them",
    ("docs/docsite/rst/awx.rst", "ansible.builtin.import_playbook"):
        "a project's one-line playbook importing koreai.ai_for_process.promote, which the other guides' commands run",
    ("docs/docsite/rst/awx.rst", "ansible-playbook koreai.ai_for_process.controller_setup -e @controller.yml "
                                 "--ask-vault-pass"):
        "creates a credential type and credentials on an AWX/AAP controller, with awx.awx: neither is here",
    ("docs/docsite/rst/awx.rst", "ansible-playbook koreai.ai_for_process.controller_job_templates -e @controller.yml"):
        "creates job templates on an AWX/AAP controller, with awx.awx: neither is here",
    ("roles/promote_workflows/README.md",
     "ansible-playbook koreai.ai_for_process.promote -i targets.yml -e '{\"promote_workflows_hosts\": [\"staging\", "
     "\"prods\"]}'"):
        "shown before the README's inventory, which has no group prods; the collection README's stage command runs",
    ("roles/promote_workflows/README.md",
     "ansible-playbook koreai.ai_for_process.promote -i targets.yml -e promote_workflows_hosts=staging,prods"):
        "shown before the README's inventory, which has no group prods; the collection README's stage command runs",
}

# Console examples the docs say change nothing (a rerun): every host of their PLAY RECAP must show changed=0.
UNCHANGED = {
    ("README.md", "ansible-playbook koreai.ai_for_process.promote -i targets.yml -e "
                  "'{\"promote_workflows_hosts\": [\"staging\", \"prod\"]}'"),
}

# Tasks run before a document's task-list examples, for the registered results those examples use.
PRELUDES = {
    "plugins/modules/dock_status_info.py": [
        {"name": "Start an export (prelude)", "koreai.ai_for_process.workflow_export": {
            "workflow_id": "a-5e1f0c2d", "flow_id": "cf-8b21d3", "wait": False}, "register": "started"}],
}

# Variables of the play that runs a document's task-list examples: the role variables they name ({url}, {staging}:
# the emulator and its key of staging).
PLAY_VARS = {
    "plugins/modules/promotion.py": {"promote_workflows_host": "{url}", "promote_workflows_api_key": "{staging}"},
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
# What a syntax check says of modules of collections not installed here (awx.awx).
NOT_INSTALLED = ("couldn't resolve module/action", "could not resolve the module_defaults group")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
BACKUP_NAME = re.compile(r"(?P<dir>(?:[\w.-]+/)*)(?P<id>[at]-[0-9a-z]+)\.\d{8}T\d{6}(?:\.\d+)?Z(?P<name>(?:\.[\w-]+)?)\.zip")
DOCK_STATUS_ID = re.compile(r"\bds-[0-9a-z]+\b")
RECAP_CHANGED = re.compile(r"^\S+\s+: ok=\d+\s+changed=(\d+)", re.M)
RETURNED_DOCK_STATUS_ID = re.compile(r'"dock_status_id": "([^"]+)"')
REWRITTEN_ON_IMPORT = ("updatedAt",)  # what the emulator's import stamps on a workflow it keeps the id of


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
        self.runs_itself = True

    @property
    def key(self):
        return (self.source, self.title)


class ConsoleExample:
    """One ansible or ansible-playbook command of a console block, with the document's exports before it."""

    kind = "console"
    file_name = None

    def __init__(self, source, raw, command, exports):
        self.source, self.text, self.exports, self.error = source, command, exports, None
        self.title = re.sub(r"\s+#.*$", "", raw.splitlines()[0].rstrip(" \\")).strip()
        self.words = shell_words(command)
        self.program = program_of(self.words)
        self.module = option_value(self.words, "-m")
        self.document = dict(pair.split("=", 1) for pair in shell_words(option_value(self.words, "-a") or "")
                             if "=" in pair)

    @property
    def key(self):
        return (self.source, self.title)

    @property
    def restores(self):
        """The workflow this command restores (workflow_import of a backup with carry_source_secrets=true), or None."""
        restoring = (self.module or "").endswith(".workflow_import") and \
            self.document.get("carry_source_secrets", "").lower() in ("true", "yes", "1")
        return self.document.get("workflow_id") if restoring else None

    def inventories(self):
        return [value for flag, value in zip(self.words, self.words[1:]) if flag in ("-i", "--inventory")]


def shell_words(command):
    """The words of a shell command (comments left out), or [] when it is not valid shell."""
    try:
        return shlex.split(command.replace("\\\n", " "), comments=True)
    except ValueError:
        return []


def program_of(words):
    """The program a command runs, after its NAME=value assignments."""
    return next((word for word in words if not ASSIGNMENT.match(word)), "")


def option_value(words, flag):
    return next((value for option, value in zip(words, words[1:]) if option == flag), None)


def is_ansible_command(words):
    """An ansible-playbook command, or an ansible command of one of the collection's modules."""
    program = program_of(words)
    return program == "ansible-playbook" or (
        program == "ansible" and (option_value(words, "-m") or "").startswith("koreai.ai_for_process."))


def console_commands(text):
    """The commands of a console block: prompts stripped, continuations joined; in a block with prompts, the lines
    without one (output) left out."""
    lines = text.splitlines()
    prompted = any(line.startswith("$ ") for line in lines)
    commands, current = [], None
    for line in lines:
        if current is None:
            if prompted and not line.startswith("$ "):
                continue
            current = line[2:] if prompted else line
        else:
            current += "\n" + line
        if not current.rstrip().endswith("\\"):
            commands.append(current)
            current = None
    return [command for command in commands + [current or ""] if command.strip()]


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
    """[(language, text)] of the YAML and console code blocks of a Markdown or reStructuredText file, in order, or a
    module's EXAMPLES."""
    languages = YAML_LANGUAGES + CONSOLE_LANGUAGES
    if path.endswith(".md"):
        return [(match.group(1), match.group(2)) for match in re.finditer(r"^```(\S*)\n(.*?)^```", text, re.S | re.M)
                if match.group(1) in languages]
    if path.endswith(".rst"):
        found = []
        for match in re.finditer(r"^( *)\.\. code-block:: (\S+)\n((?:\1 +\S.*\n|[ \t]*\n)+)", text, re.M):
            if match.group(2) in languages:
                lines = match.group(3).splitlines()
                indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
                found.append((match.group(2), "\n".join(line[indent:] for line in lines) + "\n"))
        return found
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
            return [("yaml", node.value.value)]
    return []


def collect(root):
    """{document: [(language, raw text)]} for every source, in a stable order."""
    found = {}
    for pattern in SOURCES:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            with open(path, encoding="utf-8") as handle:
                blocks = blocks_of(path, handle.read())
            if blocks:
                found[os.path.relpath(path, root)] = blocks
    return found


def substituted(text, url, work, table=SUBSTITUTIONS):
    for pattern, replacement in table:
        text = re.sub(pattern, replacement.format(url=url, work=work).replace("\\", "\\\\"), text)
    return text


def examples_of(source, blocks, url, work):
    """The examples of one document in order: each YAML block, and each ansible command of its console blocks
    (with the document's export lines before it, as one shell session would have them)."""
    examples, exports = [], []
    for language, text in blocks:
        if language in YAML_LANGUAGES:
            examples.append(Example(source, substituted(text, url, work)))
            continue
        for raw in console_commands(text):
            command = substituted(substituted(raw, url, work), url, work, CONSOLE_SUBSTITUTIONS)
            words = shell_words(command)
            if words[:1] == ["export"]:
                exports.append(command)
            elif is_ansible_command(words):
                examples.append(ConsoleExample(source, raw, command, list(exports)))
    inventories = {name for example in examples if example.kind == "console" for name in example.inventories()}
    for example in examples:
        example.runs_itself = example.kind != "inventory" or example.file_name not in inventories
    return examples


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
        self.env = dict(os.environ, KOREAI_HOST=self.emulator.url, KOREAI_API_KEY=keys[AD_HOC_ENVIRONMENT],
                        ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                        ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                        ANSIBLE_LOCAL_TEMP=os.path.join(self.work, "ansible-tmp"), ANSIBLE_DEPRECATION_WARNINGS="0",
                        PATH=self._python_first(), GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="docs examples",
                        GIT_AUTHOR_EMAIL="docs@localhost", GIT_COMMITTER_NAME="docs examples",
                        GIT_COMMITTER_EMAIL="docs@localhost")
        for env in ENVIRONMENTS:
            self.env["KOREAI_%s_API_KEY" % env.upper()] = keys[env]
        # ansible-test names the target's directory: an ad-hoc command of the docs runs its modules in the directory it
        # is typed in, as a user's shell does.
        self.env.pop("ANSIBLE_PLAYBOOK_DIR", None)

    def _python_first(self):
        """PATH with a python3 that is this Python first, as the docs' $(command -v python3) expects."""
        shim = os.path.join(self.work, "bin")
        os.makedirs(shim)
        os.symlink(sys.executable, os.path.join(shim, "python3"))
        return shim + os.pathsep + os.environ.get("PATH", "")

    def stop(self):
        if self.emulator is not None:
            self.emulator.stop()

    def ansible(self, cwd, args):
        """Run ansible-playbook (or another ansible command) in cwd; return (ok, output)."""
        command = args[0] if args[0].startswith("ansible") else "ansible-playbook"
        argv = [command] + (args[1:] if command == args[0] else args)
        if command == "ansible-playbook":
            argv += ["-e", "@" + os.path.join(self.work, "extra-vars.json")]
        return self.run(cwd, argv)

    def run(self, cwd, argv):
        """Run a command in cwd with the harness's environment; return (ok, output)."""
        try:
            done = subprocess.run(argv, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, check=False, timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            return False, "%s\ndid not finish within %d seconds" % (exc.output or "", COMMAND_TIMEOUT)
        return done.returncode == 0, done.stdout

    def shell(self, cwd, script):
        """Run a console example's script with bash, stopping at its first failing line."""
        return self.run(cwd, ["bash", "-e", "-c", script])

    def prepare_fixtures(self):
        """A directory holding dev's exports (archives and review tree), each environment's variables files, a key
        file per environment and a vault password file."""
        template = os.path.join(self.work, "fixtures")
        os.makedirs(os.path.join(template, "exports", "dev"))
        os.makedirs(os.path.join(template, "srv", "backups", "workflows"))
        files = dict(FIXTURE_FILES, **{".vault-password": "docs-examples\n"})
        files.update({"keys/%s.key" % env: key for env, key in self.emulator.keys.items() if env in ENVIRONMENTS})
        for name, content in files.items():
            os.makedirs(os.path.dirname(os.path.join(template, name)), mode=0o700, exist_ok=True)
            with open(os.open(os.path.join(template, name), os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="utf-8") as handle:
                handle.write(content)
        play = [{"hosts": "localhost", "gather_facts": False, "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                 "tasks": [{"koreai.ai_for_process.workflow_export": {
                     "workflows": FIXTURE_EXPORTS, "dest": "exports/dev", "extract_to": "exports/dev/extracted"}}]}]
        ok, output = self.run_play(template, "fixtures.yml", play)
        if not ok:
            raise SystemExit("the fixtures could not be prepared:\n" + output)
        os.unlink(os.path.join(template, "fixtures.yml"))
        return template

    def checkout(self, template, cwd):
        """cwd: a copy of the fixtures, a git checkout of main whose origin is a bare repository of its own."""
        shutil.copytree(template, cwd)
        remote = cwd + ".git"
        steps = [["git", "init", "-q", "-b", "main", "."], ["git", "commit", "-q", "--allow-empty", "-m", "fixtures"],
                 ["git", "init", "-q", "--bare", remote], ["git", "remote", "add", "origin", remote],
                 ["git", "push", "-q", "origin", "main"]]
        for argv in steps:
            ok, output = self.run(cwd, argv)
            if not ok:
                raise SystemExit("the work directory %s could not be made a git checkout:\n%s" % (cwd, output))

    def run_play(self, cwd, name, plays):
        path = os.path.join(cwd, name)
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(plays, handle, sort_keys=False)
        return self.ansible(cwd, ["-i", "localhost,", "-c", "local", name])


def wrapped(source, tasks, url, keys):
    """A task-list example as one play, the connection set once as the docs' module_defaults do."""
    play_vars = {name: value.format(url=url, **keys) for name, value in PLAY_VARS.get(source, {}).items()}
    return [{"name": "Examples of %s" % source, "hosts": "localhost", "gather_facts": False,
             "vars": dict(play_vars, ansible_python_interpreter="{{ ansible_playbook_python }}"),
             "module_defaults": {"group/koreai.ai_for_process.ai_for_process": {"host": url, "api_key": keys.get("dev", "")}},
             "tasks": PRELUDES.get(source, []) + tasks}]


def run_example(harness, cwd, index, example, session):
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
    if example.kind == "console":
        return run_console(harness, cwd, example, session)
    if example.kind == "playbook":
        with open(os.path.join(cwd, name), "w", encoding="utf-8") as handle:
            handle.write(example.text)
        return harness.ansible(cwd, ["-i", "localhost,", "-c", "local", name])
    if example.kind == "tasks":
        return harness.run_play(cwd, name, wrapped(example.source, example.document, harness.emulator.url,
                                                   harness.emulator.keys))
    if example.kind == "inventory" and not example.runs_itself:
        return True, "written to %s, which the commands after it run" % example.file_name
    if example.kind == "inventory":
        return run_inventory(harness, cwd, example.file_name or name, example)
    if example.file_name:
        return True, "written to %s" % example.file_name
    return False, "neither runnable (playbook, task list, inventory, named file, command) nor listed in SKIP with a reason"


def check_only(harness, cwd, name, example):
    """A skipped example: parsed already; a playbook (or an ansible-playbook command) is also syntax-checked."""
    if example.kind == "console":
        if example.program != "ansible-playbook":
            return True, "parsed"
        ok, output = harness.shell(cwd, with_playbook_options(example.text, "--syntax-check"))
    elif example.kind in ("playbook", "tasks"):
        plays = yaml.safe_load(example.text) if example.kind == "playbook" else \
            wrapped(example.source, example.document, "", dict.fromkeys(ENVIRONMENTS, ""))
        with open(os.path.join(cwd, name), "w", encoding="utf-8") as handle:
            yaml.safe_dump(plays, handle, sort_keys=False)
        ok, output = harness.ansible(cwd, ["-i", "localhost,", "--syntax-check", name])
    else:
        return True, "parsed"
    if not ok and any(reason in output for reason in NOT_INSTALLED):
        return True, "parsed; its modules belong to collections not installed here"
    return ok, output


def with_playbook_options(command, *options):
    """The command with options given to ansible-playbook first (so that the command's own -e come later and win)."""
    return re.sub(r"\bansible-playbook\b", lambda match: " ".join(("ansible-playbook",) + options), command, count=1)


def runnable(harness, cwd, example, session):
    """The console example's script, with what only a run knows: the newest backup of the workflow a backup name
    names, the dock status id the document's last command returned, the directories of its /tmp paths made."""
    command = with_playbook_options(example.text, "-e", "@" + os.path.join(harness.work, "extra-vars.json"))
    command = BACKUP_NAME.sub(lambda match: newest_backup(cwd, match), command)
    if DOCK_STATUS_ID.search(command):
        if not session.get("dock_status_id"):
            raise LookupError("names a dock status id, but no command before it in the document returned one")
        command = DOCK_STATUS_ID.sub(session["dock_status_id"], command)
    for directory in re.findall(re.escape(os.path.join(cwd, "tmp")) + r"/[\w./-]*/", command):
        os.makedirs(directory, exist_ok=True)
    return "\n".join(example.exports + [command])


def newest_backup(cwd, match):
    pattern = os.path.join(cwd, match.group("dir"), "%s.*Z%s.zip" % (match.group("id"), match.group("name")))
    found = sorted(glob.glob(pattern))
    if not found:
        raise LookupError("names a backup of %s, but %s holds none" % (match.group("id"), match.group("dir") or cwd))
    return os.path.relpath(found[-1], cwd)


def run_console(harness, cwd, example, session):
    """Run a console example; remember the dock status id it returned; check a restore."""
    try:
        script = runnable(harness, cwd, example, session)
    except LookupError as exc:
        return False, str(exc)
    ok, output = harness.shell(cwd, script)
    session.update(dock_status_id=(RETURNED_DOCK_STATUS_ID.findall(output) or [session.get("dock_status_id")])[-1])
    changed = [count for count in RECAP_CHANGED.findall(output) if count != "0"]
    if ok and example.key in UNCHANGED and changed:
        return False, "%s\nthe docs say this command changes nothing, but it reported changed=%s" % (output, changed[0])
    if ok and example.restores:
        problem = restore_problem(session["before"][example.restores],
                                  harness.emulator.workflow(AD_HOC_ENVIRONMENT, example.restores))
        if problem:
            return False, "%s\nthe restore of %s did not restore it: %s" % (output, example.restores, problem)
    return ok, output


def comparable(node):
    """A workflow's documents without what the emulator stamps on import."""
    if isinstance(node, dict):
        return {key: comparable(value) for key, value in node.items() if key not in REWRITTEN_ON_IMPORT}
    if isinstance(node, list):
        return [comparable(item) for item in node]
    return node


def restore_problem(before, after):
    """Why a restored workflow (the emulator's view after) is not what it was (before), or None."""
    problems = []
    if comparable(after["members"]) != comparable(before["members"]):
        problems.append("its members differ from those it held when the document started (%s)" % ", ".join(
            sorted(name for name in set(before["members"]) | set(after["members"])
                   if comparable(before["members"].get(name)) != comparable(after["members"].get(name)))))
    if after["secret_values"] != before["secret_values"]:
        problems.append("its environment variables do not hold its own values")
    if not after["deployed"]:
        problems.append("it is not deployed")
    return "; ".join(problems) or None


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
    """Every example of one document, in order, in a git checkout of a copy of the fixtures."""
    cwd = os.path.join(harness.work, "docs", re.sub(r"[^\w.-]", "_", source))
    harness.checkout(template, cwd)
    restored = {example.restores for example in examples if example.kind == "console" and example.restores}
    session = {"before": {ident: harness.emulator.workflow(AD_HOC_ENVIRONMENT, ident) for ident in restored}}
    results = []
    for index, example in enumerate(examples):
        started = time.monotonic()
        ok, output = run_example(harness, cwd, index, example, session)
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
        parsed = {source: examples_of(source, blocks, "http://emulator.invalid", work) for source, blocks in raw.items()}
        harness.start(catalog_of(example.document for examples in parsed.values() for example in examples),
                      lambda keys: vault_vars([text for blocks in raw.values() for _language, text in blocks], keys))
        return run_all(harness, raw, bool(args.only))
    finally:
        harness.stop()
        shutil.rmtree(work, ignore_errors=True)


def run_all(harness, raw, partial=False):
    template = harness.prepare_fixtures()
    documents = {}
    for source, blocks in raw.items():
        cwd = os.path.join(harness.work, "docs", re.sub(r"[^\w.-]", "_", source))
        documents[source] = examples_of(source, blocks, harness.emulator.url, cwd)
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
