"""A hand-built CPU run, its GPU version and that version's GPU trace, with every figure chosen so
the before/after arithmetic can be checked exactly (SYNTHETIC: made up here, not measured).

Run A (CPU, 10 s): ``diffuse`` 6 s, ``summarize`` 1 s + numpy's ``percentile`` 2 s, ``reheat`` 0.5 s,
``simulate`` 0.5 s. Run B (GPU, 5.6 s): ``diffuse`` (heat_gpu.py) 0.6 s in all — 0.1 s itself,
``sweeps_on_device`` 0.2 s (0.15 s of it in CuPy's launch), CuPy's ``asnumpy`` 0.3 s — the rest as in
A except ``simulate`` 0.6 s, ``reheat`` 0.4 s, and ``<module>`` 0.2 s + 0.8 s importing CuPy.
The trace (paths relative, as a trace from another checkout has them): three kernels (0.1, 0.2,
0.3 ms) and a 10 µs memset from ``sweeps_on_device``, two 4 MiB copies (1 ms, 2 ms) and a 50 µs sync
from ``diffuse``, and a 7 µs sync no Python frame issued.
"""

from __future__ import annotations

import marshal
from pathlib import Path

from gpuprof_gui.core.gpu_trace import GpuTrace, GpuTraceBuilder, save_gpu_trace
from gpuprof_gui.core.importers.pstats_import import import_pstats
from gpuprof_gui.core.model import Profile

HOME = "/home/u/heat/"
NUMPY = "/usr/lib/python3/site-packages/numpy/lib/_function_base_impl.py"
CUPY = "/usr/lib/python3/site-packages/cupy/_core.py"
MiB = 1 << 20

MOD_A, MOD_B = (HOME + "heat_cpu.py", 1, "<module>"), (HOME + "heat_gpu.py", 1, "<module>")
MAIN, SIM = (HOME + "heat_cpu.py", 70, "main"), (HOME + "heat_cpu.py", 58, "simulate")
DIFF_A, DIFF_B = (HOME + "heat_cpu.py", 42, "diffuse"), (HOME + "heat_gpu.py", 24, "diffuse")
SUMM, REHEAT = (HOME + "heat_cpu.py", 53, "summarize"), (HOME + "heat_cpu.py", 34, "reheat")
PCT = (NUMPY, 4000, "percentile")
SWEEPS = (HOME + "heat_stencil.py", 28, "sweeps_on_device")
LAUNCH, ASNUMPY, CUPY_IMPORT = (CUPY, 5, "launch"), (CUPY, 10, "asnumpy"), (CUPY, 1, "<module>")


def _stats(rows: dict[tuple, tuple[int, float, float, dict[tuple, float]]]) -> dict:
    """{key: (calls, self, total, {caller: total from it})} as pstats stores it."""
    out = {}
    for key, (n, tt, ct, callers) in rows.items():
        share = {c: ct_c / ct if ct else 0.0 for c, ct_c in callers.items()}
        out[key] = (n, n, tt, ct, {c: (n, n, tt * share[c], ct_c) for c, ct_c in callers.items()})
    return out


def stats_a(checking: bool = False) -> dict:
    return _stats({
        MOD_A: (1, 0.0, 10.0, {}),
        MAIN: (1, 0.0, 10.0, {MOD_A: 10.0}),
        SIM: (1, 0.5, 10.0, {MAIN: 10.0}),
        DIFF_A: (3, 6.0, 6.0, {SIM: 6.0}),
        SUMM: (3, 1.0, 3.0, {SIM: 3.0}),
        PCT: (3, 2.0, 2.0, {SUMM: 2.0}),
        REHEAT: (3, 0.5, 0.5, {SIM: 0.5}),
    })  # fmt: skip


def stats_b(checking: bool = False) -> dict:
    """``checking``: B also calls heat_cpu's ``diffuse`` once (10 ms) to check the GPU's answer."""
    extra = 0.01 if checking else 0.0
    rows = {
        MOD_B: (1, 0.2, 5.6 + extra, {}),
        CUPY_IMPORT: (1, 0.8, 0.8, {MOD_B: 0.8}),
        MAIN: (1, 0.0, 4.6 + extra, {MOD_B: 4.6 + extra}),
        SIM: (1, 0.6, 4.6 + extra, {MAIN: 4.6 + extra}),
        DIFF_B: (3, 0.1, 0.6, {SIM: 0.6}),
        SWEEPS: (3, 0.05, 0.2, {DIFF_B: 0.2}),
        LAUNCH: (60, 0.15, 0.15, {SWEEPS: 0.15}),
        ASNUMPY: (3, 0.3, 0.3, {DIFF_B: 0.3}),
        SUMM: (3, 1.0, 3.0, {SIM: 3.0}),
        PCT: (3, 2.0, 2.0, {SUMM: 2.0}),
        REHEAT: (3, 0.4, 0.4, {SIM: 0.4}),
    }
    if checking:
        rows[DIFF_A] = (1, extra, extra, {SIM: extra})
    return _stats(rows)


def profile_a() -> Profile:
    return import_pstats(stats_a())


def profile_b(checking: bool = False) -> Profile:
    return import_pstats(stats_b(checking))


def trace() -> GpuTrace:
    b = GpuTraceBuilder()
    outer = (
        ("heat/heat_cpu.py", 64, "simulate"),
        ("heat/heat_cpu.py", 76, "main"),
        ("heat/heat_gpu.py", 31, "<module>"),
    )
    kernel_stack = b.stack(
        (("heat/heat_stencil.py", 33, "sweeps_on_device"), ("heat/heat_gpu.py", 27, "diffuse"), *outer)
    )
    copy_stack = b.stack((("heat/heat_gpu.py", 26, "diffuse"), *outer))
    sync_stack = b.stack((("heat/heat_gpu.py", 27, "diffuse"), *outer))
    name = b.name("jacobi")
    t = 1_000_000
    for duration in (100_000, 200_000, 300_000):
        b.add("kernels", name=name, start=t, end=t + duration, stream=7, stack=kernel_stack)
        t += duration + 1000
    b.add("memsets", bytes=MiB, start=t, end=t + 10_000, stream=7, stack=kernel_stack)
    b.add("copies", kind=0, bytes=4 * MiB, src=0, dst=2, start=0, end=1_000_000, stream=7, stack=copy_stack)
    b.add(
        "copies", kind=1, bytes=4 * MiB, src=2, dst=0, start=t + 20_000, end=t + 2_020_000, stream=7, stack=copy_stack
    )
    b.add("syncs", type=2, start=t, end=t + 50_000, stream=7, stack=sync_stack)
    b.add("syncs", type=3, start=t + 3_000_000, end=t + 3_007_000, stack=-1)
    meta = {
        "synthetic": True,
        "device": {"name": "Synthetic GPU", "index": 0, "compute_capability": "9.0"},
        "note": "SYNTHETIC: made by tests/gpu_move_case.py, not measured.",
        "script": "heat_gpu.py",
    }
    return b.build(meta)  # fmt: skip


def write_runs(folder: Path, checking: bool = False) -> tuple[Path, Path]:
    """``a.prof`` and ``b.prof`` with ``b.prof.gpu-trace.json`` beside it, in ``folder``."""
    a, b = folder / "a.prof", folder / "b.prof"
    a.write_bytes(marshal.dumps(stats_a()))
    b.write_bytes(marshal.dumps(stats_b(checking)))
    save_gpu_trace(trace(), str(b) + ".gpu-trace.json")
    return a, b
