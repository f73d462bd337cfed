# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' documentation as ansible-doc renders it, doc fragments merged."""

import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.normpath(os.path.join(HERE, *[".."] * 6))  # the directory that holds ansible_collections/
RUNTIME = os.path.join(HERE, "..", "..", "..", "meta", "runtime.yml")


def rendered(modules):
    """{module: doc} from ansible-doc --json."""
    answer = subprocess.run([sys.executable, "-m", "ansible.cli.doc", "--json"] + modules, capture_output=True, text=True,
                            check=True, env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS))
    return {name: entry["doc"] for name, entry in json.loads(answer.stdout).items()}


def test_ansible_doc_shows_each_module_of_the_action_group_in_it():
    with open(RUNTIME, encoding="utf-8") as handle:
        members = yaml.safe_load(handle)["action_groups"]["ai_for_process"]
    docs = rendered(["koreai.ai_for_process." + name for name in members])
    assert {name: doc["attributes"]["action_group"]["membership"] for name, doc in docs.items()} == {
        "koreai.ai_for_process." + name: ["koreai.ai_for_process.ai_for_process"] for name in members}
    assert {doc["attributes"]["platform"]["platforms"] for doc in docs.values()} == {"posix"}
