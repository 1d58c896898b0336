"""Which GPU a worker uses: the one the user picked, as NVML and ``gpuprof devices`` number them.

CUDA numbers GPUs fastest-first by default, NVML by PCI bus: on a host with two different GPUs,
"GPU 1" would be another device for each. A worker for GPU N therefore sees only that GPU, picked
in PCI-bus order (``CUDA_DEVICE_ORDER=PCI_BUS_ID``, ``CUDA_VISIBLE_DEVICES=N``), so its CUDA
device 0 is the GPU that telemetry and ``gpuprof devices`` call N.
"""

from __future__ import annotations

from gpuprof_gui.gpu import nvml

MAX_GPU_INDEX = 1023


def visible_gpu_env(gpu: int | None) -> dict[str, str]:
    """The environment that gives a worker GPU ``gpu`` alone (nothing for None: the default GPU)."""
    if gpu is None:
        return {}
    return {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": str(int(gpu))}


def gpu_missing_reason(gpu: int | None) -> str | None:
    """Why GPU ``gpu`` cannot be used on this computer, when NVML can tell (else None: the worker finds out)."""
    if gpu is None:
        return None
    if gpu < 0 or gpu > MAX_GPU_INDEX:
        return f"GPU {gpu} is not a GPU number (0 is the first)"
    available, _reason = nvml.nvml_available()
    if not available:
        return None
    count = nvml.device_count()
    if gpu >= count:
        listed = "one GPU, GPU 0" if count == 1 else f"{count} GPUs, 0 to {count - 1}"
        return f"there is no GPU {gpu} here: this computer has {listed} (gpuprof devices lists them)"
    return None
