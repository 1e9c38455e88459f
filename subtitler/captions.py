"""Subtitle cues built from finalised words, following common subtitle rules.

A cue is at most ``max_lines`` lines of at most ``max_chars_per_line``
characters, lasts between ``min_duration_ms`` and ``max_duration_ms`` where its
neighbours allow, and is shown long enough to be read.

Words are grouped in two passes:

1. a pause of ``pause_split_ms`` or more (and, in ``cues_from_segments``, a
   segment boundary) always starts a new cue;
2. each stretch between those hard breaks is cut by dynamic programming that
   minimises a cost: a fixed price per cue, the squared fill of each cue (which
   balances lengths), a price for a cue too close to the next one to last
   ``min_duration_ms``, and a price per cut that is lowest after sentence ends,
   then after clause punctuation, then before conjunctions, and drops further
   with the pause at the cut. The recogniser mostly emits unpunctuated lowercase
   words, so pauses and length alone must already give good cues.

Times are integer milliseconds. Everything here is a pure, deterministic function.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from subtitler.results import Segment, Word

SENTENCE_END = (".", "?", "!")
CLAUSE_END = (",", ";", ":")
CONJUNCTIONS = frozenset({"and", "but", "or", "so", "because", "which", "that"})

# Costs of the grouping search, in units of "one extra cue".
CUE_COST = 1.0  # price of every cue, so fewer cues win when they fit
FILL_WEIGHT = 1.0  # times (chars / capacity) ** 2 per cue; balances cue lengths
CUT_PLAIN = 1.0  # cut between two words with nothing to recommend it
CUT_BEFORE_CONJUNCTION = 0.6  # cut before "and", "but", ...
CUT_AFTER_CLAUSE = 0.4  # cut after a word ending in , ; :
CUT_AFTER_SENTENCE = -0.5  # cut after a word ending in . ? ! (a bonus)
PAUSE_BONUS = 1.0  # subtracted from a cut's price at a pause of pause_split_ms
SHORT_CUE_WEIGHT = 1.0  # times the share of min_duration_ms a cue cannot get before the next
LINE_CUT_WEIGHT = 0.3  # scales cut prices when breaking a cue into lines


@dataclass(frozen=True)
class CueRules:
    """Limits every cue follows where the word timings allow."""

    max_chars_per_line: int = 42  # characters, spaces included
    max_lines: int = 2  # lines per cue
    min_duration_ms: int = 800  # ms a cue stays on screen at least
    max_duration_ms: int = 7000  # ms; longer stretches of words are split
    max_chars_per_second: float = 20.0  # characters per second, the reading speed limit
    target_chars_per_second: float = 17.0  # characters per second cues are extended towards
    min_gap_ms: int = 80  # ms between the end of a cue and the start of the next
    pause_split_ms: int = 700  # ms; a pause at least this long between words starts a new cue


@dataclass(frozen=True)
class Cue:
    """One subtitle: its display interval, text lines and the words they came from."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def segments_to_words(segments: Iterable[Segment]) -> list[Word]:
    """All words of ``segments``, in order."""
    return [w for seg in segments for w in seg.words]


def make_cues(words: Sequence[Word], rules: CueRules = CueRules()) -> list[Cue]:
    """Subtitle cues for ``words`` (in time order, integer ms).

    Every non-empty word appears in exactly one cue, in order; words whose text
    is blank are dropped. Cue start is its first word's start; its end is at
    least its last word's end unless that would collide with the next cue.
    """
    return _build([list(words)], rules)


def cues_from_segments(segments: Iterable[Segment], rules: CueRules = CueRules()) -> list[Cue]:
    """Like ``make_cues`` on all words, but a segment boundary always starts a new cue."""
    return _build([list(seg.words) for seg in segments], rules)


def _build(groups: list[list[Word]], rules: CueRules) -> list[Cue]:
    groups = [[w for w in g if w.text.strip()] for g in groups]
    runs = [run for g in groups for run in _split_at_pauses(g, rules.pause_split_ms)]
    spans = [span for run in runs for span in _group_run(run, rules)]
    return _time_cues(spans, rules)


def _split_at_pauses(words: list[Word], pause_ms: int) -> list[list[Word]]:
    """``words`` cut wherever the silence between two words is at least ``pause_ms``."""
    runs: list[list[Word]] = []
    for w in words:
        if runs and w.start_ms - runs[-1][-1].end_ms < pause_ms:
            runs[-1].append(w)
        else:
            runs.append([w])
    return runs


def _cut_price(left: str, right: str, gap_ms: int, pause_ms: int) -> float:
    """Price of cutting between the word ``left`` and the word ``right``."""
    left = left.rstrip("\"')\u201d\u2019")  # closing quotes and brackets hide the punctuation
    if left.endswith(SENTENCE_END):
        price = CUT_AFTER_SENTENCE
    elif left.endswith(CLAUSE_END):
        price = CUT_AFTER_CLAUSE
    elif right.lower().strip("\"'") in CONJUNCTIONS:
        price = CUT_BEFORE_CONJUNCTION
    else:
        price = CUT_PLAIN
    return price - PAUSE_BONUS * min(max(gap_ms, 0) / max(pause_ms, 1), 1.0)


