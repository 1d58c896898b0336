"""What the window shows, as one Qt-free object: the views read it and subscribe to it.

Before this object every view was pushed into by hand from the window, and nothing
held "what is on screen": an old profile stayed up, undimmed, while a new run went
on and after it failed; the advisor combined a lab run with a hotspot it was not
made for; every run was called ``profile.prof``. The :class:`Workspace` holds

- the profile on show (:class:`~gpuprof_gui.core.loaded.LoadedProfile`) and its
  :class:`~gpuprof_gui.core.provenance.Provenance` (the human name titles use),
- whether that profile is *stale*: a run is in progress, or the last run failed,
- the selection (function ids in the profile on show),
- the lab run on show and what it was made for,
- the offload advisor's answer,
- the comparison baseline.

Changes are announced per :class:`Topic` to subscribers (the Qt adapter
:class:`gpuprof_gui.ui.shell.workspace_qt.QtWorkspace` turns them into signals).
A subscriber never raises into the one that made the change: an exception is
logged and the others still hear of it.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from gpuprof_gui.core.advisor import Advice
from gpuprof_gui.core.lab_fit import LabFit, lab_fit
from gpuprof_gui.core.lab_model import LabRun
from gpuprof_gui.core.loaded import LoadedProfile
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.provenance import Provenance

log = logging.getLogger(__name__)


class Topic(enum.Enum):
    PROFILE = "profile"  # the profile on show, its provenance, or its staleness changed
    SELECTION = "selection"
    RUN = "run"  # a run started or ended
    LAB = "lab"  # the lab run on show changed
    BASELINE = "baseline"  # the Compare tab's run A changed
    ADVICE = "advice"  # the offload advisor's answer changed


@dataclass(frozen=True)
class RunInProgress:
    """The run going on now: what the stale banner and the title say."""

    provenance: Provenance
    started_s: float  # time.monotonic() at the start


@dataclass(frozen=True)
class Failure:
    """The last run that failed: it left nothing to show, and says why."""

    provenance: Provenance
    message: str


class Workspace:
    """The single model of what the window shows. Qt-free: tests and the CLI can drive it."""

    def __init__(self) -> None:
        self.shown: LoadedProfile | None = None
        self.provenance: Provenance | None = None
        self.selection: tuple[int, ...] = ()
        self.run: RunInProgress | None = None
        self.failure: Failure | None = None
        self.lab_run: LabRun | None = None
        self.baseline: tuple[Profile, Provenance] | None = None
        self.advice: Advice | None = None
        self._subscribers: dict[Topic, list[Callable[[], None]]] = {t: [] for t in Topic}

    # -- subscribing -----------------------------------------------------------------------
    def subscribe(self, topic: Topic, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every change of ``topic``; it reads what it needs from here."""
        self._subscribers[topic].append(callback)

    def _announce(self, *topics: Topic) -> None:
        for topic in topics:
            for callback in list(self._subscribers[topic]):
                try:
                    callback()
                except Exception:  # one broken view must not stop the others hearing: logged, not raised
                    log.exception("a %s subscriber failed", topic.value)

    # -- the profile on show ---------------------------------------------------------------
    @property
    def profile(self) -> Profile | None:
        return self.shown.profile if self.shown is not None else None

    @property
    def name(self) -> str:
        """The human name of what is on show ('' when nothing is)."""
        return self.provenance.name if self.provenance is not None and self.shown is not None else ""

    @property
    def stale(self) -> bool:
        """True while what is on show is older than what the user asked for (a run is going on)."""
        return self.shown is not None and self.run is not None

    def show(self, loaded: LoadedProfile, provenance: Provenance) -> None:
        """A profile is on show now; the selection is cleared (function ids belong to one profile)."""
        self.shown, self.provenance, self.failure = loaded, provenance, None
        self.selection = ()
        self._announce(Topic.PROFILE, Topic.SELECTION)

    def clear(self) -> None:
        """Nothing on show (a replayed session without a profile, or a failed run)."""
        if self.shown is None and not self.selection:
            return
        self.shown, self.provenance, self.selection = None, None, ()
        self._announce(Topic.PROFILE, Topic.SELECTION)

    # -- runs ------------------------------------------------------------------------------
    def run_started(self, provenance: Provenance) -> None:
        """A run began: what is on show is stale until the run's own profile replaces it."""
        self.run = RunInProgress(provenance, time.monotonic())
        self.failure = None
        self._announce(Topic.RUN, Topic.PROFILE)

    def run_ended(self, ok: bool, message: str = "") -> None:
        """The run ended. A failed run clears the stale profile: it must not pass for the run's result."""
        run, self.run = self.run, None
        if not ok and run is not None:
            self.failure = Failure(run.provenance, message)
            self.shown, self.provenance, self.selection = None, None, ()
            self._announce(Topic.RUN, Topic.PROFILE, Topic.SELECTION)
        else:
            self._announce(Topic.RUN, Topic.PROFILE)

    # -- selection -------------------------------------------------------------------------
    def select(self, funcs: list[int] | tuple[int, ...]) -> bool:
        """Select functions of the profile on show; True when the selection changed."""
        profile = self.profile
        n = len(profile.functions) if profile is not None else 0
        chosen = tuple(dict.fromkeys(int(f) for f in funcs if 0 <= int(f) < n))
        if chosen == self.selection:
            return False
        self.selection = chosen
        self._announce(Topic.SELECTION)
        return True

    def selected_names(self) -> list[str]:
        profile = self.profile
        if profile is None:
            return []
        return [profile.functions[f].name for f in self.selection]

    # -- the lab run -----------------------------------------------------------------------
    def set_lab_run(self, run: LabRun | None) -> None:
        """The lab run on show; announced again for the same run, which grows a record at a time."""
        self.lab_run = run
        self._announce(Topic.LAB)

    def lab_fit(self, funcs: list[int] | None = None) -> LabFit | None:
        """Whether the lab run on show was made for ``funcs`` (the selection); None without a lab run."""
        if self.lab_run is None:
            return None
        profile = self.profile
        chosen = self.selection if funcs is None else tuple(funcs)
        names = [profile.functions[f].name for f in chosen] if profile is not None else []
        return lab_fit(self.lab_run, names)

    # -- the advice ------------------------------------------------------------------------
    def set_advice(self, advice: Advice | None) -> None:
        """The advisor's answer for the selection and lab run on show (None: nothing to advise on)."""
        self.advice = advice
        self._announce(Topic.ADVICE)

    # -- comparison ------------------------------------------------------------------------
    def set_baseline(self, profile: Profile | None, provenance: Provenance | None = None) -> None:
        self.baseline = (profile, provenance or Provenance()) if profile is not None else None
        self._announce(Topic.BASELINE)
