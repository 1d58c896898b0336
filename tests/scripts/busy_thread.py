"""Does its work in a thread the main thread waits for: cProfile sees only the wait."""

import threading
import time


def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        sum(i * i for i in range(1000))


if __name__ == "__main__":
    worker = threading.Thread(target=burn, args=(0.5,))
    worker.start()
    worker.join()
    print("thread done", flush=True)
