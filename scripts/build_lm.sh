#!/usr/bin/env bash
# Build the English word language model that the beam-search decoder uses:
#   models/lm-en.bin       pruned KenLM n-gram, binary trie with quantised weights
#   models/lexicon-en.txt  its vocabulary, one word per line (spelled with the model's
#                          characters when the decoder loads it)
#
#   scripts/build_lm.sh                     defaults below
#   ORDER=4 VOCAB=100000 scripts/build_lm.sh
#
# Input: runs/text/lm_text.txt, the normalised sentence pool with the valid/test
# sentences removed (built here with `python -m subtitler.train.cli text` if missing),
# so the text normalisation is exactly the acoustic model's (train/text.normalize).
# KenLM's lmplz/build_binary ship in no package: they are compiled once from the
# pinned kenlm sdist into $KENLM_DIR (outside git); their build dependencies (cmake, g++,
# libboost-{program-options,system,thread,test}-dev, libeigen3-dev, zlib/bz2/lzma dev) are
# installed with apt-get where missing (as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

ORDER=${ORDER:-3}                 # n-gram order
VOCAB=${VOCAB:-100000}            # most frequent words kept (the pool has ~74k); the rest become <unk>
PRUNE=${PRUNE:-"0 0 1"}           # lmplz --prune thresholds per order (drop singleton 3-grams; models/README.md, LM29)
QBITS=${QBITS:-8}                 # bits per quantised probability / backoff
TEXT=${TEXT:-runs/text/lm_text.txt}
KENLM_DIR=${KENLM_DIR:-runs/kenlm}
KENLM_VERSION=0.3.0
KENLM_SHA256=c4628bb9fb63c8a6f9240035b8b037385cfc404cb72e933cf48878291edac1e8
OUT_LM=${OUT_LM:-models/lm-en.bin}
OUT_WORDS=${OUT_WORDS:-models/lexicon-en.txt}
PY=.venv/bin/python
JOBS=${JOBS:-2}

build_kenlm() {
  [ -x "$KENLM_DIR/bin/lmplz" ] && [ -x "$KENLM_DIR/bin/build_binary" ] && return
  local need=() pkg
  for pkg in cmake g++ libboost-program-options-dev libboost-system-dev libboost-thread-dev \
             libboost-test-dev libeigen3-dev zlib1g-dev libbz2-dev liblzma-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "== installing KenLM's build dependencies: ${need[*]}"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  echo "== compiling KenLM $KENLM_VERSION (lmplz, build_binary) into $KENLM_DIR"
  mkdir -p "$KENLM_DIR/src"
  local tarball="$KENLM_DIR/src/kenlm-$KENLM_VERSION.tar.gz"
  if [ ! -f "$tarball" ]; then
    $PY -m pip download -q --no-deps --no-binary kenlm --no-build-isolation \
      "kenlm==$KENLM_VERSION" -d "$KENLM_DIR/src"
  fi
  echo "$KENLM_SHA256  $tarball" | sha256sum -c --quiet
  tar xzf "$tarball" -C "$KENLM_DIR/src"
  cmake -S "$KENLM_DIR/src/kenlm-$KENLM_VERSION" -B "$KENLM_DIR/build" \
    -DCMAKE_BUILD_TYPE=Release -DKENLM_MAX_ORDER=6 -DCOMPILE_TESTS=OFF >/dev/null
  cmake --build "$KENLM_DIR/build" --target lmplz build_binary -j "$JOBS" >/dev/null
  mkdir -p "$KENLM_DIR/bin"
  cp "$KENLM_DIR/build/bin/lmplz" "$KENLM_DIR/build/bin/build_binary" "$KENLM_DIR/bin/"
}

build_kenlm
if [ ! -f "$TEXT" ]; then
  echo "== building the sentence pool and LM text (runs/text)"
  $PY -m subtitler.train.cli text --out "$(dirname "$TEXT")"
fi

work="$KENLM_DIR/work"
mkdir -p "$work" "$(dirname "$OUT_LM")"
echo "== top $VOCAB words of $TEXT"
# Ties in frequency are broken alphabetically so the list is reproducible.
tr ' ' '\n' <"$TEXT" | grep -v '^$' | LC_ALL=C sort | LC_ALL=C uniq -c \
  | LC_ALL=C sort -k1,1nr -k2,2 | head -n "$VOCAB" | awk '{print $2}' >"$work/vocab.txt"

echo "== lmplz: order $ORDER, prune $PRUNE"
"$KENLM_DIR/bin/lmplz" -o "$ORDER" --prune $PRUNE --limit_vocab_file "$work/vocab.txt" \
  -S 1G -T "$work" --discount_fallback <"$TEXT" >"$work/lm.arpa" 2>"$work/lmplz.log"
echo "== build_binary: trie, $QBITS-bit quantisation"
"$KENLM_DIR/bin/build_binary" -q "$QBITS" -b "$QBITS" -a 22 trie "$work/lm.arpa" "$OUT_LM" >"$work/build_binary.log" 2>&1
LC_ALL=C sort "$work/vocab.txt" >"$OUT_WORDS"
ls -l "$OUT_LM" "$OUT_WORDS"
grep -A4 '^\\data\\' "$work/lm.arpa"
