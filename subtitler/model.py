"""Streaming GRU-CTC acoustic model.

``forward(feats, state, final) -> (log_probs, state)``: every piece of context the
model needs from earlier calls travels in an explicit :class:`ModelState`, so
calling it on consecutive chunks gives the same outputs as one call on the whole
input. Layout:

    log-mel (10 ms) -> 2 x [causal conv, stride 2] (40 ms) -> GRU x L
        -> row convolution over ``lookahead`` future frames -> linear -> log-softmax

The convolutions keep the input frames their next window still needs; the row
convolution delays its output by ``lookahead`` frames and is flushed with zeros
when ``final`` is true (end of stream, or whole-utterance training).
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import torch
from torch import nn

from .config import ModelConfig


class ModelState(NamedTuple):
    """Per-stream context of the model (batch dimension B)."""

    conv1: torch.Tensor  # (B, n_mels, k) input frames not yet consumed by conv 1
    conv2: torch.Tensor  # (B, channels, k) conv 1 outputs not yet consumed by conv 2
    gru: torch.Tensor  # (layers, B, hidden) GRU hidden state
    ahead: torch.Tensor  # (B, hidden, n) GRU outputs waiting for their lookahead


class StridedConv(nn.Module):
    """Causal 1-D convolution with stride 2 whose unconsumed input is carried in a state."""

    def __init__(self, c_in: int, c_out: int, kernel: int):
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, kernel, stride=2)
        self.kernel = kernel

    def initial_cache(self, batch: int) -> torch.Tensor:
        """Left padding of ``kernel - 1`` zero frames: the first output sees only the first frame."""
        return torch.zeros(batch, self.conv.in_channels, self.kernel - 1)

    def forward(self, x: torch.Tensor, cache: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, C, T) -> y (B, C', T'), new cache."""
        x = torch.cat([cache.to(x), x], dim=2)  # .to(x): dtype and device
        n = max(0, (x.shape[2] - self.kernel) // 2 + 1)
        if n == 0:
            return x.new_zeros(x.shape[0], self.conv.out_channels, 0), x
        y = torch.nn.functional.gelu(self.conv(x[:, :, : (n - 1) * 2 + self.kernel]))
        return y, x[:, :, n * 2:]


class AcousticModel(nn.Module):
    """Log-mel frames (B, T, n_mels) -> CTC log-probabilities (B, T', vocab) at 40 ms."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.conv1 = StridedConv(config.n_mels, config.conv_channels, config.conv_kernel)
        self.conv2 = StridedConv(config.conv_channels, config.conv_channels, config.conv_kernel)
        self.norm = nn.LayerNorm(config.conv_channels)
        self.gru = nn.GRU(config.conv_channels, config.hidden, num_layers=config.layers,
                          batch_first=True, dropout=config.dropout if config.layers > 1 else 0.0)
        self.row = nn.Conv1d(config.hidden, config.hidden, config.lookahead + 1, groups=config.hidden)
        self.out = nn.Linear(config.hidden, config.vocab_size)

    def initial_state(self, batch: int = 1) -> ModelState:
        c = self.config
        return ModelState(
            self.conv1.initial_cache(batch), self.conv2.initial_cache(batch),
            torch.zeros(c.layers, batch, c.hidden), torch.zeros(batch, c.hidden, 0),
        )

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Output frames for whole inputs of ``lengths`` feature frames (final=True)."""
        for _ in range(2):
            lengths = torch.div(lengths - 1, 2, rounding_mode="floor") + 1
        return lengths.clamp_min(0)

    def forward(
        self, feats: torch.Tensor, state: ModelState | None = None, final: bool = True
    ) -> tuple[torch.Tensor, ModelState]:
        """feats (B, T, n_mels) -> log_probs (B, T', vocab), new state.

        With ``final`` the lookahead buffer is flushed with zeros, so the output
        covers every frame the convolutions produced.
        """
        if state is None:
            state = self.initial_state(feats.shape[0])
        self._check_state(feats, state)
        x, c1 = self.conv1(feats.transpose(1, 2), state.conv1)
        x, c2 = self.conv2(x, state.conv2)
        h, gru = self._recur(self.norm(x.transpose(1, 2)), state.gru)
        y, ahead = self._lookahead(h.transpose(1, 2), state.ahead, final)
        logits = self.out(y.transpose(1, 2))
        return logits.log_softmax(-1), ModelState(c1, c2, gru, ahead)

    def _recur(self, x: torch.Tensor, h0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """GRU over (B, T, C); an empty chunk leaves the hidden state as it was."""
        if x.shape[1] == 0:
            return x.new_zeros(x.shape[0], 0, self.config.hidden), h0
        return self.gru(x, h0.to(x))

    def _lookahead(self, h: torch.Tensor, ahead: torch.Tensor, final: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Row convolution over [t, t + lookahead]; returns outputs and the frames still waiting."""
        k = self.config.lookahead
        x = torch.cat([ahead.to(h), h], dim=2)
        if final:
            x = torch.cat([x, x.new_zeros(x.shape[0], x.shape[1], k)], dim=2)
        n = max(0, x.shape[2] - k)
        y = self.row(x[:, :, : n + k]) if n else x.new_zeros(x.shape[0], x.shape[1], 0)
        rest = x.new_zeros(x.shape[0], x.shape[1], 0) if final else x[:, :, n:]
        return y + x[:, :, :n], rest

    def _check_state(self, feats: torch.Tensor, state: ModelState) -> None:
        c = self.config
        if feats.dim() != 3 or feats.shape[2] != c.n_mels:
            raise ValueError(f"features must be (batch, frames, {c.n_mels}), got {tuple(feats.shape)}")
        if state.gru.shape != (c.layers, feats.shape[0], c.hidden):
            raise ValueError(f"GRU state must be {(c.layers, feats.shape[0], c.hidden)}, got {tuple(state.gru.shape)}")


class FramewiseGRU(nn.Module):
    """A GRU with int8 weights (dynamic quantisation) that runs one frame per call.

    Dynamic quantisation takes the activations' int8 scale from each call's input, so a
    call over a whole chunk would make the outputs depend on how the audio was cut; one
    frame per call keeps streamed == whole.
    """

    def __init__(self, gru: nn.GRU):
        super().__init__()
        with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
            warnings.simplefilter("ignore")
            self.gru = torch.ao.quantization.quantize_dynamic(nn.Sequential(gru), {nn.GRU}, dtype=torch.qint8)[0]

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, C), h (layers, B, hidden) -> y (B, T, hidden), new h."""
        outs = []
        for t in range(x.shape[1]):
            y, h = self.gru(x[:, t:t + 1], h)
            outs.append(y)
        return torch.cat(outs, dim=1), h


def quantize_int8(model: AcousticModel) -> AcousticModel:
    """An inference copy of ``model`` whose GRU runs on int8 weights (about 2x faster on CPU).

    Only the GRU is quantised: it holds most of the weights and time; the convolutions and
    the small output layer stay float. See benchmarks/README.md for the measured effect.
    """
    import copy

    quantized = copy.deepcopy(model).eval()
    quantized.gru = FramewiseGRU(quantized.gru)
    return quantized


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
