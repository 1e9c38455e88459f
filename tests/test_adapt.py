"""The second pass (test-time adaptation of each final): exact windows, streaming-exact, bounded."""
import random

import numpy as np
import torch

from subtitler.adapt import AdaptConfig, InputAdapter
from subtitler.config import EndpointConfig
from subtitler.features import FeatureExtractor
from subtitler.results import Final
from subtitler.stream import Recognizer

from conftest import speechlike, tiny_bundle
from test_stream import finals, run


def with_adapter(bundle, config):
    """A recogniser whose second pass runs even with 0 steps (the public API turns 0 off)."""
    rec = Recognizer(bundle)
    rec.adapter = InputAdapter(bundle.model, config)
    return rec


def timed_words(segments):
    return [[(w.text, w.start_ms, w.end_ms) for w in s.words] for s in segments]


def entropy(log_probs):
    return float(-(log_probs.exp() * log_probs).sum(-1).mean())


def test_zero_steps_reproduce_the_first_segment_exactly(bundle):
    # the first segment's window starts at the stream's first frame, like the first pass, so a
    # second pass that adapts nothing must give the same words and times
    samples = speechlike(8.0, 1)
    plain = finals(run(Recognizer(bundle), samples))
    again = finals(run(with_adapter(bundle, AdaptConfig(steps=0)), samples))
    assert plain and again
    assert again[0].words == plain[0].words


def test_adaptation_lowers_the_entropy_it_minimises(bundle):
    fe = FeatureExtractor(bundle.features, bundle.mean, bundle.std)
    feats, _ = fe(torch.from_numpy(speechlike(3.0, 2)), fe.initial_state())
    before = InputAdapter(bundle.model, AdaptConfig(steps=0)).refine(feats)
    after = InputAdapter(bundle.model, AdaptConfig(steps=10, lr=0.05)).refine(feats)
    with torch.no_grad():
        plain, _ = bundle.model(feats.unsqueeze(0))
    assert torch.allclose(before, plain[0], atol=1e-5)
    assert before.shape == after.shape
    assert entropy(after) < entropy(before) - 0.01


def test_streamed_equals_whole_with_adaptation(bundle):
    rec = Recognizer(bundle, EndpointConfig(trailing_blank_ms=200), adapt=AdaptConfig(steps=3))
    segments = 0
    for seed in range(3):
        samples = speechlike(10.0, seed)
        whole = finals(run(rec, samples))
        streamed = finals(run(rec, samples, random.Random(seed)))
        assert whole
        assert timed_words(streamed) == timed_words(whole)
        # features differ in their last bits between chunkings and the steps amplify that a little
        assert all(abs(a.confidence - b.confidence) <= 1e-3
                   for x, y in zip(streamed, whole) for a, b in zip(x.words, y.words))
        segments = max(segments, len(whole))
    assert segments >= 2, "some case should close a segment before the end (the window after an endpoint)"


def test_adaptation_changes_some_final(bundle):
    samples = np.concatenate([speechlike(10.0, s) for s in range(3)])
    plain = [s.text for s in finals(run(Recognizer(bundle), samples))]
    adapted = [s.text for s in finals(run(Recognizer(bundle, adapt=AdaptConfig(steps=10, lr=0.1)), samples))]
    assert plain != adapted


def test_segment_longer_than_the_limit_keeps_the_first_pass(bundle):
    samples = speechlike(8.0, 1)
    plain = finals(run(Recognizer(bundle), samples))
    capped = finals(run(Recognizer(bundle, adapt=AdaptConfig(steps=10, lr=0.1, max_frames=1)), samples))
    assert [s.words for s in capped] == [s.words for s in plain]


def test_zero_steps_turn_the_pass_off(bundle):
    assert Recognizer(bundle, adapt=AdaptConfig(steps=0)).adapter is None
    assert Recognizer(bundle).new_stream().feats is None


def test_kept_frames_stay_bounded():
    # constant input makes the random model repeat one label: a segment that never closes
    bundle = tiny_bundle()
    rec = Recognizer(bundle, adapt=AdaptConfig(steps=1, max_frames=50))
    stream, chunk = rec.new_stream(), np.zeros(2560, np.float32)  # 160 ms
    sizes = []
    for _ in range(100):  # 16 s = 400 model frames
        rec.accept(stream, chunk)
        sizes.append(len(stream.feats))
    assert max(sizes) <= 4 * (50 + 2 + 4) + 16 and stream.feats_start > 0


def test_int8_recogniser_adapts_a_float_copy(bundle):
    rec = Recognizer(bundle, quantize=True, adapt=AdaptConfig(steps=2))
    assert all(p.dtype == torch.float32 and not p.requires_grad for p in rec.adapter.model.parameters())
    samples = speechlike(6.0, 3)
    assert timed_words(finals(run(rec, samples))) == timed_words(finals(run(rec, samples, random.Random(3))))


