import random

import numpy as np
import pytest
import torch

from subtitler.config import EndpointConfig
from subtitler.results import Final, Partial, Silence
from subtitler.stream import Recognizer

from conftest import MatrixModel, speechlike, tiny_bundle


def run(recognizer, samples, rng=None):
    stream, events, i = recognizer.new_stream(), [], 0
    if rng is None:
        events += recognizer.accept(stream, samples)
    else:
        while i < samples.size:
            n = rng.choice([0, 1, 7, 640, rng.randint(1, 8000)])
            events += recognizer.accept(stream, samples[i:i + n])
            i += n
    return events + recognizer.finish(stream)


def finals(events):
    return [e.segment for e in events if isinstance(e, Final)]


@pytest.mark.parametrize("seed", range(4))
def test_streamed_equals_whole(bundle, seed):
    rec = Recognizer(bundle)
    samples = speechlike(8.0, seed)
    whole = finals(run(rec, samples))
    streamed = finals(run(rec, samples, random.Random(seed)))
    assert whole, "the test model should produce some words"
    assert [s.words for s in streamed] == [s.words for s in whole]


def test_words_have_ordered_integer_times(bundle):
    words = [w for s in finals(run(Recognizer(bundle), speechlike(6.0))) for w in s.words]
    assert words
    for a, b in zip(words, words[1:]):
        assert a.start_ms < a.end_ms <= b.start_ms
    assert all(isinstance(w.start_ms, int) and 0 <= w.confidence <= 1 for w in words)


def scripted_recognizer(text_frames, **endpoint):
    bundle = tiny_bundle()
    bundle.model = MatrixModel.from_labels(text_frames)
    return Recognizer(bundle, EndpointConfig(**endpoint)), bundle.vocab


def labels(vocab, pattern):
    """'h.i. ...' -> one label per char; '.' is a blank frame, '_' a space."""
    return [0 if c == "." else vocab.space_id if c == "_" else vocab.tokens.index(c) for c in pattern]


def test_blank_run_ends_a_segment():
    rec, vocab = scripted_recognizer([], trailing_blank_ms=200)
    rec.model.script(labels(vocab, "hi_there" + "." * 6 + "you" + "." * 3))
    events = run(rec, np.zeros(16000 * 2, np.float32) + 0.1)
    assert [s.text for s in finals(events)] == ["hi there", "you"]
    first = finals(events)[0]
    assert first.words[0].start_ms == 0 and first.words[1].end_ms == 8 * 40


def test_a_pause_ends_a_word_the_model_left_open():
    rec, vocab = scripted_recognizer([], trailing_blank_ms=200)
    rec.model.script(labels(vocab, "mor" + "." * 6 + "dol" + "." * 3))
    assert [s.text for s in finals(run(rec, np.full(16000 * 2, 0.1, np.float32)))] == ["mor", "dol"]


def test_no_endpoint_inside_short_pause():
    rec, vocab = scripted_recognizer([], trailing_blank_ms=400)
    rec.model.script(labels(vocab, "a" + "." * 5 + "_b" + "." * 20))
    assert [s.text for s in finals(run(rec, np.full(16000, 0.1, np.float32)))] == ["a b"]


def test_long_segment_is_cut_at_a_word_gap():
    rec, vocab = scripted_recognizer([], trailing_blank_ms=10_000, max_segment_ms=200)
    rec.model.script(labels(vocab, "abcdef_.ghij_.klm"))
    texts = [s.text for s in finals(run(rec, np.full(16000, 0.1, np.float32)))]
    assert texts == ["abcdef", "ghij", "klm"]


def test_partials_grow_then_final(bundle):
    rec, vocab = scripted_recognizer([], trailing_blank_ms=200)
    rec.model.script(labels(vocab, "ok_go" + "." * 8))
    stream, events = rec.new_stream(), []
    samples = np.full(16000, 0.1, np.float32)
    for i in range(0, samples.size, 640):
        events += rec.accept(stream, samples[i:i + 640])
    kinds = [type(e).__name__ for e in events if not isinstance(e, Silence)]
    texts = [e.text for e in events if isinstance(e, Partial)]
    assert texts == ["o", "ok", "ok g", "ok go"] and kinds[-1] == "Final"


def test_silence_event_once_per_quiet_run(bundle):
    rec = Recognizer(bundle, EndpointConfig(silence_ms=400))
    loud = np.full(640 * 12, 0.1, np.float32)  # 12 blocks of 40 ms
    quiet = np.zeros(640 * 25, np.float32)
    audio = np.concatenate([loud, quiet, loud, quiet[:640 * 9], quiet])
    for rng in (None, random.Random(1)):
        silences = [e for e in run(rec, audio, rng) if isinstance(e, Silence)]
        assert [s.start_ms for s in silences] == [480, 1960]


def test_finished_stream_rejects_audio(bundle):
    rec = Recognizer(bundle)
    stream = rec.new_stream()
    rec.finish(stream)
    assert rec.finish(stream) == []
    with pytest.raises(ValueError):
        rec.accept(stream, np.zeros(10, np.float32))
