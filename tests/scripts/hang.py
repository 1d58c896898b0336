"""Spins forever (until cancelled). With argv[1] == "stubborn" it ignores SIGTERM."""

import signal
import sys

if len(sys.argv) > 1 and sys.argv[1] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def spin_once():
    total = 0
    for i in range(10_000):
        total += i
    return total


print("spinning", flush=True)
while True:
    spin_once()
