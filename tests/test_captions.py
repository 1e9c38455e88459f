"""Cue building: subtitle rules on hand-made and random word sequences."""
from __future__ import annotations

import math
import random

import pytest

from subtitler.captions import (
    Cue,
    CueRules,
    break_lines,
    cues_from_segments,
    make_cues,
    segments_to_words,
)
from subtitler.results import Segment, Word

RULES = CueRules()


def timed(texts, word_ms=250, gap_ms=100, gaps=None, start_ms=0):
    """Words of ``texts``, each ``word_ms`` long, separated by ``gap_ms`` or ``gaps[i]``."""
    words, t = [], start_ms
    for i, text in enumerate(texts):
        words.append(Word(text, t, t + word_ms, 0.9))
        t += word_ms + (gaps.get(i, gap_ms) if gaps else gap_ms)
    return words


def check_rules(cues: list[Cue], words: list[Word], rules: CueRules = RULES, exact_start=True) -> None:
    """Every rule the cues must follow, relaxed only where the word times force it.

    Without ``exact_start`` a cue may start later than its first word, but only
    to keep ``min_gap_ms`` after a previous cue squeezed to 1 ms by word times.
    """
    assert [w for c in cues for w in c.words] == [w for w in words if w.text.strip()]
    for k, c in enumerate(cues):
        limit = cues[k + 1].start_ms - rules.min_gap_ms if k + 1 < len(cues) else math.inf
        if c.start_ms != c.words[0].start_ms:
            prev = cues[k - 1]
            assert not exact_start and c.start_ms > c.words[0].start_ms
            assert prev.end_ms == prev.start_ms + 1 and c.start_ms == prev.end_ms + rules.min_gap_ms
        assert c.end_ms > c.start_ms
        assert c.end_ms >= min(c.words[-1].end_ms, limit)
        assert c.text == "\n".join(c.lines)
        assert " ".join(c.lines) == " ".join(w.text for w in c.words)
        assert 1 <= len(c.lines) <= rules.max_lines
        for line in c.lines:
            assert len(line) <= rules.max_chars_per_line or " " not in line
        if k + 1 < len(cues):
            assert cues[k + 1].start_ms - c.end_ms >= rules.min_gap_ms
        duration = c.end_ms - c.start_ms
        assert duration >= min(rules.min_duration_ms, limit - c.start_ms)
        assert duration <= max(rules.max_duration_ms, c.words[-1].end_ms - c.start_ms)
        if len(c.words) > 1:
            assert c.words[-1].end_ms - c.words[0].start_ms <= rules.max_duration_ms
        chars = len(" ".join(c.lines))
        reachable = min(limit, c.start_ms + rules.max_duration_ms) - c.start_ms
        if chars * 1000 / reachable <= rules.max_chars_per_second:
            assert chars * 1000 / duration <= rules.max_chars_per_second + 1e-9


def test_empty_input_gives_no_cues():
    assert make_cues([]) == []
    assert cues_from_segments([]) == []
    assert make_cues([Word(" ", 0, 100, 1.0)]) == []


def test_short_phrase_is_one_line_extended_to_min_duration():
    words = timed(["hi", "there"], word_ms=100, gap_ms=50)
    (cue,) = make_cues(words)
    assert cue.lines == ("hi there",)
    assert (cue.start_ms, cue.end_ms) == (0, RULES.min_duration_ms)


def test_long_pause_always_splits():
    words = timed(["hello", "world", "again"], gaps={1: RULES.pause_split_ms})
    cues = make_cues(words)
    assert [c.text for c in cues] == ["hello world", "again"]
    check_rules(cues, words)
    shorter = timed(["hello", "world", "again"], gaps={1: RULES.pause_split_ms - 1})
    assert [c.text for c in make_cues(shorter)] == ["hello world again"]


def test_sentence_end_splits_before_clause_boundary():
    text = ("We walked to the old harbour at dawn. The boats were leaving, "
            "and the gulls were loud above the water.").split()
    words = timed(text, word_ms=200, gap_ms=100)
    cues = make_cues(words)
    check_rules(cues, words)
    assert [c.words[-1].text for c in cues] == ["dawn.", "water."]


def test_clause_boundary_beats_plain_balance():
    text = ("the committee met for three long hours on tuesday, "
            "then voted to delay the new bridge project for another year").split()
    words = timed(text, word_ms=150, gap_ms=80)
    cues = make_cues(words)
    check_rules(cues, words)
    assert cues[0].words[-1].text == "tuesday,"


def test_unpunctuated_text_splits_at_the_pause():
    text = ("we finally reached the top of the hill "
            "and looked down at the valley where the river wound through the fields").split()
    words = timed(text, word_ms=150, gap_ms=60, gaps={7: 500})
    cues = make_cues(words)
    check_rules(cues, words)
    assert len(cues) == 2 and cues[0].words[-1].text == "hill"


