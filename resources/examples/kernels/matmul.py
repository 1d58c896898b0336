"""Square float32 matrix multiply, C = A @ B: the compute-bound example.

2N³ FLOPs on 12N² bytes: past N ~ 100 the ceiling is arithmetic, so the
candidates differ in how often they re-read memory (naive: 2N per output;
shared-memory tiles: 2N/32; register blocking: fewer still) and cuBLAS
(``cupy.matmul``, no TF32) is the reference point.
"""

import numpy as np

from gpuprof_gui.lab import Problem, array_code, raw_kernel


def _inputs(n, rng):
    return (rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32))


problem = Problem(
    name="Matrix multiply",
    description="C = A @ B, float32, N×N",
    make_inputs=_inputs,
    reference=lambda a, b: a @ b,
    flops=lambda n: 2 * n**3,
    bytes_moved=lambda n: 3 * 4 * n * n,
    default_sizes=[512, 2048, 4096],
    size_label="N (N×N)",
)

_args = lambda n, inputs, out: (*inputs, out, np.int32(n))  # noqa: E731

naive = raw_kernel(
    "raw_naive",
    r"""
extern "C" __global__ void matmul(const float* A, const float* B, float* C, int N) {
    int row = blockIdx.y * blockDim.y + threadIdx.y;
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= N || col >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < N; ++k) acc += A[(long long)row * N + k] * B[(long long)k * N + col];
    C[(long long)row * N + col] = acc;
}
""",
    "matmul",
    grid=lambda n, dev: ((n + 15) // 16, (n + 15) // 16),
    block=(16, 16),
    args=_args,
    description="one thread per output, every operand from global memory",
)

tiled = raw_kernel(
    "raw_tiled32",
    r"""
#define T 32
extern "C" __global__ void matmul_tiled(const float* A, const float* B, float* C, int N) {
    __shared__ float As[T][T];
    __shared__ float Bs[T][T];
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * T + ty, col = blockIdx.x * T + tx;
    float acc = 0.0f;
    for (int k0 = 0; k0 < N; k0 += T) {
        As[ty][tx] = (row < N && k0 + tx < N) ? A[(long long)row * N + k0 + tx] : 0.0f;
        Bs[ty][tx] = (k0 + ty < N && col < N) ? B[(long long)(k0 + ty) * N + col] : 0.0f;
        __syncthreads();
#pragma unroll
        for (int k = 0; k < T; ++k) acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < N && col < N) C[(long long)row * N + col] = acc;
}
""",
    "matmul_tiled",
    grid=lambda n, dev: ((n + 31) // 32, (n + 31) // 32),
    block=(32, 32),
    args=_args,
    description="32×32 shared-memory tiles",
)

regblock = raw_kernel(
    "raw_regblock64",
    r"""
#define BM 64
#define BN 64
#define BK 16
/* 256 threads compute a 64×64 tile of C, 4×4 outputs each, from 64×16 and
   16×64 tiles of A and B staged in shared memory (A transposed, padded to
   avoid bank conflicts on the transposing store). */
extern "C" __global__ void __launch_bounds__(256) matmul_reg(const float* __restrict__ A,
        const float* __restrict__ B, float* __restrict__ C, int N) {
    __shared__ float As[BK][BM + 1];
    __shared__ float Bs[BK][BN];
    int tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
    int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    float acc[4][4] = {{0.0f}};
    for (int k0 = 0; k0 < N; k0 += BK) {
#pragma unroll
        for (int l = 0; l < 4; ++l) {
            int idx = tid + l * 256;
            int m = idx / BK, k = idx % BK;
            int r = row0 + m, c = k0 + k;
            As[k][m] = (r < N && c < N) ? A[(long long)r * N + c] : 0.0f;
            int kb = idx / BN, nb = idx % BN;
            int rb = k0 + kb, cb = col0 + nb;
            Bs[kb][nb] = (rb < N && cb < N) ? B[(long long)rb * N + cb] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK; ++k) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) { a[i] = As[k][ty + 16 * i]; b[i] = Bs[k][tx + 16 * i]; }
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            int r = row0 + ty + 16 * i, c = col0 + tx + 16 * j;
            if (r < N && c < N) C[(long long)r * N + c] = acc[i][j];
        }
}
""",
    "matmul_reg",
    grid=lambda n, dev: ((n + 63) // 64, (n + 63) // 64),
    block=(16, 16),
    args=_args,
    description="64×64 block tiles, 4×4 outputs per thread in registers",
)


@array_code("cublas", description="cupy.matmul (cuBLAS SGEMM, no TF32)")
def cublas(cp, a, b):
    return cp.matmul(a, b)
