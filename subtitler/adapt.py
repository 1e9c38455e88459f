"""Test-time adaptation of a finished segment: a second pass that fits the input to the voice.

When a segment ends, its normalised log-mel frames are decoded again after a few
gradient steps that make the model more confident about them: a per-mel-bin scale
and offset of the input (160 numbers, fresh for every segment) are fitted by
minimising the mean entropy of the frames' posteriors (after Lin et al., "Listen,
Adapt, Better WER", SUTA, 2022; here only the input affine moves, the weights never
do). It is a learned, per-segment feature normalisation: the voice and channel
of that segment, and nothing else, decide it.

The second pass sees exactly the frames the first pass used for the segment (the
window ends at the endpoint frame plus the model's lookahead), always from a fresh
model state, so streamed and whole decoding give the same final words and times.
(The features of a stream cut into other chunks differ in their last bits, and the
steps amplify that a little: a word's confidence may differ in its fourth decimal.)
Partial captions come from the first pass; the final line may differ from the last
partial.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from .model import AcousticModel


@dataclass(frozen=True)
class AdaptConfig:
    """Second-pass settings; ``steps`` 0 turns the pass off."""

    steps: int = 10  # Adam steps per segment
    lr: float = 0.03  # Adam learning rate of the input scale (log) and offset
    margin_frames: int = 10  # model frames (40 ms) of context before the segment's first character
    max_frames: int = 750  # longest segment refined (model frames, 30 s); longer ones keep the first pass
    # Live: run the pass on a worker thread. A finished line stays in the partial caption (first-pass
    # words) until its refined Final is ready, and the next line's partials keep coming meanwhile;
    # the Finals are the same, in the same order. At most `max_pending` lines wait; then the
    # recogniser waits for the oldest (the capture queue absorbs the pause).
    background: bool = False
    max_pending: int = 2


class InputAdapter:
    """Fits a per-bin input scale and offset to one window of frames; returns refined log-probs."""

    def __init__(self, model: AcousticModel, config: AdaptConfig = AdaptConfig()):
        self.config = config
        # a private float copy: the runtime model may be int8 (no gradients) and is shared
        self.model = copy.deepcopy(model).float().eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def refine(self, feats: torch.Tensor) -> torch.Tensor:
        """Normalised frames (T, n_mels) -> log-probabilities (T', vocab) after adaptation."""
        c = self.config
        with torch.inference_mode(False), torch.enable_grad():
            x = feats.detach().clone().unsqueeze(0)
            affine = torch.zeros(2, x.shape[2], requires_grad=True)  # log-scale, offset
            opt = torch.optim.Adam([affine], lr=c.lr)
            for _ in range(c.steps):
                log_probs, _ = self.model(x * affine[0].exp() + affine[1])
                entropy = -(log_probs.exp() * log_probs).sum(-1).mean()
                opt.zero_grad()
                entropy.backward()
                opt.step()
            with torch.no_grad():
                log_probs, _ = self.model(x * affine[0].exp() + affine[1])
        return log_probs[0].detach()
