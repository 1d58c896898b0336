"""Heat spreading over a metal plate, with statistics after every step: the CPU version.

The plate is a GRID × GRID float32 field. Each step lets heat diffuse
(``diffuse``: SWEEPS Jacobi sweeps of the 5-point stencil — the hotspot), then
summarises the field (percentiles and a histogram: stays on the CPU) and adds
fresh heat at a few random spots.

    python heat_cpu.py                      # about 5 s on a current CPU
    gpuprof advise heat_cpu.py --offload diffuse --kernels heat_kernels.py

``heat_gpu.py`` is the same program with ``diffuse`` moved to the GPU; the
advisor predicts its speed-up from this file's profile and the kernel lab.
"""

import argparse
import time

import numpy as np

GRID = 2048
STEPS = 12
SWEEPS = 20  # Jacobi sweeps per step
ALPHA = np.float32(0.2)  # diffusion number; below 0.25 the explicit scheme is stable
SEED = 7


def initial_field(n=GRID, seed=SEED):
    """A cool plate (float32) with a few hot spots."""
    rng = np.random.default_rng(seed)
    field = rng.random((n, n), dtype=np.float32) * np.float32(0.1)
    return reheat(field, rng)


def reheat(field, rng, spots=16, radius=12):
    """Add heat at random spots (in place; returns the field)."""
    n = field.shape[0]
    for y, x in rng.integers(radius, n - radius, size=(spots, 2)):
        field[y - radius : y + radius, x - radius : x + radius] += np.float32(1.0)
    return field


def diffuse(field, sweeps=SWEEPS):
    """The hotspot: ``sweeps`` Jacobi sweeps; the border stays fixed. Returns a new array."""
    u = field.copy()
    for _ in range(sweeps):
        centre = u[1:-1, 1:-1]
        u[1:-1, 1:-1] = centre + ALPHA * (
            u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - np.float32(4.0) * centre
        )
    return u


def summarize(field):
    """Median, 90th and 99th percentile and a 64-bin histogram: the CPU part that stays."""
    return np.percentile(field, [50, 90, 99]), np.histogram(field, bins=64)[0]


def simulate(diffuse_fn, steps=STEPS, n=GRID):
    """Run the whole program with ``diffuse_fn`` as the hotspot; the last step's statistics."""
    rng = np.random.default_rng(SEED + 1)
    field = initial_field(n)
    stats = None
    for _ in range(steps):
        field = diffuse_fn(field)
        stats = summarize(field)
        reheat(field, rng)
    return stats


def main(diffuse_fn=diffuse, label="CPU"):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--grid", type=int, default=GRID)
    args = parser.parse_args()
    t0 = time.perf_counter()
    (p50, p90, p99), _hist = simulate(diffuse_fn, args.steps, args.grid)
    print(
        f"{label}: {args.steps} steps of a {args.grid}×{args.grid} plate in "
        f"{time.perf_counter() - t0:.2f} s; median {p50:.4f}, p90 {p90:.4f}, p99 {p99:.4f}"
    )


if __name__ == "__main__":
    main()
