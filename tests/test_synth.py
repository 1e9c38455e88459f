"""A tiny synthesis with espeak-ng, and the manifest it writes."""
from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import pytest

from subtitler.train.synth import Manifest, Planner, SynthConfig, Utterance, _work, read_manifest, run

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                  reason="espeak-ng and sox not installed (scripts/install_voices.sh)")
FIELDS = {"path", "text", "seconds", "voice", "engine", "split"}


@pytest.fixture
def cfg(tmp_path: Path) -> SynthConfig:
    text = tmp_path / "text"
    text.mkdir()
    for split, lines in {"train": ["hello there my friend", "the cat sat on the mat"],
                         "valid": ["good morning to you"], "test": ["see you later"]}.items():
        (text / f"sentences.{split}.txt").write_text("\n".join(lines) + "\n")
    return SynthConfig(out_dir=tmp_path / "corpus", text_dir=text, hours=1 / 3600,
                       valid_minutes=1 / 60, test_minutes=0, engines=("espeak-ng",), jobs=1)


def _voices():
    from subtitler.train.voices import list_voices

    return [v for v in list_voices() if v.engine == "espeak-ng"][:3]


@needs_espeak
def test_two_sentences_make_16k_wavs_with_valid_records(cfg):
    planner = Planner(cfg, "train", _voices())
    jobs = [planner.job("espeak-ng", k) for k in range(2)]
    utts = _work(jobs)
    assert len(utts) == 2
    for u in utts:
        with wave.open(str(cfg.out_dir / u.path)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
            assert abs(w.getnframes() / 16000 - u.seconds) < 0.01
        assert u.text in {"hello there my friend", "the cat sat on the mat"}
        assert u.engine == "espeak-ng" and u.voice.startswith("espeak-ng:") and u.split == "train"
        assert 0.5 < u.seconds < 10


def test_planner_is_deterministic(cfg):
    from subtitler.train.voices import Voice

    voices = [Voice("espeak-ng", "en-us", "GPL-3.0"), Voice("espeak-ng", "en-gb+f3", "GPL-3.0")]
    a, b = Planner(cfg, "train", voices), Planner(cfg, "train", voices)
    assert [a.job("espeak-ng", k) for k in range(5)] == [b.job("espeak-ng", k) for k in range(5)]


def test_short_share_makes_one_to_three_word_spans_of_the_sentences(cfg):
    import dataclasses

    from subtitler.train.voices import Voice

    voices = [Voice("espeak-ng", "en-us", "GPL-3.0")]
    short = Planner(dataclasses.replace(cfg, short_share=1.0), "train", voices)
    texts = [short.job("espeak-ng", k).text for k in range(200)]
    sentences = ["hello there my friend", "the cat sat on the mat"]
    assert all(1 <= len(t.split()) <= 3 and any(t in s for s in sentences) for t in texts)
    assert {len(t.split()) for t in texts} == {1, 2, 3}
    assert all(short.job("espeak-ng", k).request.text == texts[k] for k in range(5))  # spoken as written
    whole = Planner(cfg, "train", voices)  # the default: whole sentences only
    assert {whole.job("espeak-ng", k).text for k in range(10)} == set(sentences)


def test_word_share_says_one_content_word_of_the_sentence(cfg):
    import dataclasses
    import random

    from subtitler.train.synth import common_words, content_word
    from subtitler.train.voices import Voice

    assert common_words(["the cat sat", "the dog", "a cat"], n=2) == {"the", "cat"}
    rng = random.Random(0)
    picks = {content_word("the cat sat on the mat", frozenset({"the", "on"}), rng) for _ in range(100)}
    assert picks == {"cat", "sat", "mat"}  # never a common word while the sentence has another
    assert content_word("the of the", frozenset({"the", "of"}), rng) in {"the", "of"}
    planner = Planner(dataclasses.replace(cfg, word_share=1.0), "train", [Voice("espeak-ng", "en-us", "GPL-3.0")])
    jobs = [planner.job("espeak-ng", k) for k in range(50)]
    sentences = ["hello there my friend", "the cat sat on the mat"]
    assert all(len(j.text.split()) == 1 and any(j.text in s.split() for s in sentences) for j in jobs)
    assert all(j.request.text == j.text for j in jobs)  # spoken as written
    assert len({j.text for j in jobs}) > 3


def test_number_share_says_numbers_as_the_normaliser_reads_them(cfg):
    import dataclasses
    import random

    from subtitler.train.synth import number_phrase
    from subtitler.train.voices import Voice

    number_words = set("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                       "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
                       "eighty ninety hundred thousand and oh o'clock".split())
    rng = random.Random(0)
    phrases = [number_phrase(rng) for _ in range(400)]
    assert all(p and set(p.split()) <= number_words for p in phrases)
    assert any(" oh " in p for p in phrases) and "six o'clock" in phrases  # clock times ("seven oh five")
    assert any(len(p.split()) >= 5 and "hundred" not in p and "thousand" not in p for p in phrases)  # digits
    assert len(set(phrases)) > 300
    assert [number_phrase(random.Random(5)) for _ in range(3)] == [number_phrase(random.Random(5))] * 3
    voices = [Voice("espeak-ng", "en-us", "GPL-3.0")]
    planner = Planner(dataclasses.replace(cfg, number_share=0.5), "train", voices)
    jobs = [planner.job("espeak-ng", k) for k in range(60)]
    sentences = {"hello there my friend", "the cat sat on the mat"}
    numbers = [j for j in jobs if j.text not in sentences]
    assert 15 < len(numbers) < 45 and all(set(j.text.split()) <= number_words for j in numbers)
    assert all(j.request.text == j.text for j in jobs)  # spoken as written


def test_letter_share_spells_letters_by_name_and_transcribes_them_as_letters(cfg):
    import dataclasses
    import random

    from subtitler.train.synth import LETTER_NAMES, letter_phrase
    from subtitler.train.voices import Voice

    rng = random.Random(0)
    pairs = [letter_phrase(rng) for _ in range(400)]
    for text, spoken in pairs:
        letters = text.split()
        assert 1 <= len(letters) <= 5 and all(len(c) == 1 and c.isalpha() for c in letters)
        names = [n.strip() for n in spoken.split(",")] if "," in spoken else None
        if names:  # spelled with pauses: one name per letter
            assert names == [LETTER_NAMES[c] for c in letters]
        else:
            assert spoken == " ".join(LETTER_NAMES[c] for c in letters)
    lengths = [len(t.split()) for t, _ in pairs]
    assert 150 < lengths.count(1) < 250 and max(lengths) == 5
    assert {c for t, _ in pairs for c in t.split()} == set("abcdefghijklmnopqrstuvwxyz")
    assert any("," in s for t, s in pairs if " " in t) and any("," not in s for t, s in pairs if " " in t)
    assert letter_phrase(random.Random(3)) == letter_phrase(random.Random(3))
    voices = [Voice("espeak-ng", "en-us", "GPL-3.0")]
    planner = Planner(dataclasses.replace(cfg, letter_share=0.5), "train", voices)
    jobs = [planner.job("espeak-ng", k) for k in range(60)]
    sentences = {"hello there my friend", "the cat sat on the mat"}
    spelled = [j for j in jobs if j.text not in sentences]
    assert 15 < len(spelled) < 45
    assert all(j.request.text.replace(",", "").split() != j.text.split() for j in spelled)  # names, not letters
    assert all(j.request.text == j.text for j in jobs if j.text in sentences)

@needs_espeak
def test_run_writes_manifest_and_resumes(cfg):
    added = run(cfg)
    assert added["train"] >= 1 and added["valid"] >= 1 and added["test"] == 0
    lines = (cfg.out_dir / "manifest.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert all(set(r) == FIELDS for r in records)
    assert {r["split"] for r in records} == {"train", "valid"}
    assert all((cfg.out_dir / r["path"]).exists() for r in records)
    assert run(cfg)["train"] == 0  # target met: nothing new
    assert len(read_manifest(cfg.out_dir / "manifest.jsonl")) == len(records)


def test_manifest_survives_a_torn_last_line(tmp_path):
    path = tmp_path / "manifest.jsonl"
    good = Utterance("wav/a.wav", "hi", 1.0, "e:v", "e", "train")
    path.write_text(json.dumps(good.__dict__) + "\n" + '{"path": "wav/b.w')
    m = Manifest(path)
    assert m.records == [good]
    m.add([Utterance("wav/c.wav", "yo", 2.0, "e:v", "e", "train")])
    assert [u.path for u in read_manifest(path)] == ["wav/a.wav", "wav/c.wav"]


@needs_espeak
def test_a_larger_target_adds_to_an_existing_corpus(cfg):
    from dataclasses import replace

    first = run(cfg)["train"]
    more = run(replace(cfg, hours=(first + 10) / 3600))["train"]  # past the first run's overshoot
    assert first > 0 and more > 0
    paths = [u.path for u in read_manifest(cfg.out_dir / "manifest.jsonl")]
    assert len(paths) == len(set(paths))


SPOKEN = ("af_bella", "bm_george", "zf_xiaobei")  # American, British, accented (kokoro-accent)


def _kokoro_voices():
    from subtitler.train.voices import list_voices

    return [v for v in list_voices() if v.engine in ("kokoro", "kokoro-accent")]


@pytest.mark.skipif(shutil.which("sox") is None or not set(SPOKEN) <= {v.name for v in _kokoro_voices()},
                    reason="Kokoro voices not installed (scripts/install_voices.sh)")
def test_kokoro_speaks_american_british_and_accented_voices_at_16k(tmp_path):
    import numpy as np

    from subtitler.audio_io import read_audio
    from subtitler.train.voices import Request, synthesize

    voices = {v.name: v for v in _kokoro_voices()}
    reqs = [Request(voices[name], "The cat sat on the mat.", rate, pitch, tmp_path / f"{name}.wav")
            for name, rate, pitch in (("af_bella", 1.0, 0.0), ("bm_george", 1.15, 1.0), ("zf_xiaobei", 0.9, 0.0))]
    assert synthesize(reqs) == [r.path for r in reqs]
    lengths = []
    for r in reqs:
        audio = read_audio(r.path)
        lengths.append(audio.size / 16000)
        assert 0.8 < lengths[-1] < 4.0
        assert np.sqrt(np.mean(audio ** 2)) > 0.02  # speech, not silence
    assert voices["am_michael"].held_out and voices["bf_isabella"].held_out and not voices["af_bella"].held_out


def test_mix_speakers_limits_the_mixed_voices_to_the_first_n(tmp_path):
    from subtitler.train.synth import SynthConfig, select_voices
    from subtitler.train.voices import Voice, kokoro_blends

    inventory = [Voice("kokoro-mix", b, "x", False) for b in kokoro_blends()] + [Voice("kokoro", "af_bella", "x", False)]
    every = select_voices(SynthConfig(tmp_path, engines=("kokoro-mix", "kokoro")), inventory)
    first = select_voices(SynthConfig(tmp_path, engines=("kokoro-mix",), mix_speakers=48), inventory)
    assert len(every) == 193 and [v.name for v in first] == kokoro_blends(48)


def test_kokoro_blends_are_new_training_speakers_of_one_accent():
    from subtitler.train.voices import HELD_OUT, KOKORO_VOICES, _blend_parts, kokoro_blends

    blends = kokoro_blends()
    assert len(blends) == 192 and len({_blend_parts(b)[:2] for b in blends}) == 192  # every pair once
    assert blends == kokoro_blends() and blends != kokoro_blends(seed=1)
    assert kokoro_blends(48) == blends[:48]  # growing the count keeps the earlier speakers
    # the speakers of corpora made before the count grew (runs/kokoro_mix) keep their names
    assert blends[:3] == ["af_nicole+am_echo@0.62", "af_nova+af_sky@0.60", "af_alloy+am_adam@0.28"]
    for name in blends:
        a, b, w = _blend_parts(name)
        assert a != b and a[0] == b[0]  # same accent: one G2P fits both
        assert {a, b} <= set(KOKORO_VOICES) and not {("kokoro", a), ("kokoro", b)} & HELD_OUT
        assert 0.25 <= w <= 0.75


def test_kokoro_accent_voices_are_new_training_speakers_of_their_own_engine(tmp_path):
    from subtitler.train.synth import NEURAL_ENGINES, SynthConfig, select_voices
    from subtitler.train.voices import (ENGINES, HELD_OUT, KOKORO_ACCENT_VOICES, KOKORO_VOICES, LICENCES,
                                        Voice, _kokoro)

    assert len(set(KOKORO_ACCENT_VOICES)) == 26 and not set(KOKORO_ACCENT_VOICES) & set(KOKORO_VOICES)
    assert not any(v.startswith(("a", "b")) for v in KOKORO_ACCENT_VOICES)  # the American G2P speaks for them
    assert not {("kokoro-accent", v) for v in KOKORO_ACCENT_VOICES} & HELD_OUT
    assert ENGINES["kokoro-accent"] is _kokoro and "kokoro-accent" in NEURAL_ENGINES and "kokoro-accent" in LICENCES
    inventory = [Voice("kokoro", "af_bella", "x", False), Voice("kokoro-accent", "ff_siwis", "x", False)]
    chosen = select_voices(SynthConfig(tmp_path, engines=("kokoro-accent",)), inventory)
    assert [v.name for v in chosen] == ["ff_siwis"]


def test_kokoro_style_mixes_two_voices_by_weight(tmp_path):
    import numpy as np

    from subtitler.train.voices import kokoro_style

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 510, 1, 256)).astype(np.float32)
    a.tofile(tmp_path / "af_x.bin")
    b.tofile(tmp_path / "af_y.bin")
    np.testing.assert_array_equal(kokoro_style("af_x", tmp_path), a)
    mixed = kokoro_style("af_x+af_y@0.30", tmp_path)
    assert mixed.shape == (510, 1, 256) and mixed.dtype == np.float32
    np.testing.assert_allclose(mixed, 0.3 * a + 0.7 * b, rtol=1e-6, atol=1e-6)
