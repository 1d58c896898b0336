"""An advisor session: the profile, the lab run, the device capacity and the advice drawn
from them, saved as one JSON file (``gpuprof advise --save``) for replay on any machine.

Pure Python: the CLI writes it, the window reads it (``gpuprof gui --advice FILE``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from gpuprof_gui.core import capacity as cap
from gpuprof_gui.core.advisor import Advice, lab_inputs
from gpuprof_gui.core.atomic import read_json, write_json
from gpuprof_gui.core.lab_model import LabRun
from gpuprof_gui.core.model import Profile

SESSION_FORMAT = "gpuprof-advice-session"
SESSION_VERSION = 1

# What each GPU-measured input is, for the sentence that says what needs a GPU.
GPU_INPUTS = {
    "kernel_speedup": "the kernel speed-up (the lab times the candidates on the GPU)",
    "transfer_s": "the transfer time (host↔device copies are measured on the GPU)",
    "setup_s": "the GPU start-up (importing CuPy, creating the CUDA context, loading the kernel)",
}


def build_advice(
    total_s: float,
    p: float,
    calls: int,
    lab_run: LabRun | None = None,
    size: int | None = None,
    bytes_per_call: float | None = None,
    functions: list[str] | None = None,
    no_gpu_reason: str | None = None,
    p_note: str = "",
) -> Advice:
    """The advice for offloading a share ``p`` of a ``total_s`` run called ``calls`` times.

    ``bytes_per_call`` replaces the candidate's own input+output bytes (the copy
    time then follows from the measured bandwidth). Without a lab run, the GPU
    inputs stay None and ``needs_gpu`` lists them. ``p_note`` says how ``p`` was
    found where it is not exact (:attr:`Share.note <gpuprof_gui.core.selection.Share.note>`).
    """
    advice = Advice(total_s=float(total_s), p=p, calls=int(calls), functions=list(functions or []), p_note=p_note)
    measured = lab_inputs(lab_run, size) if lab_run is not None else {}
    for key in (
        "kernel_speedup",
        "candidate",
        "size",
        "transfer_s_per_call",
        "bytes_per_call",
        "transfer_gbps",
        "setup_s",
        "candidates",
        "device",
    ):
        if measured.get(key) is not None:
            setattr(advice, key, measured[key])
    if bytes_per_call is not None:
        advice.bytes_per_call = float(bytes_per_call)
        advice.transfer_s_per_call = (
            float(bytes_per_call) / (advice.transfer_gbps * 1e9) if advice.transfer_gbps else None
        )
        advice.notes.append(f"Bytes per call entered by hand: {bytes_per_call:,.0f}.")
    if lab_run is not None and advice.kernel_speedup is None:
        advice.notes.append("No candidate was correct at this size, so there is no kernel speed-up.")
    missing = [
        key for key in GPU_INPUTS if getattr(advice, "transfer_s_per_call" if key == "transfer_s" else key) is None
    ]
    if missing:
        advice.needs_gpu = [GPU_INPUTS[key] for key in missing]
        advice.no_gpu_reason = no_gpu_reason or (
            "No kernel-lab run." if lab_run is None else "The lab did not measure them."
        )
    return advice


def capacity_from(cpu: dict | None, lab_run: LabRun | None, pcie_max: dict | None = None) -> dict:
    """The capacity document: CPU facts, GPU figures (from the lab's device) and the link."""
    gpu = cap.gpu_figures_from_lab(lab_run.device.to_dict()) if lab_run and lab_run.device.name else None
    transfer = None
    if lab_run is not None and lab_run.transfers:
        transfer = max(lab_run.transfers, key=lambda t: t.bytes_in + t.bytes_out).to_dict()
    return {"cpu": cpu, "gpu": gpu, "link": cap.link_figures(transfer, pcie_max)}


@dataclass
class AdviceSession:
    advice: Advice
    capacity: dict = field(default_factory=dict)
    profile: Profile | None = None
    lab: LabRun | None = None
    script: str = ""
    kernels: str = ""
    offload: list[str] = field(default_factory=list)
    date: str = ""
    host: str = ""
    measured: dict | None = None  # {"cpu_wall_s", "gpu_wall_s", "speedup"} when the pair was timed
    synthetic: bool = False

    def to_dict(self) -> dict[str, Any]:
        from gpuprof_gui.core.serialize import profile_to_dict

        return {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "synthetic": self.synthetic,
            "date": self.date,
            "host": self.host,
            "script": self.script,
            "kernels": self.kernels,
            "offload": list(self.offload),
            "advice": self.advice.to_dict(),
            "capacity": self.capacity,
            "measured": self.measured,
            "lab": self.lab.to_dict() if self.lab else None,
            "profile": profile_to_dict(self.profile) if self.profile else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> AdviceSession:
        from gpuprof_gui.core.serialize import profile_from_dict

        if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
            raise ValueError("not a gpuprof advisor session")
        if int(data.get("version", 0)) > SESSION_VERSION:
            raise ValueError(
                f"advisor session version {data.get('version')} is newer than this "
                f"program understands ({SESSION_VERSION})"
            )
        return cls(
            advice=Advice.from_dict(data["advice"]),
            capacity=dict(data.get("capacity") or {}),
            profile=profile_from_dict(data["profile"]) if data.get("profile") else None,
            lab=LabRun.from_dict(data["lab"]) if data.get("lab") else None,
            script=data.get("script", ""),
            kernels=data.get("kernels", ""),
            offload=list(data.get("offload") or []),
            date=data.get("date", ""),
            host=data.get("host", ""),
            measured=data.get("measured"),
            synthetic=bool(data.get("synthetic")),
        )


def save_session(session: AdviceSession, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_json(path, session.to_dict(), indent=1)


def load_session(path: str) -> AdviceSession:
    """Read a saved session; ValueError with a plain reason when it is not one."""
    data = read_json(path, "an advisor session")
    try:
        return AdviceSession.from_dict(data)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{os.path.basename(path)} is a damaged advisor session ({exc})") from exc
