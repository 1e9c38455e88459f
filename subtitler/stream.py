"""The recogniser: one loaded model shared by many caller-owned streams.

Verbs, after sherpa-onnx: ``new_stream()``, ``accept(stream, samples)``,
``finish(stream)``. Each returns the typed events (:mod:`subtitler.results`)
that the new audio caused. Everything a stream carries between calls (unframed
samples, running means, convolution caches, GRU state, the previous CTC label,
the words of the open segment) lives in the :class:`Stream`, so results do not
depend on how the audio was cut into chunks.

Endpoints always come from the greedy best path (a run of blank frames). With a
:class:`~subtitler.lm.BeamSearch` decoder the words themselves come from the beam
search: each segment's frames are searched incrementally and the final words
are the best hypothesis at the endpoint. With an :class:`~subtitler.adapt.AdaptConfig`
each final is decoded again from the segment's frames after test-time adaptation
(:mod:`subtitler.adapt`); with ``AdaptConfig(background=True)`` (live) on a worker thread, the
closed line's first-pass words staying at the head of the partials until its Final is ready
(same Finals, same order). A :class:`~subtitler.glossary.Glossary` rewrites the words
of partials and finals.
"""
from __future__ import annotations

import math
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from .adapt import AdaptConfig, InputAdapter
from .checkpoint import Bundle, load_checkpoint
from .config import EndpointConfig
from .decoding import FrameInfo, GreedyState, greedy_decode, greedy_words
from .features import FeatureExtractor, FeatureState
from .glossary import Glossary
from .lm import BeamSearch, BeamStream, decoding
from .model import ModelState, quantize_int8
from .results import Event, Final, Partial, Segment, Silence, Word

BLOCK_MS = 40  # length of the energy gate's blocks


@dataclass
class _OpenWord:
    chars: list[str] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    probs: list[float] = field(default_factory=list)


@dataclass
class _Gate:
    """Energy gate state: samples of the unfinished block and the quiet run."""

    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    blocks: int = 0  # whole blocks seen so far
    quiet_since: int | None = None  # block index where the quiet run began
    reported: bool = False  # a Silence event was sent for this run


@dataclass
class Stream:
    """One audio stream's state. Create with :meth:`Recognizer.new_stream`."""

    features: FeatureState
    model: ModelState
    decoder: GreedyState = field(default_factory=GreedyState)
    words: list[Word] = field(default_factory=list)  # closed words of the open segment
    word: _OpenWord = field(default_factory=_OpenWord)
    blank_run: int = 0  # consecutive blank frames
    segment_start: int = 0  # frame where the open segment's first word began
    gate: _Gate = field(default_factory=_Gate)
    samples: int = 0  # samples accepted so far
    last_partial: str = ""
    finished: bool = False
    beam: BeamStream | None = None  # the segment's beam search, when the recogniser has a decoder
    feats: torch.Tensor | None = None  # normalised frames kept for the second pass (adaptation on)
    feats_start: int = 0  # feature index of feats[0] since the start of the stream
    floor: int = 0  # first feature index after the last closed segment's endpoint
    pending: deque = field(default_factory=deque)  # (Future of refined words, first-pass words), oldest first


