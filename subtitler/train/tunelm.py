"""Tune the beam search's LM weight, word score and blank penalty on a validation split.

The acoustic model runs once per utterance (log-probabilities are cached), then
every (lm_weight, word_score, blank_penalty) setting decodes the whole split and
the best by WER is printed. Tune on the synthetic valid split only, never on
realdev or test::

    python -m subtitler.train.tunelm --model runs/default/model.pt \\
        --corpus runs/corpus/manifest.jsonl --split valid \\
        --lm-weights 0.4 0.6 0.8 1.0 --word-scores -1 0 1 2 --blank-penalties 0 1
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import sys
import time
from pathlib import Path

import torch

from ..checkpoint import load_checkpoint
from ..features import FeatureExtractor
from ..lm import BeamConfig, BeamSearch, beam_config
from .data import load_wave
from .datasets import load_corpus
from .evaluate import error_rates, greedy_texts


def log_probs_of(bundle, utts, cache: Path | None) -> list[torch.Tensor]:
    """Whole-utterance log-probabilities (T, vocab) of each utterance, cached per model and list."""
    key = hashlib.sha1(repr((bundle.meta, [u.path for u in utts])).encode())
    for tensor in bundle.model.state_dict().values():
        key.update(tensor.numpy().tobytes()[:4096])
    path = cache / f"logprobs-{key.hexdigest()[:12]}.pt" if cache else None
    if path is not None and path.is_file():
        return torch.load(path)
    front, out = FeatureExtractor(bundle.features, bundle.mean, bundle.std), []
    with torch.inference_mode():
        for u in utts:
            feats, _ = front(load_wave(u.path, bundle.features.sample_rate), front.initial_state())
            out.append(bundle.model(feats.unsqueeze(0))[0][0].clone())
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(out, path)
    return out


def score(refs: list[str], hyps: list[str]) -> tuple[float, float]:
    """(WER, CER)."""
    cer, wer = error_rates(refs, hyps)
    return wer, cer


def sweep(bundle, refs, log_probs, base: BeamConfig, weights, scores, penalties=None) -> list[tuple]:
    """(lm_weight, word_score, blank_penalty, WER, CER, decode seconds) for every setting
    (``penalties`` None: ``base``'s blank penalty only)."""
    rows = []
    for weight, bonus, penalty in itertools.product(weights, scores, penalties or (base.blank_penalty,)):
        search = BeamSearch(bundle.vocab, dataclasses.replace(base, lm_weight=weight, word_score=bonus,
                                                              blank_penalty=penalty))
        start = time.perf_counter()
        hyps = [" ".join(w.text for w in search.decode(lp)) for lp in log_probs]
        seconds = time.perf_counter() - start
        rows.append((weight, bonus, penalty, *score(refs, hyps), seconds))
        print(f"lm_weight {weight:5.2f} word_score {bonus:5.2f} blank_penalty {penalty:5.2f}  "
              f"WER {rows[-1][3]:6.2%}  CER {rows[-1][4]:6.2%}  decode {seconds:6.1f} s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="subtitler-train tunelm", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, help="checkpoint (default: the bundled model)")
    p.add_argument("--corpus", nargs="+", required=True, help="manifests or corpus folders")
    p.add_argument("--split", default="valid", help="split to tune on (default valid)")
    p.add_argument("--limit", type=int, default=0, help="at most this many utterances (0 = all)")
    p.add_argument("--lm", type=Path, help="KenLM file (default: the shipped one)")
    p.add_argument("--lexicon", type=Path, help="word list (default: the shipped one)")
    p.add_argument("--beam", type=int, help="hypotheses kept per frame (default: the search's)")
    p.add_argument("--lm-weights", type=float, nargs="+", default=[0.4, 0.6, 0.8, 1.0])
    p.add_argument("--word-scores", type=float, nargs="+", default=[-1.0, 0.0, 1.0, 2.0])
    p.add_argument("--blank-penalties", type=float, nargs="+", default=[BeamConfig.blank_penalty],
                   help="blank penalties to try (default: the tuned one only)")
    p.add_argument("--cache", type=Path, default=Path("runs/lmtune"), help="log-probability cache folder")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for the model")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    bundle = load_checkpoint(args.model)
    every = [u for spec in args.corpus for u in load_corpus(spec)]
    utts = [u for u in every if u.split == args.split]
    utts = utts[: args.limit] if args.limit else utts
    if not utts:
        print(f"tunelm: no utterances of split {args.split!r} in {' '.join(args.corpus)} "
              f"(splits there: {', '.join(sorted({u.split for u in every})) or 'none'})", file=sys.stderr)
        return 1
    log_probs = log_probs_of(bundle, utts, args.cache)
    refs = [u.text for u in utts]
    audio_s = sum(u.seconds for u in utts)
    greedy = greedy_texts_of(log_probs, bundle.vocab)
    print(f"{len(utts)} utterances, {audio_s / 60:.1f} min; greedy WER {score(refs, greedy)[0]:.2%} "
          f"CER {score(refs, greedy)[1]:.2%}", flush=True)
    base = beam_config(lm=args.lm, lexicon=args.lexicon, beam_size=args.beam)
    rows = sweep(bundle, refs, log_probs, base, args.lm_weights, args.word_scores, args.blank_penalties)
    best = min(rows, key=lambda r: (r[3], r[4]))
    print(f"best: lm_weight {best[0]} word_score {best[1]} blank_penalty {best[2]}: WER {best[3]:.2%} "
          f"CER {best[4]:.2%} (decode RTF {best[5] / audio_s:.3f})")
    return 0


def greedy_texts_of(log_probs: list[torch.Tensor], vocab) -> list[str]:
    return [greedy_texts(lp.unsqueeze(0), torch.tensor([len(lp)]), vocab)[0] for lp in log_probs]


if __name__ == "__main__":
    raise SystemExit(main())
