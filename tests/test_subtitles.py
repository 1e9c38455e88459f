"""Writers: timestamps, SRT/VTT round trips, text, JSON and atomic writes."""
from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest
import srt
import webvtt

from subtitler import subtitles
from subtitler.captions import Cue, cues_from_segments
from subtitler.results import Segment, Word
from subtitler.subtitles import (
    FORMATS,
    format_timestamp,
    render,
    to_json,
    to_srt,
    to_text,
    to_vtt,
    write_atomic,
)


def seg(*items):
    return Segment(tuple(Word(t, s, e, c) for t, s, e, c in items))


SEGMENTS = [
    seg(("hello", 0, 400, 0.95), ("world", 450, 900, 0.3)),
    seg(("second", 2000, 2500, 0.8), ("line", 2550, 3000, 0.5)),
    seg(("past", 3_600_000, 3_600_400, 0.9), ("an", 3_600_450, 3_600_600, 0.9),
        ("hour", 3_600_650, 3_601_000, 0.1)),
]

CUES = [
    Cue(0, 999, ("hello world",), ()),
    Cue(1_079, 3_599_999, ("two lines", "of text"), ()),
    Cue(3_600_000, 36_000_001, ("much later",), ()),
]


@pytest.mark.parametrize("ms, expected", [
    (0, "00:00:00,000"),
    (999, "00:00:00,999"),
    (1000, "00:00:01,000"),
    (61_001, "00:01:01,001"),
    (3_599_999, "00:59:59,999"),
    (3_600_000, "01:00:00,000"),
    (36_000_001, "10:00:00,001"),
    (360_000_000, "100:00:00,000"),
])
def test_format_timestamp(ms, expected):
    assert format_timestamp(ms, ",") == expected
    assert format_timestamp(ms, ".") == expected.replace(",", ".")


def test_format_timestamp_rejects_negative():
    with pytest.raises(ValueError):
        format_timestamp(-1, ",")


def test_srt_round_trip():
    parsed = list(srt.parse(to_srt(CUES)))
    ms = datetime.timedelta(milliseconds=1)
    assert [p.index for p in parsed] == [1, 2, 3]
    assert [(p.start // ms, p.end // ms, p.content) for p in parsed] == [
        (c.start_ms, c.end_ms, c.text) for c in CUES
    ]


def vtt_ms(stamp: str) -> int:
    hms, millis = stamp.split(".")
    h, m, s = (int(x) for x in hms.split(":"))
    return ((h * 60 + m) * 60 + s) * 1000 + int(millis)


def test_vtt_round_trip():
    doc = to_vtt(CUES)
    assert doc.startswith("WEBVTT\n\n")
    assert "00:00:00.000 --> 00:00:00.999" in doc
    parsed = webvtt.from_string(doc).captions
    assert [(vtt_ms(c.start), vtt_ms(c.end), c.text) for c in parsed] == [
        (c.start_ms, c.end_ms, c.text) for c in CUES
    ]


def test_vtt_escapes_reserved_characters():
    assert "a &lt;b&gt; &amp; c" in to_vtt([Cue(0, 1000, ("a <b> & c",), ())])


def test_empty_documents():
    assert to_vtt([]) == "WEBVTT\n"
    assert list(srt.parse(to_srt([]))) == []
    assert to_text([]) == ""


def test_to_text_from_segments_and_cues():
    assert to_text(SEGMENTS) == "hello world\nsecond line\npast an hour\n"
    assert to_text(CUES) == "hello world\ntwo lines of text\nmuch later\n"


def test_to_json_fields_and_low_confidence():
    doc = json.loads(to_json(SEGMENTS))
    assert set(doc) == {"segments"}
    first = doc["segments"][0]
    assert (first["start_ms"], first["end_ms"], first["text"]) == (0, 900, "hello world")
    assert first["words"][1] == {"text": "world", "start_ms": 450, "end_ms": 900,
                                 "confidence": 0.3, "low_confidence": True}
    flags = [w["low_confidence"] for s in doc["segments"] for w in s["words"]]
    assert flags == [False, True, False, False, False, False, True]
    strict = json.loads(to_json(SEGMENTS, low_confidence=0.85))
    assert [w["low_confidence"] for w in strict["segments"][0]["words"]] == [False, True]


def test_to_json_with_cues():
    doc = json.loads(to_json(SEGMENTS, CUES))
    assert doc["cues"][1] == {"start_ms": 1079, "end_ms": 3_599_999, "lines": ["two lines", "of text"]}


def test_render_dispatches_every_format():
    cues = cues_from_segments(SEGMENTS)
    assert FORMATS == ("srt", "vtt", "txt", "json")
    assert render("srt", SEGMENTS) == to_srt(cues)
    assert render("vtt", SEGMENTS) == to_vtt(cues)
    assert render("txt", SEGMENTS) == to_text(SEGMENTS)
    assert json.loads(render("json", SEGMENTS)) == json.loads(to_json(SEGMENTS, cues))
    with pytest.raises(ValueError, match="unknown format"):
        render("ass", SEGMENTS)


def leftovers(directory: Path, keep: str) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != keep)


def test_write_atomic_writes_and_replaces(tmp_path):
    target = tmp_path / "out.srt"
    write_atomic(target, "first\n")
    write_atomic(target, "second – ünïcode\r\n")
    assert target.read_bytes() == "second – ünïcode\r\n".encode()
    assert leftovers(tmp_path, "out.srt") == []


class HalfWriter:
    """A text file whose ``write`` puts half the text down and then fails."""

    def __init__(self, f, exc):
        self.f, self.exc = f, exc

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.f.close()

    def write(self, text):
        self.f.write(text[: len(text) // 2])
        self.f.flush()
        raise self.exc

    def __getattr__(self, name):
        return getattr(self.f, name)


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [None, "old content\n"])
def test_write_atomic_failing_write_leaves_target_intact(tmp_path, monkeypatch, exc, existing):
    target = tmp_path / "out.vtt"
    if existing is not None:
        target.write_text(existing)
    monkeypatch.setattr(subtitles, "open", lambda *a, **k: HalfWriter(open(*a, **k), exc), raising=False)
    with pytest.raises(type(exc)):
        write_atomic(target, "new content that never fully lands\n" * 100)
    assert (target.read_text() if target.exists() else None) == existing
    assert leftovers(tmp_path, "out.vtt") == []


@pytest.mark.parametrize("name", ["fsync", "replace"])
def test_write_atomic_failing_fsync_or_replace_cleans_up(tmp_path, monkeypatch, name):
    target = tmp_path / "out.json"
    target.write_text("old\n")

    def boom(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(subtitles.os, name, boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert leftovers(tmp_path, "out.json") == []
    assert os.listdir(tmp_path) == ["out.json"]
