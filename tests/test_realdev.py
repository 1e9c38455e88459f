"""The real-speech dev set's phone-line variant: band-limited to 300-3400 Hz, back at 16 kHz."""
import shutil

import numpy as np
import pytest

from subtitler.train.data import load_wave
from subtitler.train.realdev import convert

from conftest import write_wav


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (scripts/setup.sh)")
def test_telephone_conversion_keeps_the_voice_band_and_drops_the_rest(tmp_path):
    t = np.arange(16_000) / 16_000
    src = write_wav(tmp_path / "in.wav", 0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 6000 * t))
    convert(src, tmp_path / "wide.wav")
    convert(src, tmp_path / "phone.wav", telephone=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav", "phone.wav", "wide.wav"]  # no leftovers

    def level(path, hz):
        x = load_wave(str(path)).numpy()
        spectrum = np.abs(np.fft.rfft(x[2000:-2000]))
        return spectrum[int(hz * len(x[2000:-2000]) / 16_000)]

    assert len(load_wave(str(tmp_path / "phone.wav"))) == len(load_wave(str(tmp_path / "wide.wav")))
    assert level(tmp_path / "wide.wav", 6000) > 0.5 * level(tmp_path / "wide.wav", 1000)
    assert level(tmp_path / "phone.wav", 6000) < 0.01 * level(tmp_path / "phone.wav", 1000)
    assert level(tmp_path / "phone.wav", 1000) > 0.5 * level(tmp_path / "wide.wav", 1000)
