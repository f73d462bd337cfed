"""Check every manifest entry against the file on disk and the emulator's expected content.

Usage: verify_exports.py ROOT ADMIN_URL ENV... ; prints a JSON report.
"""

import hashlib
import json
import os
import sys
import urllib.request


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def expected_digest(admin_url, env, workflow_id):
    with urllib.request.urlopen("%s/workflows/%s/%s/expected" % (admin_url, env, workflow_id)) as response:
        return json.load(response)["content_digest"]


def verify(root, admin_url, env):
    """(verified count, problems) for one environment's manifest."""
    with open(os.path.join(root, env, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    verified, problems = 0, []
    for entry in manifest["workflows"]:
        if entry["status"] != "SUCCESS":
            continue
        path = os.path.join(root, env, entry["file"])
        if not os.path.exists(path):
            problems.append("%s/%s: file missing" % (env, entry["workflow_id"]))
        elif sha256_of(path) != entry["sha256"]:
            problems.append("%s/%s: sha256 differs from the manifest" % (env, entry["workflow_id"]))
        elif expected_digest(admin_url, env, entry["workflow_id"]) != entry["content_digest"]:
            problems.append("%s/%s: content differs from the server's" % (env, entry["workflow_id"]))
        else:
            verified += 1
    return verified, problems


def main(root, admin_url, *envs):
    report = {"verified": 0, "problems": []}
    for env in envs:
        verified, problems = verify(root, admin_url, env)
        report["verified"] += verified
        report["problems"] += problems
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:])
