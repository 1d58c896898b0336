"""A 1 GiB sparse file (all zeros, or a text head and then zeros) is refused without reading it into memory.

``gpuprof open`` runs in a subprocess whose address space is bounded to 512 MiB: it must print
the one sentence and exit 2, not die of ``MemoryError``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GIB = 1 << 30
LIMIT = 512 << 20

_BOUNDED = (
    "import resource, sys\n"
    f"resource.setrlimit(resource.RLIMIT_AS, ({LIMIT}, {LIMIT}))\n"
    "from gpuprof_gui.cli import main\n"
    "sys.exit(main(['open', sys.argv[1]]))\n"
)

_FOLDED_HEAD = b"main;work 1\n" * 12_000  # past the 64 KiB sniff window: the reader meets the zeros
_JSON_HEAD = b'{"elapsed_time_sec": 1, "files": {' + b" " * (128 * 1024)


def _sparse(path: Path, head: bytes = b"") -> Path:
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(GIB)
    return path


@pytest.mark.parametrize(
    ("name", "head", "words"),
    [
        ("zeros", b"", "not a file gpuprof reads"),
        ("zeros.prof", b"", "not a file gpuprof reads"),
        ("zeros.folded", b"", "not a file gpuprof reads"),
        ("zeros.json", b"", "not a file gpuprof reads"),
        ("short_head.folded", b"main;work 1\n", "not a file gpuprof reads"),
        ("long_head.folded", _FOLDED_HEAD, "not text"),
        ("long_head.json", _JSON_HEAD, "not text"),
    ],
)
def test_sparse_gib_file_is_refused_in_bounded_memory(tmp_path: Path, name: str, head: bytes, words: str) -> None:
    path = _sparse(tmp_path / name, head)
    result = subprocess.run(
        [sys.executable, "-c", _BOUNDED, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=300,
        check=False,
    )
    said = result.stderr.strip()
    assert "MemoryError" not in said and "Traceback" not in said, said[-2000:]
    assert result.returncode == 2, said
    assert name in said and words in said, said
