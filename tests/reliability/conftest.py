"""The reliability table's tally, printed at the end of every test run that includes it (``make test``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The window half uses the window tests' helpers (tests/ui/window_support.py).
_UI_TESTS = str(Path(__file__).resolve().parents[1] / "ui")
if _UI_TESTS not in sys.path:
    sys.path.insert(0, _UI_TESTS)

_RESULTS: dict[str, dict[str, int]] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    where = item.get_closest_marker("reliability")
    if where is not None and report.when == "call":
        tally = _RESULTS.setdefault(where.args[0], {"passed": 0, "failed": 0, "skipped": 0})
        tally["passed" if report.passed else "failed" if report.failed else "skipped"] += 1
    elif where is not None and report.when == "setup" and report.skipped:
        _RESULTS.setdefault(where.args[0], {"passed": 0, "failed": 0, "skipped": 0})["skipped"] += 1
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _RESULTS:
        return
    from cases import CASES  # this folder is on sys.path for its tests

    terminalreporter.section("reliability suite")
    terminalreporter.write_line(f"{len(CASES)} bad inputs in the table")
    for where, tally in sorted(_RESULTS.items()):
        terminalreporter.write_line(
            f"  {where}: {tally['passed']} passed, {tally['failed']} failed, {tally['skipped']} skipped"
        )


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """The isolated main window of tests/ui/conftest.py, for the window half of the table."""
    from window_support import open_window  # Qt, loaded only for the window half

    yield from open_window(qtbot, tmp_path, monkeypatch)
