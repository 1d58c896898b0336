"""Reads address 0 through ctypes: the process dies on SIGSEGV."""

import ctypes
import sys


def crash():
    ctypes.string_at(0)


print("about to crash", flush=True)
sys.stdout.flush()
crash()
