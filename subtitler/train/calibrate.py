"""Calibrate when words are placed in time: the delay of CTC spikes behind the sound.

Synthetic utterances are padded with known silence, so where speech begins and
ends is known from the samples. The first word's start and the last word's end,
as the streaming recogniser reports them, are compared with those edges; the
median difference becomes the checkpoint's ``time_offset_ms``.

    subtitler-train calibrate --model runs/default/model.pt runs/corpus/manifest.jsonl --write
"""
from __future__ import annotations

import argparse
import random
import statistics
from pathlib import Path

import numpy as np
import torch

from ..checkpoint import load_checkpoint, save_checkpoint
from ..lm import BeamSearch
from ..results import Final
from ..stream import Recognizer
from .data import load_wave
from .datasets import load_corpus

EDGE_DBFS = -40.0  # a 10 ms frame louder than this (relative to the peak) counts as sound


def speech_edges_ms(samples: np.ndarray, rate: int = 16_000) -> tuple[int, int]:
    """First and last 10 ms frame within ``EDGE_DBFS`` of the loudest frame, in ms."""
    hop = rate // 100
    frames = samples[: samples.size // hop * hop].reshape(-1, hop)
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() + EDGE_DBFS)
    return int(loud[0] * 10), int((loud[-1] + 1) * 10)


def measure(bundle, utts, seed: int = 0, decoder=None) -> list[tuple[int, int]]:
    """(start error, end error) in ms per utterance whose words were recognised; ``decoder``: a
    :class:`~subtitler.lm.BeamSearch` whose words are timed (None: the greedy path's)."""
    rng, out = random.Random(seed), []
    recognizer = Recognizer(bundle, decoder=decoder)
    for u in utts:
        audio = load_wave(u.path).numpy()
        pad = np.zeros(int(rng.uniform(0.3, 1.0) * 16_000), np.float32)
        audio = np.concatenate([pad, audio, np.zeros(8000, np.float32)])
        start, end = speech_edges_ms(audio)
        stream = recognizer.new_stream()
        events = recognizer.accept(stream, audio) + recognizer.finish(stream)
        words = [w for e in events if isinstance(e, Final) for w in e.segment.words]
        if words:
            out.append((words[0].start_ms - start, words[-1].end_ms - end))
    return out


def summarise(errors: list[tuple[int, int]]) -> str:
    starts, ends = [e[0] for e in errors], [e[1] for e in errors]
    within = sum(abs(s) <= 100 for s in starts) + sum(abs(e) <= 100 for e in ends)
    return (f"{len(errors)} utterances: start error median {statistics.median(starts):+.0f} ms, "
            f"end error median {statistics.median(ends):+.0f} ms, "
            f"{within / (2 * len(errors)):.0%} of edges within 100 ms")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="subtitler-train calibrate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpora", nargs="+", help="manifests (the 'valid' split is used)")
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--limit", type=int, default=200, help="utterances to measure")
    p.add_argument("--write", action="store_true", help="store the offset in the checkpoint")
    p.add_argument("--decoder", choices=("greedy", "beam"), default="greedy",
                   help="whose word times to measure: the greedy path (default) or the beam search with "
                        "its default settings")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    utts = [u for c in args.corpora for u in load_corpus(c) if u.split == "valid"]
    utts = random.Random(0).sample(utts, min(args.limit, len(utts)))
    bundle = load_checkpoint(args.model)
    decoder = BeamSearch(bundle.vocab) if args.decoder == "beam" else None
    bundle.meta["time_offset_ms"] = 0
    before = measure(bundle, utts, decoder=decoder)
    print("uncalibrated:", summarise(before))
    offset = -round(statistics.median([e for pair in before for e in pair]))
    bundle.meta["time_offset_ms"] = offset
    print(f"offset {offset:+d} ms ->", summarise(measure(bundle, utts, decoder=decoder)))
    if args.write:
        save_checkpoint(args.model, bundle)
        print(f"wrote time_offset_ms={offset} to {args.model}")
    return 0
