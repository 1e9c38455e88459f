"""Pack a speech corpus into a few Opus streams, small enough to carry to a rented GPU, and unpack it.

A GPU host that can reach nothing (a lease, a cluster node without the TTS
voices) still needs the corpus. 16-bit WAV costs 115 MB per hour; Opus speech
at 10 kbit/s costs 4.5 MB. ``pack`` picks a balanced sample (engines, then
voices take turns) of the train/valid splits of each manifest (test voices
never travel), concatenates
the utterances with a short gap into ``--streams`` Ogg/Opus files (one file
per stream saves the per-file Ogg overhead, about 1 kB per utterance) and
writes ``index.jsonl`` with each utterance's stream, sample offset and length.
``unpack`` decodes the streams in parallel, cuts them back into 16 kHz WAV
files and writes a normal ``manifest.jsonl``.

    subtitler-train pack runs/kokoro/manifest.jsonl runs/corpus/shippable.jsonl --hours 6 2.5 --out pack \
        --rirs runs/default/rirs.pt
    subtitler-train unpack pack --out runs/unpacked          # on the GPU host
    subtitler-train fit --train runs/unpacked --out runs/gpu ...   # (scripts/gpu_train.sh does both)

The codec is lossy (the model hears it as one more channel). Encoding uses
PyAV; decoding uses soundfile (libsndfile) where it is installed, which is
small enough to carry as a wheel, else PyAV.
"""
from __future__ import annotations

import argparse
import json
import random
import wave
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..config import SAMPLE_RATE
from .data import load_wave
from .datasets import Utterance, load_corpus

GAP_SECONDS = 0.25  # silence between packed utterances, so codec smearing never crosses into a neighbour
INDEX = "index.jsonl"


def select(utts: list[Utterance], hours: float, seed: int = 0, valid_share: float = 0.05) -> list[Utterance]:
    """A balanced sample of the train split (about ``hours``) plus valid (``valid_share`` of it).

    Engines take turns, and within an engine its voices take turns, so 224
    espeak-ng variants do not crowd out one neural voice, and a voice with few
    recordings keeps them all while the rest of the budget goes to the others.
    The test split is never selected.
    """
    rng = random.Random(seed)
    chosen: list[Utterance] = []
    for split, budget in (("train", hours * 3600), ("valid", hours * 3600 * valid_share)):
        groups: dict[str, dict[str, list[Utterance]]] = defaultdict(lambda: defaultdict(list))
        for u in utts:
            if u.split == split and u.seconds > 0:
                groups[u.engine][u.voice].append(u)
        turns = _turns([_turns([rng.sample(v, len(v)) for _, v in sorted(voices.items())])
                        for _, voices in sorted(groups.items())])
        total = 0.0
        for u in turns:
            if total >= budget:
                break
            chosen.append(u)
            total += u.seconds
    return chosen


def _turns(queues):
    """Items of the iterables taken in turn, one from each, until all are exhausted."""
    its = [iter(q) for q in queues]
    while its:
        for it in list(its):
            item = next(it, None)
            if item is None:
                its.remove(it)
            else:
                yield item


def pack(utts: list[Utterance], out: Path, kbps: float = 10.0, streams: int = 16, jobs: int = 2,
         rate: int = SAMPLE_RATE) -> dict:
    """Encode ``utts`` into ``out/stream_NN.opus`` and ``out/index.jsonl``; returns size figures."""
    out.mkdir(parents=True, exist_ok=True)
    groups = [utts[i::streams] for i in range(streams) if utts[i::streams]]
    tasks = [(out / f"stream_{k:02d}.opus", group, kbps, rate) for k, group in enumerate(groups)]
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(tasks)))) as pool:
        records = [r for part in pool.map(_encode_stream, *zip(*tasks)) for r in part]
    with open(out / INDEX, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    size = sum(p.stat().st_size for p, *_ in tasks)
    seconds = sum(u.seconds for u in utts)
    return {"utterances": len(utts), "hours": seconds / 3600, "bytes": size,
            "kbps_effective": size * 8 / 1000 / max(seconds, 1e-9)}


def _encode_stream(path: Path, utts: list[Utterance], kbps: float, rate: int) -> list[dict]:
    import av

    gap = np.zeros(int(GAP_SECONDS * rate), dtype=np.int16)
    records, offset = [], 0
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=rate, layout="mono")
        stream.bit_rate = int(kbps * 1000)
        stream.options = {"application": "voip"}
        for u in utts:
            pcm = np.clip(np.round(load_wave(u.path, rate).numpy() * 32767), -32768, 32767).astype(np.int16)
            records.append({"stream": path.name, "offset": offset, "samples": len(pcm), "text": u.text,
                            "voice": u.voice, "engine": u.engine, "split": u.split})
            for block in (pcm, gap):
                frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
                frame.sample_rate, frame.pts = rate, offset
                offset += len(block)
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return records