class GatedAdapter(InputAdapter):
    """An adapter whose passes wait for the test to open a gate: 'still refining' on demand."""

    def __init__(self, model, config):
        super().__init__(model, config)
        import threading

        self.gate, self.calls = threading.Event(), 0

    def refine(self, feats):
        self.calls += 1
        # the test opens the gate once it has fed all its audio, which on a loaded machine can take
        # far longer than usual: the timeout only keeps a broken test from hanging for ever
        assert self.gate.wait(600), "the test never opened the gate"
        return super().refine(feats)


def test_background_second_pass_gives_the_same_finals(bundle):
    """On a worker thread the Finals are the same, in the same order, whatever the chunking."""
    config = AdaptConfig(steps=3)
    sync = Recognizer(bundle, EndpointConfig(trailing_blank_ms=200), adapt=config)
    background = Recognizer(bundle, EndpointConfig(trailing_blank_ms=200), adapt=AdaptConfig(steps=3, background=True))
    samples = np.concatenate([speechlike(6.0, s) for s in range(3)])
    expected = timed_words(finals(run(sync, samples)))
    assert len(expected) >= 3
    for seed in range(2):
        assert timed_words(finals(run(background, samples, random.Random(seed)))) == expected


def test_a_line_being_refined_stays_in_the_partial_until_its_final(bundle):
    from subtitler.results import Partial

    config = AdaptConfig(steps=2, background=True, max_pending=10)
    rec = Recognizer(bundle, EndpointConfig(trailing_blank_ms=200), adapt=config)
    rec.adapter = GatedAdapter(bundle.model, config)
    stream, events = rec.new_stream(), []
    samples = np.concatenate([speechlike(6.0, s) for s in range(3)])
    for i in range(0, samples.size, 2560):  # 160 ms chunks
        events += rec.accept(stream, samples[i:i + 2560])
    waiting = len(stream.pending)
    assert waiting >= 2 and not finals(events), "every closed line is still being refined"
    firsts = [w.text for _, first in stream.pending for w in first]
    last = [e for e in events if isinstance(e, Partial)][-1]
    assert last.text.split()[:len(firsts)] == firsts  # shown, tentatively, before the open words
    rec.adapter.gate.set()
    done = events + rec.finish(stream)
    assert len(finals(done)) >= waiting and not stream.pending


class HoldingAdapter(InputAdapter):
    """Holds every pass until the recogniser has more lines pending than it allows (or the stream
    ends): the recogniser must then wait for the oldest, or the test would hang."""

    def __init__(self, model, config):
        super().__init__(model, config)
        self.stream, self.calls = None, 0

    def refine(self, feats):
        import threading

        self.calls += 1
        for _ in range(3000):
            if len(self.stream.pending) > self.config.max_pending or self.stream.finished:
                return super().refine(feats)
            threading.Event().wait(0.01)
        raise AssertionError("the recogniser never waited for the oldest pending line")


def test_background_passes_wait_when_too_many_lines_are_pending(bundle):
    config = AdaptConfig(steps=1, background=True, max_pending=1)
    rec = Recognizer(bundle, EndpointConfig(trailing_blank_ms=200), adapt=config)
    rec.adapter = HoldingAdapter(bundle.model, config)
    stream, most = rec.new_stream(), 0
    rec.adapter.stream = stream
    samples = np.concatenate([speechlike(6.0, s) for s in range(3)])
    for i in range(0, samples.size, 2560):
        rec.accept(stream, samples[i:i + 2560])
        most = max(most, len(stream.pending))
    rec.finish(stream)
    assert rec.adapter.calls >= 3 and most == 1 and not stream.pending


def test_a_line_too_long_to_refine_waits_its_turn(bundle):
    """A line over max_frames keeps its first pass, but its Final must not overtake earlier lines
    that are still being refined."""
    endpoint = EndpointConfig(trailing_blank_ms=200)
    samples = np.concatenate([speechlike(6.0, s) for s in (1, 2, 0)])
    plain = finals(run(Recognizer(bundle, endpoint), samples))
    cap = 75  # model frames (3 s): the first line is refined, a later one is not
    lengths = [s.end_ms - s.start_ms for s in plain]
    assert lengths[0] < 1000 and max(lengths[1:]) > 2 * cap * 40
    sync = Recognizer(bundle, endpoint, adapt=AdaptConfig(steps=3, max_frames=cap))
    config = AdaptConfig(steps=3, max_frames=cap, background=True, max_pending=10)
    background = Recognizer(bundle, endpoint, adapt=config)
    background.adapter = GatedAdapter(bundle.model, config)
    stream, events = background.new_stream(), []
    for i in range(0, samples.size, 2560):
        events += background.accept(stream, samples[i:i + 2560])
    assert not finals(events), "nothing may overtake the lines held at the gate"
    background.adapter.gate.set()
    events += background.finish(stream)
    assert timed_words(finals(events)) == timed_words(finals(run(sync, samples)))
