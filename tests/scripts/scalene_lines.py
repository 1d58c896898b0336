"""Workload for tests/core/test_scalene_conservation.py: where Scalene's lines and its function table part.

Every hot spot is a plain Python loop with no calls inside it, so cProfile's exact
per-function self time is a fair reference (its overhead is per call, and there are
only a few dozen calls). The shapes are the ones that trip up a per-line importer:
``for`` and ``while`` headers (Scalene moves part of each loop sample onto them),
a nested function, a decorated function (its code starts at the decorator line,
its body at the ``def`` line), a method, a class body that works while it is
defined, and module-level work.

The work is done in ROUNDS interleaved rounds rather than one block per function:
on a shared machine the speed of the same loop drifts by 15-20 % over a second,
and interleaving spreads that drift over every function instead of one.
Argument: a scale for the amount of work (default 1).
"""

import sys

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
ROUNDS = 8
N = int(150_000 * SCALE)  # one round's unit of work: 8 rounds take ~2.3 s unprofiled


def keep(fn):
    return fn


def for_loop(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def while_loop(n):
    s = 0
    i = 0
    while i < n:
        s += i ^ 3
        i += 1
    return s


def outer(n):
    def inner(m):
        t = 0
        for j in range(m):
            t += j % 7
        return t

    s = 0
    for k in range(n):
        s += k & 5
    return s + inner(2 * n)


@keep
def decorated(n):
    s = 0
    for i in range(n):
        s += i | 9
    return s


module_total = 0
for _round in range(ROUNDS):

    class Table:
        acc = 0
        for _i in range(3 * N):
            acc += _i % 3

        def scan(self, n):
            s = 0
            for i in range(n):
                s -= i
            return s

    for _k in range(4 * N):
        module_total += _k % 5
    for_loop(6 * N)
    while_loop(4 * N)
    outer(2 * N)
    decorated(2 * N)
    Table().scan(2 * N)
