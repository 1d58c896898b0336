"""Regenerate the checked-in profile samples with the real profilers.

Run from anywhere: ``.venv/bin/python tests/data/regen_samples.py``. Scripts run
from this folder by relative name, so the dumps hold no machine paths; in the
Scalene JSON the folder prefix is removed and native frames are dropped from
``combined_stacks`` (they name this machine's libpython; the importer reads
Python frames only), which keeps the fixture small.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def regen_pstats() -> None:
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", "pstats_sample.prof", "pstats_sample_script.py"],
        cwd=HERE,
        check=True,
    )


def regen_scalene() -> None:
    out = "scalene_sample.json"
    subprocess.run(
        [sys.executable, "-m", "scalene", "run", "-o", out, "--cpu-only", "scalene_sample_script.py"],
        cwd=HERE,
        check=True,
        capture_output=True,
    )
    path = os.path.join(HERE, out)
    with open(path, encoding="utf-8") as fh:
        text = fh.read().replace(HERE + os.sep, "")
    obj = json.loads(text)
    for key in ("entrypoint_dir", "filename"):
        if obj.get(key) == HERE:
            obj[key] = "."
    obj["combined_stacks"] = [
        [[f for f in frames if f.get("kind") == "py"], count] for frames, count in obj.get("combined_stacks", [])
    ]
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    regen_pstats()
    regen_scalene()