class Recognizer:
    """Streaming speech recogniser over a loaded :class:`Bundle`."""

    def __init__(self, bundle: Bundle, endpoint: EndpointConfig = EndpointConfig(), quantize: bool = False,
                 decoder: BeamSearch | None = None, glossary: Glossary | None = None,
                 adapt: AdaptConfig | None = None):
        """``quantize``: run the GRU on int8 weights (:func:`~subtitler.model.quantize_int8`);
        ``decoder``: beam search for the words (None: greedy); ``glossary``: output rewrites;
        ``adapt``: decode each final again after test-time adaptation (None or 0 steps: off)."""
        self.bundle = bundle
        self.endpoint = endpoint
        self.decoder = decoder
        self.glossary = glossary
        self.frontend = FeatureExtractor(bundle.features, bundle.mean, bundle.std)
        self.model = quantize_int8(bundle.model) if quantize else bundle.model.eval()
        self.frame_ms = self.model.config.frame_ms
        self.sample_rate = bundle.features.sample_rate
        self.adapter = InputAdapter(bundle.model, adapt) if adapt is not None and adapt.steps > 0 else None
        self._worker: ThreadPoolExecutor | None = None  # the background second pass's thread, made on first use

    def new_stream(self) -> Stream:
        beam = self.decoder.new_stream() if self.decoder is not None else None
        feats = torch.zeros(0, self.bundle.features.n_mels) if self.adapter is not None else None
        return Stream(self.frontend.initial_state(), self.model.initial_state(1), beam=beam, feats=feats)

    def accept(self, stream: Stream, samples: np.ndarray | torch.Tensor) -> list[Event]:
        """Feed mono float samples at :attr:`sample_rate` in [-1, 1]; returns new events."""
        if stream.finished:
            raise ValueError("stream is finished; create a new one")
        samples = torch.as_tensor(np.asarray(samples, dtype=np.float32).reshape(-1))
        stream.samples += samples.numel()
        events: list[Event] = self._gate(stream, samples.numpy())
        return events + self._run(stream, samples, final=False)

    def finish(self, stream: Stream) -> list[Event]:
        """Flush the stream: the last frames are decoded and the open segment is finalised."""
        if stream.finished:
            return []
        events = self._run(stream, torch.zeros(0), final=True)
        stream.finished = True
        final = self._close_segment(stream)  # None while earlier lines are being refined: collected next
        return events + ([final] if final else []) + self._collect(stream, wait=len(stream.pending))

    def _run(self, stream: Stream, samples: torch.Tensor, final: bool) -> list[Event]:
        with torch.inference_mode():
            feats, stream.features = self.frontend(samples, stream.features)
            log_probs, stream.model = self.model(feats.unsqueeze(0), stream.model, final=final)
        if stream.feats is not None:
            stream.feats = torch.cat([stream.feats, feats])
        if stream.beam is not None:
            stream.beam.add(log_probs[0], stream.decoder.frame)
        frames, stream.decoder = greedy_decode(log_probs[0], stream.decoder)
        events: list[Event] = []
        for info in frames:
            final_event = self._step(stream, info)
            if final_event:
                events.append(final_event)
        if stream.pending:
            events += self._collect(stream, wait=len(stream.pending) - self.adapter.config.max_pending)
        partial = self._partial(stream)
        if partial:
            events.append(partial)
        self._trim(stream)
        return events

    def _collect(self, stream: Stream, wait: int = 0) -> list[Final]:
        """Finals of the background second passes that are done, oldest first (none out of order);
        waits for the oldest ``wait`` of them."""
        events = []
        while stream.pending and (wait > 0 or stream.pending[0][0].done()):
            words = stream.pending[0][0].result()
            stream.pending.popleft()
            wait -= 1
            final = self._final(words, None)
            if final:
                events.append(final)
            stream.last_partial = None  # the pending words leave the partial caption
        return events

    def _step(self, stream: Stream, info: FrameInfo) -> Final | None:
        """Advance the open segment by one decoded frame; returns a Final at an endpoint."""
        vocab = self.bundle.vocab
        stream.blank_run = stream.blank_run + 1 if info.blank else 0
        if info.token is not None:
            if info.token.id == vocab.space_id:
                self._close_word(stream)
            else:
                if not stream.words and not stream.word.chars:
                    stream.segment_start = info.frame
                    if stream.beam is not None:
                        stream.beam.open(info.frame)
                stream.word.chars.append(vocab.tokens[info.token.id])
                stream.word.frames.append(info.frame)
                stream.word.probs.append(info.token.prob)
        return self._final_if_endpoint(stream, info.frame)

    def _final_if_endpoint(self, stream: Stream, frame: int) -> Final | None:
        if not stream.words and not stream.word.chars:
            return None
        ep = self.endpoint
        pause = stream.blank_run * self.frame_ms >= ep.trailing_blank_ms
        too_long = (frame - stream.segment_start) * self.frame_ms >= ep.max_segment_ms
        if pause or (too_long and not stream.word.chars and stream.blank_run > 0):
            return self._close_segment(stream, frame)
        return None

    def _word(self, text: str, frames: list[int] | tuple[int, ...], probs: list[float] | tuple[float, ...]) -> Word:
        """A word with times from its characters' frames, shifted by the calibrated delay."""
        offset = self.bundle.time_offset_ms
        start = max(0, frames[0] * self.frame_ms + offset)
        end = max(start + 1, (frames[-1] + 1) * self.frame_ms + offset)
        return Word(text, start, end, round(sum(probs) / len(probs), 4))

    def _open_word(self, w: _OpenWord) -> Word:
        return self._word("".join(w.chars), w.frames, w.probs)

    def _finish_words(self, words: list[Word], beam: list | None) -> tuple[Word, ...]:
        """:meth:`_first_pass` words, then the glossary."""
        words = self._first_pass(words, beam)
        return self.glossary.apply(words) if self.glossary is not None else tuple(words)

    def _first_pass(self, words: list[Word], beam: list | None) -> list[Word]:
        """The beam search's words (:class:`~subtitler.lm.BeamWord`) instead of the greedy ones."""
        return [self._word(b.text, b.frames, b.probs) for b in beam] if beam is not None else words

    def _close_word(self, stream: Stream) -> None:
        if stream.word.chars:
            stream.words.append(self._open_word(stream.word))
        stream.word = _OpenWord()

    def _close_segment(self, stream: Stream, frame: int | None = None) -> Final | None:
        """End the open segment after ``frame`` (None: after every frame seen). With a background
        second pass, the Final comes later from :meth:`_collect`."""
        self._close_word(stream)
        beam = stream.beam.close(frame) if stream.beam is not None else None
        words, stream.words = stream.words, []
        refine = self._second_pass(stream, frame) if stream.feats is not None and words else None
        stream.last_partial = ""
        background = self.adapter is not None and self.adapter.config.background
        if refine is None and not stream.pending:
            return self._final(words, beam)
        if not background:
            return self._final(refine(), None)
        if refine is None:  # too long to refine, but after lines still being refined: keep the order
            first = self._first_pass(words, beam)
            refine = lambda: first  # noqa: E731
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="subtitler-adapt")
        stream.pending.append((self._worker.submit(refine), self._finish_words(words, beam)))
        return None

    def _final(self, words: list[Word], beam: list | None) -> Final | None:
        words = self._finish_words(words, beam)
        return Final(Segment(words)) if words else None

    def _second_pass(self, stream: Stream, frame: int | None):
        """A function that decodes the segment again after adaptation and returns its words
        (it holds a copy of the frames it needs); None when the segment is too long.

        The window runs from ``margin_frames`` before the segment's first character (not
        before the previous endpoint) to the last feature the first pass had used for
        ``frame`` (every feature at the end of the stream), so it does not depend on how
        the audio was cut.
        """
        sub, config = self.model.config.subsampling, self.adapter.config
        start = max(sub * (stream.segment_start - config.margin_frames), stream.floor)
        if frame is None:
            end = stream.feats_start + len(stream.feats)
        else:
            end = sub * (frame + self.model.config.lookahead) + 1
            stream.floor = sub * (frame + 1)
        if end - start > sub * config.max_frames or start < stream.feats_start:
            return None
        feats = stream.feats[start - stream.feats_start:end - stream.feats_start].clone()
        first = start // sub
        last = None if frame is None else frame + 1 - first  # later rows belong to the pause

        def refine() -> list[Word]:
            log_probs = self.adapter.refine(feats)[:last]
            if self.decoder is not None:
                return [self._word(b.text, [first + f for f in b.frames], b.probs)
                        for b in self.decoder.decode(log_probs)]
            vocab = self.bundle.vocab
            return [self._word(vocab.decode([t.id for t in w]), [t.frame for t in w], [t.prob for t in w])
                    for w in greedy_words(log_probs, GreedyState(0, first), vocab.space_id)]
        return refine

    def _trim(self, stream: Stream) -> None:
        """Drop kept frames that no second pass can need any more."""
        if stream.feats is None:
            return
        sub, config = self.model.config.subsampling, self.adapter.config
        opened = stream.words or stream.word.chars
        keep = sub * ((stream.segment_start if opened else stream.decoder.frame) - config.margin_frames)
        # a segment still open when it outgrows max_frames is never refined: keep no more than that
        # (plus the frames the model has not yet turned into output), however long it runs
        newest = stream.feats_start + len(stream.feats)
        keep = max(keep, newest - sub * (config.max_frames + self.model.config.lookahead + 4))
        drop = min(max(0, keep - stream.feats_start), len(stream.feats))
        stream.feats, stream.feats_start = stream.feats[drop:], stream.feats_start + drop

    def _partial(self, stream: Stream) -> Partial | None:
        """The open segment's words, after the first-pass words of lines still being refined."""
        words = list(stream.words)
        if stream.word.chars:
            words.append(self._open_word(stream.word))
        words = self._finish_words(words, stream.beam.partial() if stream.beam is not None else None)
        words = tuple(w for _, first in stream.pending for w in first) + words
        text = " ".join(w.text for w in words)
        if text == stream.last_partial:
            return None
        stream.last_partial = text
        return Partial(text, words) if text else None

    def _gate(self, stream: Stream, samples: np.ndarray) -> list[Event]:
        """Energy gate in fixed 40 ms blocks counted from the first sample."""
        gate, ep = stream.gate, self.endpoint
        block = self.sample_rate * BLOCK_MS // 1000
        buf = np.concatenate([gate.pending, samples])
        n = buf.size // block
        events: list[Event] = []
        threshold = 10.0 ** (ep.silence_dbfs / 20.0)
        for i in range(n):
            rms = math.sqrt(float(np.mean(np.square(buf[i * block:(i + 1) * block], dtype=np.float64))))
            index = gate.blocks + i
            if rms >= threshold:
                gate.quiet_since, gate.reported = None, False
                continue
            if gate.quiet_since is None:
                gate.quiet_since = index
            if not gate.reported and (index + 1 - gate.quiet_since) * BLOCK_MS >= ep.silence_ms:
                gate.reported = True
                events.append(Silence(gate.quiet_since * BLOCK_MS))
        gate.blocks += n
        gate.pending = buf[n * block:].copy()
        return events


def open_recognizer(model=None, *, threads: int = 1, int8: bool = False, adapt: AdaptConfig | None = None,
                    mode: str = "greedy", **choices) -> Recognizer:
    """The recogniser of checkpoint ``model`` (None: the bundled one) with a user's choices, for
    files and live alike: ``threads`` > 0 sets torch's CPU threads; ``mode``, ``words``,
    ``glossary`` and BeamConfig overrides go to :func:`subtitler.lm.decoding`."""
    if threads > 0:
        torch.set_num_threads(threads)
    bundle = load_checkpoint(model)
    return Recognizer(bundle, quantize=int8, adapt=adapt, **decoding(bundle.vocab, mode, **choices))
