"""The console: the profiler's own news on stderr in the secondary colour, real errors in red.

Scalene writes "profile saved to …" and how to view it to stderr, so the console showed them
like a traceback. The lines below are Scalene 2.x's own (scalene_profiler.py, output_profile
and run_profiler; scalene_nvidia_gpu.py), as a run of `scalene run -o OUT script.py` printed them.
"""

from __future__ import annotations

import importlib.util
import textwrap

import pytest
from window_support import SCALENE_TIMEOUT_MS, run_script, save_shot, settle

from gpuprof_gui.ui.profile.console import ConsolePane
from gpuprof_gui.ui.style import theme
from gpuprof_gui.ui.style.palette import current_theme_colours

pytestmark = pytest.mark.timeout(240)

SAVED = (
    "\n"
    "Scalene: profile saved to /tmp/gpuprof-1iilva6e/profile.json\n"
    "  To view in browser:  scalene view /tmp/gpuprof-1iilva6e/profile.json\n"
    "  To view in terminal: scalene view --cli /tmp/gpuprof-1iilva6e/profile.json\n"
)
BACKGROUND = (
    "Scalene now profiling process 4242\n"
    "  to disable profiling: python3 -m scalene.profile --off --pid 4242\n"
    "  to resume profiling:  python3 -m scalene.profile --on  --pid 4242\n"
)
GPU_NOTE = (
    "NOTE: The GPU is currently running in a mode that can reduce Scalene's accuracy when reporting GPU utilization.\n"
    "If you have sudo privileges, you can run this command (Linux only) to enable per-process GPU accounting:\n"
    "  python3 -m scalene.set_nvidia_gpu_modes\n"
)
NOTICES = SAVED + BACKGROUND + GPU_NOTE
ERRORS = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 3, in <module>\n'
    "ValueError: Scalene: profile saved to nowhere\n"  # a notice's words inside an error are an error
    "Scalene: The specified code did not run for long enough to profile.\n"  # no profile: worth the red
)


@pytest.fixture(autouse=True)
def normal_look():
    yield
    theme.apply(theme.SYSTEM, False)


def line_colours(console: ConsolePane) -> dict[str, set[str]]:
    """Each non-empty line on show -> the colours its text is drawn in."""
    out: dict[str, set[str]] = {}
    block = console.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.text().strip():
                out.setdefault(block.text(), set()).add(frag.charFormat().foreground().color().name())
            it += 1
        block = block.next()
    return out


def assert_notices_muted(console: ConsolePane, notices: str, errors: str) -> None:
    colours = current_theme_colours()
    shown = line_colours(console)
    for line in filter(str.strip, notices.splitlines()):
        assert shown[line] == {colours.muted}, (line, shown[line])
    for line in filter(str.strip, errors.splitlines()):
        assert shown[line] == {colours.error}, (line, shown[line])


@pytest.mark.parametrize("name", [theme.LIGHT, theme.DARK])
@pytest.mark.parametrize("chunk", [0, 1, 7], ids=["whole", "bytewise", "chunks-of-7"])
def test_scalene_notices_are_not_shown_as_errors(qtbot, name, chunk):
    theme.apply(name, False)
    console = ConsolePane()
    qtbot.addWidget(console)
    console.set_presentation(False)
    console.start_run("$ scalene run train.py")
    data = (ERRORS + NOTICES + "warning: the script's own line\n").encode()
    step = chunk or len(data)
    for i in range(0, len(data), step):  # a pipe may cut a line anywhere
        console.append_stderr(data[i : i + step])
        console.flush()
    console.end_run("finished")
    assert console.toPlainText().count("Scalene: profile saved to") == 2  # nothing lost or doubled
    assert_notices_muted(console, NOTICES, ERRORS + "warning: the script's own line\n")


def test_an_unfinished_line_is_shown_when_the_run_ends(qtbot):
    console = ConsolePane()
    qtbot.addWidget(console)
    console.start_run("$ run")
    console.append_stderr(b"Scalene: profile sa")  # could become a notice: waits for its end
    console.append_stdout(b"out\n")
    console.end_run()
    assert "Scalene: profile sa" in console.toPlainText()
    assert line_colours(console)["Scalene: profile sa"] == {current_theme_colours().error}


def test_the_colours_follow_a_theme_switch(qtbot, window):
    window.console.start_run("$ scalene run train.py")
    window.console.append_stderr((SAVED + ERRORS).encode())
    window.console.end_run()
    for name in (theme.DARK, theme.LIGHT):
        theme.set_theme(window, name)
        assert_notices_muted(window.console, SAVED, ERRORS)


@pytest.mark.skipif(importlib.util.find_spec("scalene") is None, reason="Scalene is not installed")
def test_a_real_scalene_run_shows_its_notices_in_the_secondary_colour(qtbot, window, tmp_path):
    script = tmp_path / "busy.py"
    script.write_text(
        textwrap.dedent(
            """\
            import sys, time

            def spin(seconds):
                end, n = time.perf_counter() + seconds, 0
                while time.perf_counter() < end:
                    n += sum(i * i for i in range(2000))
                return n

            print("result", spin(1.5))
            print("warning: a line of the script's own on stderr", file=sys.stderr)
            """
        ),
        encoding="utf-8",
    )
    outcome = run_script(qtbot, window, script, profiler="scalene", timeout_ms=SCALENE_TIMEOUT_MS, wait_profile=True)
    assert outcome.status == "finished", outcome.message
    settle(qtbot)
    text = window.console.toPlainText()
    saved = [line for line in text.splitlines() if line.startswith("Scalene: profile saved to ")]
    assert saved, text[-2000:]  # the wording the patterns know is what the installed Scalene prints
    notices = "\n".join(line for line in text.splitlines() if "scalene view" in line or line in saved)
    assert_notices_muted(window.console, notices, "warning: a line of the script's own on stderr\n")
    window.tabs.setCurrentIndex(0)
    save_shot(window, "contrast_console_light")
    theme.set_theme(window, theme.DARK)
    settle(qtbot)
    assert_notices_muted(window.console, notices, "warning: a line of the script's own on stderr\n")
    save_shot(window, "contrast_console_dark")
