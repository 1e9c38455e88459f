"""Typed results the engine produces: words, segments and the events of a stream.

Times are integer milliseconds counted from the first sample fed to the stream,
derived from sample counts, never from a wall clock.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One recognised word."""

    text: str
    start_ms: int  # first audible moment of the word
    end_ms: int  # end of the word
    confidence: float  # 0..1, mean posterior of the word's characters


@dataclass(frozen=True)
class Segment:
    """A finalised stretch of speech between two endpoints."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def start_ms(self) -> int:
        return self.words[0].start_ms if self.words else 0

    @property
    def end_ms(self) -> int:
        return self.words[-1].end_ms if self.words else 0


@dataclass(frozen=True)
class Partial:
    """Tentative text of the segment in progress; may change until it is final."""

    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Final:
    """A segment that will not change any more."""

    segment: Segment


@dataclass(frozen=True)
class Silence:
    """The input has been quiet (below the energy gate) since ``start_ms``."""

    start_ms: int


Event = Partial | Final | Silence
