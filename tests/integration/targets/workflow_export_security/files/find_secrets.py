"""Print {"tree_hits": [[file, value]...], "archive_missing": [value...], "tree_files": N} as JSON.

usage: find_secrets.py VALUES_JSON TREE_DIR [ARCHIVE...]: every file below TREE_DIR is searched for every value
(as UTF-8 bytes, also JSON-escaped); each value must appear in some member of at least one ARCHIVE.
"""
import json
import os
import sys
import zipfile

values = json.loads(sys.argv[1])
needles = {value: {str(value).encode("utf-8"), json.dumps(str(value))[1:-1].encode("utf-8")} for value in values}
hits, count = [], 0
for directory, _subdirs, names in os.walk(sys.argv[2]):
    for name in names:
        path = os.path.join(directory, name)
        with open(path, "rb") as handle:
            content = handle.read()
        count += 1
        hits.extend([os.path.relpath(path, sys.argv[2]), value] for value, forms in needles.items()
                    if any(form in content for form in forms))
members = b""
for archive in sys.argv[3:]:
    with zipfile.ZipFile(archive) as opened:
        members += b"\0".join(opened.read(info) for info in opened.infolist())
missing = [value for value, forms in needles.items() if not any(form in members for form in forms)]
print(json.dumps({"tree_hits": hits, "archive_missing": missing, "tree_files": count}))
