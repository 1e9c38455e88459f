"""``subtitler-train eval``: one table of WER/CER for our model (greedy and/or beam+LM) and peers."""
from __future__ import annotations

import dataclasses
import json
import random

from ..checkpoint import load_checkpoint
from .datasets import load_corpus
from ..adapt import AdaptConfig
from .evaluate import Scored, breakdown, char_confusions, error_rates, evaluate_model
from .peers import PEERS

DECODERS = {"greedy": ("greedy",), "beam": ("beam",), "both": ("greedy", "beam")}
LABELS = {"greedy": "subtitler (greedy)", "beam": "subtitler (beam+LM)"}


def _normalize(text: str) -> str:
    try:
        from .text import normalize
    except ImportError:  # text normalisation module not available
        return " ".join(text.lower().split())
    return normalize(text)


MAX_SHOWN_DIFFS = 3  # utterances whose whole and streamed texts differ, printed by eval


def _decoder(name: str, args, vocab):
    """The beam search, with the options given on the command line."""
    if name == "greedy":
        return None
    from ..lm import decoding

    return decoding(vocab, "beam", lm_weight=args.lm_weight, word_score=args.word_score,
                    beam_size=args.beam, beam_threshold=args.beam_threshold, beam_size_token=args.beam_tokens,
                    blank_penalty=args.blank_penalty, lm=args.lm, lexicon=args.lexicon)["decoder"]


def run_eval(args) -> int:
    bundle = load_checkpoint(args.model)
    if args.int8:  # whole and streamed decodes both run the int8 GRU
        from ..model import quantize_int8

        bundle = dataclasses.replace(bundle, model=quantize_int8(bundle.model))
    utts = [u for spec in args.corpora for u in load_corpus(spec)]
    if args.split:
        utts = [u for u in utts if u.split == args.split]
    if args.limit and args.limit < len(utts):
        utts = random.Random(0).sample(utts, args.limit)  # a fixed sample across voices
    if not utts:
        print("no utterances to evaluate")
        return 1
    audio_s = sum(u.seconds for u in utts)
    print(f"{len(utts)} utterances, {audio_s / 60:.1f} min of audio")
    results: dict[str, list[Scored]] = {}
    table = []
    for name in DECODERS[args.decoder]:
        rows = evaluate_model(bundle, utts, by=args.by, decoder=_decoder(name, args, bundle.vocab),
                              adapt=AdaptConfig(steps=args.adapt))
        label, agree = LABELS[name], sum(r.whole == r.streamed for r in rows)
        streamed_rtf = sum(r.streamed_s for r in rows) / audio_s
        print(f"{label}: whole == streamed for {agree}/{len(rows)}; streamed RTF {streamed_rtf:.3f}")
        for r in [r for r in rows if r.whole != r.streamed][:MAX_SHOWN_DIFFS]:
            print(f"  differs: {r.path}\n    whole:    {r.whole}\n    streamed: {r.streamed}")
        table.append((label, *error_rates([r.ref for r in rows], [r.whole for r in rows]),
                      sum(r.whole_s for r in rows)))
        results[label] = rows
    peer_rows, peer_results = _peers(utts, args.by) if args.peers else ([], {})
    table += peer_rows
    _print(table, {**results, **peer_results}, audio_s, args.by)
    if args.confusions:
        _print_confusions(results, args.confusions)
    if args.json:
        _write_json(args.json, table, results, audio_s, peer_results, args.corpora)
    return 0 if all(r.whole == r.streamed for rows in results.values() for r in rows) else 1


def _peers(utts, by: str = "engine") -> tuple[list[tuple], dict[str, list[Scored]]]:
    """(name, CER, WER, seconds) of each installed peer recogniser, and its texts for the breakdown."""
    rows, texts = [], {}
    for peer in PEERS:
        run = peer([u.path for u in utts])
        if run is not None:
            hyps = [_normalize(t) for t in run.texts]
            rows.append((run.name, *error_rates([u.text for u in utts], hyps), run.seconds))
            texts[run.name] = [Scored(getattr(u, by) or "?", u.text, h, h, path=str(u.path)) for u, h in zip(utts, hyps)]
    return rows, texts


def _print(table, results, audio_s: float, by: str) -> None:
    print(f"\n{'system':<40} {'WER':>7} {'CER':>7} {'RTF':>7}")
    for name, cer, wer, secs in table:
        print(f"{name:<40} {wer:7.1%} {cer:7.1%} {secs / audio_s:7.3f}")
    for label, rows in results.items():
        print(f"\n{label} by {by}:\n{'':<30} {'WER':>7} {'CER':>7} {'utts':>5}")
        for key, (cer, wer, n) in breakdown(rows).items():
            print(f"{key:<30} {wer:7.1%} {cer:7.1%} {n:5d}")


def _print_confusions(results: dict[str, list[Scored]], n: int) -> None:
    """The ``n`` commonest character substitutions of each decoder's whole decodes."""
    for label, rows in results.items():
        subs, totals = char_confusions([r.ref for r in rows], [r.whole for r in rows])
        print(f"\n{label}: {sum(subs.values())} substituted characters of {sum(totals.values())}; commonest:")
        for (ref, hyp), count in subs.most_common(n):
            print(f"  {ref!r} -> {hyp!r} {count:5d}  ({count / totals[ref]:.1%} of {ref!r})")


def _write_json(path, table, results, audio_s: float, peer_results=None, corpora=()) -> None:
    """The table, the breakdown, and every utterance's reference and whole decode ("rows": what
    ``subtitler-train compare`` pairs up between two models)."""
    everyone = {**results, **(peer_results or {})}
    path.write_text(json.dumps({
        "corpora": [str(c) for c in corpora],
        "systems": [{"name": n, "wer": w, "cer": c, "rtf": s / audio_s} for n, c, w, s in table],
        "breakdown": {label: {k: {"cer": c, "wer": w, "n": n} for k, (c, w, n) in breakdown(rows).items()}
                      for label, rows in everyone.items()},
        "agree": {label: sum(r.whole == r.streamed for r in rows) for label, rows in results.items()},
        "utterances": len(next(iter(results.values()))),
        "rows": {label: [dataclasses.asdict(r) for r in rows] for label, rows in everyone.items()},
    }, indent=1))
