"""Compare workflows of two emulated environments through the emulator's admin API.

Usage: python compare_environments.py ADMIN_URL SOURCE_ENV TARGET_ENV IGNORED_KEYS_JSON SOURCE_ID=TARGET_ID...

Prints one JSON document: compared (pairs read), differences ("<target id> <member>" for each flow or app
definition that differs once the ignored keys are removed at every depth), leaked (target ids whose environment
variables hold a value of the source's) and target_variables (target id -> its environment variable values).
"""
import json
import sys
import urllib.request

COMPARED_MEMBERS = ("flow_definition.json", "app_definition.json")


def admin_workflow(admin_url, env, workflow_id):
    """Return the emulator's admin view of one workflow (members, secret_values, ...)."""
    with urllib.request.urlopen("%s/workflows/%s/%s" % (admin_url, env, workflow_id), timeout=10) as answer:
        return json.load(answer)


def without_keys(doc, keys):
    """Return a JSON document without the given keys, at every depth."""
    if isinstance(doc, dict):
        return {key: without_keys(value, keys) for key, value in doc.items() if key not in keys}
    if isinstance(doc, list):
        return [without_keys(item, keys) for item in doc]
    return doc


def compare(admin_url, source_env, target_env, ignored_keys, pairs):
    """Return the report described in the module docstring."""
    report = {"compared": 0, "differences": [], "leaked": [], "target_variables": {}}
    for pair in pairs:
        source_id, target_id = pair.split("=")
        source = admin_workflow(admin_url, source_env, source_id)
        target = admin_workflow(admin_url, target_env, target_id)
        for member in COMPARED_MEMBERS:
            if without_keys(source["members"].get(member), ignored_keys) != without_keys(target["members"].get(member), ignored_keys):
                report["differences"].append("%s %s" % (target_id, member))
        if set(source["secret_values"]) & set(target["secret_values"]):
            report["leaked"].append(target_id)
        report["target_variables"][target_id] = target["secret_values"]
        report["compared"] += 1
    return report


if __name__ == "__main__":
    print(json.dumps(compare(sys.argv[1], sys.argv[2], sys.argv[3], set(json.loads(sys.argv[4])), sys.argv[5:])))
