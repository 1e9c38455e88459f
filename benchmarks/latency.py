"""Caption latency of the streaming systems on synthetic speech with known word end times.

Each utterance is padded with ``LEAD_MS`` of silence before and ``TAIL_MS`` after (room for
the endpointers), then fed in ``chunk_ms`` pieces as fast as possible while time is counted
as a live stream would see it: whatever chunk ``i`` causes is on screen at
``(audio fed up to the end of chunk i) + (processing time of chunk i)``.

References (the same for every system):

* phrase end: the acoustic end of speech, the last 10 ms frame within 40 dB of the loudest
  (as in ``subtitler.train.calibrate``); exact for synthetic speech padded with silence.
* word ends: CTC forced alignment (``torchaudio.functional.forced_align``) of the reference
  text on the float model's whole-utterance log-probabilities, plus the checkpoint's
  calibrated ``time_offset_ms``. ``anchor_ms`` checks it: the median of (aligned end of the
  last word - acoustic end of speech).

A word's partial latency is when its final text first stands at its place in the caption
(earlier Final segments + the open Partial); the final latency is when the utterance's last
Final arrives, against the acoustic phrase end.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from common import RATE, load_set, normalize, percentile, read_wav, set_threads
from systems import pcm16, recognizer

LEAD_MS = 500  # silence before each utterance
TAIL_MS = 2000  # silence after it: both endpointers close the phrase well within this
EDGE_DBFS = -40.0  # a 10 ms frame this close to the loudest one counts as speech


@dataclass
class Reference:
    samples: np.ndarray  # padded utterance
    words: list[str]  # reference words
    ends_ms: list[int]  # forced-aligned end of each word
    speech_end_ms: int  # acoustic end of speech


@dataclass
class Snapshot:
    at_ms: float  # audio fed + processing time of the chunk that caused it
    words: list[str]  # caption so far: words of earlier Finals + the open Partial
    finals: int  # how many of ``words`` are final


@dataclass
class LatencyRun:
    """One streaming system on the synthetic test utterances (p50/p90 in ms)."""

    system: str
    chunk_ms: int
    utterances: int
    words: int  # reference words recognised exactly and timed
    reference_words: int  # all words of the utterances
    partial_p50_ms: float  # every recognised word, vs its forced-aligned end
    partial_p90_ms: float
    last_partial_p50_ms: float  # last word of each utterance, vs the acoustic end of speech
    final_p50_ms: float  # last Final of each utterance, vs the acoustic end of speech
    final_p90_ms: float
    chunk_p50_ms: float  # processing time of one chunk
    anchor_ms: float  # median(aligned end of the last word - acoustic end): reference check
    reference: str = "word ends: CTC forced alignment; phrase ends: acoustic edge"


def speech_end_ms(samples: np.ndarray) -> int:
    hop = RATE // 100
    frames = samples[: samples.size // hop * hop].reshape(-1, hop).astype(np.float64)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    return int((np.flatnonzero(level > level.max() + EDGE_DBFS)[-1] + 1) * 10)


def aligned_word_ends(bundle, samples: np.ndarray, text: str) -> list[int] | None:
    """End (ms) of each word of ``text`` by CTC forced alignment; None if it cannot align."""
    import torch
    import torchaudio.functional as F

    from subtitler.features import FeatureExtractor

    front = FeatureExtractor(bundle.features, bundle.mean, bundle.std)
    feats, _ = front(torch.from_numpy(samples), front.initial_state())
    with torch.inference_mode():
        log_probs, _ = bundle.model(feats.unsqueeze(0))
    targets = bundle.vocab.encode(text)
    repeats = sum(a == b for a, b in zip(targets, targets[1:]))
    if not targets or log_probs.shape[1] < len(targets) + repeats:
        return None
    ali, scores = F.forced_align(log_probs, torch.tensor([targets], dtype=torch.int32), blank=0)
    spans = F.merge_tokens(ali[0], scores[0].exp())
    frame_ms, offset = bundle.model.config.frame_ms, bundle.time_offset_ms
    word_last = [i for i, t in enumerate(targets) if t != bundle.vocab.space_id
                 and (i + 1 == len(targets) or targets[i + 1] == bundle.vocab.space_id)]
    return [spans[i].end * frame_ms + offset for i in word_last]


def references(model: str, limit: int | None) -> list[Reference]:
    from subtitler.checkpoint import load_checkpoint

    bundle, out = load_checkpoint(model), []
    lead, tail = np.zeros(RATE * LEAD_MS // 1000, np.float32), np.zeros(RATE * TAIL_MS // 1000, np.float32)
    for u in load_set("synthetic", limit):
        samples = np.concatenate([lead, read_wav(u.path), tail])
        ends = aligned_word_ends(bundle, samples, u.text)
        if ends is not None and len(ends) == len(u.text.split()):
            out.append(Reference(samples, u.text.split(), ends, speech_end_ms(samples)))
    return out


class SubtitlerStream:
    """subtitler's Recognizer as a caption source: feed() -> (final words, partial words)."""

    def __init__(self, rec):
        self.rec = rec

    def start(self) -> None:
        self.stream, self.partial = self.rec.new_stream(), []

    def feed(self, chunk: np.ndarray | None) -> tuple[list[str], list[str]]:
        from subtitler.results import Final, Partial

        events = self.rec.finish(self.stream) if chunk is None else self.rec.accept(self.stream, chunk)
        finals = []
        for e in events:
            if isinstance(e, Final):
                finals += e.segment.text.split()
                self.partial = []
            elif isinstance(e, Partial):
                self.partial = e.text.split()
        return finals, self.partial


