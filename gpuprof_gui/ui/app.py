"""Starts the window: ``gpuprof gui [SCRIPT|PROFILE|SESSION] [--profiler P] [--run] [--screenshot PNG] ...``.

With ``--screenshot`` (or the ``GPUPROF_SCREENSHOT`` environment variable) the
window is saved as a PNG once it has something to show, and the app quits:
that is how the window is checked headless (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from gpuprof_gui.exit_codes import ExitStatus
from gpuprof_gui.protocol import PROFILERS

if TYPE_CHECKING:
    from collections.abc import Callable

    from gpuprof_gui.core.loaded import LoadedProfile
    from gpuprof_gui.jobs.lab_runner import LabOutcome
    from gpuprof_gui.ui.shell.main_window import MainWindow

SCREENSHOT_ENV = "GPUPROF_SCREENSHOT"
SCREENSHOT_SETTLE_MS = 300
"""After results arrive, let layouts settle and the flame graph paint before grabbing."""
SCREENSHOT_SIZE = (1600, 1000)
SCREENSHOT_DEADLINE_MS = 10 * 60 * 1000
LAB_SETTLE_MS = 2000
"""A run that never ends still gets its screenshot (and a failure exit) eventually."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gpuprof gui", description="Open the gpuprof-gui window.")
    parser.add_argument("path", nargs="?", help="a Python script to load, or a profile or session file to open")
    parser.add_argument("--profiler", choices=PROFILERS, help="profiler for runs")
    parser.add_argument("--run", action="store_true", help="profile the script at once")
    parser.add_argument(
        "--gpu-trace", action="store_true", help="cProfile runs trace the GPU too (the run bar's Trace GPU)"
    )
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="the Python that runs the script: a path, 'app' (gpuprof's own) or 'auto' (its project's environment)",
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="stop the script after S seconds")
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        help=f"save the window as PNG once it shows results, then quit (also: ${SCREENSHOT_ENV})",
    )
    parser.add_argument("--lab-results", metavar="FILE", help="show a recorded kernel-lab results JSON")
    parser.add_argument("--lab-trace", metavar="FILE", help="with --lab-results: its telemetry trace JSON")
    parser.add_argument(
        "--tab", choices=("profile", "lab", "advisor", "compare", "timeline"), help="the tab to show first"
    )
    parser.add_argument(
        "--theme",
        choices=("system", "light", "dark"),
        help="light, dark or the desktop's theme for this launch (View > Theme keeps a choice)",
    )
    parser.add_argument(
        "--presentation",
        action="store_true",
        help="start in presentation mode: large fonts, high contrast (for this launch)",
    )
    parser.add_argument(
        "--offload",
        action="append",
        default=[],
        metavar="FUNCTION",
        help="select FUNCTION (NAME or FILE:NAME; repeatable) for the offload advisor once the profile is shown",
    )
    parser.add_argument(
        "--compare", metavar="FILE", help="compare the profile shown (run B) with this profile or session (run A)"
    )
    parser.add_argument(
        "--advice",
        metavar="SESSION.json",
        help="show a saved advisor session (gpuprof advise --save) in the advisor tab",
    )
    parser.add_argument("--lab-file", metavar="FILE", help="open a kernel-lab candidate file in the lab tab")
    parser.add_argument("--lab-run", action="store_true", help="with --lab-file: run its candidates at once")
    parser.add_argument(
        "--lab-save",
        metavar="DIR",
        help="with --lab-run: keep the results (lab_results.json) and telemetry (telemetry.json) in DIR",
    )
    parser.epilog = "Arguments after -- go to the script."
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.script_args = argv[cut + 1 :]
    args.screenshot = args.screenshot or os.environ.get(SCREENSHOT_ENV) or None
    return args


def _has_display() -> bool:
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
        or sys.platform in ("darwin", "win32")
    )


