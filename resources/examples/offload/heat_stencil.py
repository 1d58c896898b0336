"""The CUDA source of one Jacobi sweep, shared by the GPU program and its candidate file.

Plain text: importing this needs no CuPy.
"""

JACOBI_SOURCE = r"""
extern "C" __global__ void jacobi(const float* __restrict__ u, float* __restrict__ v,
                                  float alpha, int n) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= n || y >= n) return;
    long long i = (long long)y * n + x;
    if (x == 0 || y == 0 || x == n - 1 || y == n - 1) { v[i] = u[i]; return; }
    float c = u[i];
    /* the same order of operations as the NumPy version, so float32 results agree */
    v[i] = c + alpha * ((((u[i - n] + u[i + n]) + u[i - 1]) + u[i + 1]) - 4.0f * c);
}
"""
KERNEL_NAME = "jacobi"
BLOCK = (32, 8)


def grid_for(n):
    """Blocks covering an n × n field."""
    return ((n + BLOCK[0] - 1) // BLOCK[0], (n + BLOCK[1] - 1) // BLOCK[1])


def sweeps_on_device(cp, kernel, u, sweeps, alpha):
    """``sweeps`` sweeps of ``kernel`` from device array ``u``; the device array holding the result."""
    n = u.shape[0]
    v = cp.empty_like(u)
    for _ in range(sweeps):
        kernel(grid_for(n), BLOCK, (u, v, alpha, cp.int32(n)))
        u, v = v, u
    return u
