"""Exits with the status given as argv[1], via sys.exit or, with "hard", via os._exit."""

import os
import sys


def busy_work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


busy_work(100_000)
print("buffered output: os._exit drops it unless stdout is unbuffered")
status = int(sys.argv[1])
if len(sys.argv) > 2 and sys.argv[2] == "hard":
    os._exit(status)
sys.exit(status)
