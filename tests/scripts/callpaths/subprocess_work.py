"""A subprocess program: the script waits while a child Python does the work."""

import subprocess
import sys

CHILD = "print(sum(i * i for i in range(3_000_000)))"

if __name__ == "__main__":
    subprocess.run([sys.executable, "-c", CHILD], check=True)
