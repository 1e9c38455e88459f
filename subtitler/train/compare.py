"""``subtitler-train compare``: is a candidate model's WER/CER really different from a base model's?

A paired bootstrap over utterances (Bisani and Ney, ICASSP 2004): both models' whole decodes of
the same utterances (the ``rows`` that ``subtitler-train eval --json`` writes) are resampled
together, and the difference of the corpus WER (and CER) is recomputed on every resample. Its
percentile interval says how far the difference could move had other utterances of the same
kind been recorded; a difference whose interval holds zero is not shown by this test set. It
measures the test set's sampling noise only, not how far two training seeds of one recipe land
apart.

    subtitler-train eval --decoder both --no-peers --model A.pt runs/realdev_ivr --json a_ivr.json
    subtitler-train eval --decoder both --no-peers --model B.pt runs/realdev_ivr --json b_ivr.json
    subtitler-train compare --base a_ivr.json a_more.json --candidate b_ivr.json b_more.json

Each base file is paired with the candidate file in the same position (the same corpora,
matched utterance by utterance). With more than one pair, "pooled" resamples all their
utterances together, so each set weighs by its words (WER) and characters (CER).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .evaluate import edit_counts

METRICS = {"WER": (0, 1), "CER": (2, 3)}  # columns of edit_counts: (edits, reference length)


@dataclass(frozen=True)
class Delta:
    """One metric of one decoder on one set: base and candidate rates and their difference."""

    base: float
    candidate: float
    diff: float  # candidate - base (negative: the candidate makes fewer errors)
    low: float  # the confidence interval of diff
    high: float
    p_better: float  # share of resamples in which the candidate makes fewer errors

    @property
    def verdict(self) -> str:
        return "better" if self.high < 0 else "worse" if self.low > 0 else "~"


def paired_delta(base_edits, candidate_edits, lengths, resamples: int = 10_000,
                 confidence: float = 0.95, seed: int = 0) -> Delta:
    """Bootstrap the difference of two corpus error rates over paired utterances."""
    from scipy.stats import bootstrap

    a, b, n = (np.asarray(x, dtype=float) for x in (base_edits, candidate_edits, lengths))

    def diff(a, b, n, axis=-1):
        return (b.sum(axis) - a.sum(axis)) / n.sum(axis)

    res = bootstrap((a, b, n), diff, paired=True, vectorized=True, n_resamples=resamples,
                    confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed))
    total = n.sum()
    return Delta(a.sum() / total, b.sum() / total, float(diff(a, b, n)), float(res.confidence_interval.low),
                 float(res.confidence_interval.high), float(np.mean(res.bootstrap_distribution < 0)))


def load_rows(path: Path) -> tuple[str, dict[str, dict[str, tuple[str, str]]]]:
    """(set name, {decoder label: {audio path: (reference, whole decode)}}) of an ``eval --json`` file."""
    data = json.loads(Path(path).read_text())
    if "rows" not in data:
        raise SystemExit(f"compare: {path} has no per-utterance rows; run 'subtitler-train eval --json' again")
    name = " ".join(Path(c).name for c in data.get("corpora", [])) or Path(path).stem
    return name, {label: {r["path"]: (r["ref"], r["whole"]) for r in rows} for label, rows in data["rows"].items()}


def paired_counts(base: dict[str, tuple[str, str]], candidate: dict[str, tuple[str, str]], where: str):
    """Edit counts of the two decodes of every utterance both have (non-empty reference)."""
    if base.keys() != candidate.keys():
        raise SystemExit(f"compare: {where}: the two files hold different utterances "
                         f"({len(base.keys() - candidate.keys())} only in base, "
                         f"{len(candidate.keys() - base.keys())} only in candidate)")
    if any(base[k][0] != candidate[k][0] for k in base):
        raise SystemExit(f"compare: {where}: the two files give different references for an utterance")
    keys = sorted(base)
    refs = [base[k][0] for k in keys]
    a = np.array(edit_counts(refs, [base[k][1] for k in keys]), dtype=float).reshape(-1, 4)
    b = np.array(edit_counts(refs, [candidate[k][1] for k in keys]), dtype=float).reshape(-1, 4)
    keep = a[:, 1] > 0
    return a[keep], b[keep]


def compare(base_files, candidate_files, resamples: int = 10_000, confidence: float = 0.95,
            seed: int = 0) -> dict[str, dict[str, dict[str, Delta]]]:
    """{decoder label: {set name (and "pooled"): {"WER"/"CER": Delta}}} for every decoder in both."""
    if len(base_files) != len(candidate_files) or not base_files:
        raise SystemExit("compare: give as many --candidate files as --base files, in the same order")
    pairs = [(load_rows(b), load_rows(c)) for b, c in zip(base_files, candidate_files)]
    labels = [label for label in pairs[0][0][1] if all(label in b[1] and label in c[1] for b, c in pairs)]
    if not labels:
        raise SystemExit("compare: no decoder is in every file")
    out: dict[str, dict[str, dict[str, Delta]]] = {}
    for label in labels:
        sets = {}
        for (name, base), (_, cand) in pairs:
            sets[name] = paired_counts(base[label], cand[label], f"{name}, {label}")
        if len(sets) > 1:
            sets["pooled"] = tuple(np.concatenate(parts) for parts in zip(*sets.values()))
        out[label] = {name: {metric: paired_delta(a[:, e], b[:, e], a[:, n], resamples, confidence, seed)
                             for metric, (e, n) in METRICS.items()}
                      for name, (a, b) in sets.items()}
    return out


def render(results: dict[str, dict[str, dict[str, Delta]]], confidence: float) -> str:
    ci = f"{confidence:.0%} CI"
    lines = []
    for label, sets in results.items():
        lines.append(f"\n{label}: candidate - base, percentage points [{ci}], share of resamples the candidate is better")
        width = max(len(name) for name in sets)
        for name, metrics in sets.items():
            cells = [f"{m} {d.base:6.1%} -> {d.candidate:6.1%} {100 * d.diff:+5.1f} "
                     f"[{100 * d.low:+5.1f}, {100 * d.high:+5.1f}] {d.p_better:4.0%} {d.verdict:<6}"
                     for m, d in metrics.items()]
            lines.append(f"  {name:<{width}}  " + "   ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="subtitler-train compare",
        description="Is a candidate model's WER/CER really different from a base model's? A paired "
        "bootstrap over the utterances of two 'subtitler-train eval --json' runs on the same corpora: "
        "the difference per set and pooled, its confidence interval, and 'better'/'worse' where the "
        "interval leaves zero out ('~': the test set cannot tell).")
    p.add_argument("--base", nargs="+", type=Path, required=True, help="eval --json files of the base model")
    p.add_argument("--candidate", nargs="+", type=Path, required=True,
                   help="eval --json files of the candidate, in the same order (the same corpora)")
    p.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples (default 10000)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--seed", type=int, default=0, help="resampling seed (default 0)")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    a = p.parse_args(argv)
    if not 0 < a.confidence < 1 or a.resamples < 100:
        p.error("--confidence must lie between 0 and 1 and --resamples be at least 100")
    for f in [*a.base, *a.candidate]:
        if not f.is_file():
            p.error(f"no such file: {f}")
    results = compare(a.base, a.candidate, a.resamples, a.confidence, a.seed)
    print(render(results, a.confidence))
    if a.json:
        a.json.write_text(json.dumps({label: {name: {m: {**asdict(d), "verdict": d.verdict} for m, d in metrics.items()}
                                              for name, metrics in sets.items()}
                                      for label, sets in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
