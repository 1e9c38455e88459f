"""Timing calibration: speech edges from the samples, word times from either decoder."""
from types import SimpleNamespace

import numpy as np
import pytest

from subtitler.train.calibrate import measure, speech_edges_ms

from conftest import speechlike, tiny_bundle, write_wav


def test_speech_edges_are_the_first_and_last_loud_frames():
    rate = 16_000
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate).astype(np.float32)
    samples = np.concatenate([np.zeros(rate // 2, np.float32), tone, np.zeros(rate // 2, np.float32)])
    assert speech_edges_ms(samples) == (500, 1500)


def test_measure_times_the_beam_search_words_when_given_one(tmp_path):
    pytest.importorskip("flashlight.lib.text.decoder", reason="flashlight-text not installed")
    from subtitler.lm import BeamConfig, BeamSearch

    lexicon = tmp_path / "lexicon.txt"
    letters = "abcdefghijklmnopqrstuvwxyz"
    lexicon.write_text("\n".join([*letters, *(a + b for a in letters for b in letters)]) + "\n")
    utts = [SimpleNamespace(path=str(write_wav(tmp_path / f"{i}.wav", speechlike(3.0, i)))) for i in range(4)]
    bundle = tiny_bundle()
    greedy = measure(bundle, utts)
    search = BeamSearch(bundle.vocab, BeamConfig(lm=None, lexicon=lexicon, beam_size=8, lm_weight=0.0))
    beam = measure(bundle, utts, decoder=search)
    assert len(greedy) == len(beam) == 4
    assert beam != greedy  # the beam's words, not the greedy path's, are timed
