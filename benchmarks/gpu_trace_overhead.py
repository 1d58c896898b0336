"""What tracing the GPU costs: the same GPU program with and without the trace, side by side.

    python benchmarks/gpu_trace_overhead.py [--runs N] [--script S [args...]]   # on a GPU machine

For each program (the bundled ``heat_gpu.py`` at its default size unless ``--script`` names
another), four commands run in turn, ``--runs`` rounds, so drift hits all alike:

- ``plain``: ``python SCRIPT``;
- ``traced``: ``python -m gpuprof_gui.gpu.cupti_trace --out T SCRIPT`` (the tracer alone);
- ``profiled``: ``gpuprof profile SCRIPT`` (cProfile, the app's usual run);
- ``profiled_traced``: ``gpuprof profile --gpu-trace SCRIPT`` (the app's "Trace GPU" run).

Every command's whole process is timed from outside (start-up, CUPTI's start, writing the trace and
loading the profile all count). Prints ONE JSON object: medians, and the two ratios the target is
on: ``traced / plain`` and ``profiled_traced / profiled`` (issue 13: tracing overhead <= 10%).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.10
DEFAULT_SCRIPT = REPO_ROOT / "resources" / "examples" / "offload" / "heat_gpu.py"


def _commands(script: str, args: list[str], out: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "plain": [py, script, *args],
        "traced": [py, "-m", "gpuprof_gui.gpu.cupti_trace", "--out", out, script, *args],
        "profiled": [py, "-m", "gpuprof_gui.cli", "profile", "--json", "--output", out + ".prof", script, "--", *args],
        "profiled_traced": [
            py, "-m", "gpuprof_gui.cli", "profile", "--gpu-trace", "--json", "--output", out + ".prof", script,
            "--", *args,
        ],
    }  # fmt: skip


def _time(cmd: list[str]) -> tuple[float, int, str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=os.path.dirname(cmd[-1]) or ".", env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, done.returncode, done.stdout, done.stderr[-4000:]


def measure(script: str, args: list[str], runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="gpuprof-bench-") as tmp:
        commands = _commands(os.path.abspath(script), args, os.path.join(tmp, "trace.json"))
        for cmd in commands.values():  # warm the page cache and CuPy's kernel cache
            _, code, _out, err = _time(cmd)
            if code != 0:
                return {"script": script, "error": f"{cmd[1:4]} exited {code}: {err[-600:]}"}
        times: dict[str, list[float]] = {k: [] for k in commands}
        notes: list[str] = []
        for _ in range(runs):
            for key, cmd in commands.items():
                seconds, _, out, _err = _time(cmd)
                times[key].append(seconds)
                if key == "profiled_traced" and not notes:
                    notes = [n for n in json.loads(out or "{}").get("notes", []) if "GPU" in n]
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "script": os.path.relpath(script, REPO_ROOT) if script.startswith(str(REPO_ROOT)) else script,
        "args": args,
        "median_s": med,
        "all_s": times,
        "traced_over_plain": med["traced"] / med["plain"],
        "profiled_traced_over_profiled": med["profiled_traced"] / med["profiled"],
        "tracer_notes": notes,
        "meets_target": max(med["traced"] / med["plain"], med["profiled_traced"] / med["profiled"]) <= TARGET_RATIO,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--script", nargs=argparse.REMAINDER, help="SCRIPT [args...] instead of heat_gpu.py")
    ns = parser.parse_args()
    script, args = (ns.script[0], ns.script[1:]) if ns.script else (str(DEFAULT_SCRIPT), [])
    result = measure(script, args, ns.runs)
    result.update(
        date=datetime.now(UTC).isoformat(timespec="minutes"),
        machine=platform.node(),
        python=platform.python_version(),
        target_ratio=TARGET_RATIO,
        runs=ns.runs,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
