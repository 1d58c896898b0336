"""Image-like array work in numpy: most of the time is native (C/BLAS) time.

Scalene separates Python time from native time per line, so this script
shows the difference: ``blur`` and ``spectrum`` and ``correlate`` spend
almost all their time inside numpy, while ``python_threshold`` does the same
kind of work in a Python loop and is slow for its size. cProfile only sees
the numpy calls as opaque built-ins.

Usage: python numpy_demo.py [--scale S] [--seed N]   (about 1 s at 1.0)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

SIDE_AT_SCALE_1 = 2048  # image side in pixels; work grows with side^2
BLUR_PASSES = 8  # box-blur passes; each is a few whole-array additions
MATRIX_SIDE_AT_SCALE_1 = 1000  # correlate() is a matmul, O(side^3)
PYTHON_PIXELS = 1_000_000  # pixels the Python loop visits (an even sample); ~50x slower per pixel than numpy


def make_image(side: int, rng: np.random.Generator) -> np.ndarray:
    """A noisy gradient with a few bright blobs."""
    y, x = np.mgrid[0:side, 0:side] / side
    image = x + 0.5 * y + rng.normal(0.0, 0.2, (side, side))
    for _ in range(5):
        cy, cx = rng.uniform(0.1, 0.9, 2)
        image += 2.0 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.002)
    return image


def blur(image: np.ndarray, passes: int) -> np.ndarray:
    """3x3 box blur repeated, by shifted whole-array additions."""
    out = image
    for _ in range(passes):
        padded = np.pad(out, 1, mode="edge")
        acc = np.zeros_like(out)
        for dy in range(3):
            for dx in range(3):
                acc += padded[dy : dy + out.shape[0], dx : dx + out.shape[1]]
        out = acc / 9.0
    return out


def spectrum(image: np.ndarray) -> np.ndarray:
    """Log magnitude of the 2-D FFT."""
    return np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(image))))


def correlate(features: np.ndarray) -> np.ndarray:
    """Correlation matrix of the feature columns (a matmul underneath)."""
    centred = features - features.mean(axis=0)
    cov = centred.T @ centred / (len(features) - 1)
    std = np.sqrt(np.diag(cov))
    return cov / np.outer(std, std)


def python_threshold(values: np.ndarray, level: float) -> tuple[int, float]:
    """Count values above a level and their summed squared excess, one by one
    in Python (the slow way; numpy does it in one line)."""
    count = 0
    excess = 0.0
    for v in values.tolist():
        d = v - level
        if d > 0.0:
            count += 1
            excess += d * d
    return count, excess


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="work multiplier (default 1.0)")
    parser.add_argument("--seed", type=int, default=5, help="random seed (default 5)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    rng = np.random.default_rng(args.seed)
    side = max(16, round(SIDE_AT_SCALE_1 * args.scale**0.5))
    matrix_side = max(8, round(MATRIX_SIDE_AT_SCALE_1 * args.scale ** (1 / 3)))
    started_s = time.perf_counter()

    image = make_image(side, rng)
    print(f"image {side}x{side}, mean {image.mean():.3f}", flush=True)
    smoothed = blur(image, BLUR_PASSES)
    power = spectrum(smoothed)
    print(f"blurred x{BLUR_PASSES}; spectrum peak {power.max():.2f}", flush=True)
    corr = correlate(rng.normal(size=(4 * matrix_side, matrix_side)))
    print(
        f"correlation of {matrix_side} features: max off-diagonal {np.abs(corr - np.eye(matrix_side)).max():.3f}",
        flush=True,
    )
    sample = smoothed.ravel()[:: max(1, smoothed.size // PYTHON_PIXELS)]
    bright, excess = python_threshold(sample, level=1.5)
    print(f"{bright} of {sample.size} sampled pixels above 1.5, squared excess {excess:.1f} (Python loop)")
    print(f"done in {time.perf_counter() - started_s:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
