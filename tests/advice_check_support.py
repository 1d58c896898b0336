"""A hand-built traced GPU run (profile + trace) with exact figures, and the advice it is checked against.

Plain helpers (not fixtures), shared by the core, CLI and window tests of the item-by-item check.
"""

from __future__ import annotations

from gpuprof_gui.core.advisor import Advice
from gpuprof_gui.core.gpu_trace import COPY_KINDS, MEMORY_KINDS, GpuTraceBuilder
from gpuprof_gui.core.model import FunctionRecord, Profile, TreeBuilder

MS = 1_000_000  # ns


def gpu_profile(calls: int = 4, name: str = "diffuse") -> Profile:
    """A cProfile-like run of 10 s: 0.4 s importing CuPy, 2 s in ``name`` (``calls`` calls), 7.1 s of work."""
    funcs = [
        FunctionRecord("<module>", "main.py", 1, 0.5, 10.0, 1),
        FunctionRecord("<module>", "/env/site-packages/cupy/__init__.py", 1, 0.4, 0.4, 1),
        FunctionRecord(name, "gpu.py", 5, 1.0, 2.0, calls),
        FunctionRecord("sync", "gpu.py", 9, 1.0, 1.0, calls),
        FunctionRecord("work", "main.py", 20, 7.1, 7.1, 1),
    ]
    tb = TreeBuilder(10.0)
    top = tb.add(0, 0, 10.0, 0.5)
    tb.add(top, 1, 0.4, 0.4)
    d = tb.add(top, 2, 2.0, 1.0)
    tb.add(d, 3, 1.0, 1.0)
    tb.add(top, 4, 7.1, 7.1)
    return Profile("cprofile", funcs, tb.build(), stacks_exact=False)


def gpu_trace(calls: int = 4, wait_ms: float = 50.0, with_kernels: bool = True):
    """100 ms of context creation, then ``calls`` calls: copy in (0.5 ms), two 10 ms kernels, copy out (4 ms).

    The first call waits ``wait_ms`` between its copy-in and its first launch (the kernel's compile),
    later calls 1 ms. One more 5 ms kernel comes from the module, outside the offloaded function.
    """
    b = GpuTraceBuilder()
    ours = b.stack((("gpu.py", 5, "diffuse"), ("main.py", 9, "<module>")))
    module = b.stack((("main.py", 9, "<module>"),))
    malloc, memcpy, launch = b.name("cudaMalloc"), b.name("cudaMemcpy"), b.name("cuLaunchKernel")
    b.add("api", name=b.name("cudaGetDeviceCount"), start=0, end=MS, stack=module)
    b.add("api", name=malloc, start=10 * MS, end=110 * MS)
    corr = 1
    t = 200 * MS
    for call in range(calls):
        wait = int((wait_ms if call == 0 else 1.0) * MS)
        b.add("api", name=memcpy, start=t, end=t + MS, stack=ours, corr=corr)
        b.add("copies", kind=COPY_KINDS.index("H2D"), bytes=1_000_000, src=MEMORY_KINDS.index("pageable"),
              dst=MEMORY_KINDS.index("device"), start=t + MS // 5, end=t + 7 * MS // 10, stack=ours,
              corr=corr)  # fmt: skip
        corr += 1
        at = t + MS + wait
        for k in range(2 if with_kernels else 0):
            b.add("api", name=launch, start=at + k * MS // 10, end=at + k * MS // 10 + MS // 20, stack=ours, corr=corr)
            b.add("kernels", name=b.name("jacobi"), start=at + MS + 10 * k * MS, end=at + MS + 10 * (k + 1) * MS,
                  stack=ours, corr=corr)  # fmt: skip
            corr += 1
        out = at + 30 * MS
        b.add("api", name=memcpy, start=out, end=out + 5 * MS, stack=ours, corr=corr)
        b.add("copies", kind=COPY_KINDS.index("D2H"), bytes=1_000_000, src=MEMORY_KINDS.index("device"),
              dst=MEMORY_KINDS.index("pageable"), start=out, end=out + 4 * MS, stack=ours, corr=corr)  # fmt: skip
        corr += 1
        t = out + 100 * MS
    b.add("api", name=launch, start=t, end=t + MS // 20, stack=module, corr=corr)
    b.add("kernels", name=b.name("fill"), start=t + MS, end=t + 6 * MS, stack=module, corr=corr)
    return b.build({"device": {"name": "Test GPU"}, "script": "gpu.py"})


def advice(**changes) -> Advice:
    values: dict = {
        "total_s": 20.0, "p": 0.6, "calls": 4, "functions": ["diffuse"], "kernel_speedup": 300.0,
        "candidate": "raw", "transfer_s_per_call": 0.0045, "bytes_per_call": 2e6,
        "transfer_gbps": 2e6 / 0.0045 / 1e9, "setup_s": 0.3,
    }  # fmt: skip
    values.update(changes)
    return Advice(**values)
