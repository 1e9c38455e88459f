"""Roll-up caption lines: the line builder between engine text and the overlay window.

Plain Python (no Qt) so its rules are easy to test: the overlay passes a ``measure``
function (text -> width in pixels from the font metrics) and the available width.

Words are wrapped greedily from the left. A greedy wrap decides each break from the words
before it and the next word only, so changing the tentative tail never moves a committed
word, and committed lines never reflow. The view is the last ``lines`` lines and, until the
next relayout, only ever scrolls up: when a revised tail needs fewer lines than before, the
bottom line is left empty instead of the whole text jumping down a line.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

KEEP_EXTRA_LINES = 4  # committed lines kept above the view, so a wider window can show them again


@dataclass(frozen=True)
class CaptionLine:
    """One displayed line: committed words, then the tentative words that may still change."""

    committed: str = ""
    tentative: str = ""

    @property
    def text(self) -> str:
        return " ".join(t for t in (self.committed, self.tentative) if t)


class RollUp:
    """Caption text laid out as ``lines`` roll-up lines of at most ``width`` (in ``measure`` units)."""

    def __init__(self, lines: int = 2, width: float = 42.0, measure: Callable[[str], float] = len):
        self.lines, self.width, self.measure = max(1, lines), width, measure
        self._committed: list[str] = []  # words of final text still in or just above the view
        self._tentative: list[str] = []  # words of the segment in progress
        self._trimmed = 0  # lines dropped from the top of _committed so far
        self._top = -self.lines  # absolute index of the first line in view; only grows between relayouts
        self._view: list[CaptionLine] = [CaptionLine()] * self.lines

    def view(self) -> list[CaptionLine]:
        """Exactly ``lines`` lines, top to bottom; the newest text is on the lowest non-empty line."""
        return list(self._view)

    def commit(self, text: str) -> None:
        """Final text of a segment: it replaces the tentative words and will never change."""
        self._committed += text.split()
        self._tentative = []
        self._trim()
        self._layout()

    def tentative(self, text: str) -> None:
        """The current guess for the segment in progress (replaces the previous guess)."""
        self._tentative = text.split()
        self._layout()

    def relayout(self, width: float | None = None, measure: Callable[[str], float] | None = None,
                 lines: int | None = None) -> None:
        """New width, font metrics or line count: wrap again and show the newest lines."""
        self.width = self.width if width is None else width
        self.measure = self.measure if measure is None else measure
        self.lines = self.lines if lines is None else max(1, lines)
        self._top = -self.lines
        self._layout()

    def _wrap(self, words: list[str]) -> list[list[int]]:
        """Greedy wrap: lists of word indices, one list per line; an over-long word gets its own line."""
        rows: list[list[int]] = []
        line = ""
        for i, word in enumerate(words):
            candidate = f"{line} {word}" if line else word
            if line and self.measure(candidate) > self.width:
                rows.append([i])
                line = word
            else:
                if not rows:
                    rows.append([])
                rows[-1].append(i)
                line = candidate
        return rows

    def _trim(self) -> None:
        """Forget committed lines far above the view; cut only where a committed line follows,
        which is a break the full wrap shares (see the module docstring)."""
        rows = self._wrap(self._committed)
        extra = len(rows) - 1 - (self.lines + KEEP_EXTRA_LINES)
        if extra > 0:
            self._committed = self._committed[rows[extra][0]:]
            self._trimmed += extra

    def _layout(self) -> None:
        words = self._committed + self._tentative
        rows = self._wrap(words)
        total = self._trimmed + len(rows)
        self._top = max(self._top, total - self.lines, self._trimmed - self.lines)
        n_committed = len(self._committed)
        view = []
        for index in range(self._top, self._top + self.lines):
            row = rows[index - self._trimmed] if 0 <= index - self._trimmed < len(rows) else []
            view.append(CaptionLine(" ".join(words[i] for i in row if i < n_committed),
                                    " ".join(words[i] for i in row if i >= n_committed)))
        self._view = view
