"""Real speech to train on: labels from file names, kept only where Whisper agrees."""
from __future__ import annotations

import json

import numpy as np

from subtitler.config import SAMPLE_RATE
from subtitler.train import realtrain
from subtitler.train.realtrain import choose_label, hedgewars_label, letters, verified_label
from subtitler.train.voices import write_wav


def test_a_file_name_gives_the_letters_of_its_line():
    assert hedgewars_label("Firepunch3") == "firepunch"
    assert hedgewars_label("Uh-oh") == "uhoh"
    assert letters("You'll regret that!") == "youllregretthat"


def test_whisper_supplies_word_boundaries_only_when_it_spells_the_file_name():
    assert verified_label("hedgewars", "youllregretthat", " You'll regret that!") == "you'll regret that"
    assert verified_label("hedgewars", "yessir", " Aye aye, captain.") is None
    assert verified_label("hedgewars", "hello", " Hola.") is None
    assert verified_label("hedgewars", "hmm", "") is None


def test_a_description_keeps_its_own_text_when_whisper_roughly_agrees():
    assert verified_label("tuxpaint", "A frog.", "A frog") == "a frog"
    assert verified_label("tuxpaint", "An owl.", " Owl.") == "owl"  # said without its article
    assert verified_label("tuxpaint", "A cuckoo is a bird.", "A cuckoo is a bard.") == "a cuckoo is a bird"
    assert verified_label("tuxpaint", "A frog.", "The dog eats lunch.") is None


def test_whisper_labels_only_when_asked_and_confident():
    assert choose_label("hedgewars", "coward", "You, sir, are a coward.", -0.2) is None
    assert choose_label("hedgewars", "coward", "You, sir, are a coward.", -0.2, -0.5) == \
        ("you sir are a coward", "whisper")
    assert choose_label("hedgewars", "coward", "Meris blended.", -0.9, -0.5) is None
    assert choose_label("hedgewars", "coward", "", 0.0, -0.5) is None
    assert choose_label("hedgewars", "hello", "Hello!", -2.0, -0.5) == ("hello", "confirmed")


def test_build_keeps_confirmed_clips_and_lists_the_rest(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    voices = cache / "root" / realtrain.HEDGEWARS_VOICES
    stamps = cache / "root" / realtrain.TUXPAINT_STAMPS / "animals"
    for rel in ("British/Takecover.ogg", "Default_es/Hello.ogg", "Pirate/Yessir.ogg"):
        (voices / rel).parent.mkdir(parents=True, exist_ok=True)
        (voices / rel).write_bytes(b"ogg")
    stamps.mkdir(parents=True)
    (stamps / "frog_desc.ogg").write_bytes(b"ogg")
    (stamps / "frog.txt").write_text("A frog.\nfr.utf8=Une grenouille.\n")
    (stamps / "toad_desc.ogg").write_bytes(b"ogg")  # no text file: not a source
    for package in realtrain.PACKAGES.values():
        (cache / f"{package}.unpacked").touch()  # nothing is downloaded
    monkeypatch.setattr(realtrain, "convert", lambda src, dst: (dst.parent.mkdir(parents=True, exist_ok=True),
                                                                write_wav(dst, np.zeros(SAMPLE_RATE // 2, np.float32),
                                                                          SAMPLE_RATE)))
    heard = {"British-Takecover": ("Take cover!", -0.3), "Default_es-Hello": ("¡Hola!", -0.8),
             "Pirate-Yessir": ("Aye aye!", -0.2), "frog": ("A frog.", -0.1)}
    seen = []

    def recognise(paths):
        seen.extend(paths)
        return [heard[p.rsplit("/", 1)[-1].removesuffix(".wav")] for p in paths]

    out = tmp_path / "realtrain"
    kept, checks = realtrain.build(out, cache=cache, recognise=recognise)
    assert len(seen) == 4
    assert [(r.text, r.voice, r.engine, r.split) for r in kept] == [
        ("take cover", "hedgewars:British", "hedgewars", "train"), ("a frog", "tuxpaint:stamps", "tuxpaint", "train")]
    assert all((out / r.path).exists() and r.seconds == 0.5 for r in kept)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [m["text"] for m in manifest] == ["take cover", "a frog"]
    assert sorted(c["label"] for c in checks if c["labelled"] == "rejected") == ["hello", "yessir"]
    assert len((out / "checks.jsonl").read_text().splitlines()) == 4
    assert not (out / "wav/hedgewars/Default_es-Hello.wav").exists()  # rejected audio is not kept

    pseudo, _ = realtrain.build(tmp_path / "pseudo", cache=cache, recognise=recognise, pseudo_min=-0.5)
    assert [(r.text, r.voice) for r in pseudo] == [
        ("take cover", "hedgewars:British"), ("aye aye", "hedgewars:Pirate"), ("a frog", "tuxpaint:stamps")]


def test_a_package_apt_cannot_fetch_is_skipped_with_its_reason(tmp_path, monkeypatch, capsys):
    class Failed:
        returncode, stderr = 100, "E: Unable to locate package hedgewars-data"

    monkeypatch.setattr(realtrain.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(realtrain.subprocess, "run", lambda *a, **k: Failed())
    assert realtrain.fetch("hedgewars-data", tmp_path) is None
    assert "apt-get download hedgewars-data failed: E: Unable to locate package" in capsys.readouterr().err
    monkeypatch.setattr(realtrain.shutil, "which", lambda name: None)
    assert realtrain.fetch("hedgewars-data", tmp_path) is None
    assert "no apt-get" in capsys.readouterr().err
