"""``subtitler-train eval``: one table of WER/CER for our model (whole and streamed) and peers."""
from __future__ import annotations

import json
import time

from ..checkpoint import load_checkpoint
from .datasets import load_corpus
from .evaluate import breakdown, error_rates, evaluate_model
from .peers import PEERS


def _normalize(text: str) -> str:
    try:
        from .text import normalize
    except ImportError:  # text normalisation module not available
        return " ".join(text.lower().split())
    return normalize(text)


def run_eval(args) -> int:
    bundle = load_checkpoint(args.model)
    utts = [u for spec in args.corpora for u in load_corpus(spec)]
    if args.split:
        utts = [u for u in utts if u.split == args.split]
    if args.limit:
        utts = utts[: args.limit]
    if not utts:
        print("no utterances to evaluate")
        return 1
    audio_s = sum(u.seconds for u in utts)
    start = time.perf_counter()
    rows = evaluate_model(bundle, utts, by=args.by)
    ours_s = time.perf_counter() - start
    agree = sum(r.whole == r.streamed for r in rows)
    print(f"{len(rows)} utterances, {audio_s / 60:.1f} min of audio; whole == streamed for {agree}/{len(rows)}")
    table = [("subtitler (greedy)", *error_rates([r.ref for r in rows], [r.whole for r in rows]), ours_s)]
    for peer in PEERS if args.peers else ():
        run = peer([u.path for u in utts])
        if run is not None:
            hyps = [_normalize(t) for t in run.texts]
            table.append((run.name, *error_rates([u.text for u in utts], hyps), run.seconds))
    print(f"\n{'system':<40} {'WER':>7} {'CER':>7} {'RTF':>7}")
    for name, cer, wer, secs in table:
        print(f"{name:<40} {wer:7.1%} {cer:7.1%} {secs / audio_s:7.3f}")
    print(f"\nsubtitler by {args.by}:\n{'':<30} {'WER':>7} {'CER':>7} {'utts':>5}")
    parts = breakdown(rows)
    for key, (cer, wer, n) in parts.items():
        print(f"{key:<30} {wer:7.1%} {cer:7.1%} {n:5d}")
    if args.json:
        args.json.write_text(json.dumps({
            "systems": [{"name": n, "wer": w, "cer": c, "rtf": s / audio_s} for n, c, w, s in table],
            "breakdown": {k: {"cer": c, "wer": w, "n": n} for k, (c, w, n) in parts.items()},
            "agree": agree, "utterances": len(rows),
            "examples": [r.__dict__ for r in rows[:50]],
        }, indent=1))
    return 0 if agree == len(rows) else 1
