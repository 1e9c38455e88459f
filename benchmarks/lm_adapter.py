"""subtitler with beam search + language model, when ``subtitler.lm`` and its files are usable.

The beam search is optional (flashlight-text, a KenLM binary and a lexicon); ``beam_status``
says why it cannot run, and the comparison then skips that row with the reason.
"""
from __future__ import annotations

import inspect


def beam_status() -> str | None:
    """None when a beam-search Recognizer can be built here, else the reason it cannot."""
    try:
        from subtitler import lm
        from subtitler.stream import Recognizer
    except ImportError as exc:
        return f"subtitler.lm does not import ({exc})"
    if not lm.beam_available():
        return "flashlight-text, the LM or the lexicon is missing (subtitler.lm.beam_available() is False)"
    if "decoder" not in inspect.signature(Recognizer).parameters:
        return "the Recognizer takes no beam-search decoder yet"
    return None


def beam_recognizer(bundle, quantize: bool = False):
    from subtitler.lm import BeamSearch
    from subtitler.stream import Recognizer

    return Recognizer(bundle, quantize=quantize, decoder=BeamSearch(bundle.vocab))
