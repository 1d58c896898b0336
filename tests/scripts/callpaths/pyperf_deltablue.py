"""pyperformance's DeltaBlue benchmark (a constraint solver the project did not write), run in-process.

`delta_blue(n)` runs `chain_test(n)` and `projection_test(n)`, which share the
planner's methods: a real program whose shared code is called from two
top-level callers of different cost. Usage: pyperf_deltablue.py [N]
"""

import importlib.util
import os
import sys

import pyperformance


def load_benchmark():
    path = os.path.join(
        os.path.dirname(pyperformance.__file__), "data-files", "benchmarks", "bm_deltablue", "run_benchmark.py"
    )
    spec = importlib.util.spec_from_file_location("bm_deltablue", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its pyperf runner sits under `if __name__ == "__main__"`
    return module


def main(n):
    bm = load_benchmark()
    for _ in range(4):
        bm.delta_blue(n)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
