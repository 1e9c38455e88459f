#!/usr/bin/env bash
# Reproduce the shipped English model from an empty machine (after scripts/setup.sh).
# Every step resumes where it stopped; run it again after an interruption.
#   scripts/train_default.sh            CPU (about 1.5 + 1.7 hours of training on 2 cores)
# Multi-GPU: prefix the fit step with  torchrun --nproc_per_node=N -m subtitler.train.cli fit ...
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY -m pip install -q -e ".[train]"
bash scripts/install_voices.sh                       # TTS engines, text sources (apt + pip)
$PY -m subtitler.train.cli text --out runs/text      # sentence pool, train/valid/test split
$PY -m subtitler.train.cli synth --out runs/corpus --hours 20 --jobs 2
$PY -m subtitler.train.cli synth --out runs/corpus --engines piper,hibari --hours 6 \
    --valid-minutes 10 --test-minutes 15 --jobs 2
$PY -m subtitler.train.cli realdev --out runs/realdev
# MBROLA voices are licensed for non-commercial use only: keep them out of shipped weights.
grep -v '"engine": "mbrola"' runs/corpus/manifest.jsonl > runs/corpus/shippable.jsonl
$PY -m subtitler.train.cli fit --train runs/corpus/shippable.jsonl --out runs/default \
    --model-hidden 512 --model-layers 3 --model-lookahead 2 \
    --steps 1650 --warmup 250 --batch-seconds 240 --eval-every 200 --workers 1
# Second cycle: warm restart from the end of the first (new optimiser, warm-up and cosine decay).
$PY -m subtitler.train.cli fit --train runs/corpus/shippable.jsonl --out runs/default2 \
    --init runs/default/final.pt --model-hidden 512 --model-layers 3 --model-lookahead 2 \
    --steps 2800 --warmup 100 --lr 8e-4 --batch-seconds 240 --eval-every 250 --workers 1
# The shipped weights are the step-2500 snapshot of this 2800-step schedule (the session's time
# ran out; the learning rate had decayed to 8 % of its peak, the floor being 5 %).
SHIP=runs/default2/snapshots/step002500.pt
$PY -m subtitler.train.cli eval --model $SHIP runs/realdev/manifest.jsonl --by engine
$PY -m subtitler.train.cli eval --model $SHIP runs/corpus/manifest.jsonl --split test --by voice
cp $SHIP models/subtitler-en.pt
$PY -m subtitler.train.cli calibrate runs/corpus/shippable.jsonl --model models/subtitler-en.pt --limit 100 --write
