"""The GPU timeline checked on a real GPU; writes traces and a figures JSON to OUT.

    PYTHONPATH=. python3 tests/data/gpu/gputrace_check.py OUT

1. The known program (gputrace_known.py) traced in-process: kernel count, copy bytes and kinds against
   what it does, kernel durations against CUDA events around each launch and against torch.profiler.
2. The bundled offload example (heat_gpu.py) traced through ``python -m gpuprof_gui.gpu.cupti_trace``;
   its kernels and copies against torch.profiler's.
3. Overhead: each program's wall time traced and untraced, alternating, best of REPS.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))
if not (ROOT / "resources").is_dir():  # run from a copy of these files: the examples are in the checkout
    ROOT = Path.cwd()
OFFLOAD = ROOT / "resources" / "examples" / "offload"
REPS = 3
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
OUT.mkdir(parents=True, exist_ok=True)


def run(cmd, cwd=None):
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=os.environ.copy())
    wall = time.perf_counter() - t
    if proc.returncode:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
    return wall, proc


def pct(a, b):
    return 100.0 * (a - b) / b if b else None


def known():
    import gputrace_known as kp

    from gpuprof_gui.core.gpu_trace import save_gpu_trace
    from gpuprof_gui.core.gpu_trace_summary import per_line, summarize
    from gpuprof_gui.gpu.cupti_trace import GpuTracer

    kp.run()  # warm: compile and first launches outside the trace
    with GpuTracer(script="gputrace_known.py") as tracer:
        event_ms = kp.run()
    trace = tracer.trace
    save_gpu_trace(trace, OUT / "gputrace_known_h200.json")
    k = trace.tables["kernels"]
    scale = [i for i in range(trace.count("kernels")) if trace.name(int(k["name"][i])) == "scale"]
    traced_ms = [(int(k["end"][i]) - int(k["start"][i])) / 1e6 for i in scale]
    ref_path = OUT / "torchref_known.json"
    run([sys.executable, str(HERE / "gputrace_torchref.py"), str(ref_path), str(HERE / "gputrace_known.py")])
    ref = json.loads(ref_path.read_text()) if ref_path.exists() else {"kernels": [], "copies": [], "memsets": []}
    # torch.profiler saw the whole process (compile, warm-up included): its scale kernels are KERNELS of one run()
    ref_ms = [r["dur_us"] / 1e3 for r in ref["kernels"] if r["name"] == "scale"]
    c = trace.tables["copies"]
    lines = {f"{Path(f).name}:{ln} {fn}": t.as_dict() for (f, ln, fn), t in per_line(trace).items()}
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    return {
        "expected": {"kernels": kp.KERNELS, "copy_bytes": kp.COPY_BYTES, "h2d": 1, "d2h": 2, "memsets": 1},
        "traced": {
            "scale_kernels": len(scale),
            "kernels_all": trace.count("kernels"),
            "copies": [
                [int(c["kind"][i]), int(c["bytes"][i]), int(c["src"][i]), int(c["dst"][i])]
                for i in range(trace.count("copies"))
            ],
            "memsets": trace.count("memsets"),
            "syncs": trace.count("syncs"),
            "api_calls": trace.count("api"),
            "markers": trace.count("markers"),
        },
        "torch_profiler": {"scale_kernels": len(ref_ms), "copies": ref["copies"], "memsets": ref["memsets"]},
        "kernel_ms": {"traced": traced_ms, "cuda_events": event_ms, "torch_profiler": ref_ms},
        "mean_ms": {"traced": mean(traced_ms), "cuda_events": mean(event_ms), "torch_profiler": mean(ref_ms)},
        "mean_diff_pct": {
            "vs_cuda_events": pct(mean(traced_ms), mean(event_ms)),
            "vs_torch_profiler": pct(mean(traced_ms), mean(ref_ms)),
        },
        "per_kernel_max_abs_diff_pct_vs_events": max(
            (abs(pct(a, b)) for a, b in zip(traced_ms, event_ms)), default=None
        ),
        "summary": {k2: v for k2, v in summarize(trace).items() if k2 != "gaps"},
        "per_line": lines,
        "meta": {
            k2: trace.meta[k2] for k2 in ("device", "driver_version", "cuda_version", "cupti_version", "recorded_at")
        },
    }


def heat():
    from gpuprof_gui.core.gpu_trace import load_gpu_trace
    from gpuprof_gui.core.gpu_trace_summary import summarize

    path = OUT / "gputrace_heat_h200.json"
    args = ["heat_gpu.py", "--steps", "3", "--grid", "1024"]
    wall, proc = run([sys.executable, "-m", "gpuprof_gui.gpu.cupti_trace", "--out", str(path), *args], cwd=OFFLOAD)
    print(proc.stdout, proc.stderr)
    trace = load_gpu_trace(path)
    ref_path = OUT / "torchref_heat.json"
    run([sys.executable, str(HERE / "gputrace_torchref.py"), str(ref_path), *args], cwd=OFFLOAD)
    ref = json.loads(ref_path.read_text()) if ref_path.exists() else {"kernels": [], "copies": [], "memsets": []}
    k = trace.tables["kernels"]
    names = [trace.name(int(i)) for i in k["name"]]
    jac = [(int(k["end"][i]) - int(k["start"][i])) / 1e3 for i, n in enumerate(names) if n == "jacobi"]
    ref_jac = [r["dur_us"] for r in ref["kernels"] if r["name"] == "jacobi"]
    s = summarize(trace)
    return {
        "traced": {
            "kernels": len(names),
            "jacobi": len(jac),
            "copies": trace.count("copies"),
            "copy_bytes": s["copy_bytes"],
            "copies_by_kind": s["copies_by_kind"],
        },
        "torch_profiler": {
            "kernels": len(ref["kernels"]),
            "jacobi": len(ref_jac),
            "copies": len(ref["copies"]),
            "copy_bytes": sum(r["bytes"] or 0 for r in ref["copies"]),
        },
        "jacobi_mean_us": {
            "traced": sum(jac) / max(1, len(jac)),
            "torch_profiler": sum(ref_jac) / max(1, len(ref_jac)),
        },
        "summary": {k2: v for k2, v in s.items() if k2 != "gaps"},
        "longest_gaps": [{**g, "after_frames": trace.stack_frames(g["after"])[:2]} for g in s["gaps"][:5]],
        "size_bytes": path.stat().st_size,
    }


def overhead():
    def script_s(proc):
        m = re.search(r"in ([0-9.]+) s", proc.stdout)
        return float(m.group(1)) if m else None

    res = {}
    cases = {
        "heat_gpu --steps 12 --grid 2048": (["heat_gpu.py", "--steps", "12", "--grid", "2048"], OFFLOAD),
        "gputrace_known": ([str(HERE / "gputrace_known.py")], None),
    }
    for label, (args, cwd) in cases.items():
        plain, traced, plain_in, traced_in = [], [], [], []
        for _ in range(REPS):
            w, p = run([sys.executable, *args], cwd=cwd)
            plain.append(w)
            plain_in.append(script_s(p))
            w, p = run([sys.executable, "-m", "gpuprof_gui.gpu.cupti_trace", "--out", "/tmp/ovh.json", *args], cwd=cwd)
            traced.append(w)
            traced_in.append(script_s(p))
        entry = {"plain_wall_s": plain, "traced_wall_s": traced, "overhead_wall_pct": pct(min(traced), min(plain))}
        if all(x is not None for x in plain_in + traced_in):
            entry |= {
                "plain_script_s": plain_in,
                "traced_script_s": traced_in,
                "overhead_script_pct": pct(min(traced_in), min(plain_in)),
            }
        res[label] = entry
    return res


if __name__ == "__main__":
    figures = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for name, fn in (("known", known), ("heat", heat), ("overhead", overhead)):
        try:
            figures[name] = fn()
        except Exception as exc:  # noqa: BLE001 - one part failing still writes the others
            import traceback

            traceback.print_exc()
            figures[name] = {"error": f"{type(exc).__name__}: {exc}"}
        (OUT / "gputrace_figures_h200.json").write_text(json.dumps(figures, indent=1, default=str))
    print(json.dumps(figures, indent=1, default=str)[:6000])
