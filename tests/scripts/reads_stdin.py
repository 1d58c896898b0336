"""Reads all of stdin; under the profiler it must get end-of-file at once."""

import sys

data = sys.stdin.read()
print(f"stdin bytes: {len(data)}")
