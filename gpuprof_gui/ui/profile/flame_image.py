"""The flame graph as a PNG: the window's own :class:`FlameCanvas`, rendered offscreen.

The widget is never shown; ``QWidget.render`` paints it into a ``QImage`` of the
requested size below a one-line header (name, total). Without a display the
offscreen platform is used, so ``gpuprof export --format png`` works over SSH and in CI.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QImageWriter, QPainter
from PySide6.QtWidgets import QApplication

from gpuprof_gui.core.export_formats import profile_title
from gpuprof_gui.core.flame import FlameLayout, layout_for_profile
from gpuprof_gui.core.fmt import format_count, format_time
from gpuprof_gui.core.model import Profile
from gpuprof_gui.ui.profile.flame_canvas import FlameCanvas, drawn_legend
from gpuprof_gui.ui.style.palette import current_palette

HEADER_ROWS = 1.5  # header height in flame rows: one line of slightly larger text plus air
HEADER_FONT_SCALE = 1.15
HEADER_PAD_PX = 6
NO_FRAMES_TEXT = "This profile holds no timed frames: there is nothing to draw."

_app: QApplication | None = None  # kept alive for the process once we had to create it


def ensure_application() -> QApplication:
    """The running QApplication, or a new one (offscreen when there is no display)."""
    global _app
    app = QApplication.instance()
    if app is not None:
        if not isinstance(app, QApplication):
            raise RuntimeError("rendering the flame graph needs a QApplication, not a QGuiApplication")
        return app
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if no_display and sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "gpuprof"])
    return _app


def _header_text(profile: Profile, title: str, layout: FlameLayout | None = None) -> str:
    total = profile.total_s
    amount = format_time(total) if profile.unit == "s" else f"{format_count(round(total))} samples"
    legend = drawn_legend(profile, layout if layout is not None else layout_for_profile(profile))
    note = f" · {legend}" if legend else ""
    return f"{title} · {profile.profiler} · total {amount}{note}"


def render_flame_image(profile: Profile, width_px: int, height_px: int, title: str | None = None) -> QImage:
    """An image ``width_px`` × ``height_px`` of the flame graph at full view, root on top."""
    ensure_application()
    image = QImage(width_px, height_px, QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(1.0)
    canvas = FlameCanvas()
    layout = layout_for_profile(profile)
    canvas.set_profile(profile, layout)
    palette = current_palette()  # what the canvas picked: the application's light or dark look
    image.fill(QColor(palette.background))
    header_px = int(canvas.row_height_px * HEADER_ROWS)
    painter = QPainter(image)
    try:
        font = QFont(canvas.font())
        font.setPointSizeF(font.pointSizeF() * HEADER_FONT_SCALE)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(palette.text))
        text_box = QRectF(HEADER_PAD_PX, 0, width_px - 2 * HEADER_PAD_PX, header_px)
        align = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(text_box, align, _header_text(profile, title or profile_title(profile), layout))
        if layout.max_depth < 0 or layout.total <= 0:
            painter.setFont(canvas.font())
            below = QRectF(0, header_px, width_px, max(0, height_px - header_px))
            painter.drawText(below, int(Qt.AlignmentFlag.AlignCenter), NO_FRAMES_TEXT)
        elif height_px > header_px:
            canvas.resize(width_px, height_px - header_px)
            canvas.render(painter, QPoint(0, header_px))
    finally:
        painter.end()
    return image


def flame_png_bytes(profile: Profile, width_px: int, height_px: int, title: str | None = None) -> bytes:
    """PNG file content of :func:`render_flame_image`."""
    image = render_flame_image(profile, width_px, height_px, title)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # What QImage.save(buffer, "PNG") does inside; its stub types the format as bytes, which it refuses.
    ok = QImageWriter(buffer, QByteArray(b"PNG")).write(image)
    buffer.close()
    if not ok:
        raise RuntimeError("Qt could not encode the image as PNG")
    return bytes(data.data())
