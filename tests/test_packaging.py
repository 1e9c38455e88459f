"""The shipped model and assets travel inside the wheel, not only in a checkout."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_model_and_assets(tmp_path):
    pytest.importorskip("setuptools")
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    names = zipfile.ZipFile(next(tmp_path.glob("subtitler-*.whl"))).namelist()
    assert "subtitler/models/subtitler-en.pt" in names
    assert "subtitler/models/README.md" in names
    assert "subtitler/models/lm-en.bin" in names and "subtitler/models/lexicon-en.txt" in names
    assert "subtitler/data/demo.wav" in names
    assert "subtitler/data/icon.png" in names and "subtitler/data/subtitler.desktop" in names
    assert not any(n.startswith(("tests/", "runs/", "subtitler/train/runs")) for n in names)


def test_default_model_and_demo_are_found():
    from subtitler.paths import demo_audio_path, model_path

    assert model_path().is_file() and demo_audio_path().is_file()
