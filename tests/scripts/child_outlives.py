"""Starts a child that sleeps for a minute and writes its pid to argv[1].

With argv[2] == "hang" the script then spins forever (for the cancel test);
otherwise it exits at once, leaving the child behind.
"""

import subprocess
import sys

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
with open(sys.argv[1], "w") as fh:
    fh.write(str(child.pid))
print("child started", flush=True)
if len(sys.argv) > 2 and sys.argv[2] == "hang":
    while True:
        sum(range(1000))
