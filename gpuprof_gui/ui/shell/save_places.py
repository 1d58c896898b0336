"""Where a save dialog opens, and the name it offers: Save Raw Profile, Save Session, Export.

Every run's files are kept in the runs folder (``~/.cache/gpuprof-gui/runs/...``), hidden
and pruned: a dialog that opened there, offering "profile", sent the user's file where they
would never find it again. A dialog opens instead in the folder of the script the profile
came from (or of the file the user opened), else the last folder the user saved to, else
home, and offers a name made from the script's: ``train.prof``, ``train-flame.svg``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from gpuprof_gui.assets import examples_dir
from gpuprof_gui.core.provenance import RUN_FILE_NAMES
from gpuprof_gui.core.session import SESSION_SUFFIX
from gpuprof_gui.ui.shell import window_state

if TYPE_CHECKING:
    from gpuprof_gui.ui.shell.window_base import WindowBase

LAST_FOLDER_KEY = "last_save_folder"
"""Settings key: the folder of the last file saved from a save dialog."""
FALLBACK_STEM = "profile"


def name_stem(win: WindowBase, fallback: str = FALLBACK_STEM) -> str:
    """The name a saved file starts with: the script's ("train"), else the opened file's, else ``fallback``."""
    provenance = win.workspace.provenance
    script = provenance.script if provenance is not None else ""
    if script:
        return _stem(script.rstrip("/\\")) or fallback
    loaded = win.loaded
    path = (provenance.path if provenance is not None else "") or (loaded.path if loaded is not None else "")
    if path and os.path.basename(path) not in RUN_FILE_NAMES:  # a run's "profile.prof" says nothing
        return _stem(path) or fallback
    return fallback


def _stem(path: str) -> str:
    name = os.path.basename(path)
    if name.endswith(SESSION_SUFFIX):
        return name[: -len(SESSION_SUFFIX)]
    return os.path.splitext(name)[0]


def start_folder(win: WindowBase) -> str:
    """The folder a save dialog opens in (see the module's docstring); never the runs folder."""
    provenance = win.workspace.provenance
    candidates = []
    if provenance is not None and provenance.script:
        script = os.path.expanduser(provenance.script)
        candidates.append(script if os.path.isdir(script) else os.path.dirname(script))
    if provenance is not None and provenance.path:
        candidates.append(os.path.dirname(provenance.path))  # an opened file's; a run's is in the runs folder
    last = win.settings.value(LAST_FOLDER_KEY, "")
    if isinstance(last, str) and last:
        candidates.append(last)
    for folder in candidates:
        if _usable(folder):
            return os.path.abspath(folder)
    return os.path.expanduser("~")


def _usable(folder: str) -> bool:
    """A folder the user chose or owns, that can be written: not the runs folder, nor the bundled examples."""
    if not folder or not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not any(_inside(folder, hidden) for hidden in (window_state.runs_root(), str(examples_dir())))


def _inside(folder: str, root: str) -> bool:
    folder, root = os.path.realpath(folder), os.path.realpath(root)
    try:
        return os.path.commonpath([folder, root]) == root
    except ValueError:  # different drives
        return False


def dialog_path(win: WindowBase, filename: str) -> str:
    """The path a save dialog starts with: ``filename`` in :func:`start_folder`."""
    return os.path.join(start_folder(win), filename)


def remember_folder(win: WindowBase, path: str) -> None:
    """The user saved ``path``: the next dialog may open in its folder."""
    win.settings.setValue(LAST_FOLDER_KEY, os.path.dirname(os.path.abspath(path)))
