"""Mandelbrot escape counts on a width×width grid: compute-bound, data-dependent work.

Every candidate runs the same float64 recurrence as the NumPy reference, in
the same operation order, with FMA contraction off where the compiler allows
(``--fmad=false``), so escape counts match except where rounding decides a
point on the set's boundary; hence the "l2" error norm.
"""

import numpy as np

from gpuprof_gui.lab import Problem, array_code, elementwise, numba_kernel, raw_kernel

MAX_ITER = 256


def _inputs(width, rng):
    # A slightly different window each run: fresh inputs, same picture.
    x0 = -2.0 + rng.uniform(-0.05, 0.05)
    y0 = -1.25 + rng.uniform(-0.05, 0.05)
    return (np.float64(x0), np.float64(y0), np.float64(2.5 / width), np.int32(width), np.int32(MAX_ITER))


def _reference(x0, y0, step, width, max_iter):
    w = int(width)
    cr = np.broadcast_to(x0 + step * np.arange(w, dtype=np.float64), (w, w)).ravel()
    ci = np.broadcast_to((y0 + step * np.arange(w, dtype=np.float64))[:, None], (w, w)).ravel()
    counts = np.full(w * w, int(max_iter), dtype=np.int32)
    idx = np.arange(w * w)
    zr, zi = np.zeros(w * w), np.zeros(w * w)
    cr, ci = cr.copy(), ci.copy()
    for i in range(int(max_iter)):  # only points still inside are iterated
        zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
        out = zr * zr + zi * zi > 4.0
        if out.any():
            counts[idx[out]] = i
            keep = ~out
            idx, zr, zi, cr, ci = idx[keep], zr[keep], zi[keep], cr[keep], ci[keep]
        if idx.size == 0:
            break
    return counts.reshape(w, w)


problem = Problem(
    name="Mandelbrot",
    description=f"escape counts, float64, up to {MAX_ITER} iterations",
    make_inputs=_inputs,
    reference=_reference,
    # ~10 FLOPs per iteration (3 mul + 2 add for z², 2 mul + 1 add for |z|²... ),
    # iterations = escape count + 1, from the reference output.
    flops=lambda w, ref: 10 * (ref.astype(np.int64) + 1).sum(),
    bytes_moved=lambda w: 4 * w * w,
    flops_dtype="float64",
    error_norm="l2",
    rtol=5e-3,
    default_sizes=[512, 2048],
    size_label="width (w×w)",
)

_NO_FMA = ("--fmad=false",)
_args = lambda w, inputs, out: (*inputs, out)  # noqa: E731

_RAW_BODY = r"""
    double cr = x0 + step * (double)col, ci = y0 + step * (double)row;
    double zr = 0.0, zi = 0.0;
    int count = max_iter;
    for (int i = 0; i < max_iter; ++i) {
        double nzr = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = nzr;
        if (zr * zr + zi * zi > 4.0) { count = i; break; }
    }
    out[(long long)row * width + col] = count;
"""

naive = raw_kernel(
    "raw_naive",
    r"""
extern "C" __global__ void mandel(double x0, double y0, double step, int width, int max_iter,
                                  int* out) {
    long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (p >= (long long)width * width) return;
    int row = (int)(p / width), col = (int)(p % width);
"""
    + _RAW_BODY
    + "}\n",
    "mandel",
    grid=lambda w, dev: (w * w + 255) // 256,
    block=256,
    args=_args,
    options=_NO_FMA,
    description="one thread per pixel, 1-D grid",
)

tiled = raw_kernel(
    "raw_2d_tiles",
    r"""
extern "C" __global__ void mandel2d(double x0, double y0, double step, int width, int max_iter,
                                    int* out) {
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= width || col >= width) return;
"""
    + _RAW_BODY
    + "}\n",
    "mandel2d",
    grid=lambda w, dev: ((w + 31) // 32, (w + 7) // 8),
    block=(32, 8),
    args=_args,
    options=_NO_FMA,
    description="32×8 pixel tiles: neighbours in a warp escape together (less divergence)",
)

ew = elementwise(
    "elementwise",
    "float64 x0, float64 y0, float64 step, int32 width, int32 max_iter",
    "int32 out",
    r"""
    int row = i / width, col = i % width;
    double cr = x0 + step * (double)col, ci = y0 + step * (double)row;
    double zr = 0.0, zi = 0.0;
    int count = max_iter;
    for (int it = 0; it < max_iter; ++it) {
        double nzr = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = nzr;
        if (zr * zr + zi * zi > 4.0) { count = it; break; }
    }
    out = count;
""",
    options=_NO_FMA,
    description="cupy.ElementwiseKernel, one pixel per element",
)


@array_code("cupy", description="the NumPy algorithm in CuPy arrays: one kernel per step")
def plain(cp, x0, y0, step, width, max_iter):
    w = int(width)
    cr = cp.broadcast_to(x0 + step * cp.arange(w, dtype=cp.float64), (w, w))
    ci = cp.broadcast_to((y0 + step * cp.arange(w, dtype=cp.float64))[:, None], (w, w))
    zr, zi = cp.zeros((w, w)), cp.zeros((w, w))
    counts = cp.full((w, w), int(max_iter), dtype=cp.int32)
    alive = cp.ones((w, w), dtype=bool)
    for i in range(int(max_iter)):
        zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
        escaped = alive & (zr * zr + zi * zi > 4.0)
        counts[escaped] = i
        alive &= ~escaped
        zr, zi = cp.where(alive, zr, 0.0), cp.where(alive, zi, 0.0)
    return counts


@numba_kernel(
    "numba", grid=lambda w, dev: ((w + 31) // 32, (w + 7) // 8), block=(32, 8), description="numba.cuda.jit, 2-D grid"
)
def numba_mandel(cuda):
    @cuda.jit
    def mandel(x0, y0, step, width, max_iter, out):
        col, row = cuda.grid(2)
        if row >= width or col >= width:
            return
        cr = x0 + step * col
        ci = y0 + step * row
        zr = 0.0
        zi = 0.0
        count = max_iter
        for i in range(max_iter):
            nzr = zr * zr - zi * zi + cr
            zi = 2.0 * zr * zi + ci
            zr = nzr
            if zr * zr + zi * zi > 4.0:
                count = i
                break
        out[row, col] = count

    return mandel
