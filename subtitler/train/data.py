"""Training data: utterances -> (augmented) waveforms -> padded log-mel batches.

Each dataset item is a whole batch (batches are bucketed by duration), built in
a DataLoader worker: load, augment, compute raw log-mel with the runtime's own
front end, pad. Normalisation happens on the batch in the trainer, exactly as
the runtime does it.
"""
from __future__ import annotations

import random
import wave
from pathlib import Path

import numpy as np
import torch

from ..audio_io import read_audio
from ..config import FeatureConfig
from ..features import FeatureExtractor, compute_statistics
from ..vocab import Vocab
from .datasets import Utterance, bucket_batches, load_corpus

VALID_LIMIT = 400  # validation utterances scored at each evaluation
LOADER_MIN_BATCHES = 200  # per process and loader: fewer restarts of the worker processes on a fast GPU


def load_wave(path: str, rate: int = 16_000) -> torch.Tensor:
    """Mono float32 waveform; 16-bit PCM WAV at ``rate`` is read directly, anything else via PyAV."""
    if path.endswith(".wav"):
        with wave.open(path, "rb") as w:
            if w.getframerate() == rate and w.getsampwidth() == 2 and w.getnchannels() == 1:
                data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
                return torch.from_numpy(data.astype(np.float32) / 32768.0)
    return torch.from_numpy(read_audio(path, rate))


def raw_log_mel(config: FeatureConfig) -> FeatureExtractor:
    """The runtime front end without normalisation (its ``log_mel`` gives raw frames)."""
    return FeatureExtractor(config, torch.zeros(config.n_mels), torch.ones(config.n_mels))


def feature_statistics(utts: list[Utterance], config: FeatureConfig, n: int = 400, seed: int = 0):
    """Global log-mel mean/std over ``n`` random clean training utterances."""
    rng = random.Random(seed)
    front = raw_log_mel(config)
    sample = rng.sample(utts, min(n, len(utts)))
    return compute_statistics([front.log_mel(load_wave(u.path, config.sample_rate)) for u in sample])


class BatchSet(torch.utils.data.Dataset):
    """Item ``i`` is the padded batch ``batches[i]``: (feats, feat_lens, targets, target_lens, texts)."""

    def __init__(self, utts: list[Utterance], batches: list[list[int]], vocab: Vocab,
                 config: FeatureConfig, augmenter=None, seed: int = 0):
        self.utts, self.batches, self.vocab, self.config = utts, batches, vocab, config
        self.augmenter, self.seed = augmenter, seed
        self.front = raw_log_mel(config)

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int):
        rng = random.Random(self.seed * 1_000_003 + i)
        feats, texts = [], []
        for j in self.batches[i]:
            u = self.utts[j]
            wave_ = load_wave(u.path, self.config.sample_rate)
            if self.augmenter is not None:
                wave_ = self.augmenter(wave_, rng)
            feats.append(self.front.log_mel(wave_))
            texts.append(u.text)
        return collate(feats, texts, self.vocab)


def collate(feats: list[torch.Tensor], texts: list[str], vocab: Vocab):
    lens = torch.tensor([f.shape[0] for f in feats])
    padded = torch.nn.utils.rnn.pad_sequence(feats, batch_first=True)
    ids = [torch.tensor(vocab.encode(t), dtype=torch.long) for t in texts]
    target_lens = torch.tensor([len(t) for t in ids])
    targets = torch.cat(ids) if ids else torch.zeros(0, dtype=torch.long)
    return padded, lens, targets, target_lens, texts


class SpeechData:
    """Training and validation utterances of a run, and their loaders."""

    def __init__(self, cfg, vocab: Vocab):
        self.cfg, self.vocab = cfg, vocab
        utts = [u for spec in cfg.train for u in load_corpus(spec)]
        usable = [u for u in utts if 0 < u.seconds <= cfg.max_utterance_seconds and vocab.encode(u.text)]
        self.train = [u for u in usable if u.split == "train"]
        valid_src = [u for spec in cfg.valid for u in load_corpus(spec)] if cfg.valid else usable
        valid = [u for u in valid_src if u.split in ("valid", "dev")] or [u for u in valid_src if u.split != "train"]
        self.valid = random.Random(0).sample(valid, min(VALID_LIMIT, len(valid)))
        if not self.train:
            raise SystemExit(f"no training utterances found in {cfg.train}")
        self.train_hours = sum(u.seconds for u in self.train) / 3600
        self.augmenter = _augmenter(cfg) if cfg.augment else None

    def loader(self, epoch: int, rank: int = 0, world: int = 1):
        rng = random.Random(self.cfg.seed + epoch)
        batches = []
        while len(batches) < LOADER_MIN_BATCHES * world:  # several shuffled passes over a small corpus
            batches += bucket_batches(self.train, self.cfg.batch_seconds, rng)
        per_rank = len(batches) // world
        mine = batches[rank * per_rank:(rank + 1) * per_rank]
        data = BatchSet(self.train, mine, self.vocab, self.cfg.features, self.augmenter,
                        seed=self.cfg.seed + 7919 * epoch + rank)
        return torch.utils.data.DataLoader(
            data, batch_size=None, shuffle=False, num_workers=self.cfg.workers,
            persistent_workers=False, prefetch_factor=4 if self.cfg.workers else None,
            pin_memory=torch.cuda.is_available())

    def valid_batches(self):
        batches = bucket_batches(self.valid, self.cfg.batch_seconds, random.Random(0))
        data = BatchSet(self.valid, batches, self.vocab, self.cfg.features)
        return torch.utils.data.DataLoader(data, batch_size=None, num_workers=0)


def _augmenter(cfg):
    from .augment import AugmentConfig, Augmenter, load_or_make_rir_bank

    rirs = load_or_make_rir_bank(Path(cfg.out) / "rirs.pt", n=cfg.rir_rooms)
    return Augmenter(AugmentConfig(), rir_bank=rirs)
