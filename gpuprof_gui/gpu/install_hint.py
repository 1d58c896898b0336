"""Why the kernel lab cannot run here, and what to install.

CuPy's presence is checked with ``importlib.util.find_spec``: importing CuPy
(or calling ``cupy.cuda``) in the GUI process could create a CUDA context,
which only the kernel worker may do.
"""

from __future__ import annotations

import importlib.util
import sys

from gpuprof_gui.gpu import nvml
from gpuprof_gui.gpu.specs import cuda_driver_major

# CuPy wheels exist per CUDA major version; our extras are named after them.
OLDEST_SUPPORTED_CUDA_MAJOR = 12
NEWEST_KNOWN_CUDA_MAJOR = 13


def cupy_installed() -> bool:
    """True when a CuPy package can be imported (it is not imported here)."""
    try:
        return importlib.util.find_spec("cupy") is not None
    except (ImportError, ValueError):  # a broken half-installed package
        return False


def install_command(cuda_major: int | None) -> str | None:
    """``pip install 'gpuprof-gui[cudaNN]'`` for the driver's CUDA major version, or None if none fits."""
    if cuda_major is None or cuda_major < OLDEST_SUPPORTED_CUDA_MAJOR:
        return None
    # A newer driver runs older CUDA builds, so the newest extra we ship fits it.
    return f"pip install 'gpuprof-gui[cuda{min(cuda_major, NEWEST_KNOWN_CUDA_MAJOR)}]'"


def install_hint() -> str | None:
    """The install command when a driver is present and CuPy is missing; None otherwise."""
    available, _reason = nvml.nvml_available()
    if not available or cupy_installed():
        return None
    return install_command(cuda_driver_major())


def lab_unavailable_reason() -> str | None:
    """None when the lab can run; else a plain sentence (no driver, no GPU, CuPy missing + command)."""
    available, reason = nvml.nvml_available()
    if not available:
        return reason
    if cupy_installed():
        return None
    major = cuda_driver_major()
    command = install_command(major)
    if getattr(sys, "frozen", False):
        # The packaged app bundles no CuPy: it runs the kernel lab on a Python that has it.
        wheel = f"cupy-cuda{min(major, NEWEST_KNOWN_CUDA_MAJOR)}x" if major else "cupy-cuda13x"
        return (
            f"No Python with CuPy was found for the kernel lab. Install it (pip install {wheel}) into "
            "a Python 3, then point GPUPROF_PYTHON at that interpreter, or put it first on PATH as python3."
        )
    if command is not None:
        return f"CuPy is not installed. The driver supports CUDA {major}; install it with: {command}"
    if major is None:
        return "CuPy is not installed, and the driver did not say which CUDA version it supports."
    return (
        f"CuPy is not installed, and the driver supports only CUDA {major}; CuPy needs CUDA "
        f"{OLDEST_SUPPORTED_CUDA_MAJOR} or newer: update the NVIDIA driver."
    )
