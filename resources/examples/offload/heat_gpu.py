"""Heat spreading over a metal plate: the same program as ``heat_cpu.py`` with ``diffuse``
on the GPU (CuPy). The field goes to the GPU and back on every call, as a first
port of a program does: the advisor counts those copies.

    python heat_gpu.py          # needs an NVIDIA GPU and CuPy
"""

import sys

import numpy as np
from heat_cpu import ALPHA, SWEEPS, main
from heat_stencil import JACOBI_SOURCE, KERNEL_NAME, sweeps_on_device

try:
    import cupy as cp

    cp.cuda.runtime.getDeviceCount()
except Exception as exc:  # noqa: BLE001 - no CuPy, no driver or no GPU: say so in one line
    sys.exit(f"heat_gpu.py needs CuPy and an NVIDIA GPU ({type(exc).__name__}: {exc})")

_kernel = cp.RawKernel(JACOBI_SOURCE, KERNEL_NAME)


def diffuse(field, sweeps=SWEEPS):
    """``heat_cpu.diffuse`` on the GPU: copy in, sweep, copy out."""
    u = cp.asarray(field)
    return cp.asnumpy(sweeps_on_device(cp, _kernel, u, sweeps, np.float32(ALPHA)))


if __name__ == "__main__":
    main(diffuse, label="GPU")
