"""Workload for tests/data/scalene_sample.json (regenerate: see tests/test_importers.py)."""
from scalene_sample_helper import mod_work


def leaf(n):
    return sum(i % 7 for i in range(n))


def middle():
    return leaf(600_000) + mod_work(600_000)


def rec(k):
    return middle() if k == 0 else rec(k - 1)


if __name__ == "__main__":
    for _ in range(3):
        rec(3)
    total = 0
    for i in range(1_500_000):
        total += i
