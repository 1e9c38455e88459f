#!/usr/bin/env bash
# Train on a GPU host that reaches nothing (a lease, a cluster node): it needs only this checkout,
# PyTorch + torchaudio, and a corpus pack made here with `subtitler-train pack` (Opus, ~4.5 MB/h).
#   scripts/gpu_train.sh PACK OUT MINUTES [more 'subtitler-train fit' options]
# Unpacks PACK into OUT/corpus, then warm-starts from the shipped model (or from --init CHECKPOINT
# among the options: the last --init wins) and trains for MINUTES
# (the LR cycle follows the clock, so the run ends decayed whatever the GPU's speed; 0: no time
# limit, give --steps instead, e.g. for the same run on a CPU). A float16
# reverberation bank PACK/rirs.pt, if present, replaces the synthetic fallback (pyroomacoustics
# is rarely installed there). Results: OUT/run/final.pt (last), OUT/run/model.pt (best valid CER).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
pack=$1 out=$2 minutes=$3
shift 3
cores=$(nproc)
$PY -m subtitler.train.cli unpack "$pack" --out "$out/corpus" --jobs "$cores"
mkdir -p "$out/run"
rooms=()
if [ -f "$pack/rirs.pt" ]; then
    cp "$pack/rirs.pt" "$out/run/rirs.pt"
    rooms=(--rir-rooms "$($PY -c "import torch, sys; print(torch.load(sys.argv[1]).shape[0])" "$pack/rirs.pt")")
fi
$PY -m subtitler.train.cli fit --train "$out/corpus" --out "$out/run" \
    --init models/subtitler-en.pt --minutes "$minutes" --workers $((cores > 2 ? cores - 2 : 1)) \
    "${rooms[@]}" "$@"
