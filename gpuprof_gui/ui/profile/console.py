"""The console pane: the profiled script's stdout and stderr, live and in order.

Output is batched (a script printing 50 MB must not freeze the window): bytes
are decoded incrementally, queued, and flushed a few dozen times a second.
Only the newest lines stay on screen; the whole raw stream is kept in a log
file beside the run's profile, so nothing is lost.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
from typing import BinaryIO

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from gpuprof_gui.ui.style.palette import LIGHT_UI, current_theme_colours
from gpuprof_gui.ui.style.theme import presentation_font

MAX_LINES = 20_000
"""Lines kept on screen; QPlainTextEdit stays fast well past this (~2 MB of text)."""
FLUSH_INTERVAL_MS = 33
"""~30 flushes a second: live enough to read, cheap enough not to starve the event loop."""
MAX_CHARS_PER_FLUSH = 256 * 1024
"""Beyond this per flush the middle is skipped (and said so); the log file has it all."""
MAX_LINE_CHARS = 4_000
"""Longer lines are cut on screen: Qt lays out a whole line to paint any of it, and
64 KiB lines made a 50 MB run ~45x slower to show (31 s instead of under 1 s)."""
PROFILER_NOTICES = (
    # scalene_profiler.py, output_profile: after writing the profile.
    ("Scalene: profile saved to ", r".+"),
    ("  To view in browser:", r" +scalene view.*"),
    ("  To view in terminal:", r" +scalene view --cli.*"),
    # scalene_profiler.py, run_profiler: a profiled program running in the background.
    ("Scalene now profiling process ", r"\d+"),
    ("  to disable profiling:", r" +python3 -m scalene\.profile --off +--pid \d+"),
    ("  to resume profiling:", r" +python3 -m scalene\.profile --on +--pid \d+"),
    # scalene_nvidia_gpu.py: a note on the GPU's accounting mode.
    ("NOTE: The GPU is currently running in a mode that can reduce Scalene's accuracy", r".*"),
    ("If you have sudo privileges, you can run this command (Linux only) to enable per-process GPU", r".*"),
    ("  python3 -m scalene.set_nvidia_gpu_modes", r""),
)
"""Lines the profiler itself writes to stderr that are news, not errors (Scalene 2.x's wording, as
(fixed start, pattern of the rest)): the console shows them in the secondary colour; everything
else on stderr stays an error."""
_NOTICE_LINE = re.compile(
    "^(?:" + "|".join(re.escape(head) + rest for head, rest in PROFILER_NOTICES) + ")\r?$", re.MULTILINE
)


class ConsolePane(QPlainTextEdit):
    """Read-only console. ``append_stdout``/``append_stderr`` take raw bytes."""

    text_dropped = Signal(int)
    """Characters skipped on screen because output came faster than it can be shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setMaximumBlockCount(MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("The script's output appears here while it runs.")
        self._pending: list[tuple[str, str]] = []  # (stream, text)
        self._pending_chars = 0
        self._decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in ("out", "err")}
        self._log: BinaryIO | None = None  # the run's raw output, as it came
        self._log_path: str | None = None
        self.log_problem: str | None = None
        """One sentence when this run's log file could not be written (disk full...)."""
        self._bytes = {"out": 0, "err": 0}
        self._line_chars = {"out": 0, "err": 0}  # length of each stream's unfinished line
        self._line_cut = {"out": 0, "err": 0}  # characters cut from it on screen
        self._formats = {s: QTextCharFormat() for s in ("out", "err", "note", "notice")}
        self._err_held = ""  # the start of a stderr line that may be a profiler notice
        self._err_line_start = True  # the next stderr text starts a line
        self._formats["err"].setForeground(QColor(LIGHT_UI.error))
        self._formats["notice"].setForeground(QColor(LIGHT_UI.muted))
        self._formats["note"].setForeground(QColor(LIGHT_UI.note))
        self._formats["note"].setFontItalic(True)
        self._timer = QTimer(self, interval=FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)

    # -- lifecycle of one run --------------------------------------------------------------
    def start_run(self, title: str, log_path: str | None = None) -> None:
        """Clear the pane, open the raw log file, and print a header line."""
        self.end_run()
        self.clear()
        self._bytes = {"out": 0, "err": 0}
        self._line_chars = {"out": 0, "err": 0}
        self._line_cut = {"out": 0, "err": 0}
        self._err_held, self._err_line_start = "", True
        for d in self._decoders.values():
            d.reset()
        self.log_problem, self._log_path = None, log_path
        self.append_note(title)
        if log_path:
            try:
                os.makedirs(os.path.dirname(log_path), exist_ok=True)
                self._log = open(log_path, "wb")  # noqa: SIM115 - closed in end_run
            except OSError as exc:
                self._log_failed(exc)
        self._timer.start()

    def end_run(self, footer: str | None = None) -> None:
        for stream, dec in self._decoders.items():
            tail = self._clip_long_lines(stream, dec.decode(b"", final=True))
            if self._line_cut[stream]:
                tail += self._cut_note(stream)
            if tail:
                self._queue_stream(stream, tail)
        held, self._err_held, self._err_line_start = self._err_held, "", True
        if held:  # a line that never ended: it was no notice
            self._queue("err", held)
        if footer:
            self.append_note(footer)
        self.flush()
        self._timer.stop()
        if self._log is not None:
            log, self._log = self._log, None
            try:
                log.close()
            except OSError as exc:  # the last buffered output could not be written
                self._log_failed(exc)
                self.flush()

    @property
    def bytes_received(self) -> dict[str, int]:
        return dict(self._bytes)

    # -- input -----------------------------------------------------------------------------
    def append_stdout(self, data: bytes) -> None:
        self._append_bytes("out", data)

    def append_stderr(self, data: bytes) -> None:
        self._append_bytes("err", data)

    def append_note(self, text: str) -> None:
        """A line of our own (run header, outcome), set apart from the script's output."""
        self._queue("note", ("" if self._ends_with_newline() else "\n") + text + "\n")
        if not self._timer.isActive():
            self.flush()

    def _append_bytes(self, stream: str, data: bytes) -> None:
        self._bytes[stream] += len(data)
        if self._log is not None:
            try:
                self._log.write(data)
            except OSError as exc:
                self._log_failed(exc)
        self._queue_stream(stream, self._clip_long_lines(stream, self._decoders[stream].decode(data)))

    def _queue_stream(self, stream: str, text: str) -> None:
        if stream != "err":
            self._queue(stream, text)
            return
        for kind, part in self._split_notices(text):
            self._queue(kind, part)

    def _split_notices(self, text: str) -> list[tuple[str, str]]:
        """Stderr ``text`` as ("err" | "notice", text) runs: whole lines that are profiler notices are
        "notice". The start of a line that may still become one is held until its end arrives."""
        text, self._err_held = self._err_held + text, ""
        at_line_start = self._err_line_start
        cut = text.rfind("\n") + 1  # where the unfinished last line starts
        tail = text[cut:]
        if tail and (cut or at_line_start) and self._may_become_notice(tail):
            self._err_held, text = tail, text[:cut]
        if text:
            self._err_line_start = text.endswith("\n")
        if not any(head in text for head, _rest in PROFILER_NOTICES):  # the common case, and quick
            return [("err", text)] if text else []
        out: list[tuple[str, str]] = []
        pos = 0
        for m in _NOTICE_LINE.finditer(text):
            end = m.end() + 1  # with its newline
            if (m.start() == 0 and not at_line_start) or end > len(text):
                continue  # the end of a line begun earlier, or a line not finished
            if m.start() > pos:
                out.append(("err", text[pos : m.start()]))
            out.append(("notice", text[m.start() : end]))
            pos = end
        if pos < len(text):
            out.append(("err", text[pos:]))
        return out

    @staticmethod
    def _may_become_notice(start: str) -> bool:
        if len(start) > MAX_LINE_CHARS:
            return False
        return any(head.startswith(start) or start.startswith(head) for head, _rest in PROFILER_NOTICES)

    def _log_failed(self, exc: OSError) -> None:
        """Stop writing the log file (disk full...), say so once; the output still shows here."""
        from gpuprof_gui.core.atomic import describe_os_error

        log, self._log = self._log, None
        if log is not None:
            with contextlib.suppress(OSError):
                log.close()
        if self.log_problem is None:
            self.log_problem = (
                f"The console log {self._log_path} could not be written ({describe_os_error(exc)}); "
                "the output is shown here only."
            )
            self.append_note(self.log_problem)

    def _cut_note(self, stream: str) -> str:
        where = " (the log file has them)" if self._log is not None else ""
        note = f" [… {self._line_cut[stream]:,} more characters on this line{where}]"
        self._line_cut[stream] = 0
        return note

    def _clip_long_lines(self, stream: str, text: str) -> str:
        """``text`` with every line cut to MAX_LINE_CHARS; lines may span calls."""
        if not text:
            return text
        if "\n" not in text and self._line_chars[stream] + len(text) <= MAX_LINE_CHARS:
            self._line_chars[stream] += len(text)  # the common case: short output, no copying
            return text
        out = []
        for i, part in enumerate(text.split("\n")):
            if i:
                if self._line_cut[stream]:
                    out.append(self._cut_note(stream))
                out.append("\n")
                self._line_chars[stream] = 0
            room = MAX_LINE_CHARS - self._line_chars[stream]
            if len(part) > room:
                self._line_cut[stream] += len(part) - max(room, 0)
                part = part[: max(room, 0)]
            self._line_chars[stream] += len(part)
            out.append(part)
        return "".join(out)

    def _queue(self, stream: str, text: str) -> None:
        if not text:
            return
        if self._pending and self._pending[-1][0] == stream:
            self._pending[-1] = (stream, self._pending[-1][1] + text)
        else:
            self._pending.append((stream, text))
        self._pending_chars += len(text)
        if self._pending_chars > 4 * MAX_CHARS_PER_FLUSH:
            self._trim_pending()

    def _trim_pending(self) -> None:
        """Keep the newest output only; what is skipped is still in the log file."""
        keep, kept, dropped = [], 0, 0
        for stream, text in reversed(self._pending):
            room = MAX_CHARS_PER_FLUSH - kept
            if room <= 0:
                dropped += len(text)
                continue
            if len(text) > room:
                dropped += len(text) - room
                text = text[-room:]
            keep.append((stream, text))
            kept += len(text)
        keep.reverse()
        if dropped:
            where = f" (all of it is in {self._log.name})" if self._log is not None else ""
            keep.insert(0, ("note", f"\n[… {dropped:,} characters of output skipped here{where} …]\n"))
            self.text_dropped.emit(dropped)
        self._pending = keep
        self._pending_chars = kept

    def flush(self) -> None:
        if not self._pending:
            return
        if self._pending_chars > MAX_CHARS_PER_FLUSH:
            self._trim_pending()
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        for stream, text in self._pending:
            cursor.insertText(text, self._formats[stream])
        cursor.endEditBlock()
        self._pending.clear()
        self._pending_chars = 0
        if at_bottom:
            bar.setValue(bar.maximum())

    def _ends_with_newline(self) -> bool:
        if self._pending:
            return self._pending[-1][1].endswith("\n")
        return self.document().lastBlock().text() == ""  # the last line is empty after a newline

    def set_presentation(self, on: bool) -> None:
        """Projector font size; stderr and our own lines in the theme's colours, the shown text included."""
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(presentation_font(font) if on else font)
        colours = current_theme_colours(on)
        new = {"err": QColor(colours.error), "note": QColor(colours.note), "notice": QColor(colours.muted)}
        old = {self._formats[k].foreground().color().rgb(): k for k in new}
        for k, colour in new.items():
            self._formats[k].setForeground(colour)
        self._recolour(old, new)

    def _recolour(self, old: dict[int, str], new: dict[str, QColor]) -> None:
        """Give text written in an old stream colour the new one (after a theme change)."""
        if all(new[k].rgb() == rgb for rgb, k in old.items()):
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                frag = it.fragment()
                stream = old.get(frag.charFormat().foreground().color().rgb())
                if stream is not None:
                    cursor.setPosition(frag.position())
                    cursor.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
                    fmt = QTextCharFormat()
                    fmt.setForeground(new[stream])
                    cursor.mergeCharFormat(fmt)
                it += 1
            block = block.next()
        cursor.endEditBlock()
