"""Timing calibration: speech edges from the samples, word times from either decoder."""
from types import SimpleNamespace

import numpy as np
import pytest

from subtitler.train.calibrate import measure, speech_edges_ms

from conftest import letters_search, speechlike, tiny_bundle, write_wav


def test_speech_edges_are_the_first_and_last_loud_frames():
    rate = 16_000
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate).astype(np.float32)
    samples = np.concatenate([np.zeros(rate // 2, np.float32), tone, np.zeros(rate // 2, np.float32)])
    assert speech_edges_ms(samples) == (500, 1500)


def test_measure_times_the_beam_search_words_when_given_one(tmp_path, letters_lexicon):
    pytest.importorskip("flashlight.lib.text.decoder", reason="flashlight-text not installed")
    utts = [SimpleNamespace(path=str(write_wav(tmp_path / f"{i}.wav", speechlike(3.0, i)))) for i in range(4)]
    bundle = tiny_bundle()
    greedy = measure(bundle, utts)
    beam = measure(bundle, utts, decoder=letters_search(letters_lexicon))
    assert len(greedy) == len(beam) == 4
    assert beam != greedy  # the beam's words, not the greedy path's, are timed
