"""The live path: CPU use of the engine in real time, and memory over one long stream.

* ``engine_cpu``: a WAV of ``speech_s`` seconds of synthetic test speech followed by
  ``silence_s`` seconds of faint noise (-70 dBFS) is replayed in real time through
  :class:`subtitler.engine.Engine` with a real-time :class:`~subtitler.sources.FileSource`
  (the file-replay path of ``subtitler live --input``). CPU use = process CPU time / wall
  time in each part, in % of one core (100 % = one core busy). Without the engine module, a
  Recognizer in a loop paced to real time is measured instead, and the record says so.
* ``long_stream``: ``minutes`` of audio (test utterances cycled, 1 s pauses) fed as fast as
  possible through ONE stream in 160 ms chunks; resident memory sampled every 5 min of audio.
"""
from __future__ import annotations

import itertools
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import RATE, load_set, read_wav, rss_mb, set_threads
from systems import recognizer

NOISE_DBFS = -70.0  # level of the "silence": a quiet room through a microphone, not digital zero
SAMPLE_EVERY_MIN = 5  # minutes of audio between memory samples


@dataclass
class EngineCpu:
    system: str
    threads: int
    speech_cpu_pct: float  # process CPU time / wall time while speech plays, % of one core
    silence_cpu_pct: float  # the same while only faint noise plays
    path: str  # what was measured


@dataclass
class LongStream:
    system: str
    audio_min: float  # minutes of audio through the one stream
    rss_mb: list[float]  # resident memory after every SAMPLE_EVERY_MIN minutes of audio
    growth_mb: float  # last sample - first sample
    rtf: float  # processing time / audio time (as fast as possible, one thread)


def speech_then_silence(speech_s: float, silence_s: float) -> np.ndarray:
    """Synthetic test utterances (0.3 s apart) up to ``speech_s``, then faint noise."""
    parts, total, gap = [], 0, np.zeros(RATE * 3 // 10, np.float32)
    for u in load_set("synthetic"):
        if total >= speech_s * RATE:
            break
        parts += [read_wav(u.path), gap]
        total += parts[-2].size + gap.size
    speech = np.concatenate(parts)[: int(speech_s * RATE)]
    noise = np.random.default_rng(0).normal(0, 10 ** (NOISE_DBFS / 20), int(silence_s * RATE))
    return np.concatenate([speech, noise.astype(np.float32)])


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def engine_cpu(label: str, model: str, quantize: bool = False, threads: int = 1,
               speech_s: float = 30.0, silence_s: float = 30.0, decoder: str = "greedy") -> EngineCpu:
    set_threads(threads)
    rec = recognizer(model, quantize, decoder)
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_wav(Path(tmp) / "live.wav", speech_then_silence(speech_s, silence_s))
        try:
            from subtitler.engine import Engine
        except ImportError:
            speech, silence = paced_cpu(rec, read_wav(str(wav)), speech_s)
            return EngineCpu(label, threads, speech, silence, "Recognizer, loop paced to real time")
        speech, silence = engine_run_cpu(Engine, rec, wav, speech_s)
    return EngineCpu(label, threads, speech, silence, "Engine + real-time FileSource")


def engine_run_cpu(engine_cls, rec, wav: Path, speech_s: float) -> tuple[float, float]:
    """CPU % of this process during the speech part and the silent part of ``wav`` replayed live."""
    from subtitler.engine import Stopped
    from subtitler.sources import FileSource

    source = FileSource(wav, realtime=True)
    engine = engine_cls(rec, source)
    engine.start()
    marks = [_poll(lambda: source.position > 0), _poll(lambda: source.position >= speech_s * RATE)]
    while not isinstance(engine.events.get(), Stopped):
        pass
    marks.append((time.process_time(), time.monotonic()))
    engine.stop()
    return _pct(marks[0], marks[1]), _pct(marks[1], marks[2])


def paced_cpu(rec, samples: np.ndarray, speech_s: float, chunk_ms: int = 100) -> tuple[float, float]:
    """Fallback without the engine: feed ``chunk_ms`` blocks at real-time pace."""
    step, stream, start = RATE * chunk_ms // 1000, rec.new_stream(), time.monotonic()
    marks = [(time.process_time(), start)]
    for i in range(0, samples.size, step):
        time.sleep(max(0.0, start + (i + step) / RATE - time.monotonic()))
        rec.accept(stream, samples[i:i + step])
        if i < speech_s * RATE <= i + step:
            marks.append((time.process_time(), time.monotonic()))
    marks.append((time.process_time(), time.monotonic()))
    return _pct(marks[0], marks[1]), _pct(marks[1], marks[2])


def _poll(condition, every_s: float = 0.01) -> tuple[float, float]:
    while not condition():
        time.sleep(every_s)
    return time.process_time(), time.monotonic()


def _pct(a: tuple[float, float], b: tuple[float, float]) -> float:
    return 100.0 * (b[0] - a[0]) / (b[1] - a[1])


def long_audio(minutes: float):
    """Endless test utterances with 1 s pauses, cut after ``minutes``; yields arrays."""
    utts, left = load_set("synthetic"), int(minutes * 60 * RATE)
    pause = np.zeros(RATE, np.float32)
    for u in itertools.cycle(utts):
        for part in (read_wav(u.path), pause):
            yield part[:left]
            left -= min(left, part.size)
            if left == 0:
                return


def long_stream(label: str, model: str, quantize: bool = False, minutes: float = 60.0,
                chunk_ms: int = 160, decoder: str = "greedy") -> LongStream:
    set_threads(1)
    rec = recognizer(model, quantize, decoder)
    stream, step, fed, spent = rec.new_stream(), RATE * chunk_ms // 1000, 0, 0.0
    every = int(min(SAMPLE_EVERY_MIN, minutes / 4) * 60 * RATE)  # short smoke runs still get 4 samples
    samples, pending = [], np.zeros(0, np.float32)
    for part in long_audio(minutes):
        pending = np.concatenate([pending, part])
        while pending.size >= step:
            t = time.perf_counter()
            rec.accept(stream, pending[:step])
            spent += time.perf_counter() - t
            pending, fed = pending[step:], fed + step
            if fed % every < step:
                samples.append(round(rss_mb(), 1))
    rec.accept(stream, pending)
    rec.finish(stream)
    return LongStream(label, minutes, samples, samples[-1] - samples[0], spent / (fed / RATE))
