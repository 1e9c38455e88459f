"""A replacement glossary: spoken word sequences rewritten as the user wants them written.

The recogniser spells words in lowercase a-z and apostrophes; a glossary turns
e.g. ``sub titler`` or ``subtitler`` into ``Subtitler`` and ``g p u`` into ``GPU``.
File format, one rule per line (``#`` starts a comment)::

    sub titler -> Subtitler
    g p u -> GPU

Matching is case-insensitive on whole words, longest rule first, left to right;
a replaced run of words becomes one word spanning their times.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import SubtitlerError
from .results import Word

ARROW = "->"


@dataclass(frozen=True)
class Glossary:
    """Rules from spoken word tuples to written text."""

    rules: dict[tuple[str, ...], str]

    @classmethod
    def parse(cls, text: str, source: str = "glossary") -> Glossary:
        """Rules from the file format above; raises :class:`SubtitlerError` on a bad line."""
        rules: dict[tuple[str, ...], str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            spoken, arrow, written = line.partition(ARROW)
            key = tuple(spoken.lower().split())
            if not arrow or not key or not written.strip():
                raise SubtitlerError(f"{source}:{number}: expected 'spoken words {ARROW} Written form'")
            rules[key] = written.strip()
        return cls(rules)

    @classmethod
    def load(cls, path: str | Path) -> Glossary:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SubtitlerError(f"{path}: cannot read glossary ({exc.strerror or exc})") from None
        return cls.parse(text, str(path))

    def apply(self, words: tuple[Word, ...] | list[Word]) -> tuple[Word, ...]:
        """``words`` with every rule's matches replaced; times span the replaced words."""
        longest = max((len(k) for k in self.rules), default=0)
        out, i = [], 0
        while i < len(words):
            for n in range(min(longest, len(words) - i), 0, -1):
                written = self.rules.get(tuple(w.text.lower() for w in words[i:i + n]))
                if written is not None:
                    out.append(_merge(words[i:i + n], written))
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return tuple(out)


def _merge(words, text: str) -> Word:
    """One word over ``words``' span with their mean confidence."""
    confidence = round(sum(w.confidence for w in words) / len(words), 4)
    return Word(text, words[0].start_ms, words[-1].end_ms, confidence)