def _x11_libraries_missing() -> str | None:
    """The sentence naming the libraries Qt's X11 plugin lacks, asked before Qt tries and blames
    libxcb-cursor0 whatever is missing; None where all are there, or X11 is not used, or it cannot be told."""
    from gpuprof_gui.core.system_libs import uses_xcb, xcb_problem

    if not uses_xcb(os.environ):  # before importing Qt: offscreen, Wayland, macOS and Windows ask nothing
        return None
    from PySide6.QtCore import QLibraryInfo  # QtCore only: no platform plugin is loaded for this

    return xcb_problem(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath), os.environ)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.run and not args.path:  # said at once: a screenshot would wait SCREENSHOT_DEADLINE_MS for nothing
        print("gpuprof gui: no script given for --run; name one: gpuprof gui SCRIPT.py --run", file=sys.stderr)
        return ExitStatus.USAGE
    if not _has_display():
        print(
            "gpuprof gui: no display found; headless, use: QT_QPA_PLATFORM=offscreen "
            "gpuprof gui SCRIPT --run --screenshot shot.png",
            file=sys.stderr,
        )
        return ExitStatus.UNAVAILABLE
    problem = _x11_libraries_missing()
    if problem:
        print(problem, file=sys.stderr)
        return ExitStatus.UNAVAILABLE
    if args.path and not args.path.endswith(".py") and os.path.isfile(args.path):
        # A cProfile dump is parsed in the convert worker; start it now, so its start-up and
        # parse run beside Qt's imports and the window's construction rather than after them.
        from gpuprof_gui.jobs.convert_client import start_early_conversion

        start_early_conversion(args.path)

    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from gpuprof_gui.core.opening import Kind
    from gpuprof_gui.ui.shell.main_window import MainWindow
    from gpuprof_gui.ui.style import theme

    QCoreApplication.setOrganizationName("gpuprof-gui")
    QCoreApplication.setApplicationName("gpuprof-gui")
    # Matches packaging/io.github.gpuprof.GpuprofGui.desktop, so Wayland shows our icon and name.
    QGuiApplication.setDesktopFileName("io.github.gpuprof.GpuprofGui")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    if args.theme:
        theme.set_theme(window, args.theme, remember=False)
    if args.presentation:
        window.actions_by_id["presentation"].setChecked(True)  # applies it; only a choice made in the window is kept
    if args.tab == "profile" or (args.tab is None and args.path):
        window.tabs.setCurrentIndex(0)  # the last session's tab gives way to what the command line opens
    if args.profiler:
        window.run_bar.set_profiler(args.profiler)
    if args.gpu_trace:
        window.run_bar.set_gpu_trace(True)
    if args.timeout:
        window.run_bar.timeout_spin.setValue(args.timeout)
    args.is_session = args.session_failed = args.path_failed = False
    args.opened_kind = None
    if args.path:
        # A script, there or not, goes to the run bar (Run says what is wrong with it); so do
        # folders and other things that are not plain files, as a drop does. A profile, session
        # or JSON that is not there is an error at once, not a script to run.
        is_script = args.path.endswith(".py") or (os.path.exists(args.path) and not os.path.isfile(args.path))
        if is_script:
            window.set_script(args.path)
            window.run_bar.set_args(args.script_args)
        else:
            kind = args.opened_kind = window.open_path(args.path)  # the window's door, every verb's rule
            args.path_failed = kind is None
            args.is_session = kind in (Kind.SESSION, Kind.ADVICE_SESSION)  # shown at once: no load to wait for
            args.session_failed = args.is_session and window.status_is_error()
            if args.path_failed or args.session_failed:
                print(f"gpuprof gui: {window.status_text()}", file=sys.stderr)
    args.lab_failed = bool(args.lab_results) and not window.lab.load_recorded(args.lab_results, args.lab_trace)
    if args.lab_failed:
        print(f"gpuprof gui: {window.lab.status_label.text()}", file=sys.stderr)
    if args.lab_file:
        window.lab.set_file(args.lab_file)
        if args.lab_run:
            window.lab.controller.described.connect(_start_lab_once(window, args))
            if args.lab_save:
                window.lab.run_finished.connect(_save_lab_session(window, args.lab_save))
    args.advice_failed = bool(args.advice) and not window.open_advice_session(args.advice)
    if args.advice_failed:
        print(f"gpuprof gui: {window.status_text()}", file=sys.stderr)
    if args.tab == "lab" or args.lab_results or args.lab_file:
        window.tabs.setCurrentWidget(window.lab)
    if args.tab == "advisor" or (args.advice and args.tab is None):
        window.tabs.setCurrentWidget(window.advisor)
    if args.tab == "timeline":
        window.tabs.setCurrentWidget(window.timeline)
    # A session or an advice session shows its profile before this point: no profile_shown follows.
    shown = window.loaded
    args.shown_at_once = shown is not None
    if args.compare:
        compare = _compare_once(window, args)
        if args.shown_at_once:
            QTimer.singleShot(0, compare)  # once the window is up, as after a run or a load
        else:
            window.profile_shown.connect(compare)
    if args.offload:
        select = _select_offload(window, args.offload)
        if shown is not None:
            select(shown)
        else:
            window.profile_shown.connect(select)
    if args.python:  # after the script: its folder's remembered choice gives way to the command line's
        choice = args.python if args.python in ("auto", "app") else os.path.abspath(args.python)
        window.run_bar.python_button.set_choice(choice)
    if args.screenshot:
        window.resize(*SCREENSHOT_SIZE)
    window.show()

    state: dict[str, ExitStatus] = {"rc": ExitStatus.OK}
    if args.screenshot:
        _arm_screenshot(window, args, state)
    if args.run and args.path:
        QTimer.singleShot(0, window.start_run)

    from gpuprof_gui.ui.shell.stop_signals import close_on_stop_signals

    # A `kill` (or Ctrl-C in the terminal) closes the window as File > Quit does.
    undo_signals = close_on_stop_signals(window)
    try:
        rc = app.exec()
    finally:
        undo_signals()
    window.deleteLater()
    del window
    app.processEvents()
    return state["rc"] or rc


