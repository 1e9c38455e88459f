"""Where the streaming path spends its time: cProfile over Recognizer.accept in 160 ms chunks.

The cumulative time of a few functions is grouped into stages, each as a share of the time
inside ``Recognizer.accept``:

    features   FeatureExtractor.__call__ (log-mel, normalisation, running mean)
    conv       the two StridedConv.forward calls
    GRU        AcousticModel._recur
    model rest the rest of AcousticModel.forward: LayerNorm, row convolution, output layer, softmax
    decode     greedy_decode (argmax, collapse)
    captions   Recognizer._step + _partial (words, endpoints, partial text) and the energy gate
    glue       everything else in accept/_run: tensor conversions, inference_mode, event lists

cProfile adds a cost to every Python call, so Python-heavy stages look a little bigger than
they are; ``chunk_ms_plain`` is the same run without the profiler.
"""
from __future__ import annotations

import cProfile
import inspect
import pstats
import time
from dataclasses import dataclass

import numpy as np

from common import RATE, load_set, read_wav, set_threads
from systems import recognizer

STAGES = {  # stage -> (module file name, functions) whose cumulative times add up
    "features": ("features.py", ("__call__",)),
    "GRU": ("model.py", ("_recur",)),
    "decode": ("decoding.py", ("greedy_decode",)),
    "captions": ("stream.py", ("_step", "_partial", "_gate")),
}


@dataclass
class Profile:
    system: str
    threads: int
    chunk_ms: int
    chunk_ms_plain: float  # mean processing time of one chunk, without the profiler
    shares: dict[str, float]  # stage -> share of the time inside Recognizer.accept (0..1)


def speech(seconds: float) -> np.ndarray:
    parts, total = [], 0
    for u in load_set("synthetic"):
        parts.append(read_wav(u.path))
        total += parts[-1].size
        if total >= seconds * RATE:
            break
    return np.concatenate(parts)[: int(seconds * RATE)]


def feed(rec, samples: np.ndarray, chunk_ms: int) -> int:
    stream, step = rec.new_stream(), RATE * chunk_ms // 1000
    for start in range(0, samples.size, step):
        rec.accept(stream, samples[start:start + step])
    return -(-samples.size // step)


def profile(label: str, model: str, quantize: bool = False, threads: int = 1, chunk_ms: int = 160,
            seconds: float = 60.0) -> Profile:
    set_threads(threads)
    rec, samples = recognizer(model, quantize), speech(seconds)
    feed(rec, samples[: RATE * 5], chunk_ms)  # warm-up
    start = time.perf_counter()
    chunks = feed(rec, samples, chunk_ms)
    plain_ms = (time.perf_counter() - start) * 1000 / chunks
    profiler = cProfile.Profile()
    profiler.runcall(feed, rec, samples, chunk_ms)
    return Profile(label, threads, chunk_ms, plain_ms, shares(pstats.Stats(profiler).stats))


def shares(stats: dict) -> dict[str, float]:
    """Stage shares of ``Recognizer.accept`` from pstats' {(file, line, name): (cc, nc, tt, ct, callers)}."""
    from subtitler import model

    def cumulative(file_end: str, name: str, line: int | None = None) -> float:
        return sum(v[3] for (f, ln, n), v in stats.items()
                   if f.endswith(file_end) and n == name and line in (None, ln))

    def forward(cls) -> float:  # pstats keys carry no class name: match the method's line
        return cumulative("model.py", "forward", inspect.getsourcelines(cls.forward)[1])

    out = {stage: sum(cumulative(f, n) for n in names) for stage, (f, names) in STAGES.items()}
    out["conv"] = forward(model.StridedConv)
    out["model rest"] = forward(model.AcousticModel) - out["conv"] - out["GRU"]
    total = cumulative("stream.py", "accept")
    out["glue"] = total - sum(out.values())
    return {k: round(v / total, 4) for k, v in out.items()}
