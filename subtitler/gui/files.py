"""Subtitle files from the overlay app: media picked from the tray menu (or dropped on the overlay)
get a subtitle file next to each, with a progress dialog.

The work runs on a worker thread with a recogniser of its own, so live captions keep coming. Each
file goes through :func:`subtitler.batch.subtitle_file`, the code path of ``subtitler
transcribe``: the same cues, and outputs written atomically, so a cancelled or failed file never
leaves a half-written subtitle file (and never overwrites an existing one).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..batch import subtitle_file
from ..errors import SubtitlerError

MEDIA_FILTER = ("Audio and video (*.wav *.flac *.ogg *.opus *.mp3 *.m4a *.aac *.wma *.mp4 *.m4v *.mkv *.webm "
                "*.mov *.avi);;All files (*)")
CANCELLED = "cancelled"


class _Cancel(Exception):
    """Raised from the progress callback to stop the file being transcribed."""


@dataclass(frozen=True)
class FileResult:
    source: Path
    target: Path | None  # the subtitle file written; None when it failed or was cancelled
    error: str = ""  # why not ("cancelled" when the user stopped it)


class FileJob(QObject):
    """Subtitles for ``sources`` in ``fmt``; :meth:`start` runs it on a thread, :meth:`run` in this one.

    Signals are emitted from the worker thread; Qt queues them to the receivers' (GUI) thread.
    """

    progress = Signal(int, str, float)  # file index, file name, share of it done (-1: unknown length)
    finished = Signal(list)  # list[FileResult], one per source, in order

    def __init__(self, make_recognizer: Callable[[], object], sources: list[Path], fmt: str,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.make_recognizer, self.sources, self.fmt = make_recognizer, list(sources), fmt
        self.results: list[FileResult] = []
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="subtitler-files", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop after the current chunk; the file in progress and the rest are not written."""
        self._cancel.set()

    def wait(self, seconds: float | None = None) -> bool:
        """True when the worker has ended (or never started)."""
        if self._thread is not None:
            self._thread.join(seconds)
            return not self._thread.is_alive()
        return True

    def run(self) -> list[FileResult]:
        try:
            recognizer = self.make_recognizer()
        except SubtitlerError as exc:
            self.results = [FileResult(s, None, str(exc)) for s in self.sources]
        else:
            self.results = [self._one(recognizer, i, s) for i, s in enumerate(self.sources)]
        self.finished.emit(self.results)
        return self.results

    def _one(self, recognizer, index: int, source: Path) -> FileResult:
        if self._cancel.is_set():
            return FileResult(source, None, CANCELLED)

        def update(seconds: float, total: float | None) -> None:
            if self._cancel.is_set():
                raise _Cancel
            self.progress.emit(index, source.name, min(seconds / total, 1.0) if total else -1.0)

        self.progress.emit(index, source.name, 0.0)
        try:
            return FileResult(source, subtitle_file(recognizer, source, None, self.fmt, update))
        except _Cancel:
            return FileResult(source, None, CANCELLED)
        except SubtitlerError as exc:
            return FileResult(source, None, str(exc))
        except OSError as exc:
            return FileResult(source, None, f"{source}: cannot write the subtitles ({exc.strerror or exc})")


def summary(results: list[FileResult]) -> tuple[bool, str]:
    """(all written?, the message shown when the job ends)."""
    written = [r for r in results if r.target is not None]
    failed = [r for r in results if r.target is None and r.error != CANCELLED]
    cancelled = len(results) - len(written) - len(failed)
    lines = [f"Wrote {r.target}" for r in written] + [r.error for r in failed]
    if cancelled:
        lines.append(f"Cancelled: {cancelled} file(s) not written.")
    return not failed and not cancelled, "\n".join(lines)


def folders(results: list[FileResult]) -> list[Path]:
    """The folders the subtitle files were written to, each once, in order."""
    return list(dict.fromkeys(r.target.parent for r in results if r.target is not None))