def _compare_once(window: MainWindow, args: argparse.Namespace) -> Callable[..., None]:
    """A slot comparing the first profile shown with ``args.compare``.

    When the comparison fails at once (no such file, a session without a profile),
    ``args.on_compare_failed`` hears of it, so a screenshot need not wait for it.
    """
    done: list[bool] = []

    def compare(*_args: object) -> None:
        if done:
            return
        done.append(True)
        from gpuprof_gui.ui.compare.compare_window import compare_with

        if not compare_with(window, args.compare):
            print(f"gpuprof gui: --compare: {window.status_text()}", file=sys.stderr)
            for callback in getattr(args, "on_compare_failed", []):
                callback()

    return compare


def _select_offload(window: MainWindow, names: list[str]) -> Callable[[LoadedProfile], None]:
    """A slot selecting the ``--offload`` functions in every view and the advisor, once."""
    done: list[bool] = []

    def select(loaded: LoadedProfile) -> None:
        if done:
            return
        done.append(True)
        from gpuprof_gui.core.advisor import find_offload_functions
        from gpuprof_gui.ui.shell.session_parts import select_everywhere

        try:
            funcs = sorted({f for name in names for f in find_offload_functions(loaded.profile, name)})
        except LookupError as exc:
            window.set_status(f"--offload: {exc.args[0]}", error=True)
            print(f"gpuprof gui: --offload: {exc.args[0]}", file=sys.stderr)
            return
        select_everywhere(window, loaded.profile, funcs)

    return select


