"""Files to transcripts: media decoding -> the same streaming recogniser as live audio."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio_io import read_chunks
from .results import Final, Segment
from .stream import Recognizer

CHUNK_SECONDS = 1.0  # file audio is fed to the recogniser in chunks of this length


@dataclass(frozen=True)
class Transcript:
    """Everything recognised in one input."""

    source: str  # file name or description of the input
    segments: tuple[Segment, ...]
    duration_ms: int  # audio fed, from the sample count


def transcribe_chunks(
    recognizer: Recognizer, chunks: Iterable[np.ndarray], source: str = "",
    on_progress: Callable[[float], None] | None = None,
) -> Transcript:
    """Run ``chunks`` (mono float32 at the recogniser's rate) through one stream.

    ``on_progress`` receives the seconds of audio consumed after each chunk.
    """
    stream = recognizer.new_stream()
    segments: list[Segment] = []
    for chunk in chunks:
        segments += [e.segment for e in recognizer.accept(stream, chunk) if isinstance(e, Final)]
        if on_progress:
            on_progress(stream.samples / recognizer.sample_rate)
    segments += [e.segment for e in recognizer.finish(stream) if isinstance(e, Final)]
    return Transcript(source, tuple(segments), stream.samples * 1000 // recognizer.sample_rate)


def transcribe_file(
    recognizer: Recognizer, path: str | Path, on_progress: Callable[[float], None] | None = None,
) -> Transcript:
    """Transcribe any audio or video file; raises :class:`MediaError` for unreadable input."""
    chunks = read_chunks(path, CHUNK_SECONDS, recognizer.sample_rate)
    return transcribe_chunks(recognizer, chunks, str(path), on_progress)
