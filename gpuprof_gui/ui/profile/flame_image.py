"""The flame graph as a PNG: the window's own :class:`FlameCanvas`, rendered offscreen.

The widget is never shown; ``QWidget.render`` paints it into a ``QImage`` below a
one-line header (name, total), as tall as the flame graph's rows unless a height is asked for. Without a display the
offscreen platform is used, so ``gpuprof export --format png`` works over SSH and in CI.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QImageWriter, QPainter
from PySide6.QtWidgets import QApplication

from gpuprof_gui.core.export_formats import profile_title
from gpuprof_gui.core.export_render import MAX_SIDE_PX, MIN_SIDE_PX
from gpuprof_gui.core.flame import FlameLayout, layout_for_profile
from gpuprof_gui.core.fmt import format_count, format_time
from gpuprof_gui.core.model import Profile
from gpuprof_gui.ui.profile.flame_canvas import FlameCanvas, drawn_legend
from gpuprof_gui.ui.style.palette import current_palette

HEADER_ROWS = 1.5  # header height in flame rows: one line of slightly larger text plus air
HEADER_FONT_SCALE = 1.15
HEADER_PAD_PX = 6
NO_FRAMES_TEXT = "This profile holds no timed frames: there is nothing to draw."
BOTTOM_PAD_ROWS = 0.5  # air below the deepest row, in rows
NO_FRAMES_ROWS = 3  # the fitted image's height for the sentence above, in rows

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


def render_flame_image(
    profile: Profile, width_px: int, height_px: int | None = None, title: str | None = None
) -> QImage:
    """An image ``width_px`` wide of the flame graph at full view, root on top; ``height_px``
    tall, or (None) as tall as the header and the flame graph's rows."""
    ensure_application()
    canvas = FlameCanvas()
    layout = layout_for_profile(profile)
    canvas.set_profile(profile, layout)
    row_px = canvas.row_height_px
    font = QFont(canvas.font())
    font.setPointSizeF(font.pointSizeF() * HEADER_FONT_SCALE)
    font.setBold(True)
    header = _header_text(profile, title or profile_title(profile), layout)
    text_box = QRect(HEADER_PAD_PX, 0, max(1, width_px - 2 * HEADER_PAD_PX), MAX_SIDE_PX)
    text_flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap)
    # Wrapped, not cut: at presentation size the hatching legend is wider than the image.
    text_px = QFontMetrics(font, QImage(1, 1, QImage.Format.Format_RGB32)).boundingRect(text_box, text_flags, header)
    header_px = max(int(row_px * HEADER_ROWS), text_px.height() + row_px // 2)
    fixed = height_px is not None
    if height_px is None:
        rows = layout.max_depth + 1 + BOTTOM_PAD_ROWS if layout.max_depth >= 0 and layout.total > 0 else NO_FRAMES_ROWS
        height_px = min(MAX_SIDE_PX, max(MIN_SIDE_PX, header_px + round(rows * row_px)))
    image = QImage(width_px, height_px, QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(1.0)
    palette = current_palette()  # what the canvas picked: the application's light or dark look
    image.fill(QColor(palette.background))
    painter = QPainter(image)
    try:
        painter.setFont(font)
        painter.setPen(QColor(palette.text))
        text_box.setHeight(header_px)
        painter.drawText(text_box, text_flags, header)
        if layout.max_depth < 0 or layout.total <= 0:
            painter.setFont(canvas.font())
            below = QRectF(0, header_px, width_px, max(0, height_px - header_px))
            painter.drawText(below, int(Qt.AlignmentFlag.AlignCenter), NO_FRAMES_TEXT)
        elif height_px > header_px:
            canvas.resize(width_px, height_px - header_px)
            canvas.render(painter, QPoint(0, header_px))
    finally:
        painter.end()
    return image if fixed else _cropped(image, QColor(palette.background), round(BOTTOM_PAD_ROWS * row_px))


def _cropped(image: QImage, background: QColor, pad_px: int) -> QImage:
    """``image`` cut below its last row that is not all background, ``pad_px`` of air kept.

    The layout's deepest rows may hold only frames under a pixel wide, which are not drawn.
    """
    rgb32 = image.convertToFormat(QImage.Format.Format_RGB32)
    width, height = rgb32.width(), rgb32.height()
    pixels = np.frombuffer(rgb32.constBits(), np.uint32, count=height * rgb32.bytesPerLine() // 4)
    rows = pixels.reshape(height, rgb32.bytesPerLine() // 4)[:, :width]
    drawn = np.nonzero((rows != np.uint32(background.rgb())).any(axis=1))[0]
    keep = min(height, max(MIN_SIDE_PX, int(drawn[-1]) + 1 + pad_px if drawn.size else height))
    return image.copy(0, 0, width, keep) if keep < height else image


def flame_png_bytes(profile: Profile, width_px: int, height_px: int | None = None, title: str | None = None) -> bytes:
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
