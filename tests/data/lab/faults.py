"""Candidates that fail on purpose, each kind of fault once, with good ones between.

The GPU tests run this file and check that every fault is reported for its
own candidate and that the good candidates after it still run and pass.
"""

import numpy as np

from gpuprof_gui.lab import Problem, array_code, raw_kernel

problem = Problem(
    name="Faults",
    make_inputs=lambda n, rng: (np.float32(rng.uniform(0.5, 2.0)), rng.random(n, dtype=np.float32),
                                rng.random(n, dtype=np.float32)),
    reference=lambda a, x, y: a * x + y,
    flops=lambda n: 2 * n,
    bytes_moved=lambda n: 12 * n,
    default_sizes=[1 << 16],
)

_grid = lambda n, dev: (n + 255) // 256  # noqa: E731

_GOOD = r"""
extern "C" __global__ void k(float a, const float* x, const float* y, float* out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a * x[i] + y[i];
}
"""

good = raw_kernel("good", _GOOD, "k", grid=_grid)

compile_error = raw_kernel("compile_error", r"""
extern "C" __global__ void k(float a, const float* x, const float* y, float* out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a * x[i] + undeclared_name;
}
""", "k", grid=_grid)

wrong = raw_kernel("wrong", r"""
extern "C" __global__ void k(float a, const float* x, const float* y, float* out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a * x[i];
}
""", "k", grid=_grid)

nan = raw_kernel("nan", r"""
extern "C" __global__ void k(float a, const float* x, const float* y, float* out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = (i == 7) ? __int_as_float(0x7fc00000) : a * x[i] + y[i];
}
""", "k", grid=_grid)

unwritten = raw_kernel("unwritten", r"""
extern "C" __global__ void k(float a, const float* x, const float* y, float* out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n - 1) out[i] = a * x[i] + y[i];   /* forgets the last element */
}
""", "k", grid=_grid)


@array_code("out_of_memory")
def out_of_memory(cp, a, x, y):
    scratch = cp.empty(1 << 50, dtype=cp.uint8)  # 1 PiB
    return a * x + y + scratch[:1].astype(cp.float32)


illegal_address = raw_kernel("illegal_address", r"""
extern "C" __global__ void k(float a, const float* x, const float* y, float* out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) out[i + (1LL << 40)] = a * x[i] + y[i];
}
""", "k", grid=_grid)

good_after_crash = raw_kernel("good_after_crash", _GOOD, "k", grid=_grid)

never_finishes = raw_kernel("never_finishes", r"""
extern "C" __global__ void k(float a, const float* x, const float* y, float* out, long long n) {
    /* x holds values in [0, 1): the loop never ends, and the compiler cannot know. */
    while (((volatile const float*)x)[0] >= 0.0f) { }
}
""", "k", grid=_grid)

good_after_hang = raw_kernel("good_after_hang", _GOOD, "k", grid=_grid)
