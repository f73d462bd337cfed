# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: the strict ids store of one environment: its YAML read strictly, its ids checked, and
the lock held while it is promoted."""

import errno
import json
import os
import socket
import time

import yaml


class StoreError(Exception):
    """The ids store cannot be used as it is; the message names the file and the fix."""


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # pylint: disable=too-many-ancestors
    """A YAML loader that refuses a key given twice in one mapping (libyaml's parser where PyYAML has it: every
    environment of a fleet reads its store, and the pure Python parser is most of that time)."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise StoreError("key %r is given twice (lines %d and %d): keep one" % (key, seen[key], key_node.start_mark.line + 1))
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text, path, show_content=True):
    """Parse a store file's text strictly: a mapping (or nothing), no key twice; StoreError names the file.

    show_content=False (files holding secrets): the error gives the line and column only, never the text."""
    try:
        doc = yaml.load(text, Loader=_StrictLoader)  # nosec B506 - a SafeLoader subclass
    except StoreError as exc:
        raise StoreError("%s: %s" % (path, exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = "line %d, column %d" % (mark.line + 1, mark.column + 1) if mark else "unknown place"
        detail = str(exc).replace("\n", " ") if show_content else where
        raise StoreError("%s is not valid YAML: %s" % (path, detail)) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise StoreError("%s must hold a mapping, not a %s" % (path, type(doc).__name__))
    return doc


def validate_ids(ids, where):
    """Check a name -> workflow_id map: string names and ids, no id under two names; return it as str -> str."""
    owners = {}
    checked = {}
    for name, workflow_id in ids.items():
        if not isinstance(workflow_id, str) or not workflow_id.strip():
            raise StoreError("%s: the id of %r must be a non-empty string, not %r" % (where, name, workflow_id))
        name = str(name)
        if workflow_id in owners:
            raise StoreError("%s: id %s is given to both %r and %r: one workflow cannot be two; remove the wrong name"
                             % (where, workflow_id, owners[workflow_id], name))
        owners[workflow_id] = name
        checked[name] = workflow_id
    return checked


def _plain(value):
    """value with every string as a plain str: ansible-core before 2.19 hands plugins str subclasses (unsafe text)
    that yaml.safe_dump cannot represent."""
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)  # str() returns unsafe text itself: it overrides __str__
    return value


def dump_yaml(doc, header):
    """The text of a store file: a comment line and sorted block YAML."""
    return "# %s\n%s" % (header, yaml.safe_dump(_plain(doc), default_flow_style=False, sort_keys=True) if doc else "{}\n")


def _owner_alive(owner):
    """False only when the lock's owner is a process of this host that no longer exists."""
    if owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return True
    try:
        os.kill(owner["pid"], 0)
    except OSError as exc:
        return exc.errno != errno.ESRCH
    return True


def _read_owner(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def acquire_lock(path, pid, timeout, poll=0.2):
    """Create the lock file path (O_EXCL) naming pid and this host; wait up to timeout seconds for a live owner.

    A lock left by a process of this host that is gone is taken over. Raises StoreError naming the owner."""
    deadline = time.monotonic() + timeout
    owner = {"pid": pid, "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            holder = _read_owner(path)
            if holder and not _owner_alive(holder):
                os.unlink(path)  # stale: its process is gone
                continue
            if time.monotonic() >= deadline:
                owner_text = (holder.get("pid", "?"), holder.get("host", "?"), holder.get("since", "?"))
                raise StoreError("%s is locked by process %s on %s since %s: another promotion of this environment is running; "
                                 "wait for it, or remove the file if that process is gone" % ((path,) + owner_text)) from None
            time.sleep(poll)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(owner, handle)
        return owner


def release_lock(path, pid):
    """Remove the lock file when this process (pid) owns it; return True when removed."""
    holder = _read_owner(path)
    if holder.get("pid") == pid and holder.get("host") == socket.gethostname():
        os.unlink(path)
        return True
    return False
