"""The character vocabulary of the acoustic model.

Index 0 is the CTC blank. The vocabulary travels inside every checkpoint, so a
model always decodes with the alphabet it was trained with.
"""
from __future__ import annotations

BLANK = "<b>"
SPACE = " "
DEFAULT_TOKENS: tuple[str, ...] = (BLANK, SPACE, "'", *"abcdefghijklmnopqrstuvwxyz")


class Vocab:
    """Maps characters to ids and back. ``tokens[0]`` must be the blank."""

    def __init__(self, tokens: tuple[str, ...] | list[str] = DEFAULT_TOKENS):
        tokens = tuple(tokens)
        if not tokens or tokens[0] != BLANK:
            raise ValueError(f"vocabulary must start with the blank {BLANK!r}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("vocabulary has duplicate tokens")
        self.tokens = tokens
        self._ids = {t: i for i, t in enumerate(tokens)}
        self.space_id = self._ids.get(SPACE, -1)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str) -> list[int]:
        """Ids of ``text``'s characters; characters outside the vocabulary are skipped.

        Runs of spaces collapse to one and edge spaces are dropped.
        """
        text = " ".join(text.split())
        return [self._ids[c] for c in text if c in self._ids and c != BLANK]

    def decode(self, ids: list[int]) -> str:
        """Text of already-collapsed ids (no blanks expected; blanks are dropped)."""
        return "".join(self.tokens[i] for i in ids if i != 0)
