"""Shared fixtures: a seeded random tiny model and generated audio. No hardware, no network."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from subtitler.checkpoint import Bundle, save_checkpoint
from subtitler.config import FeatureConfig, ModelConfig
from subtitler.model import AcousticModel, ModelState
from subtitler.vocab import Vocab

TINY = ModelConfig(conv_channels=32, hidden=48, layers=2, lookahead=2, dropout=0.0)


def tiny_bundle(seed: int = 0, blank_bias: float = 2.5) -> Bundle:
    """A random model that emits a mix of blanks and letters (the blank is favoured)."""
    torch.manual_seed(seed)
    model = AcousticModel(TINY).eval()
    with torch.no_grad():
        model.out.weight.mul_(8.0)
        model.out.bias[0] += blank_bias
    features = FeatureConfig()
    return Bundle(model, features, Vocab(), torch.full((80,), -8.0), torch.full((80,), 3.0),
                  {"time_offset_ms": 0})


class MatrixModel(torch.nn.Module):
    """A stand-in acoustic model that emits the rows of a fixed (T, vocab) log-probability matrix,
    one per 4 feature frames (40 ms, like the real model), then blanks; streaming like the real one."""

    def __init__(self, log_probs: torch.Tensor):
        super().__init__()
        self.config = ModelConfig(vocab_size=log_probs.shape[1])
        self.rows = log_probs

    @classmethod
    def from_labels(cls, labels: list[int], vocab_size: int = 29) -> "MatrixModel":
        """One certain label per 40 ms frame."""
        model = cls(torch.zeros(0, vocab_size))
        model.script(labels)
        return model

    def script(self, labels: list[int]) -> None:
        """From now on emit these labels, one certain label per 40 ms frame."""
        self.rows = torch.full((len(labels), self.config.vocab_size), -20.0)
        self.rows[torch.arange(len(labels)), torch.tensor(labels, dtype=torch.long)] = 0.0

    def initial_state(self, batch=1):
        z = torch.zeros(0)
        return ModelState(z, z, torch.zeros(1), z)

    def forward(self, feats, state, final=False):
        done, pending = int(state.gru.item()), state.conv1.numel() + feats.shape[1]
        n = pending // 4
        blank = torch.full((self.config.vocab_size,), -20.0)
        blank[0] = 0.0
        rows = [self.rows[done + t] if done + t < len(self.rows) else blank for t in range(n)]
        lp = torch.stack(rows).unsqueeze(0) if rows else torch.zeros(1, 0, self.config.vocab_size)
        rest = torch.zeros(pending - 4 * n)
        return lp, ModelState(rest, state.conv2, torch.tensor([float(done + n)]), state.ahead)


def speechlike(seconds: float, seed: int = 0, rate: int = 16_000) -> np.ndarray:
    """Bursts of harmonic tones and noise separated by pauses: exercises words and endpoints."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * rate), np.float32)
    t = 0
    while t < out.size:
        n = int(rng.uniform(0.2, 0.9) * rate)
        f0 = rng.uniform(90, 250)
        k = np.arange(min(n, out.size - t)) / rate
        tone = sum(np.sin(2 * np.pi * f0 * h * k) / h for h in range(1, 6))
        out[t:t + k.size] = 0.2 * tone + 0.02 * rng.standard_normal(k.size)
        t += n + int(rng.uniform(0.1, 1.2) * rate)
    return out


def write_wav(path: Path, samples: np.ndarray, rate: int = 16_000, channels: int = 1) -> Path:
    data = np.repeat(samples[:, None], channels, axis=1) if channels > 1 else samples
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(data, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def letters_search(lexicon: Path):
    """A beam search without LM over ``lexicon`` (:func:`letters_lexicon`), needs flashlight-text."""
    from subtitler.lm import BeamConfig, BeamSearch

    return BeamSearch(Vocab(), BeamConfig(lm=None, lexicon=lexicon, beam_size=8, lm_weight=0.0))


@pytest.fixture(scope="session")
def letters_lexicon(tmp_path_factory) -> Path:
    """Every one- and two-letter word, so that a random model's output is mostly words."""
    path = tmp_path_factory.mktemp("letters") / "lexicon.txt"
    letters = "abcdefghijklmnopqrstuvwxyz"
    path.write_text("\n".join([*letters, *(a + b for a in letters for b in letters)]) + "\n")
    return path


@pytest.fixture(scope="session")
def bundle() -> Bundle:
    return tiny_bundle()


@pytest.fixture(scope="session")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_checkpoint(path, tiny_bundle())
    return path


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory) -> Path:
    return write_wav(tmp_path_factory.mktemp("audio") / "speech.wav", speechlike(6.0))
