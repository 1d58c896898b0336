"""What the CUPTI tests need before they can run: CuPy, NVIDIA's CUPTI bindings and a CUDA GPU."""

from __future__ import annotations

import pytest


def gpu_or_skip() -> None:
    """Skip the test, saying which, where CuPy, cupti-python or a usable CUDA GPU is missing."""
    cp = pytest.importorskip("cupy", reason="needs CuPy")
    pytest.importorskip("cupti", reason="needs cupti-python (pip install cupti-python)")
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA GPU")
    except Exception as exc:  # noqa: BLE001 - no driver, no device: skip, saying which
        pytest.skip(f"no usable CUDA GPU ({type(exc).__name__})")
