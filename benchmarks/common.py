"""Shared pieces of the benchmark scripts: evaluation sets, audio, scoring, memory, workers.

Every measurement runs in its own worker process (``worker.py TASK JSON``) so that peak
memory and thread settings of one system never mix with another's. A worker prints its
result record as one JSON line, last on stdout; :func:`run_worker` turns it back into
the dataclass.
"""
from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RATE = 16_000  # Hz, every system here is fed 16 kHz mono
SETS = {  # evaluation set name -> (manifest, split or None for all)
    "real": (ROOT / "runs/realdev/manifest.jsonl", None),  # human speech, 87 utterances
    "synthetic": (ROOT / "runs/corpus/manifest.jsonl", "test"),  # held-out TTS voices
}
SHIPPED = ROOT / "models/subtitler-en.pt"
TRAINED = ROOT / "runs/default/model.pt"


def default_model() -> Path:
    """The shipped model if there is one, else the training run's best checkpoint."""
    return SHIPPED if SHIPPED.is_file() else TRAINED


def load_set(name: str, limit: int | None = None):
    """Utterances of evaluation set ``name``; ``limit`` keeps an evenly spread, fixed subset."""
    from subtitler.train.datasets import load_corpus

    manifest, split = SETS[name]
    utts = [u for u in load_corpus(manifest) if split is None or u.split == split]
    if limit and limit < len(utts):
        keep = sorted(random.Random(0).sample(range(len(utts)), limit))
        utts = [utts[i] for i in keep]
    return utts


def read_wav(path: str) -> np.ndarray:
    """Mono float32 samples of a 16 kHz 16-bit WAV (without importing torch), else via PyAV."""
    with wave.open(path, "rb") as w:
        if w.getframerate() == RATE and w.getsampwidth() == 2 and w.getnchannels() == 1:
            return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
    from subtitler.audio_io import read_audio

    return read_audio(path, RATE)


def normalize(text: str) -> str:
    """Hypotheses are normalised like the references (numbers spelled out, [a-z' ] only)."""
    from subtitler.train.datasets import normalize_text

    return normalize_text(text)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (VmHWM).

    Not ``getrusage().ru_maxrss``: Linux carries that across fork and exec, so a worker
    would inherit the peak of the process that started it.
    """
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return kib / 1024


def rss_mb() -> float:
    """Resident memory of this process now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def dir_size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def set_threads(n: int) -> None:
    """Intra-op threads for torch (imported lazily: peers must not pay for torch)."""
    import torch

    torch.set_num_threads(n)


def run_worker(task: str, result_type, **kwargs):
    """Run ``worker.py task`` in a fresh process; returns its result as ``result_type``.

    A list of records comes back as a list. A failing worker raises with its stderr tail.
    """
    cmd = [sys.executable, str(Path(__file__).with_name("worker.py")), task, json.dumps(kwargs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {task} failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    if isinstance(data, list):
        return [result_type(**d) for d in data]
    return result_type(**data)


def emit(result) -> None:
    """Worker side: print a record (or list of records) as the last stdout line."""
    if isinstance(result, list):
        print(json.dumps([dataclasses.asdict(r) for r in result]))
    else:
        print(json.dumps(dataclasses.asdict(result)))
