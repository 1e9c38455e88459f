"""Live --adapt: caption freezes with the second pass on the engine thread vs on a worker.

30 s of the synthetic test voices, then 10 s of faint noise, replayed in real time through
:class:`subtitler.engine.Engine` (one thread, greedy, 10 adaptation steps), once with
``AdaptConfig(background=False)`` and once with ``True``, twice each. Prints the longest gaps
between caption updates while speech plays and how long after its line's end each Final came.

    cd benchmarks && ../.venv/bin/python adapt_live.py [--model ../models/subtitler-en.pt]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from live import speech_then_silence, write_wav


def run(model: str, background: bool, wav: Path, speech_s: float) -> str:
    from subtitler.adapt import AdaptConfig
    from subtitler.checkpoint import load_checkpoint
    from subtitler.engine import Engine, Stopped
    from subtitler.results import Final, Partial
    from subtitler.sources import FileSource
    from subtitler.stream import Recognizer

    engine = Engine(Recognizer(load_checkpoint(model), adapt=AdaptConfig(steps=10, background=background)),
                    FileSource(wav, realtime=True, capacity=400))
    start = time.monotonic()
    engine.start()
    times, delays = [], []
    while not isinstance(event := engine.events.get(), Stopped):
        t = time.monotonic() - start
        if isinstance(event, (Partial, Final)) and t < speech_s:
            times.append(t)
        if isinstance(event, Final):
            delays.append(t - event.segment.end_ms / 1000)
    engine.stop()
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    delays.sort()
    return (f"background={background}: updates during speech {len(times)}, longest gaps {gaps[-1]:.2f} / "
            f"{gaps[-2]:.2f} s; finals {len(delays)}, after their line's end median {delays[len(delays) // 2]:.2f} s, "
            f"max {delays[-1]:.2f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="../models/subtitler-en.pt")
    args = p.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_wav(Path(tmp) / "live.wav", speech_then_silence(30, 10))
        for background in (False, True, False, True):
            print(run(args.model, background, wav, 30.0), flush=True)


if __name__ == "__main__":
    main()
