"""Starts a daemon (double fork + setsid) that sleeps for a minute; writes its pid to argv[1].

argv[2]: "keep-stdout" keeps the daemon's stdout (the run's output pipe) open,
otherwise the daemon closes its standard streams as daemons do; "hang" (also
with keep-stdout: "keep-stdout-hang") makes the script spin forever after, for
the cancel and timeout tests; "kill-self" SIGKILLs the script's own process a
second later (under cProfile: the profile worker itself); "deaf-hang" blocks
SIGTERM and spins, so that only SIGKILL stops it.
"""

import os
import signal
import sys
import time

pid_file = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else ""
read_end, write_end = os.pipe()
if os.fork() == 0:  # the first child: a new session, then the daemon, then gone
    os.setsid()
    if os.fork() == 0:
        if "keep-stdout" not in mode:
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
        os.write(write_end, str(os.getpid()).encode())
        os.close(write_end)
        time.sleep(60)
    os._exit(0)
os.close(write_end)
daemon_pid = os.read(read_end, 32).decode()
os.waitpid(-1, 0)  # the first child
with open(pid_file, "w") as fh:
    fh.write(daemon_pid)
print("daemon started", flush=True)
if mode == "kill-self":
    time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGKILL)
if mode == "deaf-hang":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
if "hang" in mode:
    while True:
        sum(range(1000))
