"""Recurses argv[1] levels deep (default 5000); "forever" recurses without end."""

import sys


def descend(n):
    return 0 if n == 0 else 1 + descend(n - 1)


def forever(n):
    return forever(n + 1)


if len(sys.argv) > 1 and sys.argv[1] == "forever":
    forever(0)
depth = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
print("depth", descend(depth))
