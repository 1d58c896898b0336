"""Sends SIGTERM to its parent process (with argv[1] == "self": to its own process), then waits.

Under the cProfile profiler the script runs inside the profiler's worker, so
its parent is gpuprof itself (the command or the window) and its own process
is the worker's.
"""

import os
import signal
import sys
import time

target = os.getpid() if sys.argv[1:] == ["self"] else os.getppid()
print("signalling", "myself" if target == os.getpid() else "my parent", flush=True)
os.kill(target, signal.SIGTERM)
time.sleep(5)
print("still here")
