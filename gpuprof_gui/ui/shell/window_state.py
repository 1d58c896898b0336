"""Menus, recent files, persisted settings and per-run folders of the main window.

Kept apart from main_window.py so that file stays about behaviour, not plumbing.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import time
from collections.abc import Collection
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QTimer
from PySide6.QtGui import QActionGroup

from gpuprof_gui.ui.shell import presentation, screen_fit
from gpuprof_gui.ui.style import theme

if TYPE_CHECKING:
    from gpuprof_gui.jobs.runner import RunSpec
    from gpuprof_gui.ui.shell.window_base import WindowBase

MAX_RECENT = 10
MAX_PATH_CHARS = 4096
"""Longest path the recent-files list keeps (PATH_MAX on Linux); a longer entry is not a path."""
RUNS_DIR_ENV = "GPUPROF_RUNS_DIR"
"""Where each run's raw profile and console log are kept (default: the user cache folder)."""


def runs_root() -> str:
    root = os.environ.get(RUNS_DIR_ENV)
    if not root:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(cache, "gpuprof-gui", "runs")
    return root


KEEP_RUNS = 200
"""Run folders kept in the runs folder: each holds a raw profile and the run's full console
log, so an unbounded folder grows without limit; 200 is weeks of runs, and Open Recent
and the autosaved sessions point at the newest ones."""
KEEP_RUNS_BYTES = 2 * 1024**3
"""...and at most this much (2 GiB) of them: one run with a huge console log must not fill the disk."""
_RUN_NAME = re.compile(r"^\d{8}-\d{6}-")  # what new_run_dir makes; nothing else there is touched


def new_run_dir(script: str, keep: Collection[str] = ()) -> str:
    """A fresh folder for one run: raw profile and full console log, kept so they can be reopened.

    Where the runs folder cannot be used, a temporary folder: :func:`new_run_dir_said` says so.
    """
    return new_run_dir_said(script, keep)[0]


def new_run_dir_said(script: str, keep: Collection[str] = (), host: str | None = None) -> tuple[str, str | None]:
    """:func:`new_run_dir`, and one sentence when the run had to go to a temporary folder.

    The oldest run folders beyond :data:`KEEP_RUNS` or :data:`KEEP_RUNS_BYTES` are removed,
    never one in ``keep`` (the run on screen). A run on a host is named with the host.
    """
    from gpuprof_gui.core.atomic import WriteError, check_folder

    stem = re.sub(r"[^\w.-]+", "_", os.path.splitext(os.path.basename(script))[0])[:40] or "run"
    if host:
        stem += "@" + (re.sub(r"[^\w.-]+", "_", host)[:40] or "host")
    root = runs_root()
    try:
        check_folder(root)
    except WriteError as exc:
        return _temporary_run_dir(stem, root, exc)
    base = os.path.join(root, f"{time.strftime('%Y%m%d-%H%M%S')}-{stem}")
    path, n = base, 1
    while os.path.exists(path):
        n += 1
        path = f"{base}-{n}"
    try:
        os.makedirs(path)
    except OSError as exc:
        return _temporary_run_dir(stem, root, exc)
    prune_runs(root, keep={path, *keep})
    return path, None


def _temporary_run_dir(stem: str, root: str, exc: OSError) -> tuple[str, str]:
    """A run whose runs folder cannot be used still runs, in a temporary folder; the sentence says why."""
    import tempfile

    temp = tempfile.mkdtemp(prefix=f"gpuprof-{stem}-")
    if os.path.exists(root) and not os.path.isdir(root):
        why = f"The runs folder {root} is a file, not a folder"
    else:
        why = f"The runs folder {root} cannot be used ({exc.strerror or exc})"
    return temp, f"{why}; this run is kept in the temporary folder {temp} instead."


def prune_runs(
    root: str, keep: Collection[str] = (), max_runs: int | None = None, max_bytes: int | None = None
) -> list[str]:
    """Remove the oldest run folders in ``root`` beyond ``max_runs`` or ``max_bytes``; the folders removed."""
    kept = {os.path.abspath(k) for k in keep}
    max_runs = KEEP_RUNS if max_runs is None else max_runs
    max_bytes = KEEP_RUNS_BYTES if max_bytes is None else max_bytes
    try:
        names = sorted(
            (e.name for e in os.scandir(root) if e.is_dir(follow_symlinks=False) and _RUN_NAME.match(e.name)),
            reverse=True,
        )
    except OSError:
        return []
    removed, count, total = [], 0, 0
    for name in names:  # newest first: the name starts with the run's start time
        path = os.path.join(root, name)
        count, total = count + 1, total + _folder_bytes(path)
        if (count > max_runs or total > max_bytes) and os.path.abspath(path) not in kept:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _folder_bytes(path: str) -> int:
    size = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(folder, name)).st_size
    return size


