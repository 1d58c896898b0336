"""A CuPy program whose GPU work is known in advance: the GPU timeline's ground truth.

KERNELS launches of ``scale`` on N float32 (each bracketed by CUDA events), one H2D copy of
N*4 bytes, one memset of N*4 bytes (``cupy.zeros``), one stream synchronisation, two D2H
copies of N*4 bytes. ``run()`` returns the CUDA-event time of each launch in ms.

    python gputrace_known.py [OUT.json]     # writes the event times
"""

import json
import sys

import cupy as cp
import numpy as np

try:
    from nvtx import annotate as nvtx_range  # an NVTX range the timeline shows, where nvtx is installed
except ImportError:
    from contextlib import nullcontext

    def nvtx_range(*_args, **_kwargs):
        return nullcontext()


N = 1 << 26
KERNELS = 10
COPY_BYTES = N * 4
SOURCE = r"""
extern "C" __global__ void scale(float* x, float a, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = x[i] * a + 1.0f;
}
"""
BLOCK = 256


def launch_all(kernel, x):
    starts = [cp.cuda.Event() for _ in range(KERNELS)]
    ends = [cp.cuda.Event() for _ in range(KERNELS)]
    for i in range(KERNELS):
        starts[i].record()
        kernel(((N + BLOCK - 1) // BLOCK,), (BLOCK,), (x, np.float32(0.5), np.int64(N)))  # launch line
        ends[i].record()
    return starts, ends


def run():
    kernel = cp.RawKernel(SOURCE, "scale")
    kernel.compile()
    host = np.ones(N, np.float32)
    x = cp.asarray(host)  # H2D copy line
    y = cp.zeros(N, cp.float32)  # memset line
    with nvtx_range("launches"):
        starts, ends = launch_all(kernel, x)
    cp.cuda.Stream.null.synchronize()  # sync line
    back = cp.asnumpy(x)  # D2H copy line
    back_y = cp.asnumpy(y)  # second D2H copy line
    assert abs(float(back[0]) - (2.0 - 0.5**KERNELS)) < 1e-3
    assert not back_y.any()
    return [cp.cuda.get_elapsed_time(s, e) for s, e in zip(starts, ends)]


if __name__ == "__main__":
    times = run()
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump({"event_ms": times}, f)
    print("kernel ms (CUDA events):", " ".join(f"{t:.4f}" for t in times))
