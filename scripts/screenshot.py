"""Regenerate assets/screenshot.png: the real overlay, captioning a replayed file, under Xvfb.

Needs xvfb-run (apt-get install xvfb) and, for the translucent background to show,
a compositing manager (apt-get install xcompmgr); without one the background is opaque.
It runs ``subtitler live --input AUDIO`` over a drawn backdrop (a stand-in for a video),
waits ``--at`` seconds for captions to appear, grabs the screen and stops everything.
Settings and the session file go to a temporary directory, never the user's own.

    .venv/bin/python scripts/screenshot.py [--audio assets/demo.wav] [--at 10.5] [--out assets/screenshot.png]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREEN = (1280, 720)  # px


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--audio", type=Path, default=ROOT / "assets" / "demo.wav")
    p.add_argument("--model", type=Path, help="checkpoint (default: the bundled model)")
    p.add_argument("--at", type=float, default=10.5, help="seconds after start to take the picture")
    p.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshot.png")
    p.add_argument("--backdrop", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--grab", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def backdrop() -> int:
    """A full-screen stand-in for a video: dusk sky, sun, hills and a player's control bar."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPainterPath
    from PySide6.QtWidgets import QApplication, QWidget

    class Scene(QWidget):
        def paintEvent(self, event) -> None:
            w, h = self.width(), self.height()
            p = QPainter(self)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            sky = QLinearGradient(0, 0, 0, h)
            sky.setColorAt(0.0, QColor("#243b6b"))
            sky.setColorAt(0.6, QColor("#e98c5f"))
            sky.setColorAt(1.0, QColor("#f6c47a"))
            p.fillRect(self.rect(), sky)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#ffe3a3"))
            p.drawEllipse(QPointF(w * 0.7, h * 0.52), 70, 70)
            for colour, base, amp in (("#5b4a6b", 0.62, 60), ("#3b3350", 0.72, 45), ("#241f33", 0.82, 35)):
                hill = QPainterPath(QPointF(0, h))
                for x in range(0, w + 40, 40):
                    hill.lineTo(x, h * base + amp * ((x * 7919 % 97) / 97 - 0.5) + amp * 0.8 * (x / w - 0.5) ** 2)
                hill.lineTo(w, h)
                p.setBrush(QColor(colour))
                p.drawPath(hill)
            p.fillRect(QRectF(0, h - 44, w, 44), QColor(0, 0, 0, 150))  # player bar
            p.fillRect(QRectF(60, h - 24, w - 120, 4), QColor(255, 255, 255, 90))
            p.fillRect(QRectF(60, h - 24, (w - 120) * 0.37, 4), QColor("#ff4d4d"))
            p.end()

    app = QApplication(sys.argv[:1])
    scene = Scene()
    scene.setGeometry(0, 0, *SCREEN)
    scene.show()
    return app.exec()


def grab(out: Path) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    return 0 if app.primaryScreen().grabWindow(0).save(str(out)) else 1


def inside_xvfb(args: argparse.Namespace) -> int:
    """Start compositor, backdrop and the app; take the picture; stop them in reverse order."""
    me = [sys.executable, __file__]
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data",
                   QT_QPA_PLATFORM="xcb")
        live = [sys.executable, "-m", "subtitler", "live", "--input", str(args.audio)]
        live += ["--model", str(args.model)] if args.model else []
        procs = []
        try:
            if shutil.which("xcompmgr"):
                procs.append(subprocess.Popen(["xcompmgr"], env=env))
            procs.append(subprocess.Popen([*me, "--backdrop"], env=env))
            time.sleep(1.5)  # let the backdrop map first, so the overlay stacks above it
            procs.append(subprocess.Popen(live, env=env, cwd=ROOT))
            time.sleep(args.at)
            return subprocess.run([*me, "--grab", "--out", str(args.out)], env=env).returncode
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(timeout=20)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.backdrop:
        return backdrop()
    if args.grab:
        return grab(args.out)
    if os.environ.get("SUBTITLER_IN_XVFB") != "1":
        cmd = ["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN[0]}x{SCREEN[1]}x24", sys.executable, __file__,
               *(sys.argv[1:] if argv is None else argv)]
        return subprocess.run(cmd, env=dict(os.environ, SUBTITLER_IN_XVFB="1")).returncode
    return inside_xvfb(args)


if __name__ == "__main__":
    sys.exit(main())
