"""Greedy CTC decoding that carries its last label across chunk boundaries."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Token:
    """One emitted (collapsed) label."""

    id: int  # vocabulary index, never the blank
    frame: int  # model frame index since the start of the stream
    prob: float  # posterior of the label at that frame


@dataclass(frozen=True)
class FrameInfo:
    """What the endpoint logic needs from each decoded frame."""

    frame: int
    token: Token | None  # the label emitted at this frame, if any
    blank: bool  # the best label was the blank


@dataclass(frozen=True)
class GreedyState:
    """The label of the previous frame (0 = blank) and the next frame's index."""

    prev: int = 0
    frame: int = 0


def greedy_decode(log_probs: torch.Tensor, state: GreedyState) -> tuple[list[FrameInfo], GreedyState]:
    """Best path of ``log_probs`` (T, vocab), collapsed across calls.

    A label is emitted when it differs from the previous frame's label and is not
    the blank, so a label repeated across a chunk boundary is emitted once.
    """
    if log_probs.shape[0] == 0:
        return [], state
    best_lp, best = log_probs.max(dim=-1)
    probs = best_lp.exp().tolist()
    prev, out = state.prev, []
    for i, label in enumerate(best.tolist()):
        frame = state.frame + i
        token = Token(label, frame, probs[i]) if label != 0 and label != prev else None
        out.append(FrameInfo(frame, token, label == 0))
        prev = label
    return out, GreedyState(prev, state.frame + len(out))


def greedy_words(log_probs: torch.Tensor, state: GreedyState, space_id: int) -> list[list[Token]]:
    """The characters of each word on the best path of ``log_probs`` (T, vocab), split at the
    space label; ``state`` gives the label before the first row and that row's frame index."""
    infos, _ = greedy_decode(log_probs, state)
    words, word = [], []
    for token in (info.token for info in infos if info.token is not None):
        if token.id != space_id:
            word.append(token)
        elif word:
            words.append(word)
            word = []
    return words + ([word] if word else [])
