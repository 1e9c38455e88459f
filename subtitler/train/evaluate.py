"""Scoring: greedy texts of a batch, WER/CER, and whole-vs-streaming evaluation of a model.

"Whole" is the streaming recogniser (greedy, or with a :class:`subtitler.lm.BeamSearch`) fed
the utterance in one piece, as ``subtitler transcribe`` decodes a file, and "streamed" the same
recogniser fed random chunk sizes. The recogniser ends a word at a pause (a blank run of
``EndpointConfig.trailing_blank_ms``) even where the model emitted no space, where the raw
best path of the whole utterance (:func:`greedy_texts`) would join the two words.
"""
from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import torch

from ..vocab import Vocab


def greedy_texts(log_probs: torch.Tensor, lens: torch.Tensor, vocab: Vocab) -> list[str]:
    """Best-path texts of a batch of log-probabilities (B, T, V) with valid lengths (B,)."""
    texts = []
    for row, n in zip(log_probs.argmax(-1), lens.tolist()):
        ids = torch.unique_consecutive(row[:n]).tolist()
        texts.append(" ".join(vocab.decode([i for i in ids if i != 0]).split()))
    return texts


def edit_counts(refs: list[str], hyps: list[str]) -> list[tuple[int, int, int, int]]:
    """Per utterance (word edits, reference words, character edits, reference characters).

    Levenshtein distances over words and over characters (spaces included), as jiwer counts
    them; an empty hypothesis is every reference word and character deleted. Utterances with an
    empty reference are left out of every rate (see :func:`error_rates`) but keep their place here.
    """
    from rapidfuzz.distance import Levenshtein

    counts = []
    for ref, hyp in zip(refs, hyps):
        ref_words, hyp_words = ref.split(), hyp.split()
        ref_text = " ".join(ref_words)
        counts.append((Levenshtein.distance(ref_words, hyp_words), len(ref_words),
                       Levenshtein.distance(ref_text, " ".join(hyp_words)), len(ref_text)))
    return counts


def error_rates(refs: list[str], hyps: list[str]) -> tuple[float, float]:
    """(CER, WER) over a corpus: edits over all reference characters / words (:func:`edit_counts`)."""
    counts = [c for c in edit_counts(refs, hyps) if c[1]]
    if not counts:
        return 0.0, 0.0
    word_edits, words, char_edits, chars = (sum(column) for column in zip(*counts))
    return char_edits / chars, word_edits / words


def char_confusions(refs: list[str], hyps: list[str]) -> tuple[Counter, Counter]:
    """(substitutions, reference characters): how often each reference character was heard
    as each other character ``(ref, hyp)`` in the character alignment of the corpus, and how
    often each reference character occurs (the denominator of a confusion's share)."""
    import jiwer

    pairs = [(r, h or " ") for r, h in zip(refs, hyps) if r.strip()]
    subs, totals = Counter(), Counter("".join(r for r, _ in pairs))
    if not pairs:
        return subs, totals
    out = jiwer.process_characters([r for r, _ in pairs], [h for _, h in pairs])
    for ref, hyp, chunks in zip(out.references, out.hypotheses, out.alignments):
        for c in chunks:
            if c.type == "substitute":
                subs.update(zip(ref[c.ref_start_idx:c.ref_end_idx], hyp[c.hyp_start_idx:c.hyp_end_idx]))
    return subs, totals


@dataclass(frozen=True)
class Scored:
    """One utterance's reference and hypotheses."""

    key: str  # engine/voice label used for the breakdown
    ref: str
    whole: str  # whole-utterance decode
    streamed: str  # streaming recogniser fed random chunk sizes
    whole_s: float = 0.0  # seconds spent on the whole decode (model + decoder)
    streamed_s: float = 0.0  # seconds spent on the streamed decode
    path: str = ""  # the audio file, to find an utterance whose two decodes differ


def random_chunks(samples, rng: random.Random, max_ms: int = 500, rate: int = 16_000):
    """Cut ``samples`` into random pieces, including empty and one-sample ones."""
    i = 0
    while i < len(samples):
        n = rng.choice([0, 1, rng.randint(2, rate * max_ms // 1000)])
        yield samples[i:i + n]
        i += n


def breakdown(rows: list[Scored]) -> dict[str, tuple[float, float, int]]:
    """(CER, WER, utterances) per key and for 'all'."""
    groups = defaultdict(list)
    for row in rows:
        groups[row.key].append(row)
        groups["all"].append(row)
    return {k: (*error_rates([r.ref for r in g], [r.whole for r in g]), len(g)) for k, g in sorted(groups.items())}


def streamed_text(recognizer, samples, rng: random.Random | None) -> str:
    """Text of the streaming recogniser's final segments, fed random chunk sizes (None: one chunk)."""
    from ..results import Final

    stream = recognizer.new_stream()
    finals = []
    for chunk in random_chunks(samples.numpy(), rng) if rng is not None else [samples.numpy()]:
        finals += [e.segment.text for e in recognizer.accept(stream, chunk) if isinstance(e, Final)]
    finals += [e.segment.text for e in recognizer.finish(stream) if isinstance(e, Final)]
    return " ".join(" ".join(finals).split())


def evaluate_model(bundle, utts, by: str = "engine", seed: int = 0, progress: bool = True,
                   decoder=None, adapt=None) -> list[Scored]:
    """Decode every utterance whole and streamed; ``by`` picks the breakdown field (engine/voice).

    ``decoder``: a :class:`subtitler.lm.BeamSearch` for the words (None: greedy);
    ``adapt``: a :class:`subtitler.adapt.AdaptConfig` for the second pass (None: off).
    """
    from tqdm import tqdm

    from ..stream import Recognizer
    from .data import load_wave

    recognizer, rng, rows = Recognizer(bundle, decoder=decoder, adapt=adapt), random.Random(seed), []
    for u in tqdm(utts, desc="evaluating", unit="utt", disable=not progress):
        samples = load_wave(u.path, bundle.features.sample_rate)
        start = time.perf_counter()
        whole = streamed_text(recognizer, samples, None)
        middle = time.perf_counter()
        streamed = streamed_text(recognizer, samples, rng)
        rows.append(Scored(getattr(u, by) or "?", u.text, whole, streamed,
                           middle - start, time.perf_counter() - middle, str(u.path)))
    return rows
