"""The lab's Run on button: the run host, the hosts whose telemetry is watched too, kept across starts.

No host is reached here (the lab tab stays hidden, so nothing connects); the SSH side is in
tests/remote/test_remote_lab_window.py against a real sshd.
"""

from __future__ import annotations

from window_support import make_window

from gpuprof_gui.ui.lab.lab_host_button import WATCH_MENU, LabHostButton


def _watch_menu(button: LabHostButton):
    button.menu().aboutToShow.emit()  # filled as it opens
    (watch,) = [a.menu() for a in button.menu().actions() if a.menu() and a.text() == WATCH_MENU]
    return watch


def test_recent_hosts_can_be_watched_beside_the_run_host(qtbot):
    button = LabHostButton()
    qtbot.addWidget(button)
    button.recent = ["alice@lab1", "bob@lab2", "carol@lab3"]
    button.set_host("alice@lab1")
    changes = []
    button.watch_changed.connect(changes.append)
    entries = {a.text(): a for a in _watch_menu(button).actions() if a.isCheckable()}
    assert sorted(entries) == ["bob@lab2", "carol@lab3"]  # not the run host: its GPUs are shown anyway
    entries["carol@lab3"].setChecked(True)
    assert changes == [["carol@lab3"]]
    assert button.telemetry_hosts() == ["alice@lab1", "carol@lab3"]
    again = {a.text(): a for a in _watch_menu(button).actions() if a.isCheckable()}
    assert again["carol@lab3"].isChecked() and not again["bob@lab2"].isChecked()
    again["carol@lab3"].setChecked(False)
    assert changes[-1] == [] and button.telemetry_hosts() == ["alice@lab1"]


def test_the_value_is_elided_not_the_label(qtbot):
    button = LabHostButton()
    qtbot.addWidget(button)
    button.set_host("a-very-long-user-name@a-very-long-gpu-host-name.example.org")
    assert button.text().startswith("Run on: ") and "…" in button.text()
    assert button.text().endswith("org")  # elided in the middle: both ends of the name stay


def test_the_lab_host_and_the_watched_hosts_come_back_at_the_next_start(qtbot, tmp_path, monkeypatch):
    win = make_window(qtbot, tmp_path, monkeypatch)
    button = win.lab.top_bar.host_button
    button.set_host("alice@lab1", announce=True)
    button.set_watched(["bob@lab2", "carol@lab3"], announce=True)
    assert win.lab.lab_telemetry.hosts == ["alice@lab1", "bob@lab2", "carol@lab3"]
    assert win.lab.unavailable_reason is None  # a host's worker says for itself whether it can run
    win.close()
    again = make_window(qtbot, tmp_path, monkeypatch)
    restored = again.lab.top_bar.host_button
    assert restored.host == "alice@lab1" and restored.watched == ["bob@lab2", "carol@lab3"]
    assert again.lab.lab_telemetry.hosts == ["alice@lab1", "bob@lab2", "carol@lab3"]
    again.close()
