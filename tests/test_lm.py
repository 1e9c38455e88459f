"""Beam search with a word LM: known best paths, chunked == whole, hotwords, recogniser integration.

Language models are tiny ARPA files written here (KenLM reads ARPA directly), so
no lmplz is needed. Skipped without flashlight-text (the ``lm`` extra).
"""
import random
import re

import numpy as np
import pytest
import torch

pytest.importorskip("flashlight.lib.text.decoder", reason="flashlight-text not installed: pip install 'subtitler[lm]'")

from subtitler.config import EndpointConfig  # noqa: E402
from subtitler.glossary import Glossary  # noqa: E402
from subtitler.lm import BeamConfig, BeamSearch, beam_available, decoding  # noqa: E402
from subtitler.results import Final, Partial  # noqa: E402
from subtitler.stream import Recognizer  # noqa: E402
from subtitler.vocab import Vocab  # noqa: E402

from conftest import MatrixModel, letters_search, speechlike, tiny_bundle  # noqa: E402

VOCAB = Vocab()
UNIGRAMS = {"the": -0.5, "cat": -1.0, "bat": -3.0, "sat": -1.5, "on": -1.0, "mat": -2.0}


def write_arpa(path, unigrams: dict[str, float], bigrams: dict[str, float] = {"<s> the": -0.1}):
    """A back-off ARPA file: log10 probabilities, zero back-off weights."""
    lines = ["\\data\\", f"ngram 1={len(unigrams) + 3}", f"ngram 2={len(bigrams)}", "", "\\1-grams:",
             "-4.0\t<unk>\t0", "0\t<s>\t0", "-1.0\t</s>\t0"]
    lines += [f"{p}\t{w}\t0" for w, p in unigrams.items()]
    lines += ["", "\\2-grams:"] + [f"{p}\t{ws}" for ws, p in bigrams.items()] + ["", "\\end\\", ""]
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("lm")
    lexicon = root / "lexicon.txt"
    lexicon.write_text("\n".join(UNIGRAMS) + "\n")
    return write_arpa(root / "lm.arpa", UNIGRAMS), lexicon


def search(files, **options) -> BeamSearch:
    lm, lexicon = files
    return BeamSearch(VOCAB, BeamConfig(lm=lm, lexicon=lexicon, **{"word_score": 0.0, "blank_penalty": 0.0, **options}))


def posteriors(spec: str, noise_seed: int | None = None) -> torch.Tensor:
    """Log-probabilities (T, vocab), one frame per item of ``spec`` split on spaces.

    An item is ``.`` (blank), ``_`` (space), a letter, or ``b55c44`` (b 0.55, c 0.44);
    the rest of each frame's mass goes to the blank. ``noise_seed`` adds a little
    noise so that no two paths score exactly the same (flashlight breaks ties arbitrarily).
    """
    rows = torch.full((len(spec.split()), len(VOCAB)), 1e-4)
    if noise_seed is not None:
        rows += torch.rand(rows.shape, generator=torch.Generator().manual_seed(noise_seed)) * 1e-2
    for t, item in enumerate(spec.split()):
        if item == "_":
            rows[t, VOCAB.space_id] = 0.9
        elif item != ".":
            for char, digits in re.findall(r"([a-z'])(\d\d)?", item):
                rows[t, VOCAB.tokens.index(char)] = int(digits) / 100 if digits else 0.9
        rows[t, 0] += max(0.0, 1 - float(rows[t].sum()))
    return (rows / rows.sum(1, keepdim=True)).log()


THE_BAT = posteriors("t h e _ . b55c44 a . t .")  # the acoustics say "bat", barely


def texts(words):
    return " ".join(w.text for w in words)


def test_acoustics_alone_follow_the_best_path(files):
    words = search(files, lm_weight=0.0).decode(THE_BAT)
    assert texts(words) == "the bat"
    assert [w.frames for w in words] == [(0, 1, 2), (5, 6, 8)]
    assert words[1].probs == pytest.approx((0.55, 0.9, 0.9), abs=1e-3)


def test_language_model_overrules_a_close_call(files):
    words = search(files, lm_weight=1.0).decode(THE_BAT)
    assert texts(words) == "the cat"
    assert words[1].probs == pytest.approx((0.44, 0.9, 0.9), abs=1e-3)


def test_lexicon_forbids_unknown_words(files):
    assert texts(search(files, lm_weight=1.0).decode(posteriors("t h e _ z a t ."))) == "the"


FAINT_CAT = posteriors("t h e _ c40 a40 t40 .")  # "cat" under a blank of 0.6 on each frame


def test_the_tuned_search_unless_settings_are_given(files):
    lm, lexicon = files
    beam = {"lm": lm, "lexicon": lexicon}

    def search(**given):
        config = decoding(VOCAB, "beam", **beam, **given)["decoder"].config
        return config.beam_size, config.beam_size_token, config.beam_threshold

    assert search() == (512, 16, 15.0)  # models/README.md: F28, L29
    assert search(beam_size=64, beam_threshold=None) == (64, 16, 15.0)  # what is given wins, None keeps the tuned
    assert decoding(VOCAB, "greedy", beam_size=64)["decoder"] is None