def decode(path: str | Path, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A packed stream as mono float32 at ``rate``."""
    try:
        import soundfile
    except ImportError:
        from ..audio_io import read_audio

        return read_audio(path, rate)
    data, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    data = data.mean(axis=1)
    if file_rate != rate:
        import torch
        import torchaudio.functional as AF

        data = AF.resample(torch.from_numpy(data), file_rate, rate).numpy()
    return data


def unpack(src: Path, out: Path, jobs: int = 8, rate: int = SAMPLE_RATE) -> int:
    """Decode ``src`` (a pack) into ``out/wav/*.wav`` and ``out/manifest.jsonl``; returns the utterance count.

    Utterances that a truncated stream no longer holds whole are left out (the
    count tells how many came back).
    """
    records = [json.loads(line) for line in open(src / INDEX)]
    by_stream: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for i, r in enumerate(records):
        by_stream[r["stream"]].append((i, r))
    (out / "wav").mkdir(parents=True, exist_ok=True)
    tasks = [(src / name, out, items, rate) for name, items in sorted(by_stream.items())]
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = sorted(row for part in pool.map(_cut_stream, *zip(*tasks)) for row in part)
    with open(out / "manifest.jsonl", "w") as f:
        for _, row in rows:
            f.write(json.dumps(row) + "\n")
    return len(rows)


def _cut_stream(path: Path, out: Path, items: list[tuple[int, dict]], rate: int) -> list[tuple[int, dict]]:
    audio = decode(path, rate)
    rows = []
    for i, r in items:
        piece = audio[r["offset"]:r["offset"] + r["samples"]]
        if len(piece) < r["samples"]:  # a truncated stream: keep what is whole
            continue
        rel = f"wav/{i:07d}.wav"
        with wave.open(str(out / rel), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(np.clip(np.round(piece * 32767), -32768, 32767).astype("<i2").tobytes())
        rows.append((i, {"path": rel, "text": r["text"], "seconds": round(len(piece) / rate, 3),
                         "voice": r["voice"], "engine": r["engine"], "split": r["split"]}))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="subtitler-train pack", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpora", nargs="+", help="manifests or corpus folders")
    p.add_argument("--out", type=Path, required=True, help="pack folder")
    p.add_argument("--hours", type=float, nargs="+", required=True,
                   help="hours of training audio to take from each corpus (one number for all, or one each)")
    p.add_argument("--kbps", type=float, default=10.0, help="Opus bit rate, kbit/s (default 10)")
    p.add_argument("--streams", type=int, default=16, help="Opus files (decoded in parallel; default 16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2, help="parallel encoders (default 2)")
    p.add_argument("--rirs", type=Path, help="a training run's reverberation bank (OUT/rirs.pt) to carry along")
    p.add_argument("--rir-rooms", type=int, default=40, help="rooms of --rirs to keep, stored as float16 (default 40)")
    args = p.parse_args(argv)
    hours = args.hours * len(args.corpora) if len(args.hours) == 1 else args.hours
    if len(hours) != len(args.corpora):
        p.error("give one --hours value, or one per corpus")
    if args.rirs and not args.rirs.is_file():
        p.error(f"--rirs {args.rirs}: no such file")
    try:
        utts = [u for spec, h in zip(args.corpora, hours) for u in select(load_corpus(spec), h, args.seed)]
    except ValueError as exc:
        p.error(str(exc))
    if not utts:
        p.error("no train/valid utterances in the corpora")
    stats = pack(utts, args.out, args.kbps, args.streams, args.jobs)
    if args.rirs:
        import torch

        bank = torch.load(args.rirs, weights_only=True)[:args.rir_rooms].half().clone()
        torch.save(bank, args.out / "rirs.pt")  # scripts/gpu_train.sh passes it to fit
    print(f"{args.out}: {stats['utterances']} utterances, {stats['hours']:.2f} h, "
          f"{stats['bytes'] / 1e6:.1f} MB ({stats['kbps_effective']:.1f} kbit/s with container overhead)")
    return 0


def main_unpack(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="subtitler-train unpack", description="Decode a pack made by "
                                "'subtitler-train pack' into 16 kHz WAV files and a manifest.jsonl.")
    p.add_argument("pack", type=Path, help="pack folder (holds index.jsonl)")
    p.add_argument("--out", type=Path, required=True, help="corpus folder to write")
    p.add_argument("--jobs", type=int, default=8, help="parallel decoders (default 8)")
    args = p.parse_args(argv)
    if not (args.pack / INDEX).is_file():
        p.error(f"{args.pack}: not a pack (no {INDEX}); make one with 'subtitler-train pack'")
    total = sum(1 for _ in open(args.pack / INDEX))
    n = unpack(args.pack, args.out, args.jobs)
    print(f"{args.out}: {n} utterances" + (f" ({total - n} lost to truncated streams)" if n < total else ""))
    return 0
