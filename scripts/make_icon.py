"""Draw assets/icon.png (256x256): a speech bubble holding two caption lines.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_icon.py
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath

SIZE = 256  # px
OUT = Path(__file__).resolve().parent.parent / "assets" / "icon.png"


def bubble() -> QPainterPath:
    """A rounded rectangle with a tail at the lower left."""
    path = QPainterPath()
    path.addRoundedRect(QRectF(16, 28, 224, 164), 36, 36)
    tail = QPainterPath()
    tail.moveTo(QPointF(60, 180))
    tail.lineTo(QPointF(42, 236))
    tail.lineTo(QPointF(112, 186))
    tail.closeSubpath()
    return path.united(tail)


def draw(painter: QPainter) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#1f6feb"))
    painter.drawPath(bubble())
    # caption lines: a long committed line, a shorter one with a dimmed tentative tail
    painter.setBrush(QColor("#ffffff"))
    painter.drawRoundedRect(QRectF(48, 74, 160, 26), 13, 13)
    painter.drawRoundedRect(QRectF(48, 120, 96, 26), 13, 13)
    painter.setBrush(QColor(255, 255, 255, 120))
    painter.drawRoundedRect(QRectF(154, 120, 54, 26), 13, 13)


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])  # painting needs an application object alive
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    draw(painter)
    painter.end()
    return 0 if image.save(str(OUT)) else 1


if __name__ == "__main__":
    sys.exit(main())
