"""Check the artifacts of an ansible-runner job the way AWX reads them.

Usage: python check_runner.py ARTIFACT_DIR --hosts dev,staging [--changed] [--unchanged] [--secret TEXT ...]
Checks: rc is 0, status is successful, the playbook_on_stats event of job_events/ has every host with ok > 0 and
no failures or unreachable; --changed: every host changed > 0; --unchanged: every host changed == 0;
--secret: the text appears in neither stdout nor any job event. Prints the per-host stats.
"""
import argparse
import glob
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("artifacts")
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--changed", action="store_true")
    parser.add_argument("--unchanged", action="store_true")
    parser.add_argument("--secret", action="append", default=[])
    args = parser.parse_args()
    problems = []

    def read(name):
        path = os.path.join(args.artifacts, name)
        if not os.path.exists(path):
            problems.append("missing artifact %s" % name)
            return ""
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()

    rc, status = read("rc"), read("status")
    if rc != "0":
        problems.append("rc is %r, not 0" % rc)
    if status != "successful":
        problems.append("status is %r, not successful" % status)

    events = []
    for path in glob.glob(os.path.join(args.artifacts, "job_events", "*.json")):
        with open(path, encoding="utf-8") as handle:
            events.append(json.load(handle))
    stats = [event["event_data"] for event in events if event.get("event") == "playbook_on_stats"]
    if len(stats) != 1:
        problems.append("expected one playbook_on_stats event, found %d (of %d events)" % (len(stats), len(events)))
        stats = [{}]
    stats = stats[0]
    for host in args.hosts.split(","):
        counts = {key: (stats.get(key) or {}).get(host, 0) for key in ("ok", "changed", "failures", "dark", "skipped")}
        print("    %-10s ok=%d changed=%d failures=%d unreachable=%d skipped=%d" % (
            host, counts["ok"], counts["changed"], counts["failures"], counts["dark"], counts["skipped"]))
        if counts["ok"] == 0:
            problems.append("%s: no ok task in the stats" % host)
        if counts["failures"] or counts["dark"]:
            problems.append("%s: failures=%d unreachable=%d" % (host, counts["failures"], counts["dark"]))
        if args.changed and counts["changed"] == 0:
            problems.append("%s: changed=0, expected a change on the first run" % host)
        if args.unchanged and counts["changed"] != 0:
            problems.append("%s: changed=%d, expected 0 on a rerun (not idempotent)" % (host, counts["changed"]))

    if args.secret:
        texts = [read("stdout")] + [json.dumps(event) for event in events]
        for secret in args.secret:
            if any(secret in text for text in texts):
                problems.append("a secret (%s...) appears in stdout or job_events" % secret[:4])

    for problem in problems:
        print("    PROBLEM: %s" % problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
