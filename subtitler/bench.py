"""Speed of the recogniser on this machine: real-time factors, chunk latency, memory."""
from __future__ import annotations

import platform
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .paths import demo_audio_path
from .audio_io import read_audio
from .stream import Recognizer
from .transcribe import transcribe_file


@dataclass(frozen=True)
class BenchResult:
    audio_seconds: float
    file_rtf: float  # whole-file pipeline (decode + resample + recognise) time / audio time
    stream_rtf: float  # recognising pre-decoded audio in fixed chunks, time / audio time
    chunk_ms: int
    latency_p50_ms: float  # processing time of one chunk
    latency_p99_ms: float
    peak_rss_mb: float
    threads: int
    parameters: int
    decoder: str = "greedy"  # how words are found: "greedy" or the beam search's settings

    def table(self) -> str:
        rows = [
            ("machine", f"{platform.machine()}, {torch.get_num_threads()} thread(s), torch {torch.__version__}"),
            ("audio", f"{self.audio_seconds:.1f} s"),
            ("model parameters", f"{self.parameters / 1e6:.2f} M"),
            ("decoder", self.decoder),
            ("file pipeline RTF", f"{self.file_rtf:.4f}"),
            (f"streaming RTF ({self.chunk_ms} ms chunks)", f"{self.stream_rtf:.4f}"),
            ("chunk latency p50 / p99", f"{self.latency_p50_ms:.2f} / {self.latency_p99_ms:.2f} ms"),
            ("peak memory (RSS)", f"{self.peak_rss_mb:.0f} MB"),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def run_bench(recognizer: Recognizer, audio: Path | None, chunk_ms: int = 160, repeat: int = 3) -> BenchResult:
    """Best of ``repeat`` passes for each measurement."""
    path = audio or demo_audio_path()
    samples = read_audio(path, recognizer.sample_rate)
    seconds = samples.size / recognizer.sample_rate
    file_time = min(_timed(lambda: transcribe_file(recognizer, path)) for _ in range(repeat))
    stream_time, latencies = min((_stream_pass(recognizer, samples, chunk_ms) for _ in range(repeat)),
                                 key=lambda r: r[0])
    return BenchResult(
        audio_seconds=seconds, file_rtf=file_time / seconds, stream_rtf=stream_time / seconds,
        chunk_ms=chunk_ms, latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        threads=torch.get_num_threads(),
        parameters=sum(p.numel() for p in recognizer.bundle.model.parameters()),
        decoder=describe_decoder(recognizer),
    )


def describe_decoder(recognizer: Recognizer) -> str:
    search = recognizer.decoder
    if search is None:
        return "greedy"
    c = search.config
    name = f"beam {c.beam_size}, {c.beam_size_token} characters, threshold {c.beam_threshold:g}"
    return f"{name} + LM" if c.lm is not None else name


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _stream_pass(recognizer: Recognizer, samples: np.ndarray, chunk_ms: int) -> tuple[float, list[float]]:
    step = recognizer.sample_rate * chunk_ms // 1000
    stream = recognizer.new_stream()
    latencies = []
    for start in range(0, samples.size, step):
        t = time.perf_counter()
        recognizer.accept(stream, samples[start:start + step])
        latencies.append((time.perf_counter() - t) * 1000)
    flush = _timed(lambda: recognizer.finish(stream))  # the last frames and the open segment's final
    return sum(latencies) / 1000 + flush, latencies
