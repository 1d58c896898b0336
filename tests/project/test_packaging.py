"""The one-folder app of packaging/: its metadata, spec and launcher; and (slow) a real build.

The slow tests run ``make dist`` into a temporary folder (16-30 s) and drive the
built executable headless, as a user would: the window profiles a bundled example and
saves a screenshot, the CLI profiles from the bundle, the workers that the app starts as
``sys.executable -m ...`` run, and the kernel worker moves to a system Python with CuPy.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGING = REPO_ROOT / "packaging"
APP_ID = "io.github.gpuprof.GpuprofGui"
APP_NAME = "gpuprof-gui"
DESKTOP_FILE = PACKAGING / f"{APP_ID}.desktop"
METAINFO_FILE = PACKAGING / f"{APP_ID}.metainfo.xml"
SPEC_FILE = PACKAGING / "gpuprof-gui.spec"
LAUNCHER_FILE = PACKAGING / "gpuprof_launcher.py"
SCREENSHOT_IN_REPO = "docs/screenshot-profile.png"

# Must never be inside the bundle (DESIGN.md: pyqtgraph pulls CuPy in if it can).
MUST_EXCLUDE = ("cupy", "cupyx", "numba", "torch", "tensorflow")

BUILD_TIMEOUT_S = 600  # measured 16-30 s; a first pip install of PyInstaller adds ~10 s
RUN_TIMEOUT_S = 120  # the example at --scale 0.3 runs ~1 s under cProfile
EXAMPLE_ARGS = ["--scale", "0.3"]
# A window of one flat colour has 1; the profile view has hundreds.
MIN_DISTINCT_COLOURS = 20
# Variables of the calling session that must not reach the built app or the inner make.
_LEAKY_ENV = (
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "MAKEOVERRIDES",
    "PYTEST_ARGS",
    "PYTEST_ADDOPTS",
    "PYTHONPATH",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "GPUPROF_SCREENSHOT",
    "GPUPROF_PYTHON",
    "GPUPROF_KERNEL_PYTHON",
    "GPUPROF_AS_PYTHON",
)


def load_launcher():
    spec = importlib.util.spec_from_file_location("gpuprof_launcher_under_test", LAUNCHER_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def spec_constants() -> dict:
    """The literal top-level assignments of the PyInstaller spec (it cannot run outside PyInstaller)."""
    out = {}
    for node in ast.parse(SPEC_FILE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            with contextlib.suppress(ValueError):  # computed values are left out
                out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def project_metadata() -> dict:
    import tomllib

    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env.update(extra)
    return env


# --- the desktop entry and the AppStream metadata ------------------------------------------


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_has_what_a_menu_needs():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    exec_words = entry["Exec"].split()
    assert exec_words[0] == APP_NAME == spec_constants()["APP_NAME"]
    assert exec_words[1:] in (["%f"], ["%F"])  # "Open with" passes the script
    assert entry["Icon"] == APP_ID
    categories = entry["Categories"]
    assert categories.endswith(";")
    assert {"Development", "Profiling"} <= set(categories.split(";"))
    assert "text/x-python" in entry["MimeType"].split(";")
    assert entry["Terminal"] == "false"
    assert entry["Name"] and entry["Comment"]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate():
    done = subprocess.run(["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_metainfo_has_the_required_elements():
    root = ET.parse(METAINFO_FILE).getroot()
    project = project_metadata()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == project["license"]["text"]
    assert root.findtext("name") and root.findtext("summary")
    assert root.find("description/p") is not None
    launchable = root.find("launchable")
    assert launchable.get("type") == "desktop-id" and launchable.text == DESKTOP_FILE.name
    assert root.findtext("provides/binary") == APP_NAME
    homepage = root.find("url[@type='homepage']").text
    owner = APP_ID.split(".")[2]  # io.github.OWNER.App is a promise about github.com/OWNER
    assert homepage.startswith(f"https://github.com/{owner}/")
    assert next(r.get("version") for r in root.findall("releases/release")) == project["version"]
    assert root.find("content_rating").get("type", "").startswith("oars-")


def test_metainfo_screenshot_is_the_one_in_the_repository():
    images = [e.text.strip() for e in ET.parse(METAINFO_FILE).getroot().findall("screenshots/screenshot/image")]
    assert images and images[0].endswith("/" + SCREENSHOT_IN_REPO)
    with open(REPO_ROOT / SCREENSHOT_IN_REPO, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_passes_appstreamcli_validate():
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO_FILE)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the spec and the launcher ------------------------------------------------------------


def test_spec_excludes_cupy_and_the_other_big_optional_modules():
    excludes = spec_constants()["EXCLUDES"]
    missing = [name for name in MUST_EXCLUDE if name not in excludes]
    assert not missing, f"the spec would bundle {missing}"


def test_spec_puts_resources_and_sources_where_the_app_looks():
    from gpuprof_gui import assets

    constants = spec_constants()
    first_root = assets._CANDIDATE_ROOTS[0]  # the installed-package location, searched first
    assert constants["RESOURCES_DEST"] == first_root.relative_to(first_root.parent.parent).as_posix()
    assert constants["SOURCE_DEST"] == load_launcher().SOURCE_DIR_NAME


def test_launcher_names_match_the_workers():
    from gpuprof_gui.jobs import lab_runner
    from gpuprof_gui.workers import relaunch

    launcher = load_launcher()
    assert launcher.KERNEL_WORKER_MODULE == lab_runner.WORKER_MODULE
    assert launcher.ADDED_PATH_ENV == relaunch.ADDED_PATH_ENV
    assert launcher.ORIGINAL_PYTHONPATH_ENV == relaunch.ORIGINAL_PYTHONPATH_ENV


@pytest.mark.parametrize(
    "argv, as_python, job",
    [
        ([], False, "gui"),
        (["/home/me/slow.py", "--run"], False, "gui"),
        (["slow.py"], False, "gui"),
        (["--tab", "lab"], False, "gui"),
        (["gui", "slow.py"], False, "cli"),
        (["profile", "slow.py", "--json"], False, "cli"),
        (["kernels", "saxpy.py"], False, "cli"),
        (["--help"], False, "cli"),
        (["-m", "gpuprof_gui.workers.profile_worker", "--channel-fd", "5"], False, "python"),
        (["-c", "print(1)"], False, "python"),
        (["child.py", "arg"], True, "python"),  # a profiled script's `sys.executable child.py`
    ],
)
def test_launcher_routes_arguments(argv, as_python, job):
    assert load_launcher().route(argv, as_python) == job


def test_user_env_undoes_what_the_runner_added(monkeypatch):
    launcher = load_launcher()
    monkeypatch.setattr(sys, "_MEIPASS", "/opt/app/_internal", raising=False)
    env = {
        "PYTHONPATH": "/opt/app/_internal:/home/me/lib",
        launcher.ADDED_PATH_ENV: "/opt/app/_internal",
        launcher.ORIGINAL_PYTHONPATH_ENV: "/home/me/lib",
        "LD_LIBRARY_PATH": "/opt/app/_internal",
        "HOME": "/home/me",
    }
    user = launcher.user_env(env)
    assert user == {"PYTHONPATH": "/home/me/lib", "HOME": "/home/me"}
    kernel = launcher.kernel_env(env, "/opt/app/_internal/gpuprof_src")
    assert kernel["PYTHONPATH"] == "/opt/app/_internal/gpuprof_src:/home/me/lib"
    restored = launcher.system_env(
        {
            "LD_LIBRARY_PATH": "/opt/app/_internal:/usr/local/cuda/lib64",
            launcher.LD_PATH_ORIG_ENV: "/usr/local/cuda/lib64",
        }
    )
    assert restored == {"LD_LIBRARY_PATH": "/usr/local/cuda/lib64"}


def make_fake_cupy(folder: Path, report: Path | None = None) -> Path:
    """A ``cupy`` package that (when imported) says which Python and which gpuprof_gui imported it."""
    package = folder / "cupy"
    package.mkdir(parents=True)
    body = ""
    if report is not None:
        body = (
            f"import sys, gpuprof_gui\nwith open({str(report)!r}, 'w') as fh:\n"
            "    fh.write(sys.executable + '\\n' + gpuprof_gui.__file__ + '\\n')\n"
        )
    (package / "__init__.py").write_text(body + "raise ImportError('fake CuPy for a test: no CUDA here')\n")
    return folder


def test_kernel_python_is_the_users_choice_or_python3_with_cupy(tmp_path):
    launcher = load_launcher()
    fake = make_fake_cupy(tmp_path / "fake")
    with_cupy = dict(clean_env(), PYTHONPATH=str(fake))
    assert launcher.find_kernel_python(dict(with_cupy, GPUPROF_PYTHON=sys.executable)) == sys.executable
    # An explicit choice that cannot import CuPy is not replaced by a guess.
    assert launcher.find_kernel_python(dict(with_cupy, GPUPROF_PYTHON=str(tmp_path / "no-such-python"))) is None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    assert launcher.find_kernel_python(dict(with_cupy, PATH=str(bin_dir))) == str(bin_dir / "python3")
    assert launcher.find_kernel_python(dict(clean_env(), PATH=str(bin_dir))) is None  # no CuPy there


def test_cupy_stand_in_is_found_but_never_imports():
    finder = load_launcher()._CupyElsewhere()
    assert finder.find_spec("numpy") is None
    spec = finder.find_spec("cupy")
    assert spec is not None
    with pytest.raises(ImportError, match="kernel worker"):
        importlib.util.module_from_spec(spec)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_help_lists_dist():
    done = subprocess.run(
        ["make", "-s", "help"], cwd=REPO_ROOT, env=clean_env(), capture_output=True, text=True, timeout=30
    )
    assert any(line.split()[:1] == ["dist"] for line in done.stdout.splitlines()), done.stdout


@pytest.mark.skipif(shutil.which("git") is None or not (REPO_ROOT / ".git").exists(), reason="needs a git checkout")
def test_build_output_is_ignored_by_git():
    done = subprocess.run(
        ["git", "check-ignore", "dist/gpuprof-gui/gpuprof-gui", "build/pyinstaller/x.toc"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert len(done.stdout.splitlines()) == 2, done.stdout + done.stderr


# --- the built app (slow) -----------------------------------------------------------------

_SLOW_BUILD_MARKS = (
    pytest.mark.slow,
    # The first test to ask for the app waits for the build.
    pytest.mark.timeout(BUILD_TIMEOUT_S + RUN_TIMEOUT_S),
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
    pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="`make dist` builds with a venv's Python"),
)


def slow_build(test):
    """Marks a test of the built app: slow, a timeout that covers the build, skips."""
    for mark in _SLOW_BUILD_MARKS:
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def built_app(tmp_path_factory) -> Path:
    """``make dist`` into a temporary folder, with the venv running these tests; the executable."""
    out = tmp_path_factory.mktemp("dist")
    t0 = time.monotonic()
    done = subprocess.run(
        ["make", "dist", f"VENV={sys.prefix}", f"DIST_DIR={out / 'dist'}", f"DIST_WORK_DIR={out / 'build'}"],
        cwd=REPO_ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    app = out / "dist" / APP_NAME / APP_NAME
    assert os.access(app, os.X_OK), done.stdout[-2000:]
    print(f"make dist: {time.monotonic() - t0:.0f} s, {done.stdout.strip().splitlines()[-1]}")
    return app


def bundled_example(app: Path, name: str = "hotspots_demo.py") -> Path:
    found = sorted(app.parent.glob(f"**/gpuprof_gui/resources/examples/{name}"))
    assert found, f"no bundled {name} under {app.parent}"
    return found[0]


def run_app(app: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(app), *args],
        cwd=cwd,
        env=env or clean_env(QT_QPA_PLATFORM="offscreen"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


def distinct_colours(png: Path) -> tuple[tuple[int, int], int]:
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert not image.isNull(), f"{png} is not a readable image"
    step = 7  # a coarse grid sees every panel without reading 1.6 M pixels
    colours = {image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)}
    return (image.width(), image.height()), len(colours)


@slow_build
@pytest.mark.parametrize("verb", [["gui"], []], ids=["gui-verb", "no-verb"])
@pytest.mark.usefixtures("qapp")
def test_built_app_profiles_an_example_and_screenshots_headless(built_app, tmp_path, verb):
    from gpuprof_gui.ui.app import SCREENSHOT_SIZE

    shot = tmp_path / "shot.png"
    done = run_app(
        built_app,
        *verb,
        str(bundled_example(built_app)),
        "--run",
        "--screenshot",
        str(shot),
        "--",
        *EXAMPLE_ARGS,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Finished in" in done.stderr  # the profile run ended well before the screenshot
    size, colours = distinct_colours(shot)
    assert size == SCREENSHOT_SIZE
    assert colours >= MIN_DISTINCT_COLOURS, f"the screenshot is nearly flat ({colours} colours)"


@slow_build
def test_built_app_profile_json_from_the_bundle(built_app, tmp_path):
    example = bundled_example(built_app)
    done = run_app(built_app, "profile", str(example), "--json", "--", *EXAMPLE_ARGS, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["status"] == "finished" and doc["profiler"] == "cprofile"
    top = [row["name"] for row in doc["hotspots"][:3]]
    assert "pairwise_distances" in top, top
    assert doc["hotspots"][0]["file"] == str(example)


@slow_build
def test_built_app_profiles_with_scalene_in_the_users_python(built_app, tmp_path, user_venv):
    """The bundle leaves Scalene out; a project's .venv that has it runs it, found automatically."""
    python = user_venv(("tabulate", "scalene"))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    (tmp_path / ".venv").symlink_to(Path(python).parent.parent, target_is_directory=True)
    script = tmp_path / "busy.py"
    script.write_text(
        "import time\nfrom tabulate import tabulate\n\n\ndef work():\n"
        "    return tabulate([[i, i * i] for i in range(1500)])\n\n\n"
        "t = time.time()\nwhile time.time() - t < 2.0:\n    work()\nprint('done')\n",
        encoding="utf-8",
    )
    done = run_app(built_app, "profile", "--profiler", "scalene", "--cpu-only", "--json", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["status"] == "finished" and doc["profiler"] == "scalene", doc["message"]
    assert doc["python"]["reason"] == "from ./.venv"
    assert "work" in {row["name"] for row in doc["hotspots"]}, doc["hotspots"]
    alone = run_app(built_app, "profile", "--profiler", "scalene", "--python", "app", str(script), cwd=tmp_path)
    assert "The packaged app's own Python has no Scalene" in alone.stderr, alone.stderr[-2000:]


@slow_build
def test_built_app_runs_scripts_that_import_numpy_stdlib_and_neighbours(built_app, tmp_path):
    (tmp_path / "helper.py").write_text("def twice(x):\n    return 2 * x\n")
    (tmp_path / "child.py").write_text("import sys\nprint('child says', sys.argv[1])\n")
    (tmp_path / "user.py").write_text(
        "import csv, decimal, fractions, io, multiprocessing, sqlite3, subprocess, sys\n"
        "import numpy as np\n"
        "from helper import twice\n\n"
        "def numpy_work(n):\n    a = np.arange(n, dtype=float)\n    return float((a * a).sum())\n\n"
        "def square(x):\n    return x * x\n\n"
        "if __name__ == '__main__':\n"
        "    print('numpy', numpy_work(1000), 'helper', twice(21), fractions.Fraction(1, 3))\n"
        "    sqlite3.connect(':memory:').execute('select 1')\n"
        "    print(subprocess.run([sys.executable, 'child.py', 'hi'], capture_output=True, text=True).stdout.strip())\n"
        "    with multiprocessing.get_context('spawn').Pool(1) as pool:\n"
        "        print('pool', pool.map(square, [2, 3]))\n"
    )
    done = run_app(built_app, "profile", "user.py", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("numpy 332833500.0 helper 42 1/3", "child says hi", "pool [4, 9]"):
        assert line in done.stderr, done.stderr[-3000:]  # with --json the script's output goes to stderr
    assert "numpy_work" in [row["name"] for row in json.loads(done.stdout)["hotspots"]]


@slow_build
def test_built_app_reads_a_foreign_prof_in_its_convert_worker(built_app, tmp_path):
    done = run_app(built_app, "open", str(REPO_ROOT / "tests" / "data" / "pstats_sample.prof"), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "spin" in [row["name"] for row in json.loads(done.stdout)["hotspots"]]


@slow_build
def test_built_app_bundles_numpy_nvml_and_the_stdlib_but_not_cupy_or_scalene(built_app, tmp_path):
    wanted = ["numpy", "pynvml", "csv", "sqlite3", "decimal", "xml.dom.minidom", "email.mime.text"]
    names = [*wanted, *MUST_EXCLUDE, "scalene"]
    code = f"import importlib.util as u; print(' '.join(n for n in {names!r} if u.find_spec(n)))"
    done = run_app(built_app, "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == wanted


def kernel_worker_copy(app: Path, env: dict[str, str]):
    """Start the kernel worker's ``copy`` verb through the app, as lab_runner does; its tracker."""
    from gpuprof_gui.jobs.runner import OutcomeTracker, supervise

    tracker = OutcomeTracker("kernel", RUN_TIMEOUT_S)
    argv = lambda fd: [str(app), "-m", "gpuprof_gui.workers.kernel_worker", "--channel-fd", str(fd), "copy"]  # noqa: E731
    supervise(argv, tracker, env=env, timeout_s=RUN_TIMEOUT_S, on_stdout=lambda _d: None)
    return tracker


@slow_build
def test_built_app_hands_the_kernel_worker_to_a_system_python_with_cupy(built_app, tmp_path):
    report = tmp_path / "imported-by.txt"
    fake = make_fake_cupy(tmp_path / "fake", report)
    tracker = kernel_worker_copy(built_app, clean_env(GPUPROF_PYTHON=sys.executable, PYTHONPATH=str(fake)))
    assert tracker.hello is not None and (tracker.result or {}).get("status") == "no_gpu", tracker.result
    python, package = report.read_text().splitlines()
    assert python == sys.executable  # not the app: the worker was handed over
    assert Path(package).is_relative_to(built_app.parent)  # the app's own copy of the sources
    assert "gpuprof_src" in Path(package).parts


@slow_build
def test_built_app_kernel_worker_without_cupy_says_so(built_app, tmp_path):
    tracker = kernel_worker_copy(built_app, clean_env(PATH=str(tmp_path)))  # no python3 to find
    result = tracker.result or {}
    assert result.get("status") == "no_gpu" and "CuPy is not installed" in str(result.get("reason")), result
