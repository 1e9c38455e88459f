"""The caption overlay: a frameless, translucent, always-on-top window that only renders text.

It is given text (``show_partial``, ``show_final``, ``show_status``) and settings; it knows
nothing about models or audio. Lines come from :class:`~subtitler.gui.rollup.RollUp` and
are drawn left-aligned, because centred lines would shift sideways with every new word.

What Qt can and cannot do here:

- **X11**: always-on-top, moving, resizing and click-through work under any EWMH window
  manager. Translucency needs a compositing manager; without one the background is opaque.
- **Wayland**: the compositor decides where windows go and what stays on top; many ignore
  the always-on-top hint and a program's own positioning, so the saved position may not be
  restored. Dragging (``startSystemMove``) and resizing (``QSizeGrip``) are honoured, and
  click-through (``Qt.WindowTransparentForInput``, an empty input region) works on the common
  compositors. ``QT_QPA_PLATFORM=xcb`` runs the overlay under XWayland with the X11 behaviour.
- **Dropping** audio or video files on the overlay asks for subtitle files of them
  (``files_dropped``; the app does the work).
- **Click-through** takes all mouse and keyboard input away from the overlay, so it is turned
  off from the tray menu or with the application shortcut (see ``app.py``). Qt has no
  system-wide hotkeys; those would need per-platform code.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QSizeGrip, QWidget

from .rollup import RollUp
from .settings import OverlaySettings

TAIL_DIM = 0.55  # opacity of tentative words relative to committed ones
PADDING = 14  # px between the window edge and the text
RADIUS = 10  # px, rounding of the background's corners
STATUS_SCALE = 0.5  # status line font size relative to the caption font
SAVE_DELAY_MS = 400  # geometry is reported this long after the last move/resize
FLAGS = Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.Tool


class CaptionOverlay(QWidget):
    """Roll-up captions over whatever is on screen."""

    geometry_changed = Signal(QRect)  # after the user moved or resized the window
    menu_requested = Signal(QPoint)  # right click, at this global position
    files_dropped = Signal(list)  # local file paths (str) dropped on the overlay

    def __init__(self, settings: OverlaySettings = OverlaySettings(), parent: QWidget | None = None):
        super().__init__(parent, FLAGS)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)  # never steal focus from the video
        self.setWindowTitle("Subtitler captions")
        self.rollup = RollUp()
        self.status = ""
        self._grip = QSizeGrip(self)
        self._grip.resize(self._grip.sizeHint())  # a child outside a layout would otherwise be 100x30
        self._drag_from: QPoint | None = None
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(lambda: self.geometry_changed.emit(self.geometry()))
        self.setAcceptDrops(True)
        self.apply(settings)

    def apply(self, settings: OverlaySettings) -> None:
        """Use new settings (font, colours, lines, click-through); geometry is set by ``place``."""
        self.settings = settings = settings.clamped()
        self._font = QFont(settings.font_family) if settings.font_family else QFont()
        self._font.setPointSize(settings.font_size)
        self._status_font = QFont(self._font)
        self._status_font.setPointSizeF(max(6.0, settings.font_size * STATUS_SCALE))
        self.setMinimumSize(160, self.min_height())
        self.set_click_through(settings.click_through)
        self._relayout()

    def min_height(self) -> int:
        """Height that fits the status line and ``lines`` caption lines."""
        lines = QFontMetricsF(self._font).lineSpacing() * self.settings.lines
        return int(lines + QFontMetricsF(self._status_font).lineSpacing() + 2 * PADDING + 1)

    def place(self, screen: QRect, desktop: QRect | None = None) -> None:
        """Size and position from the settings if they lie on ``desktop`` (all screens), else
        centred near the bottom of ``screen``."""
        s, desktop = self.settings, desktop or screen
        w, h = min(s.width, desktop.width()), max(s.height, self.min_height())
        rect = QRect(s.x, s.y, w, h)
        if s.x < 0 or s.y < 0 or not desktop.intersects(rect):  # unset, or its monitor is gone
            rect.moveTo(screen.center().x() - w // 2, screen.bottom() - h - screen.height() // 12)
        self.setGeometry(rect)

    def set_click_through(self, on: bool) -> None:
        if bool(self.windowFlags() & Qt.WindowType.WindowTransparentForInput) == on:
            return
        visible = self.isVisible()
        self.setWindowFlag(Qt.WindowType.WindowTransparentForInput, on)
        self._grip.setVisible(not on)
        if visible:
            self.show()  # changing window flags hides a window

    def show_partial(self, text: str) -> None:
        self.rollup.tentative(text)
        self._refresh()

    def show_final(self, text: str) -> None:
        self.rollup.commit(text)
        self._refresh()

    def show_status(self, text: str) -> None:
        """A short line above the captions ("listening: ...", "paused", device errors); "" hides it."""
        if text != self.status:
            self.status = text
            self.update()

    def document(self) -> QTextDocument:
        """The captions exactly as drawn: one block per line, committed then dimmed tentative text."""
        return self._doc

    def _relayout(self) -> None:
        metrics = QFontMetricsF(self._font)
        self.rollup.relayout(max(1.0, self.width() - 2 * PADDING), metrics.horizontalAdvance, self.settings.lines)
        self._refresh()

    def _refresh(self) -> None:
        self._doc = self._build(outline=False)
        self._outline_doc = self._build(outline=True) if self.settings.outline else None
        self.update()

    def _build(self, outline: bool) -> QTextDocument:
        """The caption document; the outline variant draws thick dark strokes to put beneath the text."""
        s = self.settings
        doc = QTextDocument()
        doc.setDefaultFont(self._font)
        doc.setDocumentMargin(0)
        option = doc.defaultTextOption()
        option.setWrapMode(option.WrapMode.NoWrap)  # RollUp already broke the lines
        doc.setDefaultTextOption(option)
        cursor = QTextCursor(doc)
        for i, line in enumerate(self.rollup.view()):
            if i:
                cursor.insertBlock()
            committed, tentative = line.committed, line.tentative
            cursor.insertText(committed, self._format(s.text_opacity, outline))
            if tentative:
                tail = f" {tentative}" if committed else tentative
                cursor.insertText(tail, self._format(s.text_opacity * TAIL_DIM, outline))
        return doc

    def _format(self, opacity: float, outline: bool) -> QTextCharFormat:
        fmt = QTextCharFormat()
        colour = QColor("#000000" if outline else self.settings.text_color)
        colour.setAlphaF(opacity)
        fmt.setForeground(colour)
        if outline:
            fmt.setTextOutline(QPen(colour, 2 * self.settings.outline, Qt.PenStyle.SolidLine,
                                    Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        return fmt

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        background = QColor(self.settings.background_color)
        background.setAlphaF(self.settings.background_opacity)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(self.rect(), RADIUS, RADIUS)
        if self.status:
            self._paint_status(painter)
        painter.translate(PADDING, self.height() - PADDING - self._doc.size().height())
        if self._outline_doc is not None:
            self._outline_doc.drawContents(painter)
        self._doc.drawContents(painter)
        painter.end()

    def _paint_status(self, painter: QPainter) -> None:
        colour = QColor(self.settings.text_color)
        colour.setAlphaF(self.settings.text_opacity * TAIL_DIM)
        painter.setPen(colour)
        painter.setFont(self._status_font)
        metrics = QFontMetricsF(self._status_font)
        text = metrics.elidedText(self.status, Qt.TextElideMode.ElideRight, self.width() - 2 * PADDING)
        painter.drawText(PADDING, int(PADDING / 2 + metrics.ascent()), text)

    def resizeEvent(self, event) -> None:
        self._grip.move(self.width() - self._grip.width(), self.height() - self._grip.height())
        self._relayout()
        self._save_timer.start()

    def moveEvent(self, event) -> None:
        self._save_timer.start()

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        handle = self.windowHandle()
        if handle is not None and handle.startSystemMove():  # the compositor moves it (Wayland too)
            return
        self._drag_from = event.globalPosition().toPoint() - self.frameGeometry().topLeft()

    def mouseMoveEvent(self, event) -> None:
        if self._drag_from is not None:
            self.move(event.globalPosition().toPoint() - self._drag_from)

    def mouseReleaseEvent(self, event) -> None:
        self._drag_from = None

    def contextMenuEvent(self, event) -> None:
        self.menu_requested.emit(event.globalPos())

    def dragEnterEvent(self, event) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = dropped_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.files_dropped.emit(files)


def dropped_files(mime) -> list[str]:
    """The local files (not folders, not web links) in a drag's data."""
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []
    return [p for p in paths if Path(p).is_file()]


class HistoryWindow(QPlainTextEdit):
    """Every final caption of the session, with its time, in a normal window one can copy from."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setWindowTitle("Subtitler: session history")
        self.resize(640, 420)

    def add(self, start_ms: int, text: str) -> None:
        seconds = start_ms // 1000
        self.appendPlainText(f"[{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}] {text}")
