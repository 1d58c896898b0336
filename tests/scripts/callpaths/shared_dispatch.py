"""A program whose every call goes through one shared dispatcher, from callers of very different cost.

`ingest` makes many cheap calls, `analyse` a few expensive ones and `report` a
handful of tiny ones, all through `dispatch` -> `_invoke`. cProfile's edges say
only how much time `dispatch` spent in each kernel overall, so a proportional
split puts part of `heavy_kernel` under `ingest`; real stacks put all of it under
`analyse`. Used by the call-path tests and benchmarks/call_paths.py.
"""

import sys

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def parse_row(i):
    return (i * 7) % 13


def heavy_kernel(n):
    acc = 0
    for i in range(n):
        acc += (i * i) % 7
    return acc


def light_kernel(n):
    return sum(range(n))


def _invoke(fn, arg):
    return fn(arg)


def dispatch(fn, arg):
    return _invoke(fn, arg)


def ingest():
    return sum(dispatch(parse_row, i) for i in range(int(60_000 * SCALE)))


def analyse():
    return sum(dispatch(heavy_kernel, 150_000) for _ in range(int(12 * SCALE)))


def report():
    return sum(dispatch(light_kernel, 20_000) for _ in range(int(30 * SCALE)))


def main():
    ingest()
    analyse()
    report()


if __name__ == "__main__":
    main()
