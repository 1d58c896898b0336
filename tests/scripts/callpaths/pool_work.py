"""A multiprocessing.Pool program: the work happens in forked children; the pool is terminated on exit."""

import multiprocessing as mp


def burn(n):
    acc = 0
    for i in range(n):
        acc += i * i
    return acc


if __name__ == "__main__":
    with mp.get_context("fork").Pool(2) as pool:  # __exit__ calls terminate()
        print(sum(pool.map(burn, [400_000] * 12)))
