#!/usr/bin/env bash
# Run the whole test suite (fast, deterministic, no audio hardware or display needed).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
