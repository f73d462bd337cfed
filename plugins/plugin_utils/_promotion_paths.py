# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: where one environment's promotion files are, resolved against one base (the
inventory's directory), and the evidence that an environment was promoted before."""

import json
import os
from urllib.parse import quote

import yaml

from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import StoreError
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._paths import refuse_inside_collection, resolve
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._store_files import (
    default_store_file, journal_file_of, state_file_of,
)


def _ids_file(args, environment):
    """The environment's ids file: the one given, else ids/<environment>.yml beside the source tree."""
    if args.get("ids_file"):
        return args["ids_file"]
    if not args.get("src"):
        raise StoreError("set promote_workflows_ids_file: a live source has no tree to keep the ids beside")
    return default_store_file(args["src"], environment, "ids", ".yml")


def promotion_paths(args, environment, base, check_mode):
    """{base, src, ids_file, state_file, journal, lock_file, report, backup_dir, junit, markdown}, absolute; outside
    check mode a path inside the installed collection is refused."""
    ids_file = resolve(_ids_file(args, environment), base)
    report = args.get("report") or default_store_file(args.get("src"), environment, "promotions", ".json")
    paths = {"base": base, "ids_file": ids_file, "state_file": state_file_of(ids_file), "journal": journal_file_of(ids_file),
             "lock_file": ids_file + ".lock", "report": resolve(report, base),
             "backup_dir": resolve(args["backup_dir"], base) if args.get("backup_dir") else None}
    for kind, extension in (("junit", ".xml"), ("markdown", ".md")):
        directory = args.get(kind + "_dir")
        paths[kind] = resolve(os.path.join(directory, environment + extension), base) if directory else ""
    source = args.get("src") or args.get("exported_src")
    if source:
        paths["src"] = resolve(source, base)
    elif any(not item.get("src") for item in args.get("workflows") or []):
        raise StoreError("set promote_workflows_src (the exported tree of the source environment) or "
                         "promote_workflows_source_host: a workflow without its own src has nowhere to come from")
    if not check_mode and args.get("mode", "promote") == "promote":
        for key, option in (("ids_file", "promote_workflows_ids_file"), ("report", "promote_workflows_report"),
                            ("backup_dir", "promote_workflows_backup_dir")):
            if paths[key]:
                refuse_inside_collection(paths[key], option)
    return paths


def _names_in_document(raw, path):
    """The workflow names a store file or report names (ids file keys, state workflows, report entries)."""
    try:
        doc = json.loads(raw) if path.endswith(".json") else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError):
        return set()
    if not isinstance(doc, dict):
        return set()
    if isinstance(doc.get("workflows"), list):  # a promotion report
        return {entry.get("name") for entry in doc["workflows"] if isinstance(entry, dict)}
    if isinstance(doc.get("workflows"), dict):  # a state file
        return set(doc["workflows"])
    return set(doc)  # an ids file


def _read_local(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def lost_store_evidence(args, paths, environment, names, read):
    """The files that say the workflows names were promoted into environment before, although its ids file is
    missing (a mistyped path): its ids and state where the role puts them by default, its reports, and backups of
    those workflows. read(path) gives a store file's bytes (at a git remote's tip with a git store), None when absent."""
    names = set(names)
    candidates = []
    if args.get("src"):
        default_ids = resolve(default_store_file(args["src"], environment, "ids", ".yml"), paths["base"])
        candidates.extend((path, read) for path in (default_ids, state_file_of(default_ids))
                          if path not in (paths["ids_file"], paths["state_file"]))
    default_report = resolve(default_store_file(args.get("src"), environment, "promotions", ".json"), paths["base"])
    candidates.extend((path, _read_local) for path in sorted({paths["report"], default_report}))
    evidence = [path for path, reader in candidates if names & _names_in_document(reader(path) or b"", path)]
    backup_dir = paths.get("backup_dir")
    if backup_dir and os.path.isdir(backup_dir):
        suffixes = tuple("." + quote(name, safe="-_") + ".zip" for name in names)
        evidence.extend(os.path.join(backup_dir, name) for name in sorted(os.listdir(backup_dir)) if name.endswith(suffixes))
    return evidence