def test_eval_decodes_as_files_do(files):
    from argparse import Namespace

    from subtitler.train.report import _decoder

    lm, lexicon = files
    args = Namespace(lm_weight=None, word_score=None, beam=None, beam_threshold=None, beam_tokens=None,
                     blank_penalty=None, lm=lm, lexicon=lexicon)
    assert _decoder("beam", args, VOCAB).config.beam_size == BeamConfig().beam_size
    assert _decoder("greedy", args, VOCAB) is None


def test_blank_penalty_lets_faint_characters_through(files):
    assert texts(search(files, lm_weight=0.0).decode(FAINT_CAT)) == "the"
    words = search(files, lm_weight=0.0, blank_penalty=1.5).decode(FAINT_CAT)
    assert texts(words) == "the cat"
    assert words[1].probs == pytest.approx((0.4, 0.4, 0.4), abs=1e-3)  # characters' posteriors untouched


def test_beam_config_overrides_the_tuned_search():
    from subtitler.lm import beam_config

    assert beam_config() == beam_config(lm_weight=None) == BeamConfig()
    assert beam_config(beam_size=64, lm=None) == BeamConfig(beam_size=64)  # None: kept


def test_tunelm_sweeps_the_blank_penalty(files, capsys):
    from types import SimpleNamespace

    from subtitler.train.tunelm import sweep

    lm, lexicon = files
    base = BeamConfig(lm=lm, lexicon=lexicon, word_score=0.0)
    rows = sweep(SimpleNamespace(vocab=VOCAB), ["the cat"], [FAINT_CAT], base, [0.0], [0.0], [0.0, 1.5])
    assert [(r[2], r[3]) for r in rows] == [(0.0, 0.5), (1.5, 0.0)]  # (penalty, WER): "the", then "the cat"
    assert "blank_penalty  1.50" in capsys.readouterr().out


@pytest.mark.parametrize("seed", range(3))
def test_blank_penalty_chunked_equals_whole(files, seed):
    frames, rng = torch.cat([FAINT_CAT, THE_BAT]), random.Random(seed)
    whole = search(files, lm_weight=0.0, blank_penalty=1.5)
    stream, at = whole.new_stream(), 0
    while at < len(frames):
        n = rng.randint(1, 4)
        stream.add(frames[at:at + n], at)
        if at == 0:
            stream.open(0)
        at += n
    assert texts(stream.close()) == texts(whole.decode(frames))


def test_hotword_boost_changes_the_output(files):
    assert texts(search(files, lm_weight=1.0, hotwords=("bat",)).decode(THE_BAT)) == "the bat"
    zat = posteriors("t h e _ z a t .")
    assert texts(search(files, lm_weight=1.0, hotwords=("Zat",)).decode(zat)) == "the zat"


def random_utterance(rng: random.Random, words: int = 12) -> torch.Tensor:
    """Noisy posteriors of random lexicon words: each letter 1-3 frames, blanks and spaces between."""
    frames = []
    for word in rng.choices(list(UNIGRAMS), k=words):
        for char in word:
            other = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != char])
            frames += [f"{char}{rng.randint(40, 90)}{other}{rng.randint(5, 40)}"] * rng.randint(1, 3)
            frames += ["."] * rng.randint(0, 2)
        frames += ["_"] * rng.randint(0, 2) + ["."] * rng.randint(0, 3)
    return posteriors(" ".join(frames), noise_seed=rng.randint(0, 1 << 30))


@pytest.mark.parametrize("seed", range(3))
def test_chunked_decoding_equals_whole(files, seed):
    rng, beam = random.Random(seed), search(files, lm_weight=0.8, word_score=0.5, beam_size=8)
    log_probs = random_utterance(rng)
    whole = beam.decode(log_probs)
    stream, i = beam.new_stream(), 0
    stream.add(log_probs[:0], 0)
    stream.open(0)
    while i < len(log_probs):
        n = rng.choice([0, 1, 2, rng.randint(3, 20)])
        stream.add(log_probs[i:i + n], i)
        stream.partial()
        i += n
    assert whole and stream.close() == whole


def run(recognizer, samples, rng=None):
    stream, events, i = recognizer.new_stream(), [], 0
    while i < samples.size:
        n = samples.size if rng is None else rng.choice([0, 1, 640, rng.randint(1, 8000)])
        events += recognizer.accept(stream, samples[i:i + n])
        i += n
    return events + recognizer.finish(stream)


def scripted(log_probs, decoder, glossary=None):
    bundle = tiny_bundle()
    bundle.model = MatrixModel(log_probs)
    return Recognizer(bundle, EndpointConfig(trailing_blank_ms=200), decoder=decoder, glossary=glossary)


