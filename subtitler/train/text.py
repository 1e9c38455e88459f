"""Text normalisation to the acoustic vocabulary, and sentence splitting.

``normalize`` turns written English into what a speaker says, spelled with the
model's alphabet only: lowercase a-z, apostrophe and space. ``speakable`` does
the same expansions (numbers, currency, abbreviations) but keeps case and
sentence punctuation, so a TTS engine reads it with natural prosody and still
says exactly the words of ``normalize`` of the same text.

Run ``python -m subtitler.train.text --out runs/text`` to build the sentence
pool (see ``subtitler.train.textsources``).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from num2words import num2words

# Abbreviations spoken as words. Keys are matched case-sensitively with the dot.
ABBREVIATIONS: dict[str, str] = {
    "Mr.": "mister", "Mrs.": "missus", "Ms.": "miz", "Dr.": "doctor",
    "Prof.": "professor", "Jr.": "junior", "Sr.": "senior", "Rev.": "reverend",
    "Gen.": "general", "Col.": "colonel", "Capt.": "captain", "Lt.": "lieutenant",
    "Sgt.": "sergeant", "Gov.": "governor", "Sen.": "senator", "Rep.": "representative",
    "Mt.": "mount", "Ave.": "avenue", "Rd.": "road", "Blvd.": "boulevard",
    "Co.": "company", "Corp.": "corporation", "Inc.": "incorporated", "Ltd.": "limited",
    "Dept.": "department", "Univ.": "university", "Jan.": "january", "Feb.": "february",
    "Mar.": "march", "Apr.": "april", "Aug.": "august", "Sept.": "september",
    "Sep.": "september", "Oct.": "october", "Nov.": "november", "Dec.": "december",
    "etc.": "et cetera", "e.g.": "for example", "i.e.": "that is", "vs.": "versus",
    "approx.": "approximately", "cf.": "compare", "a.m.": "a m", "p.m.": "p m",
    "A.M.": "a m", "P.M.": "p m", "U.S.": "u s", "U.K.": "u k", "No.": "number",
}
SYMBOLS: dict[str, str] = {"&": " and ", "@": " at ", "+": " plus ", "=": " equals ", "#": " number "}
CURRENCIES: dict[str, tuple[str, str, str, str]] = {  # symbol: unit, units, cent, cents
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
UNITS: dict[str, str] = {  # abbreviation after a number -> spoken plural
    "oz": "ounces", "lb": "pounds", "lbs": "pounds", "kg": "kilograms", "g": "grams",
    "mg": "milligrams", "km": "kilometers", "m": "meters", "cm": "centimeters", "mm": "millimeters",
    "mi": "miles", "ft": "feet", "in": "inches", "mph": "miles per hour", "kph": "kilometers per hour",
    "km/h": "kilometers per hour", "ml": "milliliters", "l": "liters", "hrs": "hours", "hr": "hours",
    "min": "minutes", "mins": "minutes", "sec": "seconds", "secs": "seconds", "kb": "kilobytes",
    "mb": "megabytes", "gb": "gigabytes", "hz": "hertz", "khz": "kilohertz", "mhz": "megahertz",
}
SCALES = "thousand|million|billion|trillion"
_ABBR_RE = re.compile(
    r"(?<![A-Za-z.])(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True)) + ")"
)
_SAINT_RE = re.compile(r"\bSt\.(?=\s+[A-Z])")
_STREET_RE = re.compile(r"\bSt\.")
_MONEY_RE = re.compile(r"([$£€])\s?(\d[\d,]*(?:\.\d+)?)(?:\s+(" + SCALES + r")\b)?")
_PERCENT_RE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s?(%|percent\b|per cent\b)")
_UNIT_RE = re.compile(r"(\d)\s?(" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
                      + r")\.?(?![A-Za-z0-9/])", re.IGNORECASE)
_SAFE_AFTER_SPACE = {"in", "m", "g", "l", "min", "sec"}  # also ordinary words or letters: need no space
_TIME_RE = re.compile(r"\b(\d{1,2}):(\d{2})\b(?:\s*([ap])\.?m\.?\b)?", re.IGNORECASE)
_ORDINAL_RE = re.compile(r"\b(\d[\d,]*)(st|nd|rd|th)\b", re.IGNORECASE)
_DECADE_RE = re.compile(r"\b(1[1-9]|20)(\d)0'?s\b")
_YEAR_RE = re.compile(r"(?<![\d.,])\b(1[1-9]\d\d|20\d\d)\b(?!\d|[.,]\d)")
_NUMBER_RE = re.compile(r"(?<![\d.])(\d[\d,]*)(\.\d+)?")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"'})
_DASHES = re.compile(r"[\u2010-\u2015-]+")


def words_of_number(text: str) -> str:
    """Spoken form of a cardinal like ``"1,234"`` or ``"3.14"`` (``"three point one four"``)."""
    whole, _, frac = text.replace(",", "").partition(".")
    words = num2words(int(whole or "0")).replace(",", "")
    if frac:
        words += " point " + " ".join(num2words(int(d)) for d in frac)
    return words


def year_words(year: int) -> str:
    """``1999`` -> ``nineteen ninety nine``; ``2005`` -> ``two thousand five``; ``1900`` -> ``nineteen hundred``."""
    if 2000 <= year < 2010:
        return "two thousand" + ("" if year == 2000 else " " + num2words(year - 2000))
    high, low = divmod(year, 100)
    if low == 0:
        return num2words(high) + " hundred"
    return num2words(high) + (" oh " if low < 10 else " ") + num2words(low)


def _money(m: re.Match) -> str:
    unit, units, cent, cents = CURRENCIES[m.group(1)]
    amount, scale = m.group(2).replace(",", ""), m.group(3)
    if scale:
        return f" {words_of_number(amount)} {scale} {units} "
    whole, _, frac = amount.partition(".")
    n = int(whole or "0")
    spoken = f"{num2words(n)} {unit if n == 1 else units}"
    if frac and int(frac[:2].ljust(2, "0")):
        c = int(frac[:2].ljust(2, "0"))
        spoken += f" and {num2words(c)} {cent if c == 1 else cents}"
    return f" {spoken} "


def _time(m: re.Match) -> str:
    hour, minute, half = int(m.group(1)), int(m.group(2)), m.group(3)
    if hour > 24 or minute > 59:
        return m.group(0)
    if minute == 0:
        spoken = num2words(hour) + ("" if half else " o'clock")
    elif minute < 10:
        spoken = f"{num2words(hour)} oh {num2words(minute)}"
    else:
        spoken = f"{num2words(hour)} {num2words(minute)}"
    return f" {spoken}{' ' + half.lower() + ' m' if half else ''} "


def _decade(m: re.Match) -> str:
    year = int(m.group(1) + m.group(2) + "0")
    spoken = year_words(year)
    if spoken.endswith("ty"):
        return " " + spoken[:-1] + "ies "
    return " " + spoken + "s "  # "nineteen hundreds", "two thousands"


def _unit(m: re.Match) -> str:
    unit = m.group(2).lower()
    if unit in _SAFE_AFTER_SPACE and m.group(0)[1].isspace():
        return m.group(0)  # "5 in the box", "3 m": too ambiguous with a space
    return f"{m.group(1)} {UNITS[unit]} "


def expand_numbers(text: str) -> str:
    """Replace currency, percentages, units, times, ordinals, years and numbers by words."""
    text = _MONEY_RE.sub(_money, text)
    text = _UNIT_RE.sub(_unit, text)
    text = _PERCENT_RE.sub(lambda m: f" {words_of_number(m.group(1))} percent ", text)
    text = _TIME_RE.sub(_time, text)
    text = _ORDINAL_RE.sub(lambda m: f" {num2words(int(m.group(1).replace(',', '')), to='ordinal')} ", text)
    text = _DECADE_RE.sub(_decade, text)
    text = _YEAR_RE.sub(lambda m: f" {year_words(int(m.group(1)))} ", text)
    return _NUMBER_RE.sub(lambda m: f" {words_of_number(m.group(0))} ", text)


def expand_abbreviations(text: str) -> str:
    """Spell out titles, months, Latin abbreviations and "St." (saint before a name, else street)."""
    text = _SAINT_RE.sub("Saint", text)
    text = _STREET_RE.sub("Street", text)
    return _ABBR_RE.sub(lambda m: ABBREVIATIONS[m.group(1)], text)


def to_ascii(text: str) -> str:
    """Fold accents (cafe for café), unify quotes and dashes; other non-ASCII becomes space."""
    text = text.translate(_APOSTROPHES)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _DASHES.sub(" ", text)
    return "".join(c if c.isascii() or c in CURRENCIES else " " for c in text)


def speakable(text: str) -> str:
    """Expanded text for a TTS engine: words only, case and sentence punctuation kept."""
    text = expand_abbreviations(to_ascii(text))
    for sym, word in SYMBOLS.items():
        text = text.replace(sym, word)
    text = expand_numbers(text)
    text = text.replace("-", " ")
    text = re.sub(r"[^A-Za-z' .,;:?!\"()]", " ", text)
    text = re.sub(r"\s+([.,;:?!])", r"\1", text)
    return " ".join(text.split())


def strip_to_vocab(text: str) -> str:
    """Lowercase, keep only a-z, space and word-internal apostrophes; collapse spaces."""
    text = re.sub(r"[^a-z' ]", " ", text.lower())
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    return " ".join(text.split())


def normalize(text: str) -> str:
    """Written English -> spoken words in the model's alphabet (``[a-z' ]``, single spaces)."""
    return strip_to_vocab(speakable(text))


def split_of(normalized: str, valid_pct: int = 2, test_pct: int = 2) -> str:
    """Deterministic split ("train", "valid" or "test") from a hash of the normalised text."""
    bucket = int.from_bytes(hashlib.sha1(normalized.encode()).digest()[:4], "big") % 100
    if bucket < valid_pct:
        return "valid"
    return "test" if bucket < valid_pct + test_pct else "train"


_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_NO_SPLIT = re.compile(r"\b(?:" + "|".join(re.escape(k[:-1]) for k in ABBREVIATIONS if k.count(".") == 1) + r"|St|[A-Z])\.$")


def split_sentences(paragraph: str) -> list[str]:
    """Split running text at sentence ends, not after known abbreviations or initials."""
    parts, current = [], ""
    for piece in _SENT_END.split(" ".join(paragraph.split())):
        current = f"{current} {piece}" if current else piece
        if not _NO_SPLIT.search(current):
            parts.append(current.strip())
            current = ""
    if current:
        parts.append(current.strip())
    return parts


def main(argv: list[str] | None = None) -> int:
    """CLI: build the sentence pool (delegates to ``textsources.build_sentence_pool``)."""
    from subtitler.train.textsources import main as pool_main

    return pool_main(argv)


def build_sentence_pool(out_dir: str | Path) -> dict[str, int]:
    """Build ``sentences.{train,valid,test}.txt`` and ``lm_text.txt``; returns counts per split.

    Lives in ``textsources`` (the source readers); imported lazily so that the
    normaliser alone needs nothing but ``num2words``.
    """
    from subtitler.train.textsources import build_sentence_pool as build

    return build(out_dir)


if __name__ == "__main__":
    raise SystemExit(main())
