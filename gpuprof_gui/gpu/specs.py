"""Device facts for every GPU: what NVML reports and the theoretical peaks derived from it.

Every numeric fact is a *figure*, ``{"value": ..., "unit": ..., "formula": ...}``,
so the UI can show where a number came from.  ``value`` is None when NVML
could not say, and the formula then says what is missing.  Nothing here
creates a CUDA context or raises.
"""

from __future__ import annotations

from typing import Any

from gpuprof_gui.core.capacity import figure
from gpuprof_gui.gpu import arch, nvml

MIB = 1024 * 1024


def _cuda_version_text(version: int | None) -> str | None:
    """13000 -> '13.0' (NVML encodes major*1000 + minor*10)."""
    if not isinstance(version, int) or version <= 0:
        return None
    return f"{version // 1000}.{(version % 1000) // 10}"


def cuda_driver_major() -> int | None:
    """The CUDA major version the installed driver supports, or None."""
    version = nvml.query("nvmlSystemGetCudaDriverVersion", kind="CUDA driver version")
    return version // 1000 if isinstance(version, int) and version > 0 else None


def _sm_count(handle: Any, name: str, cores_per_sm: int | None, cc_text: str) -> dict[str, Any]:
    cores = nvml.query("nvmlDeviceGetNumGpuCores", handle, kind="GPU core count")
    if isinstance(cores, int) and cores > 0 and cores_per_sm:
        return figure(
            cores // cores_per_sm,
            "SMs",
            f"nvmlDeviceGetNumGpuCores {cores} / {cores_per_sm} FP32 cores per SM (CC {cc_text})",
        )
    from_name = arch.sm_count_from_name(name)
    if from_name is not None:
        return figure(from_name, "SMs", f"table of known products ('{name}'); NVML gave no core count")
    return figure(None, "SMs", "unknown: NVML gave no core count and the product is not in the table")


def _memory_figures(handle: Any) -> dict[str, dict[str, Any]]:
    clock_mhz = nvml.query(
        "nvmlDeviceGetMaxClockInfo", handle, nvml.constant("NVML_CLOCK_MEM", 2), kind="max memory clock"
    )
    bus_bits = nvml.query("nvmlDeviceGetMemoryBusWidth", handle, kind="memory bus width")
    info = nvml.query("nvmlDeviceGetMemoryInfo", handle, kind="memory info")
    total = getattr(info, "total", None)
    facts = {
        "max_memory_clock_mhz": figure(clock_mhz, "MHz", "nvmlDeviceGetMaxClockInfo(MEM)"),
        "memory_bus_width_bits": figure(bus_bits, "bit", "nvmlDeviceGetMemoryBusWidth"),
        "memory_total_mib": figure(
            total // MIB if isinstance(total, int) else None, "MiB", "nvmlDeviceGetMemoryInfo.total"
        ),
    }
    if isinstance(clock_mhz, int) and isinstance(bus_bits, int):
        factor = arch.MEMORY_DATA_RATE_FACTOR
        gbps = bus_bits / 8 * clock_mhz * 1e6 * factor / 1e9
        text = f"{bus_bits} bit / 8 × {clock_mhz} MHz × {factor} (double data rate)"
    else:
        gbps, text = None, "unknown: NVML gave no memory clock or bus width"
    facts["peak_memory_gbps"] = figure(gbps, "GB/s", text)
    return facts


def _compute_figures(
    sm: int | None, row: arch.Architecture | None, clock_mhz: int | None, cc_text: str
) -> dict[str, dict[str, Any]]:
    if sm is None or row is None or not isinstance(clock_mhz, int):
        missing = "unknown: " + ", ".join(
            text
            for text, absent in (
                ("SM count", sm is None),
                (f"FP32 cores per SM for CC {cc_text}", row is None),
                ("max SM clock", not isinstance(clock_mhz, int)),
            )
            if absent
        )
        return {
            "peak_fp32_gflops": figure(None, "GFLOP/s", missing),
            "peak_fp64_gflops": figure(None, "GFLOP/s", missing),
        }
    fp32 = sm * row.fp32_cores_per_sm * 2 * clock_mhz / 1e3
    fp32_text = f"{sm} SMs × {row.fp32_cores_per_sm} FP32 cores × 2 (FMA) × {clock_mhz / 1e3:.3f} GHz"
    return {
        "peak_fp32_gflops": figure(fp32, "GFLOP/s", fp32_text),
        "peak_fp64_gflops": figure(
            fp32 * row.fp64_per_fp32, "GFLOP/s", f"peak FP32 × {row.fp64_ratio_text} ({row.name} FP64:FP32)"
        ),
    }


