"""Check the release notes of the collection's next release, as antsibull-changelog wrote them.

Usage: python check_release_notes.py COLLECTION_DIR
Reads COLLECTION_DIR/changelogs/changelog.yaml after `antsibull-changelog release` and checks, for the version in
galaxy.yml: every module (plugins/modules/*.py), role (roles/*/) and playbook (playbooks/*.yml) is named by the
release (new modules, add object.role, add object.playbook) or by an earlier one; the first release has no
breaking_changes section; every module's version_added is a released version. Prints what the release names.
"""
import os
import sys

import yaml


def names_in(collection, kind):
    if kind == "module":
        folder, suffix = "plugins/modules", ".py"
    elif kind == "role":
        return sorted(name for name in os.listdir(os.path.join(collection, "roles"))
                      if os.path.isdir(os.path.join(collection, "roles", name, "tasks")))
    else:
        folder, suffix = "playbooks", ".yml"
    return sorted(name[:-len(suffix)] for name in os.listdir(os.path.join(collection, folder))
                  if name.endswith(suffix) and not name.startswith("_"))


def released(releases, kind):
    """{name: version} of the modules (plugin type module) or objects (role, playbook) the releases add."""
    found = {}
    for version, release in releases.items():
        entries = (release.get("modules") if kind == "module" else release.get("objects", {}).get(kind)) or []
        for entry in entries:
            found.setdefault(entry["name"], version)
    return found


def module_version_added(collection, name):
    with open(os.path.join(collection, "plugins/modules", name + ".py"), encoding="utf-8") as handle:
        text = handle.read()
    doc = yaml.safe_load(text.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
    return str(doc.get("version_added"))


def main():
    collection = sys.argv[1]
    with open(os.path.join(collection, "galaxy.yml"), encoding="utf-8") as handle:
        version = str(yaml.safe_load(handle)["version"])
    with open(os.path.join(collection, "changelogs/changelog.yaml"), encoding="utf-8") as handle:
        releases = yaml.safe_load(handle).get("releases") or {}
    problems = [] if version in releases else ["changelog.yaml has no release %s" % version]
    for kind in ("module", "role", "playbook"):
        found = released(releases, kind)
        for name in names_in(collection, kind):
            if name not in found:
                problems.append("the release notes do not name the %s %s" % (kind, name))
            elif kind == "module" and module_version_added(collection, name) != found[name]:
                problems.append("module %s: version_added %s, released in %s" % (
                    name, module_version_added(collection, name), found[name]))
        print("%ss: %s" % (kind, ", ".join("%s (%s)" % item for item in sorted(found.items()))))
    first = sorted(releases, key=lambda v: [int(p) for p in v.split(".")])[0] if releases else None
    if first and (releases[first].get("changes") or {}).get("breaking_changes"):
        problems.append("the first release %s has a breaking_changes section" % first)
    for problem in problems:
        print("PROBLEM: " + problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
