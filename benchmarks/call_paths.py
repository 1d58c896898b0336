"""Call paths under cProfile: how much of each function's time sits under the right caller, and at what cost.

For each program (our shared-dispatcher program and pyperformance's DeltaBlue),
in one run of this script:

- ``gpuprof profile`` it (cProfile, with the sampled stacks that split call
  paths) and load the profile twice: as the window shows it, and without the
  samples (the proportional split used before);
- record an independent reference: ``py-spy record`` at 500 Hz of the same
  program under plain ``python -m cProfile`` (so its timings are distorted by
  instrumentation the same way);
- per function above 2% of the run, the agreement: the share of its drawn time
  under the same top-level caller (the anchor's child) in both;
- overhead: the script's wall time under the profiler (as the worker reports
  it) and the whole command's, with and without the sampler, alternated
  ``--repeat`` times; medians and their ratios (target: the script's <= 1.05).

Prints one JSON object. Usage: python benchmarks/call_paths.py [--repeat N] [--scale X]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from gpuprof_gui.core.callpath_check import agreement, caller_shares, function_key  # noqa: E402
from gpuprof_gui.core.importers import load_profile  # noqa: E402
from gpuprof_gui.core.importers.pstats_import import import_pstats  # noqa: E402
from gpuprof_gui.core.importers.pyspy_import import import_pyspy  # noqa: E402
from gpuprof_gui.workers.stack_sampler import SAMPLE_RATE_HZ, find_py_spy  # noqa: E402

SCRIPTS = os.path.join(REPO, "tests", "scripts", "callpaths")
PROGRAMS = {
    # name: (script, args at scale 1, anchor function name)
    "shared_dispatch": ("shared_dispatch.py", ["{scale}"], "main"),
    "pyperformance_deltablue": ("pyperf_deltablue.py", ["{n}"], "delta_blue"),
}
REFERENCE_RATE_HZ = 500
"""The reference samples 2.5x as often as the evidence it checks, so that its
own noise does not dominate the comparison."""
MIN_SHARE = 0.02
"""Functions under 2% of the run are left out: the reference's own sampling
error (500 Hz over a 1-3 s run) is of their size."""


def gpuprof_profile(
    script: str, args: list[str], out: str, samples: bool, rate: int | None = None
) -> tuple[float, float, float]:
    """(the script's own wall time under the profiler, the whole command's, the sampler's CPU), seconds."""
    env = dict(os.environ, GPUPROF_CALL_PATH_SAMPLES=str(rate or "") if samples else "0")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "profile", script, "--output", out, "--json", "--", *args],
        check=True,
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    command_s = time.perf_counter() - t0
    doc = json.loads(proc.stdout)
    return float(doc["wall_s"]), command_s, float(doc.get("sampler_cpu_s") or 0.0)


def reference_stacks(script: str, args: list[str], out: str) -> None:
    subprocess.run(
        [
            find_py_spy(),
            "record",
            "--format",
            "raw",
            "--function",
            "--full-filenames",
            "--rate",
            str(REFERENCE_RATE_HZ),
            "--output",
            out,
            "--",
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            os.devnull,
            script,
            *args,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def score(profile, reference, anchor: str) -> dict:
    def is_anchor(rec):  # the program's own function, not cProfile's `main`
        return (rec.name.rsplit(".", 1)[-1] == anchor and os.path.realpath(rec.file).startswith(SCRIPTS + os.sep)) or (
            rec.name == anchor and os.path.basename(rec.file) == "run_benchmark.py"
        )

    ours, ref = caller_shares(profile, is_anchor), caller_shares(reference, is_anchor)
    run = profile.total_s
    weights = {
        function_key(f): f.total_s / run
        for f in profile.functions
        if f.file and f.total_s >= MIN_SHARE * run and function_key(f) in ref
    }
    per = agreement(ours, ref, weights)
    return {
        "functions": len(per),
        "min": round(min(per.values()), 3) if per else None,
        "weighted_mean": round(sum(per[k] * weights[k] for k in per) / sum(weights.values()), 3) if per else None,
        "below_0.9": sorted(((profile_name(profile, k), round(v, 3)) for k, v in per.items() if v < 0.9)),
    }


def profile_name(profile, key) -> str:
    for f in profile.functions:
        if function_key(f) == key:
            return f"{f.name} ({os.path.basename(f.file)}:{f.line})"
    return str(key)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=3.0)
    parser.add_argument(
        "--rates",
        type=lambda t: [int(x) for x in t.split(",")],
        default=[SAMPLE_RATE_HZ],
        help="sampling rates (Hz) whose accuracy to compare, e.g. 50,100,200",
    )
    ns = parser.parse_args()
    if find_py_spy() is None:
        print(json.dumps({"skipped": "py-spy is not installed"}))
        return 3
    out: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "programs": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (script_name, arg_tpl, anchor) in PROGRAMS.items():
            script = os.path.join(SCRIPTS, script_name)
            args = [a.format(scale=ns.scale, n=int(2000 * ns.scale)) for a in arg_tpl]
            ref_path = os.path.join(tmp, f"{name}.ref.txt")
            reference_stacks(script, args, ref_path)
            with open(ref_path, encoding="utf-8") as fh:
                reference = import_pyspy(fh.read(), REFERENCE_RATE_HZ)
            by_rate, with_samples, prof = {}, None, ""
            for rate in ns.rates:
                prof = os.path.join(tmp, f"{name}-{rate}.prof")
                gpuprof_profile(script, args, prof, samples=True, rate=rate)
                with_samples = load_profile(prof, trusted=True)
                by_rate[str(rate)] = score(with_samples, reference, anchor)
            proportional = import_pstats(pstats.Stats(prof).stats)
            script_s = {"with": [], "without": []}
            command_s = {"with": [], "without": []}
            sampler_cpu = []
            for _ in range(ns.repeat):
                for mode in ("without", "with"):
                    wall, whole, cpu = gpuprof_profile(script, args, os.path.join(tmp, "t.prof"), mode == "with")
                    script_s[mode].append(wall)
                    command_s[mode].append(whole)
                    if mode == "with":
                        sampler_cpu.append(cpu / wall)
            med = {k: statistics.median(v) for k, v in script_s.items()}
            med_cmd = {k: statistics.median(v) for k, v in command_s.items()}
            out["programs"][name] = {
                "notes": with_samples.notes,
                "agreement_with_samples_by_rate_hz": by_rate,
                "agreement_proportional": score(proportional, reference, anchor),
                "conservation_gap": with_samples.tree.conservation_gap(),
                "script_wall_s_median": {k: round(v, 3) for k, v in med.items()},
                "command_s_median": {k: round(v, 3) for k, v in med_cmd.items()},
                # The script's own time with the sampler over without: the evidence's cost.
                "sampler_overhead_ratio": round(med["with"] / med["without"], 3),
                "sampler_command_ratio": round(med_cmd["with"] / med_cmd["without"], 3),
                # py-spy's own CPU as a share of the script's wall time: the core it
                # takes from other work, whatever the load (the ratios above are noisy).
                "sampler_cpu_share_median": round(statistics.median(sampler_cpu), 4),
            }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