def _greedy_line_count(texts: Sequence[str], max_chars: int) -> int:
    """Fewest lines of at most ``max_chars`` (a longer word gets a line of its own)."""
    lines, width = 0, 0
    for t in texts:
        if lines and width + 1 + len(t) <= max_chars:
            width += 1 + len(t)
        else:
            lines, width = lines + 1, len(t)
    return lines


def _fits(run: list[Word], i: int, j: int, rules: CueRules) -> bool:
    """Whether ``run[i:j]`` can be one cue. A single word always can."""
    if j - i == 1:
        return True
    if run[j - 1].end_ms - run[i].start_ms > rules.max_duration_ms:
        return False
    texts = [w.text for w in run[i:j]]
    return _greedy_line_count(texts, rules.max_chars_per_line) <= rules.max_lines


def _group_run(run: list[Word], rules: CueRules) -> list[list[Word]]:
    """``run`` cut into cues by the cheapest sequence of cuts (see module docstring)."""
    n = len(run)
    capacity = rules.max_chars_per_line * rules.max_lines
    best = [0.0] + [math.inf] * n  # best[j]: cheapest cost of cueing run[:j]
    back = [0] * (n + 1)
    for i in range(n):
        if best[i] == math.inf:
            continue
        cut = 0.0
        if i > 0:
            gap = run[i].start_ms - run[i - 1].end_ms
            cut = _cut_price(run[i - 1].text, run[i].text, gap, rules.pause_split_ms)
        chars = -1
        for j in range(i + 1, n + 1):
            if not _fits(run, i, j, rules):
                break
            chars += 1 + len(run[j - 1].text)
            cost = best[i] + cut + CUE_COST + FILL_WEIGHT * (chars / capacity) ** 2
            if j < n:
                cost += SHORT_CUE_WEIGHT * _shortfall(run[i].start_ms, run[j].start_ms, rules)
            if cost < best[j]:
                best[j], back[j] = cost, i
    spans, j = [], n
    while j > 0:
        spans.append(run[back[j]:j])
        j = back[j]
    return spans[::-1]


def _shortfall(start_ms: int, next_start_ms: int, rules: CueRules) -> float:
    """Share (0..1) of ``min_duration_ms`` a cue starting at ``start_ms`` cannot
    have because the next cue starts at ``next_start_ms``."""
    room = next_start_ms - rules.min_gap_ms - start_ms
    return min(max(1.0 - room / max(rules.min_duration_ms, 1), 0.0), 1.0)


def break_lines(texts: Sequence[str], max_chars: int) -> tuple[str, ...]:
    """``texts`` (words) as the fewest lines that fit, broken at the best points.

    Lines are at most ``max_chars`` long unless a line holds one longer word.
    Among the ways to use that fewest number of lines, the one with the most
    balanced lengths and the best break points (after punctuation, before
    conjunctions) wins. ``make_cues`` only asks for words that fit its
    ``max_lines``.
    """
    k = _greedy_line_count(texts, max_chars)
    if k <= 1:
        return (" ".join(texts),) if texts else ()
    n = len(texts)
    # best[m][j]: cheapest cost of texts[:j] as m lines
    best = [[math.inf] * (n + 1) for _ in range(k + 1)]
    back = [[0] * (n + 1) for _ in range(k + 1)]
    best[0][0] = 0.0
    for m in range(1, k + 1):
        for i in range(n):
            if best[m - 1][i] == math.inf:
                continue
            cut = LINE_CUT_WEIGHT * _cut_price(texts[i - 1], texts[i], 0, 1) if i else 0.0
            width = -1
            for j in range(i + 1, n + 1):
                width += 1 + len(texts[j - 1])
                if width > max_chars and j - i > 1:
                    break
                cost = best[m - 1][i] + cut + (width / max_chars) ** 2
                if cost < best[m][j]:
                    best[m][j], back[m][j] = cost, i
    lines, j = [], n
    for m in range(k, 0, -1):
        i = back[m][j]
        lines.append(" ".join(texts[i:j]))
        j = i
    return tuple(lines[::-1])


def _reading_chars(lines: Sequence[str]) -> int:
    """Characters a viewer reads: the lines as one line, spaces included."""
    return len(" ".join(lines))


def _time_cues(spans: list[list[Word]], rules: CueRules) -> list[Cue]:
    """Cues with display times: each extended for minimum duration and reading
    speed into the gap before the next cue, keeping ``min_gap_ms`` to it."""
    cues: list[Cue] = []
    prev_end: int | None = None
    for k, words in enumerate(spans):
        lines = break_lines([w.text for w in words], rules.max_chars_per_line)
        start = words[0].start_ms
        if prev_end is not None:  # only moves for overlapping or zero-length word times
            start = max(start, prev_end + rules.min_gap_ms)
        read_ms = math.ceil(1000 * _reading_chars(lines) / rules.target_chars_per_second)
        wanted = min(max(rules.min_duration_ms, read_ms), rules.max_duration_ms)
        end = max(start + wanted, words[-1].end_ms)
        if k + 1 < len(spans):
            end = min(end, spans[k + 1][0].start_ms - rules.min_gap_ms)
        end = max(end, start + 1)
        cues.append(Cue(start, end, lines, tuple(words)))
        prev_end = end
    return cues
