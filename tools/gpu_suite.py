"""Run the GPU tests, every bundled kernel example and the truth benchmark; results to OUTDIR.

Meant for a bare GPU machine with CuPy, NVML, Numba, NumPy and pytest but no
Qt and nothing installed from this repository:

    PYTHONPATH=. python tools/gpu_suite.py OUTDIR

Writes OUTDIR/junit.xml, OUTDIR/lab_<example>.json (one recorded lab run per
bundled example, device name and date inside), OUTDIR/lab_faults.json (the
fault file's run, for replaying failure states), OUTDIR/truth.json, OUTDIR/advice_session.json and
OUTDIR/advisor_truth.json (the advisor's GPU test) and OUTDIR/summary.json.
GPU_SUITE_ONLY=tests,examples,faults,truth picks parts. Exit status 0 only when the tests pass, every candidate
of every example is correct and every truth check holds.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from gpuprof_gui.jobs.lab_runner import LabRunSpec, run_lab  # noqa: E402

EXAMPLES_GLOB = os.path.join(REPO, "resources", "examples", "kernels", "*.py")
# Only test files that declare GPU tests: the others may import Qt, which a
# GPU machine need not have.
GPU_MARK = "pytest.mark.gpu"


def gpu_test_files() -> list[str]:
    files = []
    for path in sorted(glob.glob(os.path.join(REPO, "tests", "test_*.py"))):
        with open(path, encoding="utf-8") as fh:
            if GPU_MARK in fh.read():
                files.append(path)
    return files


def run_tests(outdir: str) -> dict:
    files = gpu_test_files()
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "gpu",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={os.path.join(outdir, 'junit.xml')}",
        *files,
    ]
    t0 = time.monotonic()
    # The advisor's GPU test keeps its recorded session and figures here.
    env = {**os.environ, "PYTHONPATH": REPO, "GPUPROF_GPU_ARTIFACTS": outdir}
    rc = subprocess.call(cmd, cwd=REPO, env=env)
    return {
        "files": [os.path.relpath(f, REPO) for f in files],
        "exit_code": rc,
        "ok": rc == 0,
        "wall_s": round(time.monotonic() - t0, 1),
    }


def run_examples(outdir: str) -> list[dict]:
    out = []
    for path in sorted(p for p in glob.glob(EXAMPLES_GLOB) if not os.path.basename(p).startswith("_")):
        name = os.path.splitext(os.path.basename(path))[0]
        work = tempfile.mkdtemp(prefix=f"lab-{name}-")
        t0 = time.monotonic()
        outcome = run_lab(
            LabRunSpec(path=path, output_dir=work),
            on_record=lambda r: print(
                f"  {r.candidate:24s} {r.size:>10} {r.status:9s} {r.median_ms if r.median_ms is not None else '-'}",
                flush=True,
            ),
        )
        entry = {
            "example": name,
            "status": outcome.status,
            "message": outcome.message,
            "wall_s": round(time.monotonic() - t0, 1),
        }
        if outcome.run is not None:
            target = os.path.join(outdir, f"lab_{name}.json")
            shutil.copyfile(outcome.results_path, target)
            run = outcome.run
            entry["all_correct"] = run.all_correct
            entry["not_correct"] = [
                f"{r.candidate}@{r.size}: {r.error}" for r in run.records if not r.correct and r.status != "skipped"
            ]
            entry["skipped"] = sorted({f"{r.candidate}: {r.error}" for r in run.skipped})
            best = run.best(max(r.size for r in run.records))
            if best is not None:
                entry["best"] = {
                    "candidate": best.candidate,
                    "size": best.size,
                    "median_ms": best.median_ms,
                    "gbps": best.gbps,
                    "gflops": best.gflops,
                    "speedup_vs_cpu": best.speedup_vs_cpu,
                    "speedup_vs_cpu_with_transfers": best.speedup_vs_cpu_with_transfers,
                }
        shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(entry), flush=True)
        out.append(entry)
    return out


FAULTS_FILE = os.path.join(REPO, "tests", "data", "lab", "faults.py")
FAULT_TIMEOUT_S = 15.0  # the hung candidate is killed after this


def run_faults(outdir: str) -> dict:
    """Record a run of the fault file: the window's tests replay its failure states."""
    work = tempfile.mkdtemp(prefix="lab-faults-")
    outcome = run_lab(LabRunSpec(path=FAULTS_FILE, output_dir=work, candidate_timeout_s=FAULT_TIMEOUT_S))
    entry = {"status": outcome.status, "workers_started": outcome.workers_started}
    if outcome.run is not None:
        shutil.copyfile(outcome.results_path, os.path.join(outdir, "lab_faults.json"))
        entry["statuses"] = {r.candidate: r.status for r in outcome.run.records}
    shutil.rmtree(work, ignore_errors=True)
    return entry


def run_truth(outdir: str) -> dict:
    cmd = [sys.executable, os.path.join(REPO, "benchmarks", "lab_truth.py")]
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": REPO}, capture_output=True, text=True)
    sys.stderr.write(proc.stderr[-4000:])
    try:
        truth = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        truth = {"ok": False, "error": f"lab_truth printed no JSON (exit {proc.returncode})"}
    with open(os.path.join(outdir, "truth.json"), "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=1)
    return truth


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: PYTHONPATH=. python tools/gpu_suite.py OUTDIR", file=sys.stderr)
        return 2
    outdir = os.path.abspath(argv[0])
    os.makedirs(outdir, exist_ok=True)
    only = os.environ.get("GPU_SUITE_ONLY", "tests,examples,faults,truth").split(",")
    summary: dict = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if "tests" in only:
        summary["tests"] = run_tests(outdir)
    if "examples" in only:
        summary["examples"] = run_examples(outdir)
    if "faults" in only:
        summary["faults"] = run_faults(outdir)
    if "truth" in only:
        summary["truth"] = run_truth(outdir)
    ok = (
        summary.get("tests", {}).get("ok", True)
        and all(e.get("all_correct") for e in summary.get("examples", []))
        and summary.get("truth", {}).get("ok", True)
    )
    summary["ok"] = bool(ok)
    with open(os.path.join(outdir, "summary.json"), "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "examples"}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
