"""Average the weights of several checkpoints of one lineage (``subtitler-train average``).

Runs that warm-start from the same weights stay close enough in weight space that their mean
is a better model than either end point (as stochastic weight averaging and checkpoint
averaging in ESPnet/fairseq exploit). The models must share the architecture, the features,
the vocabulary and the feature normalisation; the first one's metadata is kept, with the list
of averaged files added.

    subtitler-train average runs/cpu5/final.pt runs/gpu7/final.pt --out runs/avg57.pt
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..checkpoint import Bundle, load_checkpoint, save_checkpoint
from ..errors import CheckpointError


def average(bundles: list[Bundle], weights: list[float] | None = None) -> Bundle:
    """A new bundle whose floating-point weights are the (weighted) mean of ``bundles``'."""
    if not bundles:
        raise ValueError("nothing to average")
    weights = [1.0] * len(bundles) if weights is None else list(weights)
    if len(weights) != len(bundles) or min(weights) < 0 or sum(weights) <= 0:
        raise ValueError("need one non-negative weight per model, not all zero")
    first = bundles[0]
    for b in bundles[1:]:
        if b.model.config != first.model.config:
            raise CheckpointError("models differ in architecture")
        if b.features != first.features or b.vocab.tokens != first.vocab.tokens:
            raise CheckpointError("models differ in features or vocabulary")
        if not (torch.equal(b.mean, first.mean) and torch.equal(b.std, first.std)):
            raise CheckpointError("models differ in feature normalisation")
    total = sum(weights)
    states = [b.model.state_dict() for b in bundles]
    mean_state = {}
    for key, ref in states[0].items():
        if ref.is_floating_point():
            mean_state[key] = sum(w * s[key].double() for w, s in zip(weights, states)).div(total).to(ref.dtype)
        else:
            mean_state[key] = ref.clone()
    model = type(first.model)(first.model.config)
    model.load_state_dict(mean_state)
    model.eval()
    return Bundle(model=model, features=first.features, vocab=first.vocab,
                  mean=first.mean.clone(), std=first.std.clone(), meta=dict(first.meta))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="subtitler-train average", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", type=Path, help="checkpoints to average (two or more)")
    p.add_argument("--out", type=Path, required=True, help="where to write the averaged checkpoint")
    p.add_argument("--weights", type=float, nargs="+", help="one weight per model (default: equal)")
    args = p.parse_args(argv)
    if len(args.models) < 2:
        p.error("give two or more models")
    try:
        bundle = average([load_checkpoint(m) for m in args.models], args.weights)
    except (CheckpointError, ValueError) as exc:
        p.exit(2, f"subtitler-train average: error: {exc}\n")
    bundle.meta["averaged"] = [str(m) for m in args.models]
    if args.weights:
        bundle.meta["averaged_weights"] = list(args.weights)
    save_checkpoint(args.out, bundle)
    print(f"{args.out}: mean of {len(args.models)} models")
    return 0
