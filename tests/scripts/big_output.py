"""Writes argv[1] MiB of bytes to stdout in 64 KiB blocks (default 50)."""

import sys

MIB = 1 << 20
BLOCK = b"x" * 65535 + b"\n"

mib = int(sys.argv[1]) if len(sys.argv) > 1 else 50
out = sys.stdout.buffer
for _ in range(mib * MIB // len(BLOCK)):
    out.write(BLOCK)
out.flush()