def _start_lab_once(window: MainWindow, args: argparse.Namespace) -> Callable[..., None]:
    """A slot that starts the lab run the first time the file's candidates are known.

    With ``--run`` too, the lab waits for the profile: two runs at once would
    each slow the other and skew both measurements. If the lab cannot run (no
    GPU), ``args.on_lab_refused`` hears of it, so a screenshot is taken at once
    instead of waiting for a run that never comes.
    """
    started: list[bool] = []
    ready = {"described": False, "profile": not (args.run and args.path)}

    def profile_done(*_args: object) -> None:
        ready["profile"] = True
        if ready["described"]:
            start()

    if not ready["profile"]:
        window.profile_shown.connect(profile_done)

    def start(*_args: object) -> None:
        ready["described"] = True
        if started or not ready["profile"]:
            return
        started.append(True)
        if not window.lab.start_run():
            print(f"gpuprof gui: {window.lab.status_label.text()}", file=sys.stderr)
            for callback in getattr(args, "on_lab_refused", []):
                callback()

    return start


def _save_lab_session(window: MainWindow, folder: str) -> Callable[[LabOutcome], None]:
    """A slot that keeps a finished lab run's results and its telemetry trace, for replay elsewhere."""
    import shutil

    def save(outcome: LabOutcome) -> None:
        os.makedirs(folder, exist_ok=True)
        if outcome.results_path:
            shutil.copyfile(outcome.results_path, os.path.join(folder, "lab_results.json"))
        if window.lab.lab_telemetry.live:
            window.lab.lab_telemetry.save_trace_to(os.path.join(folder, "telemetry.json"), window.lab.records)
        print(f"gpuprof gui: lab session saved in {folder}", file=sys.stderr)

    return save


def _arm_screenshot(window: MainWindow, args: argparse.Namespace, state: dict[str, ExitStatus]) -> None:
    """Save the window once it shows what was asked for, then quit."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def shoot(failed: bool = False) -> None:
        window.repaint()
        ok = window.grab().save(args.screenshot)
        if not ok:
            print(f"gpuprof gui: could not write {args.screenshot}", file=sys.stderr)
        state["rc"] = ExitStatus.OK if ok and not failed else ExitStatus.FAILED
        shown = window.lab.status_label.text() if window.tabs.currentWidget() is window.lab else window.status_text()
        print(f"screenshot: {args.screenshot} ({shown})", file=sys.stderr)
        window.close()
        QApplication.quit()  # static: the running application's event loop

    def later(failed: bool = False) -> None:
        QTimer.singleShot(SCREENSHOT_SETTLE_MS, lambda: shoot(failed))

    if args.lab_file and args.lab_run:
        # Let the telemetry plots take a few more samples after the last candidate.
        window.lab.run_finished.connect(
            lambda outcome: QTimer.singleShot(LAB_SETTLE_MS, lambda: shoot(outcome.status != "finished"))
        )
        args.on_lab_refused = [lambda: later(failed=True)]
        QTimer.singleShot(SCREENSHOT_DEADLINE_MS, lambda: shoot(failed=True))
        return
    from gpuprof_gui.core.opening import Kind

    wants_profile = args.run or args.opened_kind is Kind.PROFILE  # a profile loading in the background
    compares_shown = bool(args.compare) and args.shown_at_once  # a session's profile, compared after show
    if wants_profile or compares_shown:
        if args.compare:  # the comparison follows the profile: wait for it (or for its failure)
            window.compare.compared.connect(lambda: later())
            window.compare_loader.failed.connect(lambda _t: later(failed=True))
            args.on_compare_failed = [lambda: later(failed=True)]
        else:
            window.profile_shown.connect(lambda _r: later())
        if wants_profile:
            window.load_failed.connect(lambda _t: later(failed=True))
            window.run_finished.connect(lambda outcome: None if outcome.ok else later(failed=True))
        QTimer.singleShot(SCREENSHOT_DEADLINE_MS, lambda: shoot(failed=True))
    else:
        later(failed=args.lab_failed or args.advice_failed or args.session_failed or args.path_failed)
