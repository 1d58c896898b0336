"""The offload prediction checked item by item against a traced GPU run of the offloaded program.

The advisor's predicted run time is four parts (:meth:`Advice.time_budget_s`), which add up to
``T / S_t``:

======== =========================================== ============================================
item     predicted                                   measured (:mod:`gpuprof_gui.core.advice_measure`)
======== =========================================== ============================================
kernel   p·T / s (calls × the lab's kernel time,     kernels launched from the offloaded functions
         scaled by the profile's time per call)
copies   calls × bytes per call at the lab's         copies issued from them: GPU time and bytes
         pageable bandwidth
start-up the lab's: CuPy import, context, kernel     library import + CUDA set-up + first launch
         load (``setup_s``)
CPU      (1 − p)·T                                   the GPU run's profile less the offloaded
                                                     functions and the library import
======== =========================================== ============================================

plus what the model does not count (the offloaded functions' time that is none of these) and the
whole-program time. Each item gets a ratio (measured / predicted) and a plain sentence saying which
assumption was off and by how much; the item whose error is largest in seconds is named.

When the GPU run called the offloaded functions a different number of times than the profile the
advice came from (another size or input), the kernel and copy predictions are taken per call and
multiplied by the GPU run's calls, and the report says so: the CPU part and the total then compare
two different runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gpuprof_gui.core.advice_measure import Measured, measure
from gpuprof_gui.core.advice_text import times
from gpuprof_gui.core.advisor import Advice
from gpuprof_gui.core.fmt import DASH, format_bytes, format_time
from gpuprof_gui.core.gpu_trace import GpuTrace
from gpuprof_gui.core.model import Profile

ON_TARGET = 0.20
"""Within 20% of the prediction an item is "as predicted": run-to-run spread of the bundled pair's
end-to-end times on an H100 was 0.95–1.14 (docs/benchmarks.md), so closer is not a finding."""
ITEMS = ("kernel", "copies", "startup", "cpu", "other")
LABELS = {
    "kernel": "Kernels",
    "copies": "Copies",
    "startup": "GPU start-up",
    "cpu": "CPU part",
    "other": "Not in the model",
    "total": "Whole program",
}
NAMED = {
    "kernel": "the kernels",
    "copies": "the copies",
    "startup": "the GPU start-up",
    "cpu": "the CPU part",
    "other": "time the model does not count",
}


@dataclass
class CheckItem:
    """One row: predicted and measured seconds, their ratio, and what the difference means."""

    key: str
    predicted_s: float | None
    measured_s: float | None
    sentence: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABELS[self.key]

    @property
    def ratio(self) -> float | None:
        if self.predicted_s is None or self.measured_s is None or self.predicted_s <= 0:
            return None
        return self.measured_s / self.predicted_s

    @property
    def error_s(self) -> float | None:
        if self.predicted_s is None or self.measured_s is None:
            return None
        return self.measured_s - self.predicted_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.key, "label": self.label, "predicted_s": self.predicted_s, "measured_s": self.measured_s,
            "ratio": self.ratio, "error_s": self.error_s, "sentence": self.sentence, **self.detail,
        }  # fmt: skip


@dataclass
class AdviceCheck:
    """The prediction against the run: one :class:`CheckItem` per part, the total, notes and the verdict."""

    items: list[CheckItem]
    total: CheckItem
    worst: str | None  # the key of the item with the largest error in seconds
    verdict: str  # the sentence naming it
    notes: list[str]
    run: dict[str, Any]
    measured: Measured

    def item(self, key: str) -> CheckItem:
        return self.total if key == "total" else next(i for i in self.items if i.key == key)

    def sentences(self) -> list[str]:
        """The verdict first, then each item that was off, then the notes."""
        off = [i.sentence for i in self.items if i.sentence and i.key != self.worst]
        first = [self.item(self.worst).sentence] if self.worst else []
        return [self.verdict, *first, *off, *self.notes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run, "items": [i.to_dict() for i in self.items], "total": self.total.to_dict(),
            "worst": self.worst, "verdict": self.verdict, "notes": self.notes,
        }  # fmt: skip

    def lines(self) -> list[str]:
        """The terminal table and its sentences."""
        out = [f"Checked against the GPU run {self.run.get('name') or ''}".rstrip(), ""]
        out.append(f"  {'':<18}{'predicted':>12}{'measured':>12}{'ratio':>9}")
        for item in [*self.items, self.total]:
            ratio = DASH if item.ratio is None else times(item.ratio)
            out.append(
                f"  {item.label:<18}{format_time(item.predicted_s):>12}{format_time(item.measured_s):>12}{ratio:>9}"
            )
        out.append("")
        out.extend(f"  {s}" for s in self.sentences())
        return out


def _off(ratio: float | None) -> bool:
    return ratio is not None and abs(ratio - 1.0) > ON_TARGET


def check_advice(advice: Advice, profile: Profile | None, trace: GpuTrace, name: str = "") -> AdviceCheck:
    """Set the advice's predicted parts against a traced run of the offloaded program (``profile``
    None: a trace without its profile, so no CPU part and no run time)."""
    m = measure(profile, trace, advice.functions)
    names = ", ".join(m.names) or "the offloaded functions"
    notes: list[str] = []
    missing = [n for n in m.names if n not in m.found]
    if profile is None:
        notes.append(
            f"A trace without its profile: the CPU part, the library import and the run time are not measured; "
            f"the {m.calls:,} calls of {names} are counted in the trace."
        )
    elif missing:
        notes.append(
            f"{', '.join(missing)} is not in the GPU run's profile: its CPU part and what is not in the model "
            "cannot be measured (was the GPU program's function named the same?)."
        )
    calls = advice.calls
    scale = 1.0
    if m.calls and calls and m.calls != calls:
        scale = m.calls / calls
        notes.append(
            f"The GPU run called {names} {m.calls:,} times, the advised profile {calls:,}: it ran another size "
            "or input. Kernels and copies are compared per call (the prediction scaled to its calls); the CPU "
            "part and the total compare two different runs."
        )
    budget = advice.time_budget_s()
    kernel = _kernel(advice, m, budget["kernel_s"], scale, names)
    copies = _copies(advice, m, budget["transfer_s"], scale, names)
    startup = _startup(advice, m)
    cpu = _cpu(m, float(budget["cpu_s"] or 0.0), scale != 1.0)
    other = _other(m, names)
    items = [kernel, copies, startup, cpu, other]
    if m.other_kernels:
        notes.append(
            f"{m.other_kernels:,} {'kernel' if m.other_kernels == 1 else 'kernels'} "
            f"({format_time(m.other_kernel_s)}) came from other code than {names} and "
            f"{'is' if m.other_kernels == 1 else 'are'} not counted as the offload's."
        )
    device = trace.meta.get("device", {}).get("name", "")
    if advice.device and device and advice.device != device:
        notes.append(
            f"A cross-machine check: the lab measured on {advice.device}, the GPU run ran on {device}; "
            "kernel, copy and start-up times differ between GPUs."
        )
    predicted_total = _sum(i.predicted_s for i in items if i.key != "other")
    total = CheckItem("total", predicted_total, m.total_s)
    total.sentence = _total_sentence(advice, total, m, scale)
    worst, verdict = _verdict(items, total)
    run = {
        "name": name, "device": trace.meta.get("device", {}).get("name", ""), "calls": m.calls,
        "advised_calls": calls, "script": trace.meta.get("script", ""), "argv": trace.meta.get("argv", []),
    }  # fmt: skip
    return AdviceCheck(items, total, worst, verdict, notes, run, m)


def _sum(values) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else float(sum(values))


def _kernel(advice: Advice, m: Measured, predicted: float | None, scale: float, names: str) -> CheckItem:
    pred = None if predicted is None else predicted * scale
    item = CheckItem("kernel", pred, m.kernel_s, detail={"count": m.kernels, "kernel_names": m.kernel_names})
    if not m.kernels:
        item.measured_s = None
        item.sentence = (
            f"No kernel in the trace was launched from {names}: the trace cannot check the kernel time "
            "(was the offloaded code traced, or does it still run on the CPU?)."
        )
        return item
    if pred is None:
        item.sentence = "No kernel time was predicted (no lab run): measured " + format_time(m.kernel_s) + "."
        return item
    calls = max(m.calls, 1)
    per_call = f"{format_time(m.kernel_s / calls)} per call ({m.kernels // calls if m.calls else m.kernels} kernels)"
    lab = f"the {format_time(pred / calls)} predicted from the lab" + (
        f" ({advice.candidate})" if advice.candidate else ""
    )
    if _off(item.ratio):
        item.sentence = f"Kernels took {times(item.ratio)} the predicted time: {per_call}, not {lab}."
    else:
        item.sentence = f"Kernels as predicted: {per_call}."
    return item


def _gbps(value: float) -> str:
    return f"{value:.2f} GB/s" if value < 10 else f"{value:.1f} GB/s"


def _host_memory(m: Measured) -> str:
    parts = [f"{'in' if d == 'H2D' else 'out'} {'/'.join(k)}" for d, k in m.copy_host.items() if k]
    return f" (host memory {', '.join(parts)})" if parts else ""


def _copies(advice: Advice, m: Measured, predicted: float | None, scale: float, names: str) -> CheckItem:
    pred = None if predicted is None else predicted * scale
    pred_bytes = None if advice.bytes_per_call is None else advice.bytes_per_call * advice.calls * scale
    item = CheckItem(
        "copies", pred, m.copy_s,
        detail={"count": m.copies, "bytes": m.copy_bytes, "predicted_bytes": pred_bytes,
                "gbps": m.copy_gbps, "predicted_gbps": advice.transfer_gbps, "host_memory": m.copy_host},
    )  # fmt: skip
    if not m.copies:
        item.sentence = f"No copy in the trace came from {names}" + (
            f", where {format_bytes(pred_bytes)} were predicted." if pred_bytes else "."
        )
        return item
    if pred is None:
        item.sentence = f"No copy time was predicted (no lab run): measured {format_time(m.copy_s)}."
        return item
    if not _off(item.ratio):
        item.sentence = f"Copies as predicted: {format_bytes(m.copy_bytes)} in {m.copies:,} copies."
        return item
    why = []
    if pred_bytes and abs(m.copy_bytes / pred_bytes - 1.0) > ON_TARGET:
        calls = max(m.calls, 1)
        why.append(
            f"they moved {format_bytes(m.copy_bytes / calls)} per call, not the "
            f"{format_bytes(pred_bytes / calls)} assumed"
        )
    if m.copy_gbps and advice.transfer_gbps and abs(m.copy_gbps / advice.transfer_gbps - 1.0) > ON_TARGET:
        why.append(
            f"they ran at {_gbps(m.copy_gbps)}{_host_memory(m)}, not the {_gbps(advice.transfer_gbps)} "
            "measured in the lab (pageable)"
        )
    item.sentence = f"Copies took {times(item.ratio)} the predicted time" + (
        ": " + "; ".join(why) + "." if why else "."
    )
    return item


def _startup(advice: Advice, m: Measured) -> CheckItem:
    measured = m.startup_s if (m.kernels or m.import_s) else None
    item = CheckItem(
        "startup", advice.setup_s, measured,
        detail={"import_s": m.import_s, "imported": m.imported, "cuda_setup_s": m.cuda_setup_s,
                "first_launch_s": m.first_launch_s},
    )  # fmt: skip
    lib = " and ".join(m.imported) or "the GPU library"
    pieces = (
        f"importing {lib} {format_time(m.import_s)}, CUDA set-up (context, allocation, module load) "
        f"{format_time(m.cuda_setup_s)}, the first launch's wait (kernel compile or load) "
        f"{format_time(m.first_launch_s)}"
    )
    if measured is None:
        item.sentence = (
            "GPU start-up could not be measured: no kernel from the offloaded code and no GPU library import."
        )
    elif advice.setup_s is None:
        item.sentence = f"No start-up was predicted (no lab run); measured: {pieces}."
    elif _off(item.ratio):
        item.sentence = f"GPU start-up took {times(item.ratio)} the lab's {format_time(advice.setup_s)}: {pieces}."
    else:
        item.sentence = f"GPU start-up as predicted: {pieces}."
    return item


def _cpu(m: Measured, predicted: float, other_run: bool) -> CheckItem:
    item = CheckItem("cpu", predicted, m.cpu_s)
    if m.cpu_s is None:
        item.sentence = "The CPU part could not be measured: " + (
            "the GPU run has no profile." if m.total_s is None else "the offloaded functions are not in its profile."
        )
    elif _off(item.ratio):
        why = (
            " (a run of another size or input)"
            if other_run
            else " (the rest of the program ran slower or faster in this run, or on another machine)"
        )
        item.sentence = (
            f"The part kept on the CPU took {times(item.ratio)} the profiled time: "
            f"{format_time(m.cpu_s)}, not {format_time(predicted)}{why}."
        )
    else:
        item.sentence = f"The part kept on the CPU as profiled: {format_time(m.cpu_s)}."
    return item


def _other(m: Measured, names: str) -> CheckItem:
    item = CheckItem("other", 0.0, m.other_s)
    if m.other_s is None or not m.total_s:
        return item
    # Said when it weighs in the run, or (charged beyond the functions) against their own time.
    if m.other_s >= -0.1 * (m.offloaded_s or 0.0) and abs(m.other_s) <= 0.05 * m.total_s:
        return item
    if m.other_s > 0:
        item.sentence = (
            f"{format_time(m.other_s)} in {names} was neither kernel, copy nor start-up (launches, waits, "
            "Python around the kernels): the model counts none of it."
        )
    else:  # more GPU work and start-up charged to the functions than the profile gives them
        item.sentence = (
            f"The profile gives {names} {format_time(m.offloaded_s)}, {format_time(-m.other_s)} less than the "
            "kernels, copies and CUDA start-up charged to them: part of the start-up ran outside them, or the "
            "profiler undercounted them."
        )
    return item


def _total_sentence(advice: Advice, total: CheckItem, m: Measured, scale: float) -> str:
    if m.total_s is None:
        return "The GPU run's time is unknown without its profile."
    if total.predicted_s is None:
        return f"The GPU run took {format_time(m.total_s)}; there is no prediction to set against it."
    text = f"The GPU run took {format_time(m.total_s)} against {format_time(total.predicted_s)} predicted"
    if scale == 1.0 and m.total_s > 0 and advice.predicted_speedup_with_transfers:
        text += (
            f": {times(advice.total_s / m.total_s)} faster than the CPU profile, "
            f"{times(advice.predicted_speedup_with_transfers)} predicted"
        )
    return text + "."


def _verdict(items: list[CheckItem], total: CheckItem) -> tuple[str | None, str]:
    known = [i for i in items if i.error_s is not None]
    if not known:
        return None, "Nothing of the prediction could be checked against this run."
    worst = max(known, key=lambda i: abs(i.error_s or 0.0))
    err = worst.error_s or 0.0
    direction = "more" if err > 0 else "less"
    overall = ""
    if total.error_s is not None:
        overall = (
            f"; the whole program took {format_time(abs(total.error_s))} {'more' if total.error_s > 0 else 'less'}"
        )
    return worst.key, (
        f"Biggest contributor to the error: {NAMED[worst.key]}, "
        f"{format_time(abs(err))} {direction} than predicted{overall}."
    )