def _pcie_figures(handle: Any) -> dict[str, Any]:
    q = nvml.query
    current = {
        "generation": q("nvmlDeviceGetCurrPcieLinkGeneration", handle, kind="PCIe generation"),
        "width": q("nvmlDeviceGetCurrPcieLinkWidth", handle, kind="PCIe width"),
    }
    # The link drops to gen 1 when idle to save power; the maximum is what transfers get.
    maximum = {
        "generation": q("nvmlDeviceGetMaxPcieLinkGeneration", handle, kind="PCIe max generation"),
        "width": q("nvmlDeviceGetMaxPcieLinkWidth", handle, kind="PCIe max width"),
    }
    return {
        "pcie_current": current,
        "pcie_max": maximum,
        "pcie_max_gbps": _pcie_figure(maximum),
        "pcie_current_gbps": _pcie_figure(current),
    }


def _pcie_figure(link: dict[str, int | None]) -> dict[str, Any]:
    gen, width = link["generation"], link["width"]
    if not isinstance(gen, int) or not isinstance(width, int):
        return figure(None, "GB/s", "unknown: NVML gave no PCIe generation or width")
    gbps = arch.pcie_gbps_per_direction(gen, width)
    row = arch.PCIE_GENERATIONS.get(gen)
    if gbps is None or row is None:
        return figure(None, "GB/s", f"unknown: no table row for PCIe gen {gen} x{width}")
    return figure(
        gbps,
        "GB/s",
        f"PCIe {gen}.0: {row.transfer_rate_gt_s:g} GT/s × {width} lanes × {row.encoding_text} / 8, per direction",
    )


def _one_device(index: int, handle: Any, driver: str | None, cuda: str | None) -> dict[str, Any]:
    q = nvml.query
    name = q("nvmlDeviceGetName", handle, kind="name") or f"GPU {index}"
    capability = q("nvmlDeviceGetCudaComputeCapability", handle, kind="compute capability")
    major, minor = capability if isinstance(capability, tuple) and len(capability) == 2 else (None, None)
    cc_text = f"{major}.{minor}" if major is not None else "unknown"
    row = arch.architecture(major, minor) if major is not None and minor is not None else None
    cores_per_sm = row.fp32_cores_per_sm if row else None
    sm = _sm_count(handle, name, cores_per_sm, cc_text)
    sm_clock = q("nvmlDeviceGetMaxClockInfo", handle, nvml.constant("NVML_CLOCK_SM", 1), kind="max SM clock")
    pci = q("nvmlDeviceGetPciInfo", handle, kind="PCI info")
    bus_id = getattr(pci, "busId", None)
    device = {
        "index": index,
        "name": name,
        "uuid": q("nvmlDeviceGetUUID", handle, kind="UUID"),
        "pci_bus_id": bus_id.decode() if isinstance(bus_id, bytes) else bus_id,
        "compute_capability": cc_text if major is not None else None,
        "architecture": row.name if row else None,
        "driver_version": driver,
        "cuda_driver_version": cuda,
        "sm_count": sm,
        "fp32_cores_per_sm": figure(
            cores_per_sm, "cores", f"table: compute capability {cc_text}" + (f" ({row.name})" if row else "")
        ),
        "max_sm_clock_mhz": figure(sm_clock, "MHz", "nvmlDeviceGetMaxClockInfo(SM)"),
    }
    device.update(_memory_figures(handle))
    device.update(_compute_figures(sm["value"], row, sm_clock, cc_text))
    device.update(_pcie_figures(handle))
    # Filled by the caller from the kernel worker's device-to-device copy: the practical ceiling.
    device["measured_copy_gbps"] = None
    return device


def device_facts() -> dict[str, Any]:
    """``{"devices": [...], "reason": None}`` or ``{"devices": [], "reason": "a plain sentence"}``."""
    available, reason = nvml.nvml_available()
    if not available:
        return {"devices": [], "reason": reason}
    driver = nvml.query("nvmlSystemGetDriverVersion", kind="driver version")
    cuda = _cuda_version_text(nvml.query("nvmlSystemGetCudaDriverVersion", kind="CUDA driver version"))
    devices = []
    for index in range(nvml.device_count()):
        handle = nvml.device_handle(index)
        if handle is not None:
            devices.append(_one_device(index, handle, driver, cuda))
    if not devices:
        return {"devices": [], "reason": "The NVIDIA driver lists GPUs but none of them answered."}
    return {"devices": devices, "reason": None}
