"""Opens any path a user gives into a typed result, with where it came from (:class:`Provenance`).

The other half of :mod:`gpuprof_gui.core.opening` (which says what a path is): this
module reads it. A foreign cProfile dump is parsed in the convert worker
(:func:`gpuprof_gui.jobs.runner.open_profile_safely`), because ``marshal`` is not safe
against malformed input; everything else is JSON or text, read here. No Qt: call it
off the GUI thread in the window (a large profile takes seconds).

API:

- :func:`open_path(path) -> Opened <open_path>`: whatever the file is. Scripts and
  folders come back with nothing read (``kind`` says so, the run bar takes them).
- :func:`open_profile(path) -> Opened <open_profile>`: a file that must give a profile (a
  profile, or a session / advisor session holding one); ``gpuprof open/export/diff/advise``,
  Compare and File ▸ Open use it.
- :func:`open_lab_results` and :func:`open_advice`: the ``--lab-results`` / ``--advice`` files.

Every failure is an :class:`~gpuprof_gui.core.opening.OpenError` whose text is the
one sentence :func:`gpuprof_gui.core.opening.sentence` gives for it, the same in every verb and window.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from gpuprof_gui.core.advice_session import AdviceSession
from gpuprof_gui.core.json_text import JSONTextError, read_json_file
from gpuprof_gui.core.lab_model import LabRun
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.opening import KIND_WORDS, Failure, Kind, OpenError, what_is
from gpuprof_gui.core.provenance import Provenance
from gpuprof_gui.core.session import Session, SessionError
from gpuprof_gui.gpu.trace_io import TraceFormatError, trace_from_json

_DAMAGED_BY = (KeyError, TypeError, ValueError, AttributeError)  # what from_dict raises on bad input


@dataclass
class Opened:
    """A path, opened. ``kind`` says which of the other fields can be set.

    - PROFILE: ``profile``.
    - SESSION: ``session``, and from it ``profile``, ``lab`` and ``advice`` where it holds them.
    - ADVICE_SESSION: ``advice``, and from it ``profile`` and ``lab``.
    - LAB_RESULTS: ``lab``.
    - SCRIPT, FOLDER: nothing read.

    ``provenance`` names the profile the way titles, headers and exports show it.
    """

    kind: Kind
    path: str
    provenance: Provenance
    profile: Profile | None = None
    lab: LabRun | None = None
    advice: AdviceSession | None = None
    session: Session | None = None


def open_path(path: str, *, trusted: bool = False) -> Opened:
    """Read ``path`` whatever it is; OpenError with the sentence when it cannot be.

    ``trusted``: a cProfile dump our own worker wrote, read in this process.
    """
    kind = what_is(path)
    if kind is Kind.PROFILE:
        profile = _load_profile(path, trusted)
        return Opened(kind, path, _profile_provenance(path, profile), profile=profile)
    if kind is Kind.SESSION:
        return _open_session(path)
    if kind is Kind.ADVICE_SESSION:
        advice = _advice_from_dict(_read_json(path, kind), path)
        return Opened(
            kind, path, _advice_provenance(advice, path), profile=advice.profile, lab=advice.lab, advice=advice
        )
    if kind is Kind.LAB_RESULTS:
        lab = _parse(LabRun.from_dict, _read_json(path, kind), path)
        return Opened(kind, path, Provenance.for_file(path), lab=lab)
    script = os.path.abspath(path) if kind is Kind.SCRIPT else ""
    return Opened(kind, path, Provenance(kind="file", path=os.path.abspath(path), script=script))


def open_profile(path: str, *, trusted: bool = False) -> Opened:
    """Read a file that must give a profile: a profile, or a session or advisor session holding one."""
    kind = what_is(path)
    if kind is Kind.SCRIPT:
        raise OpenError(Failure.SCRIPT, path)
    if kind is Kind.FOLDER:
        raise OpenError(Failure.FOLDER, path)
    if kind in (Kind.LAB_RESULTS, Kind.GPU_TRACE):
        raise OpenError(Failure.WRONG_KIND, path, f"{KIND_WORDS[kind]}, not a profile")
    opened = open_path(path, trusted=trusted)
    if opened.profile is None:
        raise OpenError(Failure.NO_PROFILE, path, f"{KIND_WORDS[kind]} saved without one")
    return opened


def open_lab_results(path: str) -> LabRun:
    """Kernel-lab results: a results file, or the lab run inside a session or advisor session."""
    kind = what_is(path)
    if kind is Kind.FOLDER:
        raise OpenError(Failure.FOLDER, path)
    if kind not in (Kind.LAB_RESULTS, Kind.SESSION, Kind.ADVICE_SESSION):
        raise OpenError(Failure.WRONG_KIND, path, f"{KIND_WORDS[kind]}, not kernel-lab results")
    opened = open_path(path)
    if opened.lab is None:
        raise OpenError(Failure.WRONG_KIND, path, f"{KIND_WORDS[kind]} without kernel-lab results in it")
    return opened.lab


def open_advice(path: str) -> AdviceSession:
    """An advisor session: its own file, or the advice inside a gpuprof session."""
    kind = what_is(path)
    if kind is Kind.FOLDER:
        raise OpenError(Failure.FOLDER, path)
    if kind not in (Kind.ADVICE_SESSION, Kind.SESSION):
        raise OpenError(Failure.WRONG_KIND, path, f"{KIND_WORDS[kind]}, not an advisor session")
    opened = open_path(path)
    if opened.advice is None:
        raise OpenError(Failure.WRONG_KIND, path, f"{KIND_WORDS[kind]} without an advisor session in it")
    return opened.advice


def _load_profile(path: str, trusted: bool) -> Profile:
    from gpuprof_gui.core.importers import ProfileFormatError
    from gpuprof_gui.core.importers.errors import WrittenByPython2
    from gpuprof_gui.jobs.runner import open_profile_safely

    try:
        return open_profile_safely(path, trusted=trusted)
    except WrittenByPython2:
        raise OpenError(Failure.PYTHON2, path) from None
    except ProfileFormatError as exc:
        if trusted:  # our own run's output: the importer's sentence says what the run left (e.g. too short)
            raise
        raise OpenError(Failure.DAMAGED, path, str(exc)) from None


def _read_json(path: str, kind: Kind) -> Any:
    try:
        return read_json_file(path, KIND_WORDS[kind])
    except OSError as exc:
        raise OpenError(Failure.UNREADABLE, path, exc.strerror or str(exc)) from None
    except JSONTextError as exc:
        raise OpenError(Failure.DAMAGED, path, str(exc)) from None


def _parse(from_dict, raw: Any, path: str):
    try:
        return from_dict(raw)
    except _DAMAGED_BY as exc:
        raise OpenError(
            Failure.DAMAGED, path, f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc)
        ) from None


TEXT_FIELDS = {
    "script": ("path", "name", "text", "profiler", "python"),
    "run": ("status", "message", "python_version"),
    "console": ("text",),
}


def checked_parts(session: Session) -> AdviceSession | None:
    """Check the parts Session.from_dict leaves as plain dicts; SessionError before anything is shown.

    The window replays only a session that passes, and ``gpuprof open`` opens only such a session:
    one rule for both.
    """
    for part, names in TEXT_FIELDS.items():
        record = getattr(session, part) or {}
        wrong = [n for n in names if record.get(n) is not None and not isinstance(record[n], str)]
        if wrong or not isinstance(record.get("args", []), list):
            raise SessionError(f"The session file is damaged ('{part}.{(wrong or ['args'])[0]}' has the wrong type).")
    if session.telemetry is not None:
        try:
            trace_from_json(session.telemetry)
        except TraceFormatError as exc:
            raise SessionError(f"In its telemetry trace, {exc.detail.rstrip('.')}.") from exc
    if session.advice is None:
        return None
    try:
        return AdviceSession.from_dict(session.advice)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SessionError(f"The session's advice is damaged ({type(exc).__name__}: {exc}).") from exc


def _open_session(path: str) -> Opened:
    raw = _read_json(path, Kind.SESSION)
    try:
        run = Session.from_dict(raw)
        checked_parts(run)
    except SessionError as exc:
        raise OpenError(Failure.DAMAGED, path, str(exc)) from None
    advice = _advice_from_dict(run.advice, path) if run.advice else None
    return Opened(
        Kind.SESSION,
        path,
        Provenance.for_session(run, path),
        profile=run.profile,
        lab=run.lab,
        advice=advice,
        session=run,
    )


def _advice_from_dict(raw: Any, path: str) -> AdviceSession:
    return _parse(AdviceSession.from_dict, raw, path)


def _advice_provenance(advice: AdviceSession, path: str) -> Provenance:
    profile = advice.profile
    return Provenance(
        kind="advice",
        path=os.path.abspath(path),
        script=advice.script,
        host=advice.host,
        started=advice.date,
        profiler=profile.profiler if profile is not None else "",
        wall_s=profile.wall_s if profile is not None else None,
    )


def _profile_provenance(path: str, profile: Profile) -> Provenance:
    """A run folder's profile is named by the run that wrote it (:meth:`Provenance.for_path`); any other by its file."""
    found = Provenance.for_path(path)
    changes: dict[str, Any] = {}
    if found.wall_s is None and profile.wall_s is not None:
        changes["wall_s"] = profile.wall_s
    if not found.profiler:
        changes["profiler"] = profile.profiler
    return found.with_changes(**changes) if changes else found
