"""Removes the profiler (``sys.setprofile(None)``), or with ``own`` runs its own cProfile."""

import cProfile
import sys


def work():
    return sum(i * i for i in range(200_000))


if __name__ == "__main__":
    if sys.argv[1:] == ["own"]:
        mine = cProfile.Profile()
        mine.enable()
        work()
        mine.disable()
    else:
        sys.setprofile(None)
        work()
    print("work done", flush=True)
