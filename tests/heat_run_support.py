"""A cProfile profile of the GPU heat example made here, with no GPU, for joining to the H200 trace.

The trace ``data/gpu/gputrace_heat_h200.json`` was recorded from ``heat_gpu.py --steps 3 --grid 1024``
with frame paths relative to the repository. Here the same three example files run under cProfile
from a copy at ``<tmp>/checkout/resources/examples/offload/`` (absolute paths, as a profile made by the
app has) with a NumPy stand-in for CuPy: the functions, their lines and their callers are the
example's own; only the GPU work is missing, which is what the trace brings.
"""

from __future__ import annotations

import pstats
import shutil
import subprocess
import sys
from pathlib import Path

from gpuprof_gui.core.gpu_trace import GpuTrace, load_gpu_trace
from gpuprof_gui.core.importers.pstats_import import import_pstats
from gpuprof_gui.core.model import Profile

REPO = Path(__file__).resolve().parents[1]
HEAT_TRACE = REPO / "tests" / "data" / "gpu" / "gputrace_heat_h200.json"
EXAMPLE = Path("resources") / "examples" / "offload"
STAND_IN_CUPY = '''
"""NumPy stand-in for the few CuPy calls heat_gpu.py makes (a test double: no GPU work)."""
import numpy as np
from types import SimpleNamespace

asarray = np.asarray
asnumpy = np.asarray
empty_like = np.empty_like
int32 = np.int32
cuda = SimpleNamespace(runtime=SimpleNamespace(getDeviceCount=lambda: 1))


class RawKernel:
    def __init__(self, source, name):
        self.name = name

    def __call__(self, grid, block, args):
        u, v = args[0], args[1]
        v[...] = u
'''


def heat_trace() -> GpuTrace:
    return load_gpu_trace(HEAT_TRACE)


def heat_profile(tmp_path: Path) -> tuple[Profile, Path]:
    """(the profile, the folder holding the copied example files)."""
    where = tmp_path / "checkout" / EXAMPLE
    where.mkdir(parents=True)
    for name in ("heat_gpu.py", "heat_cpu.py", "heat_stencil.py"):
        shutil.copy(REPO / EXAMPLE / name, where / name)
    fake = tmp_path / "fake_cupy"
    fake.mkdir()
    (fake / "cupy.py").write_text(STAND_IN_CUPY)
    out = tmp_path / "heat.prof"
    env = {"PYTHONPATH": f"{fake}", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), str(where / "heat_gpu.py"), "--steps", "3", "--grid", "64"],
        cwd=where, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return import_pstats(pstats.Stats(str(out)).stats), where  # type: ignore[attr-defined]
