"""Deep direct recursion and mutual recursion, each doing real work on the way down."""

import sys


def descend(n):
    acc = sum(range(50))
    return acc if n == 0 else acc + descend(n - 1)


def ping(n):
    return sum(range(80)) if n == 0 else sum(range(20)) + pong(n - 1)


def pong(n):
    return sum(range(80)) if n == 0 else sum(range(30)) + ping(n - 1)


def main():
    sys.setrecursionlimit(10_000)
    for _ in range(60):
        descend(2000)
    for _ in range(200):
        ping(400)


if __name__ == "__main__":
    main()
