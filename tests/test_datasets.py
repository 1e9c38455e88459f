"""Corpus readers on tiny fixtures laid out like the real corpora, dispatch, and duration buckets."""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from subtitler.train.datasets import (
    Utterance, bucket_batches, fill_seconds, load_corpus, normalize_text, read_common_voice, read_csv_manifest,
    read_librispeech, read_manifest,
)

FIXTURES = Path(__file__).parent / "fixtures"
LIBRI, CV, SYNTH = FIXTURES / "librispeech", FIXTURES / "common_voice", FIXTURES / "synth"


def test_librispeech_texts_paths_speakers_and_durations():
    utts = read_librispeech(LIBRI)
    assert [u.text for u in utts] == ["hello world", "it's a test"]
    assert [Path(u.path) for u in utts] == [LIBRI / "19/198/19-198-0000.flac", LIBRI / "19/198/19-198-0001.flac"]
    assert {u.voice for u in utts} == {"19"} and {u.engine for u in utts} == {""}
    assert [u.seconds for u in utts] == pytest.approx([0.3, 0.5], abs=0.01)
    assert all(os.path.exists(u.path) for u in utts)


def test_librispeech_without_probing_fills_seconds_on_demand():
    lazy = read_librispeech(LIBRI, probe=False)
    assert [u.seconds for u in lazy] == [0.0, 0.0]
    assert [u.seconds for u in fill_seconds(lazy)] == pytest.approx([0.3, 0.5], abs=0.01)


def test_common_voice_mp3_clips():
    utts = read_common_voice(CV)
    assert [u.text for u in utts] == ["he said good morning", "we're ready friends"]
    assert [Path(u.path) for u in utts] == [CV / "clips/common_voice_en_1.mp3", CV / "clips/common_voice_en_2.mp3"]
    assert [u.voice for u in utts] == ["aa11", "bb22"]
    assert [u.seconds for u in utts] == pytest.approx([0.4, 0.6], abs=0.06)
    assert {u.split for u in utts} == {"train"}


def test_jsonl_manifest_resolves_paths_and_keeps_fields():
    utts = read_manifest(SYNTH / "manifest.jsonl")
    assert utts[0] == Utterance(str(SYNTH / "wav/0.wav"), "a short tone", 0.1, "espeak-ng:en-us", "espeak-ng", "train")
    assert (utts[1].voice, utts[1].engine, utts[1].split) == ("flite:awb", "flite", "test")


def test_jsonl_manifest_skips_a_torn_last_line(tmp_path):
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"path": "a.wav", "text": "Yes", "seconds": 1.5}\n{"path": "b.wa')
    assert read_manifest(manifest) == [Utterance(str(tmp_path / "a.wav"), "yes", 1.5)]


def test_csv_manifest_columns_and_probed_duration():
    utts = read_csv_manifest(FIXTURES / "manifest.csv")
    assert [u.text for u in utts] == ["hello world", "short tone"]
    assert [Path(u.path) for u in utts] == [LIBRI / "19/198/19-198-0000.flac", SYNTH / "wav/0.wav"]
    assert [u.voice for u in utts] == ["19", "s2"]
    assert [u.seconds for u in utts] == pytest.approx([0.3, 0.1], abs=0.01)  # the second is probed


def test_csv_manifest_without_audio_column_is_an_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,text\nx.wav,hi\n")
    with pytest.raises(ValueError, match="no column"):
        read_csv_manifest(bad)


@pytest.mark.parametrize("spec, first_text", [
    (LIBRI, "hello world"),
    (CV, "he said good morning"),
    (CV / "train.tsv", "he said good morning"),
    (SYNTH, "a short tone"),
    (SYNTH / "manifest.jsonl", "a short tone"),
    (FIXTURES / "manifest.csv", "hello world"),
])
def test_load_corpus_dispatches_on_layout(spec, first_text):
    utts = load_corpus(str(spec))
    assert utts[0].text == first_text and all(isinstance(u, Utterance) for u in utts)


def test_load_corpus_rejects_unknown_layouts(tmp_path):
    with pytest.raises(ValueError):
        load_corpus(str(tmp_path))
    with pytest.raises(ValueError):
        load_corpus(str(tmp_path / "missing"))


def test_normalize_text_keeps_the_model_alphabet():
    from subtitler.train.datasets import _simple_normalize  # the fallback when train.text is missing

    for normalize in (normalize_text, _simple_normalize):
        assert normalize("IT'S  a  'Test'!") == "it's a test"


def test_bucket_batches_respects_the_limit_and_covers_every_index_once():
    rng = random.Random(0)
    utts = [Utterance(f"{i}.wav", "x", rng.uniform(0.5, 12.0)) for i in range(300)]
    utts.append(Utterance("long.wav", "x", 50.0))
    batches = bucket_batches(utts, 40.0, random.Random(1))
    assert sorted(i for b in batches for i in b) == list(range(len(utts)))
    for batch in batches:
        longest = max(utts[i].seconds for i in batch)
        assert len(batch) * longest <= 40.0 or len(batch) == 1
    assert [len(utts) - 1] in batches  # longer than the limit: alone
    again = bucket_batches(utts, 40.0, random.Random(1))
    assert again == batches and bucket_batches(utts, 40.0, random.Random(2)) != batches


def test_bucket_batches_of_nothing():
    assert bucket_batches([], 10.0, random.Random(0)) == []


def test_real_speech_keeps_its_own_split_and_is_never_trained_on(tmp_path):
    from subtitler.config import ModelConfig
    from subtitler.train.train import TrainConfig, Trainer

    lines = (SYNTH / "manifest.jsonl").read_text().splitlines()
    (tmp_path / "wav").symlink_to(SYNTH / "wav")
    (tmp_path / "manifest.jsonl").write_text("\n".join(
        ln.replace('"split": "test"', '"split": "realdev"') for ln in lines) + "\n")
    utts = read_manifest(tmp_path / "manifest.jsonl")
    assert {u.split for u in utts} == {"train", "realdev"}
    trainer = Trainer(TrainConfig(train=(str(tmp_path / "manifest.jsonl"),), out=str(tmp_path / "run"), workers=0,
                                  augment=False, model=ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0)))
    assert trainer.data.train and all(u.split == "train" for u in trainer.data.train)


def test_tunelm_names_the_splits_when_none_matches(capsys):
    from subtitler.train.tunelm import main

    assert main(["--corpus", str(SYNTH / "manifest.jsonl"), "--split", "realdev"]) == 1
    assert "no utterances of split 'realdev'" in capsys.readouterr().err
