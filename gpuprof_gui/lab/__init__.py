"""The kernel lab's candidate-file API (pure: no CuPy, no Numba, no GPU).

A candidate file is plain Python that defines ``problem = Problem(...)`` and
declares candidates with :func:`elementwise`, :func:`raw_kernel`,
:func:`reduction`, :func:`array_code` and :func:`numba_kernel`. Worked
example: ``resources/examples/kernels/saxpy.py``::

    import numpy as np
    from gpuprof_gui.lab import Problem, array_code, elementwise, raw_kernel

    problem = Problem(
        name="SAXPY",
        make_inputs=lambda n, rng: (np.float32(rng.uniform(0.5, 2.0)),
                                    rng.random(n, dtype=np.float32),
                                    rng.random(n, dtype=np.float32)),
        reference=lambda a, x, y: a * x + y,      # NumPy: correctness and CPU time
        flops=lambda n: 2 * n,
        bytes_moved=lambda n: 3 * 4 * n,          # read x, read y, write out
        default_sizes=[1 << 20, 1 << 24],
    )

    ew = elementwise("elementwise", "float32 a, float32 x, float32 y", "float32 out",
                     "out = a * x + y")

    naive = raw_kernel("raw_naive", r'''
    extern "C" __global__ void saxpy(float a, const float* x, const float* y,
                                     float* out, long long n) {
        long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
        if (i < n) out[i] = a * x[i] + y[i];
    }''', "saxpy", grid=lambda n, dev: (n + 255) // 256, block=256)

    @array_code("cupy")
    def plain(cp, a, x, y):
        return a * x + y

Run it: ``gpuprof kernels saxpy.py --size 16777216``. Each candidate is
compiled, checked against the reference on fresh random inputs and timed
with CUDA events; see :mod:`gpuprof_gui.workers.kernel_worker`.
"""

from gpuprof_gui.lab.candidates import (
    KINDS,
    Candidate,
    LabFile,
    array_code,
    elementwise,
    numba_kernel,
    raw_kernel,
    reduction,
)
from gpuprof_gui.lab.loader import LabFileError, describe, load_lab_file
from gpuprof_gui.lab.problem import Problem, relative_error

__all__ = [
    "KINDS",
    "Candidate",
    "LabFile",
    "LabFileError",
    "Problem",
    "array_code",
    "describe",
    "elementwise",
    "load_lab_file",
    "numba_kernel",
    "raw_kernel",
    "reduction",
    "relative_error",
]
