"""``subtitler-train``: build corpora, train, evaluate. Never imported by the app."""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from pathlib import Path

DESCRIPTION = """\
Training and evaluation tools for Subtitler models.

commands:
  text      build the normalised sentence pool (train/valid/test) and LM text
  synth     synthesise a speech corpus with every installed English TTS voice
  realdev   build the real-human-speech development manifest
  realtrain real human speech to train on (Debian game/education voice lines, Whisper-checked)
  fit       train a model (one CPU, one GPU, or torchrun for many)
  eval      WER/CER of a model, whole and streamed, greedy and/or beam+LM, with peers
  compare   is a candidate's WER/CER really different? (paired bootstrap of two evals)
  tunelm    tune the beam search's LM weight and word score on a valid split
  calibrate measure word timing against known speech edges; store the delay
  average   average the weights of checkpoints of one lineage
  pack      squeeze a corpus into a few Opus files to carry to a GPU host
  unpack    turn a pack back into WAV files and a manifest (on the GPU host)

Typical sequence (see README "Training"):
  subtitler-train text --out runs/text
  subtitler-train synth --out runs/corpus --hours 20 --jobs 2
  subtitler-train fit --train runs/corpus/manifest.jsonl --out runs/exp1
  subtitler-train eval --model runs/exp1/model.pt runs/realdev/manifest.jsonl
"""

DELEGATED = {"text": "subtitler.train.text", "synth": "subtitler.train.synth",
             "realdev": "subtitler.train.realdev", "realtrain": "subtitler.train.realtrain",
             "calibrate": "subtitler.train.calibrate", "compare": "subtitler.train.compare",
             "tunelm": "subtitler.train.tunelm", "pack": "subtitler.train.pack",
             "unpack": "subtitler.train.pack:main_unpack",
             "average": "subtitler.train.average"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        module, _, func = DELEGATED[argv[0]].partition(":")
        return getattr(importlib.import_module(module), func or "main")(argv[1:])
    parser = argparse.ArgumentParser(prog="subtitler-train", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in DELEGATED:
        sub.add_parser(name, help=f"see 'subtitler-train {name} --help'", add_help=False)
    _add_fit(sub)
    _add_eval(sub)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    return args.run(args)


def _add_fit(sub) -> None:
    from ..config import ModelConfig
    from .train import TrainConfig

    p = sub.add_parser("fit", help="train a model", description="Train a streaming GRU-CTC model. "
                       "Resumes from OUT/last.pt if present. Multi-GPU: torchrun --nproc_per_node=N "
                       "-m subtitler.train.cli fit ...")
    p.add_argument("--train", nargs="+", required=True, help="corpora: manifest .jsonl/.csv, LibriSpeech or Common Voice folders")
    p.add_argument("--valid", nargs="*", default=[], help="validation corpora (default: 'valid' split of --train)")
    p.add_argument("--out", required=True, help="run directory")
    _fields(p, TrainConfig, skip={"train", "valid", "out", "model", "features"})
    _fields(p, ModelConfig, skip={"vocab_size", "n_mels"}, prefix="model-")
    p.set_defaults(run=_run_fit)


def _fields(p, cls, skip, prefix="") -> None:
    """One option per dataclass field, typed and defaulted from the dataclass."""
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        kind = bool if f.type in (bool, "bool") else {"int": int, "float": float}.get(str(f.type), type(f.default))
        flag = f"--{prefix}{f.name.replace('_', '-')}"
        if kind is bool:
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            p.add_argument(flag, type=kind, default=f.default, help=f"(default {f.default})")


def _run_fit(args) -> int:
    from ..config import ModelConfig
    from .train import TrainConfig, Trainer

    opts = vars(args)
    model = ModelConfig(**{f.name: opts[f"model_{f.name}"] for f in dataclasses.fields(ModelConfig)
                           if f"model_{f.name}" in opts})
    train = {f.name: opts[f.name] for f in dataclasses.fields(TrainConfig)
             if f.name in opts and f.name not in ("train", "valid")}
    cfg = TrainConfig(train=tuple(args.train), valid=tuple(args.valid), model=model, **train)
    Trainer(cfg).fit()
    return 0


def _add_eval(sub) -> None:
    p = sub.add_parser("eval", help="score a model", description="WER/CER of a model on corpora, decoding each "
                       "utterance whole and with the streaming recogniser in random chunk sizes (they must "
                       "agree), broken down by engine or voice, beside peer recognisers where installed.")
    p.add_argument("corpora", nargs="+", help="manifests or corpus folders")
    p.add_argument("--model", type=Path, help="checkpoint (default: the bundled model)")
    p.add_argument("--split", default=None, help="only utterances of this split (e.g. test)")
    p.add_argument("--by", choices=["engine", "voice"], default="engine", help="breakdown field")
    p.add_argument("--limit", type=int, default=0, help="a fixed random sample of this many utterances (0 = all)")
    p.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True,
                   help="also run Whisper tiny.en and PocketSphinx where installed")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    p.add_argument("--decoder", choices=["greedy", "beam", "both"], default="greedy",
                   help="greedy best path, beam search with the word LM, or both side by side")
    p.add_argument("--lm", type=Path, help="KenLM file for --decoder beam (default: the shipped one)")
    p.add_argument("--lexicon", type=Path, help="word list for --decoder beam (default: the shipped one)")
    p.add_argument("--lm-weight", type=float, help="beam: language model weight (default: tuned)")
    p.add_argument("--word-score", type=float, help="beam: bonus per word (default: tuned)")
    p.add_argument("--blank-penalty", type=float,
                   help="beam: subtracted from the blank's log-probability (default: tuned)")
    p.add_argument("--beam", type=int, help="beam: hypotheses kept per frame (default 512)")
    p.add_argument("--beam-threshold", type=float,
                   help="beam: drop hypotheses scoring this far below the best (default 15)")
    p.add_argument("--beam-tokens", type=int,
                   help="beam: most likely characters tried per frame (default 16)")
    p.add_argument("--int8", action="store_true",
                   help="run the GRU on int8 weights, as live captions do (default: float, as files)")
    p.add_argument("--adapt", type=int, default=0, metavar="STEPS",
                   help="decode each final again after STEPS of test-time adaptation (0 = off)")
    p.add_argument("--confusions", type=int, default=0, metavar="N",
                   help="also print the N commonest character substitutions (reference -> heard)")
    p.set_defaults(run=_run_eval)


def _run_eval(args) -> int:
    from .report import run_eval

    return run_eval(args)


if __name__ == "__main__":
    sys.exit(main())
