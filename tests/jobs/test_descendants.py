"""The supervisor's view of a worker's tree (jobs/descendants.py), on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from gpuprof_gui.jobs.descendants import DescendantWatch, descendants, start_time

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")

TREE = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def _tree():
    parent = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True)
    grandchild = int(parent.stdout.readline())
    return parent, grandchild


def _ends(pid: int, within_s: float = 10.0) -> bool:
    """True once ``pid`` is gone or a zombie (waiting for whoever adopted it to reap it)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                if fh.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_start_time_tells_processes_apart():
    mine = start_time(os.getpid())
    assert isinstance(mine, int) and mine > 0
    assert start_time(os.getpid()) == mine
    assert start_time(2**22 + 12345) is None  # no such pid


def test_a_command_name_with_spaces_and_parentheses_is_read():
    proc = subprocess.Popen(["/bin/sh", "-c", "exec -a 'a) b (c' sleep 30"])
    try:
        time.sleep(0.2)
        assert start_time(proc.pid) is not None
    finally:
        proc.kill()
        proc.wait()


def test_the_watch_sees_grandchildren_and_kills_them_after_their_parent_died():
    parent, grandchild = _tree()
    try:
        found = descendants(parent.pid)
        assert grandchild in found
        watch = DescendantWatch(parent.pid)
        watch.look(now=True)
        parent.kill()  # the grandchild is reparented, out of the parent's tree
        parent.wait()
        assert grandchild not in descendants(parent.pid)
        assert watch.kill_survivors() == [grandchild]
        assert _ends(grandchild)
    finally:
        parent.kill()
        parent.wait()
        os.system(f"kill -9 {grandchild} 2>/dev/null")


def test_a_process_that_is_not_the_one_seen_is_left_alone():
    parent, grandchild = _tree()
    try:
        watch = DescendantWatch(parent.pid)
        watch.look(now=True)
        watch.seen[grandchild] += 1  # as if the pid now belonged to a later process
        assert watch.kill_survivors() == []
        assert not _ends(grandchild, within_s=0.5)
    finally:
        parent.kill()
        parent.wait()
        os.system(f"kill -9 {grandchild} 2>/dev/null")
