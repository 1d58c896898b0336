"""The kernel lab on a narrow window: the telemetry becomes a tab beside the charts, so each
chart keeps a readable width; widened again, it is the third column once more."""

from __future__ import annotations

from pathlib import Path

from gpuprof_gui.ui.lab.lab_layout import NARROW_PX

SESSION = Path(__file__).resolve().parents[2] / "data" / "lab" / "session_saxpy_h100"


def test_a_narrow_lab_shows_charts_and_telemetry_as_tabs_and_a_wide_one_as_columns(panel, qtbot):
    panel.load_recorded(str(SESSION / "lab_results.json"), str(SESSION / "telemetry.json"))
    panel.resize(NARROW_PX - 300, 700)  # the lab's width in a window on a 1024×768 screen
    panel.show()
    qtbot.waitExposed(panel)
    columns = panel.columns
    qtbot.waitUntil(lambda: columns.narrow)
    assert columns.count() == 2  # candidates | table over charts/telemetry
    assert columns.tabs.isVisible() and columns.tabs.count() == 2
    assert panel.chart_area.isVisible() and not panel.telemetry.isVisible()  # one page at a time
    # The charts get the width the third column had: more than a third of the lab.
    assert panel.chart_area.width() > panel.width() * 0.55
    columns.tabs.setCurrentWidget(panel.telemetry)
    qtbot.waitUntil(lambda: panel.telemetry.isVisible() and not panel.chart_area.isVisible())

    panel.resize(NARROW_PX + 350, 900)
    qtbot.waitUntil(lambda: not columns.narrow)
    assert columns.count() == 3 and not columns.tabs.isVisible()
    assert panel.chart_area.isVisible() and panel.telemetry.isVisible()  # side by side again
    assert columns.widget(2) is panel.telemetry
