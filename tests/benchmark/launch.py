#!/usr/bin/env python
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command and append its cost to a JSON lines file: ``launch.py OUT_FILE COMMAND [ARG...]``.

Run in a fresh process per command, so RUSAGE_CHILDREN covers that command's process tree only:
``cpu`` is user + system seconds of every process of the tree, ``max_rss_mb`` the peak resident set
of its largest process (the kernel keeps the maximum over the waited-for descendants, not a sum).
Standard input and output pass through, so this also works as an ``ansible_python_interpreter``
wrapper that measures one module process. The exit status is the command's.
"""

import json
import resource
import subprocess
import sys
import time


def main(argv):
    """Run argv[1:], record its wall time, CPU time and peak RSS in argv[0], return its exit status."""
    out_file, command = argv[0], argv[1:]
    started = time.monotonic()
    returncode = subprocess.call(command)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    record = {"wall": round(wall, 3), "cpu": round(usage.ru_utime + usage.ru_stime, 3),
              "max_rss_mb": round(usage.ru_maxrss / 1024.0, 1), "rc": returncode}
    with open(out_file, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
