# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check exported archives on disk against the emulator's expected content digests.

Usage: verify_exports.py ADMIN_URL ENV=DIR [ENV=DIR ...] --count N
For each environment, workflows a-0001 .. a-N must be at DIR/<id>.zip with the content digest the
emulator announces (GET ADMIN_URL/workflows/ENV/ID/expected). Prints one JSON document.
"""

import hashlib
import json
import os
import sys
import urllib.request
import zipfile


def content_digest(path):
    """sha256 over the members sorted by name: name NUL bytes NUL, JSON members canonicalised."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as archive:
        for info in sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename):
            data = archive.read(info)
            if info.filename.endswith(".json"):
                document = json.loads(data.decode("utf-8"))
                data = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            digest.update(info.filename.encode("utf-8") + b"\0" + data + b"\0")
    return digest.hexdigest()


def main(argv):
    admin, count = argv[0], int(argv[argv.index("--count") + 1])
    places = dict(item.split("=", 1) for item in argv[1:argv.index("--count")])
    report = {"checked": 0, "missing": [], "mismatched": [], "extra_files": []}
    for env, directory in sorted(places.items()):
        wanted = {"a-%04d.zip" % number for number in range(1, count + 1)}
        report["extra_files"] += ["%s/%s" % (env, name) for name in sorted(set(os.listdir(directory)) - wanted)]
        for name in sorted(wanted):
            path = os.path.join(directory, name)
            report["checked"] += 1
            if not os.path.isfile(path):
                report["missing"].append("%s/%s" % (env, name))
                continue
            url = "%s/workflows/%s/%s/expected" % (admin, env, name[:-4])
            with urllib.request.urlopen(url, timeout=30) as answer:
                expected = json.load(answer)["content_digest"]
            if content_digest(path) != expected:
                report["mismatched"].append("%s/%s" % (env, name))
    report["lost"] = len(report["missing"]) + len(report["mismatched"])
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
