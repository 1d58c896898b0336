"""GPU load for recording a telemetry trace: a compute phase, then a host<->device transfer phase.

Prints "phase <label>" as each phase starts and "done" at the end, so the
parent can draw run bands.  Run by tests/test_gpu_device.py on a GPU machine.
"""

import argparse
import time

import cupy as cp
import numpy as np

ELEMENTS = 1 << 27  # 128 Mi float32 = 512 MiB per array: far beyond L2, keeps HBM busy
TRANSFER_ELEMENTS = 1 << 26  # 256 MiB per copy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--compute-s", type=float, default=8.0)
    parser.add_argument("--transfer-s", type=float, default=6.0)
    args = parser.parse_args()
    x = cp.random.random(ELEMENTS, dtype=cp.float32)
    y = cp.empty_like(x)
    cp.cuda.Device().synchronize()
    print("phase compute: elementwise float32", flush=True)
    end = time.monotonic() + args.compute_s
    while time.monotonic() < end:
        for _ in range(20):
            cp.multiply(x, 1.0001, out=y)
            cp.add(y, 0.5, out=x)
        cp.cuda.Device().synchronize()
    print("phase transfer: host<->device", flush=True)
    host = np.random.random(TRANSFER_ELEMENTS).astype(np.float32)
    end = time.monotonic() + args.transfer_s
    while time.monotonic() < end:
        dev = cp.asarray(host)
        host = cp.asnumpy(dev)
    cp.cuda.Device().synchronize()
    print("done", flush=True)


if __name__ == "__main__":
    main()
