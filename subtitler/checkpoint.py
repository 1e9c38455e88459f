"""Self-contained, versioned model files.

A checkpoint is one ``torch.save`` file of plain containers and tensors, loaded
with ``weights_only=True``: the model and feature configurations, the
vocabulary, the feature normalisation statistics, the weights and a small
metadata dictionary (training facts, calibrated emission delay).
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .config import FeatureConfig, ModelConfig
from .errors import CheckpointError
from .model import AcousticModel
from .paths import model_path
from .vocab import Vocab

FORMAT = "subtitler-ctc"
VERSION = 1


@dataclass
class Bundle:
    """Everything a recogniser needs, loaded from one checkpoint."""

    model: AcousticModel
    features: FeatureConfig
    vocab: Vocab
    mean: torch.Tensor  # (n_mels,) of un-normalised log-mel
    std: torch.Tensor  # (n_mels,)
    meta: dict = field(default_factory=dict)  # e.g. time_offset_ms, training summary

    @property
    def time_offset_ms(self) -> int:
        """Calibrated delay between a CTC spike's frame time and the sound (added to frame times)."""
        return int(self.meta.get("time_offset_ms", 0))


def save_checkpoint(path: str | Path, bundle: Bundle) -> None:
    """Write ``bundle`` atomically to ``path``."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model_config": dataclasses.asdict(bundle.model.config),
        "feature_config": dataclasses.asdict(bundle.features),
        "vocab": list(bundle.vocab.tokens),
        "mean": bundle.mean.detach().float().cpu(),
        "std": bundle.std.detach().float().cpu(),
        "state_dict": {k: v.detach().cpu() for k, v in bundle.model.state_dict().items()},
        "meta": dict(bundle.meta),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a model file is ordinary data
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path | None = None) -> Bundle:
    """Load a checkpoint (the bundled default when ``path`` is None) for inference."""
    path = Path(path) if path is not None else default_model_path()
    if not path.is_file():
        raise CheckpointError(f"{path}: model file not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise CheckpointError(f"{path}: not a readable model file ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a Subtitler model file")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path}: model format version {payload.get('version')} is not supported (need {VERSION})")
    try:
        return _bundle_from(payload)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: damaged model file ({exc})") from None


def _bundle_from(payload: dict) -> Bundle:
    model = AcousticModel(ModelConfig(**payload["model_config"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return Bundle(
        model=model,
        features=FeatureConfig(**payload["feature_config"]),
        vocab=Vocab(payload["vocab"]),
        mean=payload["mean"],
        std=payload["std"],
        meta=dict(payload.get("meta", {})),
    )


def default_model_path() -> Path:
    """The English model shipped with the package."""
    return model_path()
