"""Sum of n float32 values: a reduction, memory-bound, with the classic tuning steps.

Naive: one element per thread and a shared-memory tree per block, then one
atomicAdd per block. Grid-stride: each thread first sums many elements, so
there are few blocks and few atomics. Warp shuffles: float4 loads and
``__shfl_down_sync`` instead of shared-memory steps. ``cupy.sum`` and a
``cupy.ReductionKernel`` are the reference points.
"""

import numpy as np

from gpuprof_gui.lab import Problem, array_code, raw_kernel, reduction

problem = Problem(
    name="Sum reduction",
    description="sum of n float32 values (result float32)",
    make_inputs=lambda n, rng: (rng.random(n, dtype=np.float32),),
    reference=lambda x: np.asarray(x.sum(), dtype=np.float32),  # pairwise summation
    flops=lambda n: n,
    bytes_moved=lambda n: 4 * n,
    default_sizes=[1 << 20, 1 << 24, 1 << 27],
)

_resident_blocks = lambda n, dev: max(1, min((n + 255) // 256, dev.sm_count * dev.max_threads_per_sm // 256))  # noqa: E731

naive = raw_kernel(
    "raw_naive_tree",
    r"""
extern "C" __global__ void sum_naive(const float* x, float* out, long long n) {
    __shared__ float s[256];
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    s[threadIdx.x] = i < n ? x[i] : 0.0f;
    __syncthreads();
    for (int stride = 1; stride < blockDim.x; stride *= 2) {   /* interleaved: divergent */
        if (threadIdx.x % (2 * stride) == 0) s[threadIdx.x] += s[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(out, s[0]);
}
""",
    "sum_naive",
    grid=lambda n, dev: (n + 255) // 256,
    block=256,
    args=lambda n, inputs, out: (inputs[0], out, np.int64(n)),
    zero_output=True,
    description="one element per thread, shared-memory tree, atomicAdd per block",
)

gridstride = raw_kernel(
    "raw_gridstride_tree",
    r"""
extern "C" __global__ void sum_gs(const float* __restrict__ x, float* out, long long n) {
    __shared__ float s[256];
    float acc = 0.0f;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x)
        acc += x[i];
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {   /* sequential addressing */
        if (threadIdx.x < stride) s[threadIdx.x] += s[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(out, s[0]);
}
""",
    "sum_gs",
    grid=_resident_blocks,
    block=256,
    args=lambda n, inputs, out: (inputs[0], out, np.int64(n)),
    zero_output=True,
    description="grid-stride accumulation, then a shared-memory tree",
)

shuffle = raw_kernel(
    "raw_warp_shuffle",
    r"""
__device__ __forceinline__ float warp_sum(float v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    return v;
}
extern "C" __global__ void sum_shfl(const float* __restrict__ x, float* out, long long n) {
    __shared__ float warp_partial[32];
    long long tid = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    long long stride = (long long)gridDim.x * blockDim.x;
    long long n4 = n / 4;
    const float4* x4 = (const float4*)x;
    float acc = 0.0f;
    for (long long i = tid; i < n4; i += stride) {
        float4 v = __ldcs(x4 + i);
        acc += (v.x + v.y) + (v.z + v.w);
    }
    if (tid < n - n4 * 4) acc += x[n4 * 4 + tid];
    acc = warp_sum(acc);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warp_partial[warp] = acc;
    __syncthreads();
    if (warp == 0) {
        acc = lane < (blockDim.x >> 5) ? warp_partial[lane] : 0.0f;
        acc = warp_sum(acc);
        if (lane == 0) atomicAdd(out, acc);
    }
}
""",
    "sum_shfl",
    grid=_resident_blocks,
    block=256,
    args=lambda n, inputs, out: (inputs[0], out, np.int64(n)),
    zero_output=True,
    description="float4 grid-stride loads, warp shuffles, one atomicAdd per block",
)

rk = reduction(
    "reduction_kernel", "float32 x", "float32 y", "x", "a + b", "y = a", "0", description="cupy.ReductionKernel"
)


@array_code("cupy_sum", description="cupy.sum (CUB device reduction)")
def cupy_sum(cp, x):
    return cp.sum(x)
