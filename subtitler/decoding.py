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


def greedy_words(log_probs: torch.Tensor, first_frame: int, space_id: int,
                 tokens: tuple[str, ...] | list[str]) -> list[tuple[str, list[int], list[float]]]:
    """Words of the best path of one whole segment (T, vocab) whose first row is ``first_frame``:
    (text, frame of each character, posterior of each character), split at the space label."""
    infos, _ = greedy_decode(log_probs, GreedyState(0, first_frame))
    words, chars, frames, probs = [], [], [], []
    for info in infos:
        token = info.token
        if token is None:
            continue
        if token.id == space_id:
            if chars:
                words.append(("".join(chars), frames, probs))
            chars, frames, probs = [], [], []
        else:
            chars.append(tokens[token.id])
            frames.append(token.frame)
            probs.append(token.prob)
    if chars:
        words.append(("".join(chars), frames, probs))
    return words
