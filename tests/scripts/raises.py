"""Does some work, then raises: the partial profile must survive."""


def busy_work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def fail(value):
    raise ValueError(f"bad value {value}")


print("before", busy_work(200_000), flush=True)
fail(42)
