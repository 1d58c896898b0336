"""Help ▸ Keyboard Shortcuts: the shortcut table in a scrolling dialog that fits the screen.

A message box grew past a projector's height at presentation sizes (20 pt, some fifty rows);
this dialog scrolls instead and is never taller than most of the screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from gpuprof_gui.ui.shell.actions import shortcuts_html

SCREEN_SHARE = 0.8  # of the available screen, at most, in each direction
PREFERRED_SIZE_PX = (760, 720)  # at the desk font size
DESK_POINT_SIZE = 10.0


class ShortcutsDialog(QDialog):
    """The generated shortcut table (actions.shortcuts_html), scrollable, closed with Esc or Close."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        # Keys are bold in the table; never break "Ctrl+Shift+O" across lines.
        self.browser.document().setDefaultStyleSheet("b { white-space: nowrap; }")
        self.browser.setHtml(shortcuts_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.browser, 1)
        box.addWidget(buttons)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        # Wider with the font: at presentation sizes (20 pt) the two columns need twice the room.
        scale = max(1.0, self.font().pointSizeF() / DESK_POINT_SIZE)
        width, height = int(PREFERRED_SIZE_PX[0] * scale), int(PREFERRED_SIZE_PX[1] * scale)
        screen = (self.parentWidget() or self).screen()
        if screen is not None:
            avail = screen.availableGeometry()
            width = min(width, int(avail.width() * SCREEN_SHARE))
            height = min(height, int(avail.height() * SCREEN_SHARE))
        self.resize(width, height)