def test_unpunctuated_text_without_pauses_is_balanced():
    rng = random.Random(7)
    text = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 7))) for _ in range(30)]
    words = timed(text, word_ms=120, gap_ms=40)
    cues = make_cues(words)
    check_rules(cues, words)
    lengths = [len(" ".join(c.lines)) for c in cues]
    assert len(cues) == math.ceil(len(" ".join(text)) / 84)  # 157 characters: two full cues
    assert max(lengths) - min(lengths) <= 10


def test_slow_speech_is_split_at_max_duration():
    words = timed(["word"] * 12, word_ms=600, gap_ms=400)  # 12 s of speech, 59 chars
    cues = make_cues(words)
    check_rules(cues, words)
    assert len(cues) >= 2
    assert all(c.end_ms - c.start_ms <= RULES.max_duration_ms for c in cues)


def test_reading_speed_extends_into_the_following_gap():
    text = "this sentence has forty characters in it".split()
    words = timed(text, word_ms=100, gap_ms=20)
    (cue,) = make_cues(words)
    chars = len(" ".join(cue.lines))
    assert cue.end_ms - cue.start_ms >= 1000 * chars / RULES.target_chars_per_second


def test_extension_stops_min_gap_before_the_next_cue():
    segs = [Segment((Word("hi", 0, 200, 1.0),)), Segment((Word("yes", 300, 500, 1.0),))]
    cues = cues_from_segments(segs)
    assert [c.text for c in cues] == ["hi", "yes"]
    assert cues[0].end_ms == 300 - RULES.min_gap_ms
    assert cues[1].end_ms == 300 + RULES.min_duration_ms


def test_single_very_long_word():
    long = "x" * 100
    words = [Word(long, 0, 9000, 0.4)]
    (cue,) = make_cues(words)
    assert cue.lines == (long,) and cue.end_ms >= 9000
    mixed = timed(["a", "b", long, "c"], word_ms=200)
    cues = make_cues(mixed)
    check_rules(cues, mixed)
    assert any(line == long for c in cues for line in c.lines)


def test_break_lines_is_balanced_and_prefers_punctuation():
    assert break_lines([], 42) == ()
    assert break_lines(["short", "line"], 42) == ("short line",)
    text = "one two three four five six seven eight nine ten eleven twelve".split()
    a, b = break_lines(text, 42)
    assert abs(len(a) - len(b)) <= 8
    lines = break_lines("when i got home late, the dog was asleep on the kitchen mat".split(), 42)
    assert lines == ("when i got home late,", "the dog was asleep on the kitchen mat")


def test_segments_to_words_and_segment_boundaries():
    segs = [Segment(tuple(timed(["a", "b"]))), Segment(tuple(timed(["c"], start_ms=800)))]
    assert [w.text for w in segments_to_words(segs)] == ["a", "b", "c"]
    assert [c.text for c in cues_from_segments(segs)] == ["a b", "c"]


VOCAB = ["a", "i", "to", "the", "and", "but", "so", "that", "which", "because", "speech",
         "subtitle", "quickly", "remarkable", "internationalisation", "we", "you", "river"]


def random_words(rng: random.Random, n: int) -> list[Word]:
    words, t = [], rng.randint(0, 2000)
    for _ in range(n):
        text = rng.choice(VOCAB) + (rng.choice([".", ",", "?", ";"]) if rng.random() < 0.1 else "")
        if rng.random() < 0.02:
            text = "y" * rng.randint(43, 90)
        duration = rng.choice([0, 1, 50]) if rng.random() < 0.05 else rng.randint(80, 900)
        words.append(Word(text, t, t + duration, rng.random()))
        r = rng.random()
        gap = 0 if r < 0.2 else rng.randint(1, 300) if r < 0.9 else rng.randint(300, 3000)
        t += duration + gap
    return words


@pytest.mark.parametrize("rules", [
    CueRules(),
    CueRules(max_chars_per_line=20, max_lines=1),
    CueRules(max_chars_per_line=32, max_lines=3, min_gap_ms=0, pause_split_ms=400),
    CueRules(min_duration_ms=1500, max_duration_ms=3000, max_chars_per_second=15.0,
             target_chars_per_second=12.0, min_gap_ms=120),
])
def test_rules_hold_on_random_word_sequences(rules):
    rng = random.Random(1234)
    for _ in range(60):
        words = random_words(rng, rng.randint(0, 120))
        cues = make_cues(words, rules)
        check_rules(cues, words, rules, exact_start=False)
        assert make_cues(words, rules) == cues