class SphinxStream:
    """PocketSphinx as its live example runs it: Endpointer (VAD) segments, Decoder decodes."""

    def __init__(self):
        from pocketsphinx import Decoder, Endpointer

        self.ep = Endpointer(sample_rate=RATE)
        self.decoder = Decoder(samprate=RATE, loglevel="FATAL")

    def start(self) -> None:
        self.pending, self.partial, self.open = b"", [], False

    def feed(self, chunk: np.ndarray | None) -> tuple[list[str], list[str]]:
        n, finals = self.ep.frame_bytes, []
        data = self.pending + (pcm16(chunk) if chunk is not None else b"")
        whole = len(data) // n * n
        frames, self.pending = [data[i:i + n] for i in range(0, whole, n)], data[whole:]
        for frame in frames:
            finals += self._speech(self.ep.process(frame))
        if chunk is None:
            finals += self._speech(self.ep.end_stream(self.pending))
            finals += self._close() if self.open else []
        return finals, self.partial

    def _speech(self, speech: bytes | None) -> list[str]:
        """Decode the speech the endpointer let through; returns the words of a closed phrase."""
        if speech is None:
            return []
        if not self.open:
            self.decoder.start_utt()
            self.open = True
        self.decoder.process_raw(speech)
        if not self.ep.in_speech:
            return self._close()
        hyp = self.decoder.hyp()
        self.partial = normalize(hyp.hypstr).split() if hyp else []
        return []

    def _close(self) -> list[str]:
        self.decoder.end_utt()
        hyp, self.partial, self.open = self.decoder.hyp(), [], False
        return normalize(hyp.hypstr).split() if hyp else []


def snapshots(system, samples: np.ndarray, chunk_ms: int) -> tuple[list[Snapshot], list[float]]:
    """The caption after every chunk (and after the end-of-stream flush), and each chunk's cost in ms."""
    system.start()
    step, finals, out, costs = RATE * chunk_ms // 1000, [], [], []
    for start in [*range(0, samples.size, step), None]:
        chunk = None if start is None else samples[start:start + step]
        t = time.perf_counter()
        new, partial = system.feed(chunk)
        cost = (time.perf_counter() - t) * 1000
        finals += new
        fed = samples.size if start is None else min(start + step, samples.size)
        out.append(Snapshot(fed * 1000 / RATE + cost, finals + partial, len(finals)))
        costs += [cost] if chunk is not None else []
    return out, costs


def delays(ref: Reference, snaps: list[Snapshot]) -> tuple[list[float], float | None, float | None]:
    """(partial delays of the recognised words, last word's partial delay, final delay) in ms."""
    import jiwer

    final = snaps[-1].words
    if not final:
        return [], None, None
    pairs = [(a.ref_start_idx + i, a.hyp_start_idx + i)
             for a in jiwer.process_words(" ".join(ref.words), " ".join(final)).alignments[0]
             if a.type == "equal" for i in range(a.ref_end_idx - a.ref_start_idx)]
    shown = {k: next(s.at_ms for s in snaps if len(s.words) > k and s.words[k] == final[k]) for _, k in pairs}
    partial = [shown[k] - ref.ends_ms[j] for j, k in pairs]
    last = next((shown[k] - ref.speech_end_ms for j, k in pairs if j == len(ref.words) - 1), None)
    closed = next(s.at_ms for s in snaps if s.finals == len(final))
    return partial, last, closed - ref.speech_end_ms


def build_stream(system: str, model: str, quantize: bool, decoder: str):
    return SubtitlerStream(recognizer(model, quantize, decoder)) if system == "subtitler" else SphinxStream()


def measure(label: str, system: str, model: str, chunk_ms: int = 160, limit: int | None = 100,
            quantize: bool = False, decoder: str = "greedy", threads: int = 1) -> LatencyRun:
    """Latency of ``system`` ("subtitler" or "pocketsphinx") over ``limit`` synthetic test utterances."""
    set_threads(threads)
    refs, stream = references(model, limit), build_stream(system, model, quantize, decoder)
    snapshots(stream, refs[0].samples, chunk_ms)  # warm-up
    partial, last, final, costs = [], [], [], []
    for ref in refs:
        snaps, chunk_costs = snapshots(stream, ref.samples, chunk_ms)
        p, lp, f = delays(ref, snaps)
        partial += p
        last += [lp] if lp is not None else []
        final += [f] if f is not None else []
        costs += chunk_costs
    anchor = statistics.median(r.ends_ms[-1] - r.speech_end_ms for r in refs)
    return LatencyRun(label, chunk_ms, len(refs), len(partial), sum(len(r.words) for r in refs), percentile(partial, 50), percentile(partial, 90),
                      percentile(last, 50), percentile(final, 50), percentile(final, 90),
                      percentile(costs, 50), anchor)
