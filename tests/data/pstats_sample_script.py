"""Workload for tests/data/pstats_sample.prof (regenerate: see tests/test_importers.py)."""


def spin(n):
    s = 0
    for i in range(n):
        s += i
    return s


def work(n):
    # Called from heavy() and light(): deeper paths below it are estimated.
    return spin(n)


def heavy():
    return work(600_000) + spin(200_000)


def light():
    return work(200_000)


def recurse(k):
    return spin(50_000) if k == 0 else recurse(k - 1)


def main():
    heavy()
    light()
    recurse(30)


main()
