"""Subtitle and transcript writers: SRT, WebVTT, plain text and JSON.

Every writer takes typed records (``Segment``, ``Cue``) with integer millisecond
times and returns the whole document as a string; ``write_atomic`` puts it on
disk so that a reader never sees a half-written file. SRT composition is left to
the ``srt`` library.
"""
from __future__ import annotations

import datetime
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

import srt

from subtitler.captions import Cue, CueRules, cues_from_segments
from subtitler.results import Segment, Word

FORMATS = ("srt", "vtt", "txt", "json")
LOW_CONFIDENCE = 0.5  # words below this confidence (0..1) are flagged in JSON


def format_timestamp(ms: int, sep: str = ",") -> str:
    """``HH:MM:SS<sep>mmm`` for ``ms`` milliseconds (hours grow past two digits).

    ``sep`` is "," for SRT and "." for WebVTT. Negative ``ms`` is a ValueError.
    """
    if ms < 0:
        raise ValueError(f"timestamp must be >= 0 ms, got {ms}")
    seconds, millis = divmod(int(ms), 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{millis:03d}"


def to_srt(cues: Iterable[Cue]) -> str:
    """SubRip document of ``cues``, numbered from 1."""
    subs = [
        srt.Subtitle(
            index=i,
            start=datetime.timedelta(milliseconds=c.start_ms),
            end=datetime.timedelta(milliseconds=c.end_ms),
            content=c.text,
        )
        for i, c in enumerate(cues, start=1)
    ]
    return srt.compose(subs)


def _vtt_escape(line: str) -> str:
    """Cue text with the characters WebVTT reserves written as entities."""
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Iterable[Cue]) -> str:
    """WebVTT document of ``cues``: the header, a blank line, then one block per cue."""
    blocks = ["WEBVTT\n"]
    for c in cues:
        times = f"{format_timestamp(c.start_ms, '.')} --> {format_timestamp(c.end_ms, '.')}"
        blocks.append("\n".join([times, *(_vtt_escape(line) for line in c.lines)]) + "\n")
    return "\n".join(blocks)


def to_text(items: Iterable[Segment | Cue]) -> str:
    """Plain transcript: one segment (or cue, its lines joined by spaces) per line."""
    lines = [item.text if isinstance(item, Segment) else " ".join(item.lines) for item in items]
    return "".join(line + "\n" for line in lines if line)


def _word_dict(w: Word, threshold: float) -> dict:
    return {
        "text": w.text,
        "start_ms": w.start_ms,
        "end_ms": w.end_ms,
        "confidence": round(float(w.confidence), 4),
        "low_confidence": w.confidence < threshold,
    }


def to_json(
    segments: Iterable[Segment],
    cues: Sequence[Cue] | None = None,
    low_confidence: float = LOW_CONFIDENCE,
) -> str:
    """JSON document of ``segments`` (and ``cues`` when given).

    ``{"segments": [{"start_ms", "end_ms", "text", "words": [{"text",
    "start_ms", "end_ms", "confidence", "low_confidence"}]}], "cues":
    [{"start_ms", "end_ms", "lines"}]}``; a word is ``low_confidence`` when its
    confidence is below ``low_confidence``. Times are integer ms.
    """
    doc: dict = {
        "segments": [
            {
                "start_ms": s.start_ms,
                "end_ms": s.end_ms,
                "text": s.text,
                "words": [_word_dict(w, low_confidence) for w in s.words],
            }
            for s in segments
        ]
    }
    if cues is not None:
        doc["cues"] = [
            {"start_ms": c.start_ms, "end_ms": c.end_ms, "lines": list(c.lines)} for c in cues
        ]
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render(fmt: str, segments: Sequence[Segment], rules: CueRules = CueRules()) -> str:
    """The document of ``segments`` in ``fmt``, one of ``FORMATS``.

    SRT, VTT and JSON use cues made by ``cues_from_segments`` with ``rules``;
    text is one segment per line.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "txt":
        return to_text(segments)
    cues = cues_from_segments(segments, rules)
    if fmt == "srt":
        return to_srt(cues)
    if fmt == "vtt":
        return to_vtt(cues)
    return to_json(segments, cues)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` all at once.

    The text goes to a temporary file in the same directory, is flushed and
    fsynced, then renamed over ``path``. On any exception, KeyboardInterrupt
    included, the temporary file is removed and the exception re-raised, so
    ``path`` holds either its old content or the complete new text.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    f = open(tmp, "x", encoding="utf-8", newline="")  # "x": never reuse another's file
    try:
        with f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
