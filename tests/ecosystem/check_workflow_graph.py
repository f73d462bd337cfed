"""Check the promotion workflow's nodes (JSON, as handed to awx.awx.workflow_job_template).

Usage: python check_workflow_graph.py NODES_JSON PREFIX TARGET...
The graph must be one chain from the first target's plan: for each target in order, the job template
"PREFIX plan T", then an approval node, then "PREFIX promote T"; every link a success link, nothing else.
Prints the chain.
"""
import json
import sys


def main():
    path, prefix, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(path, encoding="utf-8") as handle:
        nodes = {node["identifier"]: node for node in json.load(handle)}
    expected = []
    for target in targets:
        expected += [("job_template", "%s plan %s" % (prefix, target)), ("workflow_approval", None),
                     ("job_template", "%s promote %s" % (prefix, target))]
    parents = [next_id["identifier"] for node in nodes.values()
               for next_id in node.get("related", {}).get("success_nodes") or []]
    roots = [name for name in nodes if name not in parents]
    problems = [] if len(roots) == 1 else ["roots: %s (one expected)" % roots]
    chain, current = [], roots[0] if roots else None
    while current is not None and len(chain) <= len(nodes):
        node = nodes[current]
        template = node["unified_job_template"]
        chain.append((template["type"], template["name"] if template["type"] == "job_template" else None))
        print("%-20s %-18s %s" % (current, template["type"], template["name"]))
        links = node.get("related", {}).get("success_nodes") or []
        extra = set(node.get("related", {})) - {"success_nodes"}
        if len(links) > 1 or extra:
            problems.append("%s: links %s %s" % (current, links, sorted(extra)))
        if template["type"] == "workflow_approval" and not template.get("timeout"):
            problems.append("%s: approval without timeout" % current)
        current = links[0]["identifier"] if links else None
    if chain != expected:
        problems.append("chain %s, expected %s" % (chain, expected))
    for problem in problems:
        print("PROBLEM: " + problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
