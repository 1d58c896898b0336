"""Sessions and exports at scale: how long saving, reopening and exporting a large profile take.

    python benchmarks/sessions_export.py --nodes 200000 --functions 5000

Prints one JSON object. The profile is SYNTHETIC (the seeded random tree of
``benchmarks/flame_view.py``): sizes are what matter here, not the numbers in it.
Each figure is the median of REPEATS runs; absolute times, for context.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import flame_view  # noqa: E402  (the same synthetic tree generator as the flame benchmark)

from gpuprof_gui.core import export_formats  # noqa: E402
from gpuprof_gui.core.flame_svg import flame_svg  # noqa: E402
from gpuprof_gui.core.report_html import report_html  # noqa: E402
from gpuprof_gui.core.session import Session, load_session, save_session  # noqa: E402

REPEATS = 3


def median_s(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 4)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--functions", type=int, default=5_000)
    args = ap.parse_args(argv)
    flame_view.N_FUNCTIONS = args.functions
    profile = flame_view.random_profile(args.nodes, seed=1)
    folder = tempfile.mkdtemp(prefix="gpuprof-bench-")
    path = os.path.join(folder, "s.gpuprof-session.json")
    session = Session(title="bench", profile=profile, console=Session.console_record("x\n" * 20_000))
    result = {
        "benchmark": "sessions_export",
        "synthetic": True,
        "nodes": args.nodes,
        "functions": args.functions,
        "session_save_s": median_s(lambda: save_session(session, path)),
    }
    result["session_bytes"] = os.path.getsize(path)
    result["session_load_s"] = median_s(lambda: load_session(path))
    for name, fn in (
        ("speedscope", lambda: export_formats.speedscope_json(profile)),
        ("folded", lambda: export_formats.folded_text(profile)),
        ("csv", lambda: export_formats.hotspot_csv(profile)),
        ("svg", lambda: flame_svg(profile)),
        ("html", lambda: report_html(profile)),
    ):
        result[f"export_{name}_s"] = median_s(fn)
    result["machine"] = f"{platform.machine()} {platform.system()}, {os.cpu_count()} cpus"
    result["python"] = platform.python_version()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
