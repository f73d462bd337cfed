# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check exported archives on disk against the emulator's expected content (an oracle independent of the module).

Usage: verify_exports.py ADMIN_URL ENV=DIR [ENV=DIR ...] [--count N]
With --count, workflows a-0001 .. a-N must be at DIR/<id>.zip and nothing else may be in DIR; without it, every
SUCCESS entry of DIR/manifest.json is checked. Each file's content digest, computed here from the archive, must
equal the one the emulator announces (GET ADMIN_URL/workflows/ENV/ID/expected), after dropping the key the emulator
names volatile (a value that changes on every export) from the member it names. Prints one JSON document.
"""

import hashlib
import json
import os
import sys
import urllib.request
import zipfile


def content_digest(path, volatile_member=None, volatile_key=None):
    """sha256 over the members sorted by name: name NUL bytes NUL, JSON members canonicalised (without the volatile key)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as archive:
        for info in sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename):
            data = archive.read(info)
            if info.filename.endswith(".json"):
                document = json.loads(data.decode("utf-8"))
                if info.filename == volatile_member and isinstance(document, dict):
                    document.pop(volatile_key, None)
                data = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            digest.update(info.filename.encode("utf-8") + b"\0" + data + b"\0")
    return digest.hexdigest()


def wanted_files(directory, count):
    """{file name: workflow id} to check in directory."""
    if count is not None:
        return {"a-%04d.zip" % number: "a-%04d" % number for number in range(1, count + 1)}
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as handle:
        entries = json.load(handle)["workflows"]
    return {entry["file"]: entry["workflow_id"] for entry in entries if entry.get("file")}


def expected_of(admin, env, workflow_id):
    """The emulator's expected content of a workflow (content_digest, volatile_member, volatile_key)."""
    with urllib.request.urlopen("%s/workflows/%s/%s/expected" % (admin, env, workflow_id), timeout=30) as answer:
        return json.load(answer)


def main(argv):
    count = int(argv.pop(argv.index("--count") + 1)) if "--count" in argv else None
    admin, places = argv[0], dict(item.split("=", 1) for item in argv[1:] if item != "--count")
    report = {"checked": 0, "missing": [], "mismatched": [], "extra_files": []}
    for env, directory in sorted(places.items()):
        wanted = wanted_files(directory, count)
        if count is not None:
            report["extra_files"] += ["%s/%s" % (env, name) for name in sorted(set(os.listdir(directory)) - set(wanted))]
        for name, workflow_id in sorted(wanted.items()):
            path = os.path.join(directory, name)
            report["checked"] += 1
            if not os.path.isfile(path):
                report["missing"].append("%s/%s" % (env, name))
            else:
                expected = expected_of(admin, env, workflow_id)
                wanted = expected.get("raw_content_digest", expected["content_digest"])
                if content_digest(path, expected.get("volatile_member"), expected.get("volatile_key")) != wanted:
                    report["mismatched"].append("%s/%s" % (env, name))
    report["lost"] = len(report["missing"]) + len(report["mismatched"])
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
