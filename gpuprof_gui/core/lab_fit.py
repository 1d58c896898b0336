"""Was a kernel-lab run made for the functions the user wants to offload?

The advisor divides a hotspot's time by the lab's measured kernel speed-up. A lab
run of SAXPY says nothing about ``pairwise_distances``: combining them gave a
confident "549×" prediction from unrelated numbers. A candidate file names the
Python functions it stands for (``Problem(offloads=("diffuse",))``); without that,
the file's stem or the problem's name equal to the function's name counts. Anything
else is refused until the user says explicitly to assume it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from gpuprof_gui.core.lab_model import LabRun


@dataclass(frozen=True)
class LabFit:
    fits: bool
    made_for: str  # what the lab run says it was made for, for sentences
    reason: str  # why it does not fit ('' when it does)


def _norm(name: str) -> str:
    """'Heat_Diffusion', 'heat diffusion' and 'heat-diffusion' compare equal; 'mod:Cls.f' is 'f'."""
    bare = name.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    return re.sub(r"[^0-9a-z]", "", bare.lower())


def lab_fit(run: LabRun, function_names: list[str]) -> LabFit:
    """Whether ``run`` measured a GPU version of every function in ``function_names``."""
    problem = run.problem or {}
    declared = [str(n) for n in problem.get("offloads") or []]
    problem_name = str(problem.get("name") or "")
    stem = os.path.splitext(os.path.basename(run.file or ""))[0]
    label = problem_name or stem or "an unnamed problem"
    made_for = ", ".join(declared) if declared else label
    if not function_names:
        return LabFit(True, made_for, "")
    wanted = {_norm(n) for n in function_names}
    known = {_norm(n) for n in declared} if declared else {_norm(problem_name), _norm(stem)} - {""}
    missing = sorted(n for n in function_names if _norm(n) not in known)
    if wanted and not missing:
        return LabFit(True, made_for, "")
    where = f" ({os.path.basename(run.file)})" if run.file else ""
    if declared:
        why = f"The Kernel lab run{where} was made for {made_for}, not {', '.join(missing)}."
    else:
        why = (
            f"The Kernel lab run of {label}{where} does not say it stands for {', '.join(missing)} "
            "(a candidate file names its functions with Problem(offloads=(...))."
        )
    return LabFit(False, made_for, why)
