"""Compare subtitler with Whisper tiny.en and PocketSphinx on this machine; one markdown report.

    .venv/bin/python benchmarks/compare.py [--model PATH] [--limit N] [--out benchmarks/results.md]

Accuracy (WER, CER) on the real-speech dev set and the held-out synthetic test split,
real-time factor with 1 and 2 threads, peak memory, size on disk, caption latency of the
streaming systems, CPU use of the live engine, memory over a long stream, a profile of the
streaming path and the cheap speed-ups tried on it. Every measurement runs in its own
process (see ``worker.py``); README.md explains the columns.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import SETS, default_model, dir_size_mb, run_worker
from latency import LatencyRun
from live import EngineCpu, LongStream
from lm_adapter import beam_status
from profile_stream import Profile
from systems import AccuracyRun, ImportCost, pocketsphinx_dir, whisper_dir
from tables import render

SET_NAMES = list(SETS)
ACCURACY_TOLERANCE = 0.005  # a speed-up is kept only if WER and CER move by at most this on every set


@dataclass(frozen=True)
class Options:
    model: Path  # subtitler checkpoint
    limit: int | None  # utterances per evaluation set (None: all)
    latency_limit: int  # synthetic test utterances for the latency measurement
    live_seconds: float  # seconds of speech, then of silence, replayed through the live engine
    long_minutes: float  # minutes of audio through one stream for the memory check


@dataclass
class Results:
    """Everything measured in one run; ``tables.render`` turns it into markdown."""

    options: Options
    accuracy: dict[str, AccuracyRun] = field(default_factory=dict)  # "<variant>/<threads>" -> run
    latency: dict[str, LatencyRun] = field(default_factory=dict)  # variant -> run
    engine: dict[str, EngineCpu] = field(default_factory=dict)
    long: dict[str, LongStream] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    sizes: dict[str, float] = field(default_factory=dict)  # system -> MB on disk
    verdicts: dict[str, str] = field(default_factory=dict)  # accuracy key -> kept or not, and why
    skipped: dict[str, str] = field(default_factory=dict)  # system -> why it was not measured
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the whole comparison


SUBTITLER_VARIANTS = {  # variant -> Recognizer options (accuracy runs use 1 and 2 threads)
    "subtitler greedy": {},
    "subtitler greedy int8": {"quantize": True},
    "subtitler greedy, 320 ms chunks": {"chunk_ms": 320},
    "subtitler greedy, 640 ms chunks": {"chunk_ms": 640},
}
BEAM = "subtitler beam+LM"  # measured when subtitler.lm can run here (1 and 2 threads, 160 ms chunks): files
BEAM_INT8 = "subtitler beam+LM int8"  # the live captions' default (models/README.md, L29)
BEAM_VARIANTS = {BEAM: {"decoder": "beam"}, BEAM_INT8: {"decoder": "beam", "quantize": True}}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def variants(res: Results) -> dict[str, dict]:
    """subtitler variants to measure: those of SUBTITLER_VARIANTS, and beam search if it can run."""
    return {**SUBTITLER_VARIANTS, **({} if BEAM in res.skipped else BEAM_VARIANTS)}


def check_beam(opts: Options, res: Results) -> None:
    reason = beam_status()
    if reason is not None:
        res.skipped[BEAM] = res.skipped[BEAM_INT8] = reason


def accuracy_runs(opts: Options, res: Results) -> None:
    jobs = [(name, "subtitler", t, {"model": str(opts.model), **extra})
            for name, extra in variants(res).items() for t in (1, 2)]
    jobs += [("whisper tiny.en (int8)", "whisper", t, {}) for t in (1, 2)]
    jobs += [("pocketsphinx 5", "pocketsphinx", 1, {})]  # single-threaded engine
    for label, system, threads, extra in jobs:
        log(f"accuracy: {label}, {threads} thread(s)")
        res.accuracy[f"{label}/{threads}"] = run_worker("accuracy", AccuracyRun, label=label, system=system,
                                                        threads=threads, sets=SET_NAMES, limit=opts.limit, **extra)


def latency_runs(opts: Options, res: Results) -> None:
    jobs = {name: {"system": "subtitler", **extra} for name, extra in variants(res).items()}
    jobs["pocketsphinx 5"] = {"system": "pocketsphinx"}
    for label, extra in jobs.items():
        log(f"latency: {label}")
        res.latency[label] = run_worker("latency", LatencyRun, label=label, model=str(opts.model),
                                        limit=opts.latency_limit, **extra)


def live_runs(opts: Options, res: Results) -> None:
    jobs = {"subtitler greedy": {}, "subtitler greedy int8": {"quantize": True},
            **({} if BEAM in res.skipped else BEAM_VARIANTS)}
    for label, extra in jobs.items():
        log(f"live engine CPU ({2 * opts.live_seconds:.0f} s in real time): {label}")
        res.engine[label] = run_worker("engine_cpu", EngineCpu, label=label, model=str(opts.model),
                                       speech_s=opts.live_seconds, silence_s=opts.live_seconds, **extra)
        log(f"long stream ({opts.long_minutes:.0f} min of audio): {label}")
        res.long[label] = run_worker("long_stream", LongStream, label=label, model=str(opts.model),
                                     minutes=opts.long_minutes, **extra)


def profile_runs(opts: Options, res: Results) -> None:
    for label, quantize in (("subtitler greedy", False), ("subtitler greedy int8", True)):
        log(f"profile: {label}")
        res.profiles[label] = run_worker("profile", Profile, label=label, model=str(opts.model), quantize=quantize)


def disk_sizes(opts: Options, res: Results) -> None:
    """MB on disk: checkpoint, int8 weights as saved, LM files, peer model folders."""
    import io

    import torch

    from subtitler.checkpoint import load_checkpoint
    from subtitler.model import quantize_int8

    buf = io.BytesIO()
    torch.save(quantize_int8(load_checkpoint(opts.model).model).state_dict(), buf)
    res.sizes["subtitler greedy"] = dir_size_mb(opts.model)
    res.sizes["subtitler greedy int8"] = len(buf.getvalue()) / 2**20
    if BEAM not in res.skipped:
        from subtitler.lm import BeamConfig

        lm_files = [p for p in (BeamConfig().lm, BeamConfig().lexicon) if p is not None]
        lm_mb = sum(dir_size_mb(Path(p)) for p in lm_files)
        res.sizes[BEAM] = dir_size_mb(opts.model) + lm_mb
        res.sizes[BEAM_INT8] = dir_size_mb(opts.model) + lm_mb  # quantised when loaded: the same files
    res.sizes["whisper tiny.en (int8)"] = dir_size_mb(whisper_dir())
    res.sizes["pocketsphinx 5"] = dir_size_mb(pocketsphinx_dir())


def import_note(opts: Options, res: Results) -> None:
    cost = run_worker("import_cost", ImportCost)
    res.notes.append(f"peak RAM includes the libraries: {cost.what} takes {cost.peak_rss_mb:.0f} MB here "
                     "(torch is the CUDA build; its CPU-only build is smaller)")


def judge(opts: Options, res: Results) -> None:
    """Which speed-ups are kept: same accuracy (within the tolerance) and clearly faster."""
    base, lat = res.accuracy["subtitler greedy/1"], res.latency["subtitler greedy"]

    def same(run: AccuracyRun) -> bool:
        return all(abs(getattr(run, m)[n] - getattr(base, m)[n]) <= ACCURACY_TOLERANCE
                   for n in base.wer for m in ("wer", "cer"))

    def speed(key: str) -> float:
        return base.rtf / res.accuracy[key].rtf

    res.verdicts["subtitler greedy/1"] = "reference"
    two = speed("subtitler greedy/2")
    res.verdicts["subtitler greedy/2"] = (f"{'kept for files' if two >= 1.2 else 'not kept'}: a second core gives "
                                          f"x{two:.2f}; live captions stay on 1 thread")
    q = "subtitler greedy int8/1"
    ok = speed(q) >= 1.1
    res.verdicts[q] = ("live captions' default (`--no-int8`: float; models/README.md, L29: not shown worse on the "
                       "three real sets by a paired bootstrap); "
                       + ("within" if same(res.accuracy[q]) else "outside") + " this table's band here"
                       + ("" if ok else f"; only x{speed(q):.2f}"))
    q2 = speed("subtitler greedy int8/2") / speed(q)
    res.verdicts["subtitler greedy int8/2"] = f"x{q2:.2f} vs int8 on 1 thread: {'kept' if q2 >= 1.2 else 'not kept'}"
    for chunk in (320, 640):
        key, name = f"subtitler greedy, {chunk} ms chunks/1", f"subtitler greedy, {chunk} ms chunks"
        extra = res.latency[name].partial_p50_ms - lat.partial_p50_ms
        res.verdicts[key] = (f"not kept for live: +{extra:.0f} ms partial latency; "
                             "file transcription already feeds 1 s chunks")
    res.notes += targets(res)


def targets(res: Results) -> list[str]:
    out = []
    for name in ("subtitler greedy", "subtitler greedy int8"):
        r = res.latency[name]
        out.append(f"{name}: partial p50 {r.partial_p50_ms:.0f} ms (target <= 300: "
                   f"{'met' if r.partial_p50_ms <= 300 else 'NOT met'}), final p90 {r.final_p90_ms:.0f} ms after "
                   f"the phrase end (target <= 1000: {'met' if r.final_p90_ms <= 1000 else 'NOT met'})")
    return out


def parse(argv: list[str] | None) -> tuple[Options, Path]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=default_model(),
                   help="subtitler checkpoint (default: models/subtitler-en.pt, else runs/default/model.pt)")
    p.add_argument("--limit", type=int, help="utterances per evaluation set (default: all)")
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("results.md"),
                   help="markdown report to write (default: benchmarks/results.md)")
    p.add_argument("--latency-limit", type=int, default=100, help="utterances for caption latency (default 100)")
    p.add_argument("--live-seconds", type=float, default=30.0,
                   help="seconds of speech and of silence replayed in real time (default 30)")
    p.add_argument("--long-minutes", type=float, default=60.0,
                   help="minutes of audio through one stream for the memory check (default 60)")
    args = p.parse_args(argv)
    latency_limit = min(args.latency_limit, args.limit or args.latency_limit)
    opts = Options(args.model.resolve(), args.limit, latency_limit, args.live_seconds, args.long_minutes)
    return opts, args.out


def save_raw(res: Results, path: Path) -> None:
    """Every record so far as JSON (rewritten after each step, so a crash keeps what was measured)."""
    path.write_text(json.dumps(dataclasses.asdict(res), indent=1, default=str), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    opts, out = parse(argv)
    if not opts.model.is_file():
        print(f"compare: {opts.model}: no such model file", file=sys.stderr)
        return 1
    res, start = Results(opts), time.monotonic()
    for step in (check_beam, accuracy_runs, latency_runs, profile_runs, live_runs, disk_sizes, import_note, judge):
        step(opts, res)
        res.seconds = time.monotonic() - start
        save_raw(res, out.with_suffix(".json"))
    report = render(res, ACCURACY_TOLERANCE)
    print(report)
    out.write_text(report, encoding="utf-8")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
