"""Log-mel features, computed identically for whole signals and for chunks.

A :class:`FeatureExtractor` carries the samples it could not yet frame and the
running-mean state between calls, so feeding a signal in any chunk sizes
(including empty and one-sample chunks) yields the same frames as feeding it
whole. There is no ``center=True`` padding: frame ``i`` covers samples
``[i * hop, i * hop + n_fft)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio

from .config import FeatureConfig


@dataclass
class FeatureState:
    """What a stream's front end carries from one chunk to the next."""

    pending: torch.Tensor  # (n,) samples not yet covered by a whole frame step
    running_mean: torch.Tensor  # (n_mels,) running mean of the normalised features


class FeatureExtractor:
    """Waveform (16 kHz float in [-1, 1]) -> normalised log-mel frames (T, n_mels)."""

    def __init__(self, config: FeatureConfig, mean: torch.Tensor, std: torch.Tensor):
        if mean.shape != (config.n_mels,) or std.shape != (config.n_mels,):
            raise ValueError(f"normalisation statistics must have shape ({config.n_mels},)")
        self.config = config
        self.mean = mean.float()
        self.inv_std = 1.0 / std.float().clamp_min(1e-5)
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=config.sample_rate, n_fft=config.n_fft, hop_length=config.hop_length,
            f_min=config.f_min, f_max=config.f_max, n_mels=config.n_mels, center=False, power=2.0,
        )
        self._decay = _cmn_decay(config)

    def initial_state(self) -> FeatureState:
        return FeatureState(torch.zeros(0), torch.zeros(self.config.n_mels))

    def log_mel(self, samples: torch.Tensor) -> torch.Tensor:
        """Un-normalised log-mel frames of every whole frame in ``samples`` (T, n_mels)."""
        if samples.shape[-1] < self.config.n_fft:
            return torch.zeros(0, self.config.n_mels)
        mel = self.mel(samples)  # (n_mels, T)
        return torch.log(mel + self.config.log_floor).transpose(0, 1)

    def __call__(self, samples: torch.Tensor, state: FeatureState) -> tuple[torch.Tensor, FeatureState]:
        """Frames for ``samples`` appended to what ``state`` holds; returns (frames, new state)."""
        buf = torch.cat([state.pending, samples.float().reshape(-1)])
        hop, n_fft = self.config.hop_length, self.config.n_fft
        n = 0 if buf.numel() < n_fft else (buf.numel() - n_fft) // hop + 1
        frames = self.log_mel(buf[: (n - 1) * hop + n_fft]) if n else torch.zeros(0, self.config.n_mels)
        frames = (frames - self.mean) * self.inv_std
        frames, running = running_mean_subtract(frames, state.running_mean, self._decay)
        return frames, FeatureState(buf[n * hop:].clone(), running)


def _cmn_decay(config: FeatureConfig) -> float:
    """Per-frame decay of the running mean; 1.0 disables the subtraction."""
    if config.cmn_ms <= 0:
        return 1.0
    return float(torch.exp(torch.tensor(-config.hop_length * 1000.0 / config.sample_rate / config.cmn_ms)))


def running_mean_subtract(
    frames: torch.Tensor, mean: torch.Tensor, decay: float, block: int = 256
) -> tuple[torch.Tensor, torch.Tensor]:
    """Subtract an exponential running mean, updated frame by frame, from ``frames``.

    ``m_t = decay * m_{t-1} + (1 - decay) * x_t`` and ``y_t = x_t - m_t``. Works on
    (T, F) or batched (B, T, F) frames with ``mean`` of shape (F,) or (B, F). The
    recursion is evaluated in blocks with a lower-triangular decay matrix, so the
    result is the same however the frames are split between calls.
    """
    if decay >= 1.0:
        return frames, mean
    out = []
    for start in range(0, frames.shape[-2], block):
        x = frames[..., start:start + block, :]
        n = x.shape[-2]
        t = torch.arange(n, dtype=x.dtype, device=x.device)
        powers = decay ** (t[:, None] - t[None, :]).clamp_min(0)
        kernel = torch.tril(powers) * (1.0 - decay)  # (n, n)
        carried = (decay ** (t + 1))[:, None] * mean.unsqueeze(-2)  # (..., n, F)
        m = kernel @ x + carried
        out.append(x - m)
        mean = m[..., -1, :]
    if not out:
        return frames, mean
    return torch.cat(out, dim=-2), mean


def compute_statistics(frames: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Global mean and standard deviation (n_mels,) of un-normalised log-mel frames."""
    stacked = torch.cat(frames)
    return stacked.mean(0), stacked.std(0).clamp_min(1e-5)