def shown_run_dirs(win: WindowBase) -> set[str]:
    """The run folders of what the window shows (its profile, its autosaved session): never pruned."""
    paths = [getattr(win.loaded, "path", None), getattr(getattr(win, "sessions", None), "target", None)]
    return {os.path.dirname(os.path.abspath(p)) for p in paths if p}


def build_menus(win: WindowBase) -> None:
    a = win.actions_by_id
    bar = win.menuBar()
    file_menu = bar.addMenu("&File")
    for key in ("open_script", "open_profile", "open_example"):
        file_menu.addAction(a[key])
    win.recent_menu = file_menu.addMenu("Open &Recent")
    win.recent_menu.aboutToShow.connect(partial(_fill_recent, win))
    file_menu.addAction(a["open_session"])
    file_menu.addAction(a["lab_load"])
    file_menu.addSeparator()
    for key in ("save_session", "save_profile", "export"):
        file_menu.addAction(a[key])
    file_menu.addSeparator()
    file_menu.addAction(a["compare"])
    file_menu.addSeparator()
    file_menu.addAction(a["quit"])
    run_menu = bar.addMenu("&Run")
    for key in ("run", "cancel"):
        run_menu.addAction(a[key])
    run_menu.addSeparator()
    for key in ("focus_script", "focus_args", "focus_timeout", "next_profiler"):
        run_menu.addAction(a[key])
    run_menu.addSeparator()
    run_menu.addAction(a["auto_run"])
    view_menu = bar.addMenu("&View")
    for key in ("find", "back", "reset_zoom", "zoom_in", "zoom_out"):
        view_menu.addAction(a[key])
    view_menu.addSeparator()
    for key in FLAME_ORIENTATION_ACTIONS:
        view_menu.addAction(a[key])
    view_menu.addSeparator()
    view_menu.addAction(a["clear_console"])
    view_menu.addSeparator()
    view_menu.addAction(a["presentation"])
    theme_menu = view_menu.addMenu("&Theme")
    for key in ("theme_system", "theme_light", "theme_dark"):
        theme_menu.addAction(a[key])
    theme_menu.addSeparator()
    theme_menu.addAction(a["toggle_theme"])
    go_menu = bar.addMenu("&Go")
    for key in ("focus_flame", "focus_table", "focus_source", "focus_console"):
        go_menu.addAction(a[key])
    go_menu.addSeparator()
    for key in ("next_tab", "prev_tab"):
        go_menu.addAction(a[key])
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a["shortcuts"])
    help_menu.addAction(a["about"])


def recent_files(win: WindowBase) -> list[str]:
    """The recent files, newest first: at most MAX_RECENT paths, whatever the settings file holds."""
    value = win.settings.value("recent_files", [])
    if isinstance(value, str):  # QSettings returns a bare string for one-element lists
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    paths = (v for v in value if isinstance(v, str) and 0 < len(v) <= MAX_PATH_CHARS and "\0" not in v)
    return list(dict.fromkeys(paths))[:MAX_RECENT]


def add_recent(win: WindowBase, path: str) -> None:
    path = os.path.abspath(path)
    files = [path] + [p for p in recent_files(win) if p != path]
    win.settings.setValue("recent_files", files[:MAX_RECENT])


def _fill_recent(win: WindowBase) -> None:
    menu = win.recent_menu
    menu.clear()
    files = [p for p in recent_files(win) if os.path.exists(p)]
    if not files:
        menu.addAction("(none yet)").setEnabled(False)
        return
    for i, path in enumerate(files):
        action = menu.addAction(f"&{i + 1} {os.path.basename(path)}")
        action.setToolTip(path)
        action.triggered.connect(partial(win.open_path, path))
    menu.addSeparator()
    menu.addAction("Clear List").triggered.connect(partial(win.settings.remove, "recent_files"))


