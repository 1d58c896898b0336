"""Writes bytes that are not UTF-8 to stdout and stderr: they must pass unchanged."""

import sys

sys.stdout.buffer.write(b"\xff\xfe\x80 not utf-8 \xc3\x28\n")
sys.stdout.buffer.flush()
sys.stderr.buffer.write(b"err \xe9\xff\n")
sys.stderr.buffer.flush()