def test_recognizer_takes_words_and_times_from_the_beam(files):
    two = torch.cat([THE_BAT, posteriors(". " * 8), posteriors("t h e _ m a t .")])
    audio = np.full(16000 * 2, 0.1, np.float32)
    greedy = [e.segment for e in run(scripted(two, None), audio) if isinstance(e, Final)]
    beam = [e.segment for e in run(scripted(two, search(files, lm_weight=1.0)), audio) if isinstance(e, Final)]
    assert [s.text for s in greedy] == ["the bat", "the mat"]
    assert [s.text for s in beam] == ["the cat", "the mat"]
    assert [(w.start_ms, w.end_ms) for s in beam for w in s.words] == \
        [(w.start_ms, w.end_ms) for s in greedy for w in s.words]
    assert beam[0].words[1].confidence == pytest.approx((0.44 + 0.9 + 0.9) / 3, abs=1e-3)


def test_beam_partials_grow_then_final(files):
    rec = scripted(THE_BAT, search(files, lm_weight=1.0))
    stream, events = rec.new_stream(), []
    for _ in range(12):
        events += rec.accept(stream, np.full(640, 0.1, np.float32))
    events += rec.finish(stream)
    partials = [e.text for e in events if isinstance(e, Partial)]
    assert partials[:3] == ["t", "th", "the"] and partials[-1].startswith("the ")
    assert [e.segment.text for e in events if isinstance(e, Final)] == ["the cat"]


def test_glossary_rewrites_beam_output(files):
    glossary = Glossary.parse("the cat -> The Cat\n")
    rec = scripted(THE_BAT, search(files, lm_weight=1.0), glossary)
    finals = [e.segment for e in run(rec, np.full(16000, 0.1, np.float32)) if isinstance(e, Final)]
    assert [w.text for w in finals[0].words] == ["The Cat"]


@pytest.mark.parametrize("seed", range(3))
def test_recognizer_streamed_equals_whole_with_beam(letters_lexicon, seed):
    decoder = letters_search(letters_lexicon)
    rec = Recognizer(tiny_bundle(), decoder=decoder)
    samples = speechlike(8.0, seed)
    whole = [e.segment for e in run(rec, samples) if isinstance(e, Final)]
    streamed = [e.segment for e in run(rec, samples, random.Random(seed)) if isinstance(e, Final)]
    assert whole, "the test model should produce some words"
    assert [s.words for s in streamed] == [s.words for s in whole]


def test_beam_available_needs_the_files(tmp_path, files):
    lm, lexicon = files
    assert beam_available(BeamConfig(lm=lm, lexicon=lexicon))
    assert not beam_available(BeamConfig(lm=tmp_path / "missing.bin", lexicon=lexicon))


def test_cli_beam_options(model_file, speech_wav, tmp_path, capsys):
    from subtitler.cli import main

    words = tmp_path / "words.txt"
    words.write_text("Subtitler  # the app\nflashlight\n")
    args = ["transcribe", "-q", "--model", str(model_file), "--threads", "1", str(speech_wav), "-o", "-",
            "--format", "txt", "--decoder", "beam", "--beam", "4", "--lm-weight", "0.5", "--word-score", "1",
            "--blank-penalty", "0.5"]
    assert main([*args, "--words", str(words)]) == 0
    assert main([*args, "--words", str(tmp_path / "missing.txt")]) == 1
    assert "cannot read word list" in capsys.readouterr().err


def test_second_pass_with_beam_keeps_stream_times(letters_lexicon):
    from subtitler.adapt import AdaptConfig, InputAdapter

    decoder = letters_search(letters_lexicon)
    bundle, endpoint = tiny_bundle(), EndpointConfig(trailing_blank_ms=200)
    samples = speechlike(10.0, 1)
    plain = [e.segment for e in run(Recognizer(bundle, endpoint, decoder=decoder), samples) if isinstance(e, Final)]
    again = Recognizer(bundle, endpoint, decoder=decoder)
    again.adapter = InputAdapter(bundle.model, AdaptConfig(steps=0))  # a second pass that changes nothing
    redone = [e.segment for e in run(again, samples) if isinstance(e, Final)]
    assert len(plain) >= 2 and len(redone) >= 2
    assert redone[0].words == plain[0].words  # same window, same state: the same words and times
    starts = [w.start_ms for s in redone for w in s.words]
    assert starts == sorted(starts) and redone[1].words[0].start_ms >= plain[0].words[-1].end_ms
    adapted = Recognizer(bundle, endpoint, decoder=decoder, adapt=AdaptConfig(steps=3))
    whole = [e.segment for e in run(adapted, samples) if isinstance(e, Final)]
    streamed = [e.segment for e in run(adapted, samples, random.Random(1)) if isinstance(e, Final)]
    assert [s.text for s in streamed] == [s.text for s in whole] and whole
