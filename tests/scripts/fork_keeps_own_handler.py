"""Installs its own SIGHUP and SIGTERM handlers, forks, and has the child signal itself.

Under plain Python the child inherits the script's handlers; a profiler must not
take them away.
"""

import os
import signal
import sys


def handled(signum, frame):
    print(f"child handled {signal.Signals(signum).name}", flush=True)


signal.signal(signal.SIGHUP, handled)
pid = os.fork()
if pid == 0:
    os.kill(os.getpid(), signal.SIGHUP)
    signal.signal(signal.SIGTERM, handled)  # the child's own, installed after the fork
    os.kill(os.getpid(), signal.SIGTERM)
    sys.stdout.flush()
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child exit status", os.waitstatus_to_exitcode(status), flush=True)
