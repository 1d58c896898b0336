"""Where the bundled files are: the icon and the example scripts.

The repository keeps them in the top-level ``resources/`` folder; an installed
wheel carries the same folder as ``gpuprof_gui/resources/`` (setup.py maps it).
A source checkout used with ``PYTHONPATH=.`` and an editable install both
find the top-level folder. No Qt here: callers in ``ui`` turn paths into icons.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent

# Installed wheel first, then the source checkout this module sits in.
_CANDIDATE_ROOTS = (_PACKAGE_DIR / "resources", _PACKAGE_DIR.parent / "resources")

# Any file that every complete resources folder has; a stray empty folder named
# "resources" (or one holding only __pycache__) must not win.
_MARKER = Path("examples") / "hotspots_demo.py"

DEFAULT_EXAMPLE = "hotspots_demo.py"
ICON_SVG = "gpuprof.svg"
ICON_PNG = "gpuprof-256.png"


@cache
def resources_root() -> Path:
    """The folder holding the bundled resources; FileNotFoundError if none is found."""
    for root in _CANDIDATE_ROOTS:
        if (root / _MARKER).is_file():
            return root
    searched = ", ".join(str(root) for root in _CANDIDATE_ROOTS)
    raise FileNotFoundError(f"gpuprof-gui resources not found (looked in {searched})")


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path("examples", "numpy_demo.py")``.

    The path is returned whether or not the file exists; check if it matters.
    """
    return resources_root().joinpath(*parts)


def examples_dir() -> Path:
    """The folder of bundled example scripts."""
    return resource_path("examples")


def example_path(name: str = DEFAULT_EXAMPLE) -> Path:
    """Path of one bundled example (``.py`` may be left off); FileNotFoundError if unknown."""
    filename = name if name.endswith(".py") else f"{name}.py"
    path = examples_dir() / filename
    if Path(filename).name != filename or not path.is_file():
        known = ", ".join(list_examples()) or "none"
        raise FileNotFoundError(f"no bundled example {name!r} (known: {known})")
    return path


def list_examples() -> list[str]:
    """File names of the bundled examples, sorted."""
    return sorted(p.name for p in examples_dir().glob("*.py") if not p.name.startswith("_"))


def icon_path(svg: bool = True) -> Path:
    """The application icon: the SVG, or (``svg=False``) its 256 px PNG rendering."""
    return resource_path(ICON_SVG if svg else ICON_PNG)
