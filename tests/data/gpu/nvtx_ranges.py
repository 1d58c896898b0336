"""NVTX ranges around CuPy work: the GPU trace must show each range on the CPU thread's row.

    python nvtx_ranges.py   # needs CuPy, a GPU and the nvtx package
"""

import cupy as cp
import nvtx

ROUNDS = 3


def step(x):
    with nvtx.annotate("step", color="green"):
        y = cp.sin(x) * 2.0
        return float(y.sum())


def main():
    nvtx.push_range("prepare")
    x = cp.arange(1 << 20, dtype=cp.float32)
    nvtx.pop_range()
    total = 0.0
    for _ in range(ROUNDS):
        total += step(x)
    print(f"total {total:.3f}")


if __name__ == "__main__":
    main()
