"""Flame graph panel: toolbar (Back, Reset, breadcrumb, search), legend, canvas and its scroll bar."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from gpuprof_gui.core.flame import FlameLayout, search
from gpuprof_gui.core.model import ROOT, Profile
from gpuprof_gui.ui.profile.flame_canvas import FlameCanvas, drawn_legend
from gpuprof_gui.ui.profile.flame_scroll import ScrolledFlame
from gpuprof_gui.ui.style import projector
from gpuprof_gui.ui.style.elided_label import ElidedLabel

BREADCRUMB_HEAD = 1  # crumbs kept at the start of a long focus path ("all" and the first frame)
BREADCRUMB_TAIL = 5  # crumbs kept at the end; the middle collapses to "…" so the bar fits
SEARCH_MIN_WIDTH_PX = 220  # room for a module path fragment at 18 pt
ORIENTATION_TIP = "Callers and callees: View ▸ Flame graph: root at bottom, or Icicle: root at top"
SEARCH_TIP = "Highlight functions whose name or file holds this text (Esc clears it; Esc again: whole run)"


class SearchField(QLineEdit):
    """The search box: Esc clears the text; Esc in an empty box asks for the whole run."""

    escaped_empty = Signal()
    """Esc was pressed with nothing to clear."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() != Qt.Key.Key_Escape or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
        elif self.text():
            self.clear()  # one step at a time: the zoom the reader built is kept
        else:
            self.escaped_empty.emit()


