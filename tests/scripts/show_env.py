"""Writes what the script sees of its surroundings, as JSON, to argv[1]."""

import json
import os
import sys

with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump(
        {
            "name": __name__,
            "file": __file__,
            "argv": sys.argv,
            "path0": sys.path[0],
            "cwd": os.getcwd(),
            "main_is_module": sys.modules["__main__"].__dict__ is globals(),
            "pythonpath": os.environ.get("PYTHONPATH"),
            "recursion_limit": sys.getrecursionlimit(),
            "pgid_is_leader": os.getpgrp() == os.getpid(),
        },
        fh,
    )
