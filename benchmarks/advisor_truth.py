"""Is the offload advisor right? Its prediction against the measured speed-up of the bundled pair.

1. ``gpuprof advise heat_cpu.py --offload diffuse --kernels heat_kernels.py``
   profiles the CPU program and runs the lab: the predicted speed-up (with
   transfers and GPU start-up).
2. ``python heat_cpu.py`` and ``python heat_gpu.py`` run as plain processes,
   alternating, ROUNDS times each: the measured end-to-end speed-up is the ratio
   of their median wall times (interpreter start-up included on both sides).

Prints one JSON object (the last line of stdout); exit 0 when the prediction
is within TOLERANCE of the measurement. With OUTDIR, the advisor session (with
the measured figures added) is kept there as ``advice_session.json``.

Run on a GPU machine: ``PYTHONPATH=. python benchmarks/advisor_truth.py [OUTDIR]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIR_DIR = os.path.join(REPO, "resources", "examples", "offload")
CPU_SCRIPT = os.path.join(PAIR_DIR, "heat_cpu.py")
GPU_SCRIPT = os.path.join(PAIR_DIR, "heat_gpu.py")
KERNELS = os.path.join(PAIR_DIR, "heat_kernels.py")
OFFLOAD = "diffuse"
ROUNDS = 3  # each program runs this often, alternating, so drift hits both alike
TOLERANCE = 0.20  # the bound: prediction within 20% of the measured speed-up
ADVISE_TIMEOUT_S = 600


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}


def advise(session_path: str) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "gpuprof_gui.cli",
        "advise",
        CPU_SCRIPT,
        "--offload",
        OFFLOAD,
        "--kernels",
        KERNELS,
        "--json",
        "--save",
        session_path,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=ADVISE_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"gpuprof advise exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wall_s(script: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, script], capture_output=True, text=True, env=_env(), cwd=PAIR_DIR, timeout=600
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{os.path.basename(script)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed


def measure(outdir: str | None = None) -> dict:
    outdir = outdir or tempfile.mkdtemp(prefix="advisor-truth-")
    os.makedirs(outdir, exist_ok=True)
    session_path = os.path.join(outdir, "advice_session.json")
    advice = advise(session_path)
    wall_s(GPU_SCRIPT)  # one unmeasured run: the CuPy kernel cache and the page cache are warm for all
    cpu, gpu = [], []
    for _ in range(ROUNDS):
        cpu.append(wall_s(CPU_SCRIPT))
        gpu.append(wall_s(GPU_SCRIPT))
    cpu_s, gpu_s = statistics.median(cpu), statistics.median(gpu)
    measured = cpu_s / gpu_s
    predicted = advice["predicted_speedup_with_transfers"]
    result = {
        "benchmark": "advisor_truth",
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "device": advice.get("device"),
        "p": advice["p"],
        "kernel_speedup": advice["kernel_speedup"],
        "candidate": advice["candidate"],
        "calls": advice["calls"],
        "total_s_profiled": advice["total_s"],
        "transfer_s": advice["transfer_s"],
        "setup_s": advice["setup_s"],
        "amdahl_limit": advice["amdahl_limit"],
        "predicted_speedup": advice["predicted_speedup"],
        "predicted_speedup_with_transfers": predicted,
        "cpu_wall_s": cpu,
        "gpu_wall_s": gpu,
        "cpu_wall_median_s": cpu_s,
        "gpu_wall_median_s": gpu_s,
        "measured_speedup": measured,
        "prediction_over_measured": predicted / measured if predicted else None,
        "tolerance": TOLERANCE,
    }
    result["within_tolerance"] = bool(predicted) and abs(predicted / measured - 1.0) <= TOLERANCE
    with open(session_path, encoding="utf-8") as fh:
        session = json.load(fh)
    session["measured"] = {
        "cpu_wall_s": cpu_s,
        "gpu_wall_s": gpu_s,
        "speedup": measured,
        "rounds": ROUNDS,
        "how": "median wall time of plain `python heat_cpu.py` and `python heat_gpu.py` runs, alternating",
    }
    portable_paths(session)
    with open(session_path, "w", encoding="utf-8") as fh:
        json.dump(session, fh, indent=1)
    result["session"] = session_path
    return result


def _portable(path: str) -> str:
    """Repository files relative to its root; installed packages from site-packages on."""
    if path.startswith(REPO + os.sep):
        return os.path.relpath(path, REPO)
    marker = os.sep + "site-packages" + os.sep
    if marker in path:
        return "site-packages" + os.sep + path.split(marker, 1)[1]
    return path


def portable_paths(session: dict) -> None:
    """Strip this machine's folders from a session, so the recording replays anywhere."""
    for key in ("script", "kernels"):
        session[key] = _portable(session.get(key) or "")
    profile = session.get("profile") or {}
    files = (profile.get("functions") or {}).get("file")
    if files:
        profile["functions"]["file"] = [_portable(f) for f in files]
    profile["lines"] = {_portable(k): v for k, v in (profile.get("lines") or {}).items()}
    profile["source_path"] = None  # a temporary file of the recording run


NO_GPU_EXIT = 3  # `make bench` counts this as "skipped: needs a GPU", not as a failure


def main() -> int:
    sys.path.insert(0, REPO)
    from gpuprof_gui.jobs.lab_runner import cupy_missing_reason

    reason = cupy_missing_reason()
    if reason is not None:
        print(json.dumps({"benchmark": "advisor_truth", "skipped": f"needs a GPU: {reason}"}))
        return NO_GPU_EXIT
    result = measure(sys.argv[1] if len(sys.argv) > 1 else None)
    print(json.dumps(result))
    return 0 if result["within_tolerance"] else 1


if __name__ == "__main__":
    sys.exit(main())