FLAME_ROOT_AT_BOTTOM_KEY = "flame/root_at_bottom"
FLAME_ORIENTATION_ACTIONS = {"flame_root_bottom": True, "flame_root_top": False}
"""View ▸ the two ways up of the flame graph: action id -> root at the bottom."""


def set_flame_root_at_bottom(win: WindowBase, on: bool, remember: bool = True) -> None:
    """Turn the Profile and Compare flame graphs root-down or root-up; ``remember`` keeps it."""
    for key, bottom in FLAME_ORIENTATION_ACTIONS.items():
        win.actions_by_id[key].setChecked(bottom == on)
    win.flame.set_root_at_bottom(on)
    win.compare.set_root_at_bottom(on)
    if remember:
        win.settings.setValue(FLAME_ROOT_AT_BOTTOM_KEY, on)


def _flame_orientation_chosen(win: WindowBase, on: bool, *_checked: object) -> None:
    set_flame_root_at_bottom(win, on)


def _restore_flame_orientation(win: WindowBase) -> None:
    group = QActionGroup(win)  # owned by the window: one of the two is checked at a time
    group.setExclusive(True)
    for key, bottom in FLAME_ORIENTATION_ACTIONS.items():
        group.addAction(win.actions_by_id[key])
        win.actions_by_id[key].triggered.connect(partial(_flame_orientation_chosen, win, bottom))
    set_flame_root_at_bottom(win, _flag(win.settings.value(FLAME_ROOT_AT_BOTTOM_KEY, "false")), remember=False)


PYTHON_CHOICES_KEY = "python_by_folder"
MAX_PYTHON_FOLDERS = 100


def python_choices(win: WindowBase) -> dict[str, str]:
    """The Python chosen for each script folder ("auto", "app" or a path), newest last."""
    try:
        value = json.loads(str(win.settings.value(PYTHON_CHOICES_KEY, "{}")))
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        k: v
        for k, v in value.items()
        if isinstance(k, str) and isinstance(v, str) and len(k) <= MAX_PATH_CHARS and len(v) <= MAX_PATH_CHARS
    }


def _script_folder(win: WindowBase) -> str | None:
    script = win.run_bar.script
    if not script:
        return None
    path = os.path.abspath(os.path.expanduser(script))
    return path if os.path.isdir(path) else os.path.dirname(path)


def remember_python(win: WindowBase, choice: str) -> None:
    """The run bar's Python was changed: keep it for the script's folder."""
    folder = _script_folder(win)
    if folder is None:
        return
    choices = python_choices(win)
    choices.pop(folder, None)
    choices[folder] = choice
    kept = dict(list(choices.items())[-MAX_PYTHON_FOLDERS:])
    win.settings.setValue(PYTHON_CHOICES_KEY, json.dumps(kept))
    button = win.run_bar.python_button
    win.settings.setValue("recent_pythons", button.recent)


def recall_python(win: WindowBase) -> None:
    """The script changed: its folder's Python, or automatic."""
    folder = _script_folder(win)
    choice = python_choices(win).get(folder, "auto") if folder else "auto"
    button = win.run_bar.python_button
    if choice not in ("auto", "app") and not os.path.isfile(choice):
        choice = "auto"  # that Python is gone
    button.set_choice(choice)


def remember_run_choices(win: WindowBase, spec: RunSpec) -> None:
    win.settings.setValue("profiler", spec.profiler)
    win.settings.setValue("timeout_s", spec.timeout_s or 0)
    remember_host(win)


def remember_host(win: WindowBase) -> None:
    """Run on: the host chosen (or this computer) and the recent hosts, for the next start."""
    hosts = win.run_bar.host_button
    win.settings.setValue("host", hosts.host or "")
    win.settings.setValue("recent_hosts", hosts.recent)


def remember_lab_hosts(win: WindowBase) -> None:
    """The lab's Run on and the hosts whose telemetry it also shows, for the next start."""
    button = win.lab.top_bar.host_button
    win.settings.setValue("lab_host", button.host or "")
    win.settings.setValue("lab_watched_hosts", button.watched)
    win.settings.setValue("lab_gpu", -1 if button.gpu is None else button.gpu)


def _host_list(value: object) -> list[str]:
    values = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
    return [h for h in values if isinstance(h, str) and h][:16]


