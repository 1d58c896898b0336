"""Per-architecture tables behind the theoretical peaks (pure data and arithmetic).

Sources: NVIDIA's CUDA C++ Programming Guide, "Arithmetic Instructions" table
(results per clock per SM), and the architecture whitepapers (Volta, Ampere
GA100/GA102, Hopper, Ada, Blackwell) for SM counts and FP64 ratios.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    name: str
    fp32_cores_per_sm: int  # FP32 FMA lanes per SM: one FMA = 2 FLOPs per clock
    fp64_per_fp32: float  # FP64 rate as a fraction of FP32
    fp64_ratio_text: str


# Keyed by (major, minor); a missing minor falls back to (major, None).
_ARCHITECTURES: dict[tuple[int, int | None], Architecture] = {
    (3, None): Architecture("Kepler", 192, 1 / 24, "1/24"),
    (3, 5): Architecture("Kepler GK110", 192, 1 / 3, "1/3"),
    (3, 7): Architecture("Kepler GK210", 192, 1 / 3, "1/3"),
    (5, None): Architecture("Maxwell", 128, 1 / 32, "1/32"),
    (6, 0): Architecture("Pascal GP100", 64, 1 / 2, "1/2"),
    (6, None): Architecture("Pascal", 128, 1 / 32, "1/32"),
    (7, 0): Architecture("Volta", 64, 1 / 2, "1/2"),
    (7, 2): Architecture("Volta (Xavier)", 64, 1 / 32, "1/32"),
    (7, 5): Architecture("Turing", 64, 1 / 32, "1/32"),
    (8, 0): Architecture("Ampere GA100", 64, 1 / 2, "1/2"),
    (8, None): Architecture("Ampere/Ada", 128, 1 / 64, "1/64"),  # 8.6 GA10x, 8.7 Orin, 8.9 Ada
    (9, 0): Architecture("Hopper", 128, 1 / 2, "1/2"),
    (10, None): Architecture("Blackwell", 128, 1 / 2, "1/2"),  # B200/GB200 (10.0)
    (11, None): Architecture("Blackwell (Thor)", 128, 1 / 64, "1/64"),
    (12, None): Architecture("Blackwell (GeForce/RTX)", 128, 1 / 64, "1/64"),
}


def architecture(major: int, minor: int) -> Architecture | None:
    """The table row for compute capability ``major.minor``, or None when unknown."""
    return _ARCHITECTURES.get((major, minor)) or _ARCHITECTURES.get((major, None))


# Fallback SM counts by product name, for drivers where nvmlDeviceGetNumGpuCores
# is not supported. Most specific first: the first substring found in the
# NVML name wins ("H100 PCIe" before "H100").
SM_COUNT_BY_NAME: tuple[tuple[str, int], ...] = (
    ("H100 PCIe", 114),
    ("H100 NVL", 132),
    ("H100", 132),  # SXM5 80GB HBM3
    ("H200", 132),
    ("H800", 132),
    ("GH200", 132),
    ("B200", 148),
    ("A100", 108),
    ("A800", 108),
    ("A30", 56),
    ("A40", 84),
    ("A10G", 80),
    ("A10", 72),
    ("L40S", 142),
    ("L40", 142),
    ("L4", 58),
    ("T4", 40),
    ("V100", 80),
    ("RTX 4090", 128),
    ("RTX 4080", 76),
    ("RTX 3090", 82),
    ("RTX 3080", 68),
    ("RTX A6000", 84),
    ("RTX 6000 Ada", 142),
)


def sm_count_from_name(name: str) -> int | None:
    """SMs for a known product name, else None."""
    for fragment, count in SM_COUNT_BY_NAME:
        if fragment in name:
            return count
    return None


# NVML reports the memory clock at half the per-pin data rate for HBM2/HBM2e/HBM3
# and for GDDR6/GDDR6X alike, so bytes/s = bus bits / 8 × clock × 2. Checked
# against the H100 SXM datasheet: 5120 bit / 8 × 2619 MHz × 2 = 3.352 TB/s (3.35 TB/s).
MEMORY_DATA_RATE_FACTOR = 2


@dataclass(frozen=True)
class PcieGeneration:
    transfer_rate_gt_s: float  # per lane, per direction
    encoding_efficiency: float  # payload bits / line bits
    encoding_text: str


# Per-lane raw rates and line encoding from the PCI-SIG base specifications.
# Gen 6 sends 256-byte FLITs carrying 242 bytes of payload (FEC and CRC take the rest).
PCIE_GENERATIONS: dict[int, PcieGeneration] = {
    1: PcieGeneration(2.5, 8 / 10, "8b/10b"),
    2: PcieGeneration(5.0, 8 / 10, "8b/10b"),
    3: PcieGeneration(8.0, 128 / 130, "128b/130b"),
    4: PcieGeneration(16.0, 128 / 130, "128b/130b"),
    5: PcieGeneration(32.0, 128 / 130, "128b/130b"),
    6: PcieGeneration(64.0, 242 / 256, "FLIT 242/256"),
}


def pcie_gbps_per_direction(generation: int, width: int) -> float | None:
    """Theoretical PCIe payload bandwidth per direction in GB/s (10^9 B/s); None when unknown."""
    gen = PCIE_GENERATIONS.get(generation)
    if gen is None or width <= 0:
        return None
    return gen.transfer_rate_gt_s * width * gen.encoding_efficiency / 8
