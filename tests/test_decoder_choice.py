"""Choosing the decoder: greedy without flashlight-text, a clear install hint where beam is required."""
import pytest

from subtitler import lm
from subtitler.errors import SubtitlerError
from subtitler.vocab import Vocab


@pytest.fixture
def no_flashlight(monkeypatch):
    def missing():
        raise SubtitlerError(f"{lm.INSTALL_HINT} (No module named 'flashlight')")
    monkeypatch.setattr(lm, "_flashlight", missing)


def test_auto_falls_back_to_greedy(no_flashlight):
    assert not lm.beam_available()
    assert lm.choose_decoder(Vocab(), "auto") is None


def test_beam_without_flashlight_names_the_extra(no_flashlight):
    with pytest.raises(SubtitlerError, match=r"subtitler\[lm\]"):
        lm.choose_decoder(Vocab(), "beam")


def test_custom_words_need_the_beam(no_flashlight):
    config = lm.BeamConfig(hotwords=("Subtitler",))
    for mode in ("auto", "greedy"):
        with pytest.raises(SubtitlerError, match="custom words need the beam decoder"):
            lm.choose_decoder(Vocab(), mode, config)


def test_greedy_needs_nothing():
    assert lm.choose_decoder(Vocab(), "greedy") is None


def test_spoken_words_keep_only_the_alphabet():
    assert lm.spoken_words("Sub-Titler's GPU4 'quoted'", Vocab()) == ["sub", "titler's", "gpu", "quoted"]
