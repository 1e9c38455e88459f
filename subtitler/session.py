"""The transcript of a live session, kept crash-safe on disk as it happens.

A session file is JSON Lines: a header line, then one line per final segment, each
written, flushed and fsynced as soon as the segment is final, so killing the app loses
at most the line being written. :func:`load_session` ignores a half-written last line.
Files live in ``<user data dir>/sessions/<local time>.jsonl`` (platformdirs), one per run.

Line formats (times are integer ms of audio since the session began)::

    {"format": "subtitler-session", "version": 1, "started": "2024-05-01T12:30:05", "source": "..."}
    {"start_ms": 0, "end_ms": 820, "text": "hello there",
     "words": [{"text": "hello", "start_ms": 0, "end_ms": 400, "confidence": 0.93}, ...]}
"""
from __future__ import annotations

import datetime
import json
import os
from collections.abc import Sequence
from pathlib import Path

from .errors import SubtitlerError
from .results import Segment, Word
from .subtitles import FORMATS, render, write_atomic

FORMAT = "subtitler-session"
VERSION = 1
SUFFIX = ".jsonl"


def sessions_dir() -> Path:
    """Where session files go by default: the per-user data directory."""
    import platformdirs

    return Path(platformdirs.user_data_dir("subtitler")) / "sessions"


def new_session_path(directory: Path | None = None, now: datetime.datetime | None = None) -> Path:
    """A fresh, not yet existing ``<directory>/<YYYY-mm-ddTHH-MM-SS>[-n].jsonl``."""
    directory = Path(directory) if directory is not None else sessions_dir()
    stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%dT%H-%M-%S")  # no ':' (Windows)
    path, n = directory / f"{stamp}{SUFFIX}", 1
    while path.exists():
        path, n = directory / f"{stamp}-{n}{SUFFIX}", n + 1
    return path


class SessionWriter:
    """Appends final segments to one session file, durably, one line per segment.

    The file is created (exclusively, never overwriting) when the writer is made. ``append``
    is called from the engine thread only. Use as a context manager or call ``close``.
    """

    def __init__(self, path: Path | None = None, source: str = ""):
        self.path = Path(path) if path is not None else new_session_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "x", encoding="utf-8", newline="\n")
        started = datetime.datetime.now().isoformat(timespec="seconds")
        self._write({"format": FORMAT, "version": VERSION, "started": started, "source": source})
        self.segments = 0  # segments written so far

    def append(self, segment: Segment) -> None:
        """Write ``segment`` as one line and force it to disk before returning."""
        self._write(segment_to_dict(segment))
        self.segments += 1

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self, record: dict) -> None:
        # One write per line, then flush + fsync: a crash leaves whole lines and at most one torn tail.
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())


def segment_to_dict(segment: Segment) -> dict:
    return {
        "start_ms": segment.start_ms,
        "end_ms": segment.end_ms,
        "text": segment.text,
        "words": [{"text": w.text, "start_ms": w.start_ms, "end_ms": w.end_ms,
                   "confidence": round(float(w.confidence), 4)} for w in segment.words],
    }


def segment_from_dict(record: dict) -> Segment:
    return Segment(tuple(Word(str(w["text"]), int(w["start_ms"]), int(w["end_ms"]), float(w["confidence"]))
                         for w in record["words"]))


def load_session(path: str | Path) -> list[Segment]:
    """The segments of a session file, in order.

    A last line that is cut short (the app was killed while writing it) is ignored; any
    other unreadable line is a :class:`SubtitlerError` naming the file and line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError as exc:
        raise SubtitlerError(f"{path}: cannot read the session ({exc.strerror or exc})") from None
    segments = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if "words" in record:
                segments.append(segment_from_dict(record))
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(lines):  # a torn final line: no newline was written after it
                break
            raise SubtitlerError(f"{path}:{number}: damaged session line ({exc})") from None
    return segments


def export_session(session: str | Path | Sequence[Segment], out: str | Path, fmt: str | None = None) -> Path:
    """Write a session (file or segments) as SRT, VTT, TXT or JSON with the file cue rules.

    ``fmt`` defaults to ``out``'s extension. The output is written atomically.
    """
    out = Path(out)
    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise SubtitlerError(f"{out}: unknown subtitle format {fmt!r}; use one of {', '.join(FORMATS)}")
    segments = load_session(session) if isinstance(session, (str, Path)) else list(session)
    write_atomic(out, render(fmt, segments))
    return out


def latest_session(directory: Path | None = None) -> Path | None:
    """The most recent session file, if any."""
    directory = Path(directory) if directory is not None else sessions_dir()
    files = sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
    return files[-1] if files else None
