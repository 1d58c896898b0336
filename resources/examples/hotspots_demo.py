"""Sensor anomaly report: a slow pure-Python "data science" script to profile.

It simulates multi-feature sensor samples, scores each reading by the mean
distance to its k nearest neighbours (an anomaly score), smooths the series
with a moving average and bins it into a histogram.

The time is designed to be spent, in this order, in:

1. ``pairwise_distances`` -- all-pairs Euclidean distances, O(n^2 * d); about
   60-65 % of the run and roughly 4x the next function;
2. ``smooth`` -- a moving average recomputed window by window, O(n * w);
   about 15 %;
3. ``histogram`` -- a linear bin search per value, O(n * bins); about 10 %.

The inner loops use operators only (no ``math.sqrt`` or other calls), so each
function's time is its own (self) time. ``EXPECTED_ORDER`` states the order
of self time under cProfile, for tests and for anyone checking what the
profiler shows. Under Scalene the first two keep their places and ratio;
third place is close between ``histogram`` and ``knn_scores`` (whose
``sorted`` runs in C, which Scalene charges to the calling line while
cProfile lists it as a separate built-in). Each of the three is a textbook
candidate for numpy or a GPU kernel.

Usage: python hotspots_demo.py [--scale S] [--seed N]
``--scale`` multiplies the work of every stage alike (the stage sizes grow
so that the ratios between stages stay put); 1.0 takes about 2-4 s under
cProfile on a 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import time

# The functions that dominate the run, most expensive first (self time).
EXPECTED_ORDER = ["pairwise_distances", "smooth", "histogram"]

# Stage sizes at --scale 1.0, chosen by measurement (Python 3.11, 2-core VM) so
# that the stages take about 63 % / 16 % / 10 % of the time and the whole run
# ~1.3 s plain, ~2.9 s under cProfile.
POINTS_AT_SCALE_1 = 1000  # pairwise cost grows with points^2, so points ~ sqrt(scale)
# Many features per sample (e.g. a spectrum) keep the distance loop, not the
# k-NN sort (n^2 log n, in C), the dominant cost.
FEATURES = 48
NEIGHBOURS_K = 5
SAMPLES_AT_SCALE_1 = 250_000  # smoothing/histogram cost grows linearly
WINDOW = 40  # moving-average window, in samples
BINS = 50
FAULT_JUMP = 6.0  # added to every feature of a faulty sample; ~6 sigma, so it stands out
FAULT_RATE = 0.004  # ~4 faults in 1000 samples: fewer than k, so each is far from its k nearest


def make_readings(n_points: int, n_features: int, rng: random.Random) -> list[list[float]]:
    """Synthetic sensor samples: Gaussian noise around a slow drift, a few faults."""
    readings = []
    for i in range(n_points):
        drift = i / n_points
        row = [drift + rng.gauss(0.0, 1.0) for _ in range(n_features)]
        if rng.random() < FAULT_RATE:  # a rare fault: the whole sample jumps
            row = [value + FAULT_JUMP for value in row]
        readings.append(row)
    return readings


def pairwise_distances(points: list[list[float]]) -> list[list[float]]:
    """Full Euclidean distance matrix, the naive way (the main hotspot)."""
    n = len(points)
    n_features = len(points[0]) if points else 0
    dist = [[0.0] * n for _ in range(n)]
    for i in range(n):
        p = points[i]
        row_i = dist[i]
        for j in range(i + 1, n):
            q = points[j]
            total = 0.0
            for f in range(n_features):
                diff = p[f] - q[f]
                total += diff * diff
            d = total**0.5
            row_i[j] = d
            dist[j][i] = d
    return dist


def knn_scores(dist: list[list[float]], k: int) -> list[float]:
    """Anomaly score per point: mean distance to its k nearest neighbours."""
    scores = []
    for row in dist:
        # The point's own distance (0.0) sorts first; skip it.
        nearest = sorted(row)[1 : k + 1]
        scores.append(sum(nearest) / k)
    return scores


def make_series(n_samples: int, rng: random.Random) -> list[float]:
    """A long noisy signal (one sensor read at a high rate)."""
    level = 0.0
    series = []
    for _ in range(n_samples):
        level += 0.2 * rng.random() - 0.1
        series.append(level + 2.0 * rng.random() - 1.0)
    return series


def smooth(series: list[float], window: int) -> list[float]:
    """Moving average, recomputing each window from scratch (the second hotspot)."""
    out = []
    for i in range(len(series) - window + 1):
        total = 0.0
        for j in range(i, i + window):
            total += series[j]
        out.append(total / window)
    return out


def histogram(values: list[float], bins: int) -> list[int]:
    """Counts per equal-width bin, found by a linear scan of the edges (third hotspot)."""
    lo = min(values)
    hi = max(values)
    width = (hi - lo) / bins or 1.0
    edges = [lo + width * (b + 1) for b in range(bins)]
    counts = [0] * bins
    last = bins - 1
    for v in values:
        b = 0
        while b < last and v > edges[b]:
            b += 1
        counts[b] += 1
    return counts


def summarize(scores: list[float], counts: list[int]) -> dict[str, float]:
    """A few numbers for the report."""
    ordered = sorted(scores)
    return {
        "median_score": ordered[len(ordered) // 2],
        "max_score": ordered[-1],
        "anomalies": sum(1 for s in scores if s > 3 * ordered[len(ordered) // 2]),
        "fullest_bin": max(range(len(counts)), key=counts.__getitem__),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="work multiplier (default 1.0)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")

    rng = random.Random(args.seed)
    n_points = max(NEIGHBOURS_K + 2, round(POINTS_AT_SCALE_1 * args.scale**0.5))
    n_samples = max(WINDOW + BINS, round(SAMPLES_AT_SCALE_1 * args.scale))
    started_s = time.perf_counter()

    print(f"[1/4] generating {n_points} sensor samples x {FEATURES} features", flush=True)
    readings = make_readings(n_points, FEATURES, rng)
    print(f"[2/4] k-NN anomaly scores (k={NEIGHBOURS_K}) from all pairwise distances", flush=True)
    scores = knn_scores(pairwise_distances(readings), NEIGHBOURS_K)
    print(f"[3/4] smoothing a {n_samples}-sample series (window {WINDOW})", flush=True)
    smoothed = smooth(make_series(n_samples, rng), WINDOW)
    print(f"[4/4] histogram of the smoothed series ({BINS} bins)", flush=True)
    counts = histogram(smoothed, BINS)

    summary = summarize(scores, counts)
    elapsed_s = time.perf_counter() - started_s
    print(
        f"summary: median score {summary['median_score']:.3f}, max {summary['max_score']:.3f}, "
        f"{summary['anomalies']} anomalies, fullest bin {summary['fullest_bin']}, "
        f"{elapsed_s:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
