"""Does its work in child processes: ``subprocess`` or (``pool``) a multiprocessing Pool."""

import multiprocessing
import subprocess
import sys
import time

BURN = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\n"


def burn(_):
    end = time.process_time() + 0.25
    while time.process_time() < end:
        pass


if __name__ == "__main__":
    if sys.argv[1:] == ["pool"]:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pool.map(burn, range(2))
    else:
        subprocess.run([sys.executable, "-c", BURN], check=True)
    print("children done", flush=True)