class FlamePanel(QWidget):
    """Flame graph with its toolbar; the main window talks to this widget."""

    node_selected = Signal(int)
    """A frame was clicked: its tree node id."""
    function_selected = Signal(int)
    """A frame was clicked: its function id (for the table and source view)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile: Profile | None = None
        self.canvas = FlameCanvas(self)
        self.back_button = QPushButton("Back", self)
        self.back_button.setToolTip("Previous zoom (Alt+Left, Backspace)")
        self.reset_button = QPushButton("Reset", self)
        self.reset_button.setToolTip("Whole run (Esc, Home)")
        self.search_field = SearchField(self)
        self.search_field.setPlaceholderText("Search functions or files")
        self.search_field.setToolTip(SEARCH_TIP)
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setMinimumWidth(SEARCH_MIN_WIDTH_PX)
        self.match_label = QLabel("", self)
        # Several matches on an estimated tree add how the union was found: wrapped, that text
        # cannot widen the window past a projector's 1024 px (measured 1509 px at 18 pt unwrapped).
        self.match_label.setWordWrap(True)
        # One line, elided (the tooltip has it all): a wrapped legend took the flame graph's rows
        # on a 1024×768 projector.
        self.legend = ElidedLabel("", self)
        # Which way up the graph is drawn: beside the legend, shown whenever there is a graph.
        self.orientation_label = QLabel("", self)
        self.orientation_label.setToolTip(ORIENTATION_TIP)
        # The breadcrumb may be long (deep focus, long names); an Ignored
        # horizontal policy lets it clip instead of widening the window.
        self._crumb_box = QWidget(self)
        self._crumb_box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._crumb_bar = QHBoxLayout(self._crumb_box)
        self._crumb_bar.setContentsMargins(0, 0, 0, 0)
        self._crumb_bar.setSpacing(2)
        self._crumb_bar.addStretch(1)
        self._crumbs: list[QPushButton] = []
        self._crumb_font: QFont | None = None

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.reset_button)
        top.addWidget(self._crumb_box, 1)
        top.addWidget(self.search_field)
        top.addWidget(self.match_label)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(top)
        captions = QHBoxLayout()
        captions.addWidget(self.orientation_label, 0, Qt.AlignmentFlag.AlignTop)
        captions.addWidget(self.legend, 1)
        box.addLayout(captions)
        self.scrolled = ScrolledFlame(self.canvas, self)
        box.addWidget(self.scrolled, 1)

        self.back_button.clicked.connect(self.canvas.back)
        self.reset_button.clicked.connect(self.reset_zoom)
        self.search_field.textChanged.connect(self.set_search)
        self.search_field.escaped_empty.connect(self.reset_zoom)
        self.canvas.node_selected.connect(self._on_node_selected)
        self.canvas.focus_changed.connect(self._rebuild_breadcrumb)
        # Keys (Backspace, Alt+Left, Esc, Home) are handled by the canvas while it
        # has focus; window shortcuts would steal them from the search field.
        # Buttons take no focus so the keys keep working after a click.
        for b in (self.back_button, self.reset_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.set_profile(None)

    # -- API for the main window ----------------------------------------------

    def set_profile(self, profile: Profile | None, layout: FlameLayout | None = None) -> None:
        """Show ``profile``; pass ``layout`` when it was built off the GUI thread."""
        self.profile = profile
        self.canvas.set_profile(profile, layout)
        self._show_legend()
        enabled = profile is not None
        for w in (self.back_button, self.reset_button, self.search_field):
            w.setEnabled(enabled)
        if self.search_field.text():
            self.search_field.blockSignals(True)
            self.search_field.clear()
            self.search_field.blockSignals(False)
        self.match_label.setText("")
        self._rebuild_breadcrumb(ROOT)

    def clear(self) -> None:
        self.set_profile(None)

    def set_root_at_bottom(self, on: bool) -> None:
        """Draw a flame graph (root at the bottom) or an icicle (root at the top); the legend says which."""
        self.canvas.set_root_at_bottom(on)
        self._show_legend()

    def select_function(self, func: int, reveal: bool = True) -> None:
        self.canvas.select_function(func, reveal)

    def focus_node(self, node: int) -> None:
        self.canvas.focus_node(node)

    def reset_zoom(self) -> None:
        self.canvas.reset_zoom()

    def set_search(self, text: str) -> None:
        """Highlight frames matching ``text`` and show their share of the run (exact for one function)."""
        if self.search_field.text() != text:
            self.search_field.setText(text)  # re-enters through textChanged
            return
        if self.profile is None or not text.strip():
            self.canvas.set_search_mask(None)
            self.match_label.setText("")
            return
        res = search(self.profile, text)
        self.canvas.set_search_mask(res.node_mask)
        self.match_label.setText(res.summary())

    def set_presentation(self, on: bool) -> None:
        """Taller rows, larger fonts and thicker outlines for a projector."""
        font = QFont(self.font())
        if on:
            font.setPointSizeF(max(font.pointSizeF(), projector.text_pt()))  # the window's projector size
        labels = (self.match_label, self.legend, self.orientation_label)
        for w in (self.back_button, self.reset_button, self.search_field, *labels):
            w.setFont(font)
        self._crumb_font = font
        for b in self._crumbs:
            b.setFont(font)
        self.canvas.set_presentation(on)
        layout = self.layout()
        if layout is not None:
            layout.activate()  # re-fit the toolbar to the new font now, not on the next event

    # -- internals --------------------------------------------------------------

    def _show_legend(self) -> None:
        """Which way up the graph is, and what its hatches and dots mean (only when one is drawn)."""
        profile, lay = self.profile, self.canvas.layout_data
        shown = profile is not None and lay is not None
        marks = drawn_legend(profile, lay) if profile is not None and lay is not None else ""
        self.legend.setText(marks)
        self.legend.setVisible(bool(marks))
        self.orientation_label.setText(f"{self.canvas.orientation_caption}{' ·' if marks else ''}")
        self.orientation_label.setVisible(shown)

    def _on_node_selected(self, node: int) -> None:
        self.node_selected.emit(node)
        if self.profile is not None:
            func = int(self.profile.tree.func[node])
            if func >= 0:
                self.function_selected.emit(func)

    def _rebuild_breadcrumb(self, focus: int) -> None:
        for b in self._crumbs:
            self._crumb_bar.removeWidget(b)
            b.hide()  # deleteLater waits for the event loop; don't leave it drawn at (0, 0)
            b.deleteLater()
        self._crumbs = []
        if self.profile is None:
            return
        path = [ROOT, *self.profile.tree.path(focus)]
        if len(path) > BREADCRUMB_HEAD + BREADCRUMB_TAIL + 1:
            path = [*path[:BREADCRUMB_HEAD], -1, *path[-BREADCRUMB_TAIL:]]
        font = self._crumb_font or self.font()
        for node in path:
            if node < 0:
                b = QPushButton("…", self._crumb_box)
                b.setEnabled(False)
            else:
                func = int(self.profile.tree.func[node])
                b = QPushButton(self.profile.function_label(func), self._crumb_box)
                b.setProperty("node", node)
                b.clicked.connect(self._on_crumb_clicked)
            b.setFlat(True)
            b.setFont(font)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            self._crumb_bar.insertWidget(len(self._crumbs), b)  # before the trailing stretch
            b.show()  # a layout only shows new children of a visible widget on the next event loop pass
            self._crumbs.append(b)

    def _on_crumb_clicked(self) -> None:
        node = int(self.sender().property("node"))
        if node == ROOT:
            self.reset_zoom()
        elif node != self.canvas.focused_node:
            self.canvas.focus_node(node)

    @property
    def breadcrumb_labels(self) -> list[str]:
        """Text of the breadcrumb buttons, root first (for tests and accessibility)."""
        return [b.text() for b in self._crumbs]
