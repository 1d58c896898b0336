"""SAXPY, out = a*x + y in float32: the memory-bound baseline of the kernel lab.

It moves 12 bytes per 2 FLOPs, so the ceiling is memory bandwidth: the best
candidate should come close to the measured device-to-device copy rate.
"""

import numpy as np

from gpuprof_gui.lab import Problem, array_code, elementwise, numba_kernel, raw_kernel

problem = Problem(
    name="SAXPY",
    description="out = a * x + y, float32",
    make_inputs=lambda n, rng: (
        np.float32(rng.uniform(0.5, 2.0)),
        rng.random(n, dtype=np.float32),
        rng.random(n, dtype=np.float32),
    ),
    reference=lambda a, x, y: a * x + y,
    flops=lambda n: 2 * n,
    bytes_moved=lambda n: 3 * 4 * n,  # read x, read y, write out
    default_sizes=[1 << 20, 1 << 24, 1 << 27],
)

ew = elementwise(
    "elementwise",
    "float32 a, float32 x, float32 y",
    "float32 out",
    "out = a * x + y",
    description="cupy.ElementwiseKernel",
)

naive = raw_kernel(
    "raw_naive",
    r"""
extern "C" __global__ void saxpy(float a, const float* x, const float* y, float* out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a * x[i] + y[i];
}
""",
    "saxpy",
    grid=lambda n, dev: (n + 255) // 256,
    block=256,
    description="one thread per element",
)

float4_kernel = raw_kernel(
    "raw_float4",
    r"""
extern "C" __global__ void saxpy4(float a, const float4* __restrict__ x, const float4* __restrict__ y,
                                  float4* __restrict__ out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    long long n4 = n / 4;
    if (i < n4) {
        float4 xv = x[i], yv = y[i];
        out[i] = make_float4(a * xv.x + yv.x, a * xv.y + yv.y, a * xv.z + yv.z, a * xv.w + yv.w);
    }
    long long t = n4 * 4 + i;  /* the last n % 4 elements, one thread each */
    if (t < n) ((float*)out)[t] = a * ((const float*)x)[t] + ((const float*)y)[t];
}
""",
    "saxpy4",
    grid=lambda n, dev: max(1, (n // 4 + 255) // 256),
    block=256,
    description="16-byte loads and stores, one float4 per thread",
)

gridstride = raw_kernel(
    "raw_float4_gridstride",
    r"""
extern "C" __global__ void saxpy4gs(float a, const float4* __restrict__ x, const float4* __restrict__ y,
                                    float4* __restrict__ out, long long n) {
    long long n4 = n / 4;
    long long start = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = start; i < n4; i += stride) {
        float4 xv = __ldcs(x + i), yv = __ldcs(y + i);   /* streamed: no reuse, evict first */
        __stcs(out + i, make_float4(a * xv.x + yv.x, a * xv.y + yv.y, a * xv.z + yv.z, a * xv.w + yv.w));
    }
    long long t = n4 * 4 + start;
    if (t < n) ((float*)out)[t] = a * ((const float*)x)[t] + ((const float*)y)[t];
}
""",
    "saxpy4gs",
    # Enough resident threads to fill every SM (max_threads_per_sm / 256 blocks
    # each), no more: each thread then streams many float4s.
    grid=lambda n, dev: max(1, min((n // 4 + 255) // 256, dev.sm_count * dev.max_threads_per_sm // 256)),
    block=256,
    description="grid-stride loop, float4, streaming cache hints",
)


@array_code("cupy", description="plain CuPy: a * x + y (two kernels, a temporary)")
def plain(cp, a, x, y):
    return a * x + y


@numba_kernel(
    "numba", grid=lambda n, dev: (n + 255) // 256, block=256, description="numba.cuda.jit, one thread per element"
)
def numba_saxpy(cuda):
    @cuda.jit
    def saxpy(a, x, y, out):
        i = cuda.grid(1)
        if i < out.size:
            out[i] = a * x[i] + y[i]

    return saxpy
