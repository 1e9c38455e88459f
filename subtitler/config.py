"""Settings of the runtime, as frozen dataclasses with their units.

The feature and model configurations are stored inside every checkpoint, so a
model always runs with the front end it was trained with.
"""
from __future__ import annotations

from dataclasses import dataclass

SAMPLE_RATE = 16_000  # Hz; every recogniser input is resampled to this
HOP_MS = 10  # feature frame shift in milliseconds


@dataclass(frozen=True)
class FeatureConfig:
    """Log-mel front end."""

    sample_rate: int = SAMPLE_RATE  # Hz
    n_fft: int = 400  # samples (25 ms); also the window length
    hop_length: int = 160  # samples (10 ms)
    n_mels: int = 80  # mel bins
    f_min: float = 20.0  # Hz
    f_max: float = 7600.0  # Hz
    log_floor: float = 1e-6  # added to the mel power before the log
    cmn_ms: int = 3000  # time constant of the running mean subtraction in ms; 0 = off


@dataclass(frozen=True)
class ModelConfig:
    """Streaming GRU-CTC acoustic model."""

    n_mels: int = 80  # input feature dimension
    conv_channels: int = 256  # channels of the two subsampling convolutions
    conv_kernel: int = 3  # kernel size (frames) of each subsampling convolution
    hidden: int = 384  # GRU units per layer
    layers: int = 3  # GRU layers
    lookahead: int = 2  # future output frames (40 ms each) seen by the row convolution
    dropout: float = 0.1  # between GRU layers, training only
    vocab_size: int = 29  # output classes, blank = 0

    @property
    def subsampling(self) -> int:
        """Feature frames per model frame (two stride-2 convolutions)."""
        return 4

    @property
    def frame_ms(self) -> int:
        """Duration of one model output frame in milliseconds."""
        return HOP_MS * self.subsampling


@dataclass(frozen=True)
class EndpointConfig:
    """When a stream closes a segment and reports silence."""

    trailing_blank_ms: int = 600  # blank run after speech that ends a segment
    max_segment_ms: int = 15_000  # segment length after which the next word gap ends it
    silence_dbfs: float = -50.0  # RMS level under which a 40 ms block counts as silent
    silence_ms: int = 1_000  # quiet run after which a Silence event is emitted