def restore_lab_hosts(win: WindowBase) -> None:
    button = win.lab.top_bar.host_button
    button.recent = list(win.run_bar.host_button.recent)
    button.set_watched(_host_list(win.settings.value("lab_watched_hosts", [])))
    host = str(win.settings.value("lab_host", "") or "")
    if host or button.watched:
        button.set_host(host, announce=True)  # the lab tab follows it when first shown
    gpu = _float(win.settings.value("lab_gpu", -1))
    if gpu is not None and 0 <= gpu <= 1023 and gpu == int(gpu):
        button.set_gpu(int(gpu))
    button.host_changed.connect(lambda _host: remember_lab_hosts(win))
    button.gpu_changed.connect(lambda _gpu: remember_lab_hosts(win))
    button.watch_changed.connect(lambda _hosts: remember_lab_hosts(win))


def restore(win: WindowBase) -> None:
    s = win.settings
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray):
        win.restoreGeometry(geometry)
        screen_fit.fit(win)  # saved on another, bigger screen
    else:
        screen_fit.first_size(win)
    for name, splitter in win.splitters.items():
        state = s.value(f"window/splitter_{name}")
        if isinstance(state, QByteArray):
            splitter.restoreState(state)
    win.run_bar.set_profiler(str(s.value("profiler", "cprofile")))
    win.run_bar.gpu_trace_check.setChecked(_flag(s.value("gpu_trace", "false")))
    timeout = _float(s.value("timeout_s", 0) or 0)
    if timeout is not None:
        win.run_bar.timeout_spin.setValue(timeout)
    win.actions_by_id["auto_run"].setChecked(_flag(s.value("auto_run", "false")))
    # No tab is restored: a launch opens on Profile, whose empty page says how to start. The
    # other tabs show nothing until a profile, lab run or baseline is opened, and what the
    # command line opens picks its own tab.
    projector_action = win.actions_by_id["presentation"]
    projector_action.blockSignals(True)  # set_theme below applies the look once, presentation included
    projector_action.setChecked(_flag(s.value(theme.PRESENTATION_KEY, "false")))
    projector_action.blockSignals(False)
    theme.set_theme(win, str(s.value(theme.SETTINGS_KEY, theme.SYSTEM)), remember=False)
    # Once shown and laid out (the splitters have no sizes before): a layout saved in a small
    # window must not leave the flame graph a strip.
    QTimer.singleShot(0, win, lambda: presentation.keep_flame_share(win))
    _restore_flame_orientation(win)
    button = win.run_bar.python_button
    recent = s.value("recent_pythons", [])
    recent = [recent] if isinstance(recent, str) else recent if isinstance(recent, (list, tuple)) else []
    button.recent = [p for p in recent if isinstance(p, str) and os.path.isabs(p) and os.path.isfile(p)][:6]
    button.choice_changed.connect(lambda choice: remember_python(win, choice))
    hosts = win.run_bar.host_button
    recent_hosts = s.value("recent_hosts", [])
    recent_hosts = [recent_hosts] if isinstance(recent_hosts, str) else recent_hosts
    hosts.recent = [h for h in recent_hosts if isinstance(h, str) and h][:8] if isinstance(recent_hosts, list) else []
    hosts.set_host(str(s.value("host", "") or ""))
    hosts.host_changed.connect(lambda _host: remember_host(win))
    restore_lab_hosts(win)
    win.run_bar.sync_python()
    win.run_bar.script_edit.textChanged.connect(lambda _text: recall_python(win))


def _flag(value: object) -> bool:
    """A QSettings boolean: a bool from some backends, the string "true"/"false" from an ini file."""
    return value is True or str(value).lower() == "true"


def _float(value: object) -> float | None:
    """A QSettings number: a number from some backends, its text from an ini file; None when it is
    neither, or not finite."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            return None
        return number if math.isfinite(number) else None
    return None


def save(win: WindowBase) -> None:
    s = win.settings
    s.setValue("window/geometry", presentation.desk_geometry(win))  # the desk size, not the projector's
    for name, state in presentation.desk_states(win).items():
        s.setValue(f"window/splitter_{name}", state)
    s.setValue("auto_run", win.actions_by_id["auto_run"].isChecked())
    s.setValue("profiler", win.run_bar.profiler)  # chosen in the run bar even if never run
    s.setValue("gpu_trace", win.run_bar.gpu_trace_check.isChecked())
    s.sync()
