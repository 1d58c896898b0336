"""Writes argv[1] numbered lines as fast as it can, then sends SIGTERM to its parent and waits.

Under the cProfile profiler its parent is gpuprof itself: every line written before
the signal must still reach gpuprof's own stdout.
"""

import os
import signal
import sys
import time

count = int(sys.argv[1])
out = sys.stdout
for i in range(count):
    out.write(f"line {i:07d} " + "x" * 80 + "\n")
out.write("last line before the signal\n")
out.flush()
os.kill(os.getppid(), signal.SIGTERM)
time.sleep(30)
