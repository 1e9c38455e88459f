#!/usr/bin/env bash
# Set up Subtitler on a fresh Debian/Ubuntu machine and transcribe the bundled demo.
#   scripts/setup.sh            system libraries (if missing and root/sudo), .venv, package, demo
#   scripts/setup.sh --no-demo  the same without running the demo (used by CI)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
ldconfig -p 2>/dev/null | grep -q libportaudio.so.2 || need_apt+=(libportaudio2)    # live capture
ldconfig -p 2>/dev/null | grep -q libEGL.so.1 || need_apt+=(libegl1)               # Qt overlay
ldconfig -p 2>/dev/null | grep -q libxkbcommon.so.0 || need_apt+=(libxkbcommon0)   # Qt overlay
ldconfig -p 2>/dev/null | grep -q libfontconfig.so.1 || need_apt+=(libfontconfig1) # Qt overlay
ldconfig -p 2>/dev/null | grep -q libdbus-1.so.3 || need_apt+=(libdbus-1-3)        # Qt overlay
ldconfig -p 2>/dev/null | grep -q libxcb-cursor.so.0 || need_apt+=(libxcb-cursor0)  # Qt >= 6.5 on X11
ldconfig -p 2>/dev/null | grep -q libxcb-icccm.so.4 || need_apt+=(libxcb-icccm4)    # Qt on X11
ldconfig -p 2>/dev/null | grep -q libxcb-keysyms.so.1 || need_apt+=(libxcb-keysyms1) # Qt on X11
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ -z "$sudo" ] || command -v sudo >/dev/null; then
    echo "== installing system libraries: ${need_apt[*]}"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "warning: please install ${need_apt[*]} (no root/sudo); live capture or the overlay may not work" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
echo "== installing subtitler and its dependencies into .venv (torch is large; first run takes minutes)"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[gui,lm,test]"

if [ "${1:-}" != "--no-demo" ]; then
  echo "== transcribing the bundled demo: assets/demo.wav -> demo.srt"
  .venv/bin/subtitler transcribe assets/demo.wav -o demo.srt
  cat demo.srt
  echo "== done. Try: .venv/bin/subtitler transcribe YOUR_FILE.mp4   or   .venv/bin/subtitler live"
fi
