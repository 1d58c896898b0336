"""Starts fork multiprocessing.Pools and terminate()s them, one at once, one busy.

Pool.terminate() sends SIGTERM to its workers, possibly while they are still
starting: they must die quietly, as under plain Python, whatever signal
handlers the profiler has in its own process.
"""

import multiprocessing
import time


def work(n):
    return sum(i * i for i in range(n))


if __name__ == "__main__":
    context = multiprocessing.get_context("fork")
    for _ in range(10):
        pool = context.Pool(4)
        pool.terminate()  # the workers may still be starting
        pool.join()
    pool = context.Pool(4)
    pending = pool.map_async(work, [200_000] * 64)
    time.sleep(0.2)
    pool.terminate()
    pool.join()
    print("pools terminated", flush=True)
