"""Test-time vocal tract length normalisation: does warping a real voice's formants help?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/vtln.py runs/realdev_ivr/manifest.jsonl \
        --alphas 0.9 1.0 1.1 [--model PATH]

Each utterance is decoded greedily (whole, as ``subtitler transcribe`` does) with its log-mel
frames warped by each factor (``subtitler.train.augment.warp_vocal_tract``: formants move up by
``alpha``, pitch and timing stay) before the model's normalisation; the last line picks, per
utterance, the factor whose non-blank frames the model is most confident about (mean best
log-probability), as a VTLN front end without a transcript would. Alpha 1.0 is the shipped
front end and reproduces ``subtitler-train eval``'s greedy numbers.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from subtitler.checkpoint import load_checkpoint  # noqa: E402
from subtitler.features import FeatureExtractor, _cmn_decay, running_mean_subtract  # noqa: E402
from subtitler.train.augment import warp_vocal_tract  # noqa: E402
from subtitler.train.data import load_wave  # noqa: E402
from subtitler.train.evaluate import error_rates, greedy_texts  # noqa: E402


def decode(bundle, extractor, decay, log_mel: torch.Tensor, alpha: float) -> tuple[str, float]:
    """(greedy text, mean best log-probability of the non-blank frames) of warped frames."""
    x = log_mel if alpha == 1.0 else warp_vocal_tract(log_mel[None], torch.tensor([alpha]),
                                                      bundle.features.f_min, bundle.features.f_max)[0]
    x = (x - extractor.mean) * extractor.inv_std
    x, _ = running_mean_subtract(x, torch.zeros(x.shape[-1]), decay)
    log_probs = bundle.model(x[None])[0][0]
    text = greedy_texts(log_probs[None], torch.tensor([log_probs.shape[0]]), bundle.vocab)[0]
    voiced = log_probs.argmax(-1) != 0
    return text, float(log_probs.max(-1).values[voiced].mean()) if voiced.any() else float("-inf")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("manifest", type=Path)
    p.add_argument("--alphas", type=float, nargs="+", default=[0.9, 0.95, 1.0, 1.05, 1.1])
    p.add_argument("--model", help="checkpoint (default: the bundled model)")
    a = p.parse_args()
    torch.set_num_threads(1)
    bundle = load_checkpoint(a.model)
    bundle.model.eval()
    extractor = FeatureExtractor(bundle.features, bundle.mean, bundle.std)
    decay = _cmn_decay(bundle.features)
    rows = [json.loads(line) for line in a.manifest.read_text().splitlines() if line.strip()]
    refs = [r["text"] for r in rows]
    texts = {alpha: [] for alpha in a.alphas}
    confidence = {alpha: [] for alpha in a.alphas}
    with torch.no_grad():
        for r in rows:
            log_mel = extractor.log_mel(load_wave(str(a.manifest.parent / r["path"])))
            for alpha in a.alphas:
                text, conf = decode(bundle, extractor, decay, log_mel, alpha)
                texts[alpha].append(text)
                confidence[alpha].append(conf)
    for alpha in a.alphas:
        cer, wer = error_rates(refs, texts[alpha])
        print(f"alpha {alpha:.2f}: WER {wer:.1%}  CER {cer:.1%}")
    pick = [max(a.alphas, key=lambda alpha: confidence[alpha][i]) for i in range(len(rows))]
    cer, wer = error_rates(refs, [texts[alpha][i] for i, alpha in enumerate(pick)])
    print(f"most confident factor per utterance: WER {wer:.1%}  CER {cer:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
