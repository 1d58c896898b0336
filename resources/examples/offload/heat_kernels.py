"""Candidate GPU versions of ``heat_cpu.diffuse`` for the kernel lab and ``gpuprof advise``.

The reference is the CPU program's own function, so the lab's speed-up is the
speed-up of that hotspot:

    gpuprof kernels heat_kernels.py
    gpuprof advise heat_cpu.py --offload diffuse --kernels heat_kernels.py
"""

import functools

import numpy as np
from heat_cpu import ALPHA, GRID, SWEEPS, diffuse
from heat_stencil import JACOBI_SOURCE, KERNEL_NAME, sweeps_on_device

from gpuprof_gui.lab import Problem, array_code

problem = Problem(
    name="Heat diffusion",
    description=f"{SWEEPS} Jacobi sweeps of a 5-point stencil on an N×N float32 plate",
    make_inputs=lambda n, rng: (rng.random((n, n), dtype=np.float32),),
    reference=diffuse,
    flops=lambda n: 7 * (n - 2) ** 2 * SWEEPS,  # 4 adds, 1 subtract, 2 multiplies per point
    bytes_moved=lambda n: 2 * 4 * n * n * SWEEPS,  # each sweep reads u and writes v
    default_sizes=[GRID],
    size_label="N (N×N)",
    offloads=("diffuse",),  # heat_cpu.diffuse is the hotspot these candidates replace
)


@functools.cache
def _kernel(cp):
    return cp.RawKernel(JACOBI_SOURCE, KERNEL_NAME)


@array_code("raw_jacobi", description="the RawKernel heat_gpu.py uses, one launch per sweep")
def raw_jacobi(cp, field):
    # A copy: the sweeps ping-pong between two buffers and must not overwrite the input.
    return sweeps_on_device(cp, _kernel(cp), field.copy(), SWEEPS, np.float32(ALPHA))


@array_code(
    "cupy_slicing",
    description="heat_cpu.diffuse itself on CuPy arrays: the same slicing code, one kernel per operation, temporaries",
)
def cupy_slicing(cp, field):
    return diffuse(field)  # NumPy code runs unchanged on CuPy arrays: the first port to try
