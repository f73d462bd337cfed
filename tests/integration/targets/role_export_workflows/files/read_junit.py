#!/usr/bin/env python
"""Print the JUnit XML file argv[1] as JSON: totals, and per testcase its classname, name and failure (or null)."""
import json
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
cases = [dict(classname=case.get("classname"), name=case.get("name"),
              failure=None if case.find("failure") is None else case.find("failure").text)
         for case in root.iter("testcase")]
print(json.dumps(dict(tests=int(root.get("tests")), failures=int(root.get("failures")), cases=cases)))
