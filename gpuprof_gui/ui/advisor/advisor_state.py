"""What the advisor tab knows, and the :class:`Advice` it derives (no Qt here).

Inputs come from three places that change independently: the profile and the
functions selected in it (T, p, calls), the GPU measurements (a saved session's
advice, or the Kernel lab tab's latest run) and the user's edits (bytes and
calls per run). :meth:`AdvisorState.advice` recombines them on every change;
it is plain arithmetic through :class:`Advice`, so it runs on each keystroke.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from gpuprof_gui.core import capacity as cap
from gpuprof_gui.core.advice_session import AdviceSession, build_advice, capacity_from
from gpuprof_gui.core.advisor import Advice, find_offload_functions, offload_calls, offload_share, run_time_s
from gpuprof_gui.core.lab_fit import LabFit, lab_fit
from gpuprof_gui.core.lab_model import LabRun
from gpuprof_gui.core.model import Profile

NO_PROFILE_REASON = "No profile yet: profile a script in the Profile tab or open a saved session."
NEEDS_GPU = "needs a GPU: measured by the kernel lab"
ASSUME_BUTTON = "Use this lab run anyway"


def session_functions(session: AdviceSession) -> list[int]:
    """The function ids the session offloaded (its names looked up again in its profile)."""
    if session.profile is None:
        return []
    funcs: set[int] = set()
    for name in session.offload or session.advice.functions:
        try:
            funcs.update(find_offload_functions(session.profile, name))
        except LookupError:
            continue  # the advice still carries its own p; the table just shows no selection
    return sorted(funcs)


@dataclass
class AdvisorState:
    session: AdviceSession | None = None
    profile: Profile | None = None
    funcs: list[int] = field(default_factory=list)
    lab_run: LabRun | None = None
    lab_reason: str | None = None  # why there is no lab run (no GPU, none yet)
    bytes_override: float | None = None
    calls_override: int | None = None
    lab_assumed: bool = False  # the user said: use the lab run for this selection although it was not made for it
    local_cpu: dict | None = None  # this machine's CPU facts, read once
    _pcie_by_name: dict = field(default_factory=dict)  # GPU name -> NVML PCIe figure (or None)

    # -- inputs ----------------------------------------------------------------------------
    def load_session(self, session: AdviceSession) -> None:
        self.session, self.profile = session, session.profile
        self.funcs = session_functions(session)
        self.lab_run = session.lab
        self.bytes_override = self.calls_override = None

    def set_profile(self, profile: Profile | None, funcs: list[int]) -> None:
        if self.session is not None and profile is self.session.profile:
            return  # the session's own profile being shown in the Profile tab
        self.session = None  # a new run: the session's measurements were for its own program
        self.profile, self.funcs = profile, list(funcs)
        self.calls_override = None
        self.lab_assumed = False

    def set_functions(self, funcs: list[int]) -> bool:
        """True when the selection changed what is offloaded."""
        funcs = sorted({int(f) for f in funcs})
        if funcs == sorted(self.funcs):
            return False
        self.funcs = funcs
        self.calls_override = None
        self.lab_assumed = False  # an assumption is about one selection
        return True

    def set_lab_run(self, run: LabRun | None, reason: str | None = None) -> bool:
        """True when ``run`` replaces the GPU measurements in use."""
        if run is None or (self.session is not None and run is self.session.lab):
            self.lab_reason = reason or self.lab_reason
            return False
        if run is self.lab_run and self.session is None:
            return False
        self.session = None  # the session's kernel is no longer the one measured
        self.lab_run, self.bytes_override = run, None
        self.lab_assumed = False
        return True

    # -- outputs ---------------------------------------------------------------------------
    def lab_fit(self) -> LabFit | None:
        """Whether the lab run in use was made for the selection; None without one (or from a session)."""
        if self.lab_run is None or self.session is not None or self.profile is None or not self.funcs:
            return None
        return lab_fit(self.lab_run, [self.profile.functions[f].name for f in self.funcs])

    def lab_refused(self) -> LabFit | None:
        """The fit of a lab run left out because it was made for other functions (and not assumed)."""
        fit = self.lab_fit()
        return fit if fit is not None and not fit.fits and not self.lab_assumed else None

    def missing_gpu_caption(self) -> str:
        """Why the GPU figures are empty, for their captions: no lab run, or one made for another function."""
        fit = self.lab_refused()
        if fit is None:
            return NEEDS_GPU
        return f"the lab run is for {fit.made_for}, another function: '{ASSUME_BUTTON}' takes it"

    def selection_is_session(self) -> bool:
        return self.session is not None and sorted(self.funcs) == session_functions(self.session)

    def base_advice(self) -> Advice | None:
        """The advice before the user's edits; None when there is nothing to advise on."""
        if self.session is not None:
            advice = copy.deepcopy(self.session.advice)
            if not self.selection_is_session() and self.profile is not None and self.funcs:
                # Another selection in the session's profile: its own T, p and calls, the
                # session's GPU measurements (size, hand-entered bytes) unchanged.
                share = offload_share(self.profile, self.funcs)
                advice.total_s, advice.p, advice.p_note = run_time_s(self.profile), share.fraction, share.note
                advice.calls = offload_calls(self.profile, self.funcs)
                advice.functions = [self.profile.function_label(f) for f in self.funcs]
            return advice
        if self.profile is None or not self.funcs:
            return None
        share = offload_share(self.profile, self.funcs)
        names = [self.profile.function_label(f) for f in self.funcs]
        fit = self.lab_fit()
        refused = self.lab_refused() is not None
        advice = build_advice(
            run_time_s(self.profile),
            share.fraction,
            offload_calls(self.profile, self.funcs),
            None if refused else self.lab_run,
            functions=names,
            no_gpu_reason=(
                f"the Kernel lab run on show was made for {fit.made_for}, not for this selection (see above)."
                if refused and fit is not None
                else self.lab_reason
            ),
            p_note=share.note,
        )
        if fit is not None and not fit.fits and self.lab_assumed:
            advice.assumption = (
                f"Assumed by you: the Kernel lab run made for {fit.made_for} stands in for "
                f"{', '.join(names)}. The prediction is only as good as that assumption."
            )
            advice.notes.append(advice.assumption)
        if self.profile.unit != "s":
            advice.notes.append("This profiler does not count calls: enter the calls per run by hand.")
        return advice

    def advice(self) -> Advice | None:
        """The base advice with the user's bytes and calls per run."""
        advice = self.base_advice()
        if advice is None:
            return None
        if self.calls_override is not None:
            advice.calls = int(self.calls_override)
        if self.bytes_override is not None:
            advice.bytes_per_call = float(self.bytes_override)
            advice.transfer_s_per_call = (
                self.bytes_override / (advice.transfer_gbps * 1e9) if advice.transfer_gbps else None
            )
        return advice

    def capacity(self) -> dict:
        """CPU, GPU and link figures: the session's, or this machine's CPU with the lab's GPU."""
        if self.session is not None and self.session.capacity:
            return self.session.capacity
        if self.local_cpu is None:
            self.local_cpu = cap.cpu_facts()
        return capacity_from(self.local_cpu, self.lab_run, self._pcie_max())

    def _pcie_max(self) -> dict | None:
        """NVML's PCIe figure of the GPU the lab ran on, when that GPU is in this machine."""
        name = self.lab_run.device.name if self.lab_run is not None else ""
        if not name:
            return None
        if name not in self._pcie_by_name:  # NVML answers in milliseconds; ask once per device name
            from gpuprof_gui.gpu.specs import device_facts

            found = [d for d in device_facts().get("devices") or [] if d.get("name") == name]
            self._pcie_by_name[name] = found[0].get("pcie_max_gbps") if found else None
        return self._pcie_by_name[name]

    def set_local_copy_bandwidth(self, figure: dict) -> None:
        if self.local_cpu is None:
            self.local_cpu = cap.cpu_facts()
        self.local_cpu["measured_copy_gbps"] = figure
