"""What to profile and how: the RunSpec the window, the command line and the tests hand to the runner."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunSpec:
    """What to profile and how. A relative ``script`` is relative to the caller's cwd."""

    script: str
    args: list[str] = field(default_factory=list)
    profiler: str = "cprofile"  # "cprofile" | "scalene"
    cwd: str | None = None  # the script's working directory; None: the caller's
    env: dict[str, str] | None = None  # the script's environment; None: the caller's
    timeout_s: float | None = None
    output_dir: str | None = None  # where the raw profile goes; None: a new temp folder
    scalene_cpu_only: bool = False  # Scalene without memory profiling (faster)
    pyspy_native: bool = False  # py-spy: native (C/C++) frames too
    gpu_trace: bool = False  # cProfile: trace the GPU too (CUPTI), written beside the profile
    python: str | None = None  # the Python that runs the script; None: the app's own (python3 on a host)
    host: str | None = None  # run on this SSH host (user@name[:port] or an alias); None: here
    on_host: bool = False  # with host: ``script`` is a path on the host, run as it is (nothing copied)

    def profiler_flags(self) -> list[str]:
        """The profile worker's options for this spec's profiler choices."""
        flags = []
        if self.scalene_cpu_only:
            flags.append("--cpu-only")
        if self.pyspy_native:
            flags.append("--native")
        if self.gpu_trace:
            flags.append("--gpu-trace")
        return flags
