"""Text normalisation to the model's alphabet, and the deterministic split."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("num2words", reason="training extra: pip install num2words")

from subtitler.train.text import normalize, speakable, split_of, split_sentences  # noqa: E402

VOCAB_ONLY = re.compile(r"^[a-z']+( [a-z']+)*$")


@pytest.mark.parametrize("written, spoken", [
    ("I have 3 cats and 21 dogs.", "i have three cats and twenty one dogs"),
    ("1,234", "one thousand two hundred and thirty four"),
    ("pi is 3.14", "pi is three point one four"),
    ("In 1999 and 2005 and 1905 and 2000.", "in nineteen ninety nine and two thousand five and nineteen oh five and two thousand"),
    ("the 1990s", "the nineteen nineties"),
    ("He came 1st, she came 2nd, they were 23rd.", "he came first she came second they were twenty third"),
    ("It costs $5.50.", "it costs five dollars and fifty cents"),
    ("$1 and £3 and €20", "one dollar and three pounds and twenty euros"),
    ("$2.5 million", "two point five million dollars"),
    ("50% off", "fifty percent off"),
    ("at 3:30 pm, 7:05 or 9:00", "at three thirty p m seven oh five or nine o'clock"),
    ("Mr. Smith met Dr. Jones on St. Patrick's day at 12 Main St.",
     "mister smith met doctor jones on saint patrick's day at twelve main street"),
    ("apples, pears, etc. e.g. fruit", "apples pears et cetera for example fruit"),
    ("Hello, world! How are you?", "hello world how are you"),
    ("Don\u2019t say \u2018no\u2019 -- it's the dogs' toy.", "don't say no it's the dogs toy"),
    ("Caf\u00e9 na\u00efve   R\u00e9sum\u00e9", "cafe naive resume"),
    ("rock & roll", "rock and roll"),
    ("a 16 oz can, 10km away at 60 mph", "a sixteen ounces can ten kilometers away at sixty miles per hour"),
    ("put 5 in the box", "put five in the box"),
    ("", ""),
])
def test_normalize(written, spoken):
    assert normalize(written) == spoken


@pytest.mark.parametrize("text", ["W3C's #1 site: http://x.org/a_b?c=1 (2024)!", "\u00bfQu\u00e9? \u2014 \u4f60\u597d 42"])
def test_normalize_stays_in_vocabulary(text):
    out = normalize(text)
    assert out == "" or VOCAB_ONLY.match(out)


def test_speakable_keeps_punctuation_and_matches_normalize():
    text = "Dr. Who paid $3 in 1999, didn't he?"
    spoken = speakable(text)
    assert spoken == "doctor Who paid three dollars in nineteen ninety nine, didn't he?"
    assert normalize(spoken) == normalize(text)


def test_split_sentences_respects_abbreviations_and_initials():
    text = "Hello there Mr. Smith. How are you? I am J. R. Tolkien. Fine!"
    assert split_sentences(text) == ["Hello there Mr. Smith.", "How are you?", "I am J. R. Tolkien.", "Fine!"]


def test_split_is_deterministic_and_proportional():
    sents = [f"sentence number {i}" for i in range(5000)]
    splits = [split_of(s) for s in sents]
    assert splits == [split_of(s) for s in sents]
    assert set(splits) == {"train", "valid", "test"}
    for name in ("valid", "test"):
        assert 0.01 < splits.count(name) / len(sents) < 0.03
    assert split_of("hello world") == split_of("hello world")
