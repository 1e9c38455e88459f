"""Real speech to train on: labels from file names, kept only where Whisper agrees."""
from __future__ import annotations

import json
import math
import shutil
import struct
import zipfile

import numpy as np
import pytest

from subtitler.config import SAMPLE_RATE
from subtitler.train import realtrain
from subtitler.train.data import load_wave
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
    for package, _ in realtrain.SOURCES.values():
        (cache / f"{package}.unpacked").touch()  # nothing is downloaded
    converted = []

    def convert(src, dst):
        converted.append(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        write_wav(dst, np.zeros(SAMPLE_RATE // 2, np.float32), SAMPLE_RATE)

    monkeypatch.setattr(realtrain, "convert", convert)
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
    # a rejected clip keeps its audio: checks.jsonl names it for listening, and a rebuild that
    # rejects a line must not pull a file from under a training run started on an earlier manifest
    assert (out / "wav/hedgewars/Default_es-Hello.wav").exists()

    pseudo, _ = realtrain.build(tmp_path / "pseudo", cache=cache, recognise=recognise, pseudo_min=-0.5)
    assert [(r.text, r.voice) for r in pseudo] == [
        ("take cover", "hedgewars:British"), ("aye aye", "hedgewars:Pirate"), ("a frog", "tuxpaint:stamps")]

    def deaf(paths):
        raise AssertionError(f"Whisper asked again for {paths}")

    converted.clear()
    again, _ = realtrain.build(tmp_path / "pseudo", cache=cache, recognise=deaf, pseudo_min=-0.5)
    assert again == pseudo  # what Whisper heard comes from checks.jsonl
    assert converted == []  # and every clip's audio, the rejected one's too, is still there


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


def queen_archive(path, entries):
    """A tiny ScummVM queen.1c archive (QTBL table, MP3 compression byte) holding ``entries``."""
    table, blob = b"", b""
    offset = 15 + 21 * len(entries)
    for name, data in entries:
        table += name.encode().ljust(12, b"\0") + b"\1" + struct.pack(">II", offset + len(blob), len(data))
        blob += data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"QTBL" + b"CEM10\0" + b"\0\0" + b"\1" + struct.pack(">H", len(entries)) + table + blob)


def test_game_text_is_split_at_its_control_codes():
    lines = realtrain.text_runs([b"\x005*FLYou couldn't pilot your way out of a paper bag.*02\x00\x08Hello Joe.*03",
                                 b"\x8838THAT'S THE SECOND BIGGEST DOOR\x01"])
    assert "you couldn't pilot your way out of a paper bag" in lines
    assert "hello joe" in lines and "that's the second biggest door" in lines
    assert all(len(letters(line)) >= 2 for line in lines)  # "02", "03" and lone code letters are dropped
    assert len(lines) == len(set(lines))
    assert "ey joe" not in realtrain.text_runs([b"Hey Joe"])  # a cut must leave a capital first
    hey = realtrain.text_runs([b"HEY JOE", b"Hey no problem", b"JUh huh"])
    assert hey.index("hey joe") < hey.index("ey joe")  # uncut lines first: equals go to fewer cuts
    assert realtrain.nearest_line("Hi no problem", hey) == "hey no problem"
    assert realtrain.nearest_line("Uh huh.", hey) == "uh huh"
    coded = realtrain.text_runs([b"the Doctor his lunch,*00but his teeth*0It sounds old*00I know"])
    assert "but his teeth" in coded and "it sounds old" in coded and "i know" in coded
    assert not [line for line in coded if line.startswith("zero")]  # "0It" is a code, not "zero it"
    assert "fifty boxes" in realtrain.text_runs([b"*0150 boxes"])  # a number said in the line stays


def test_a_talkie_line_is_the_game_text_nearest_to_what_whisper_heard():
    lines = realtrain.text_runs([b"*FLYou couldn't pilot your way out of a paper bag.*02*3I just did!*00Hi."])
    heard = "You couldn't pilot your way out of a piece of bag!"
    line = realtrain.nearest_line(heard, lines)
    assert line == "you couldn't pilot your way out of a paper bag"
    assert choose_label("fotaq", line, heard, -0.4) == (line, "confirmed")  # the game's words, not Whisper's
    assert realtrain.nearest_line("I just did.", lines) == "i just did"  # the code's "3" is cut, the "I" kept
    far = "The jungle is crawling with dangerous animals."
    assert choose_label("fotaq", realtrain.nearest_line(far, lines), far, -0.4) is None
    assert realtrain.nearest_line("", lines) == "" and realtrain.nearest_line("hello", []) == ""


def test_game_lines_share_whisper_windows_and_are_told_apart_by_word_times():
    assert realtrain.pack_clips([2.0, 3.0, 20.0, 30.0, 1.0], window=29.0, gap=1.0) == [[0, 1, 2], [3], [4]]
    spans = [(0.0, 2.0), (3.0, 6.0), (7.0, 7.5)]
    words = [(0.1, 0.5, " Hello", 0.9), (0.6, 1.9, " there.", 0.8), (3.1, 3.4, " Take", 1.0),
             (3.5, 6.3, " cover!", 0.5)]
    heard = realtrain.words_per_clip(words, spans, gap=1.0)
    assert [h[0] for h in heard] == ["Hello there.", "Take cover!", ""]
    assert heard[1][1] == pytest.approx((math.log(1.0) + math.log(0.5)) / 2)
    assert heard[2][1] == -math.inf


def test_flight_of_the_amazon_queen_speech_and_text_come_out_of_its_archive(tmp_path):
    archive = tmp_path / realtrain.FOTAQ
    queen_archive(archive, [("020001P2.SB", b"mp3 one"), ("AND1.DOG", b"\x05*FLHello there, Joe.*02"),
                            ("18001EJ1.SB", b"mp3 two"), ("AQ.PCX", b"picture")])
    assert realtrain.queen_entries(archive)["AQ.PCX"] == (15 + 21 * 4 + 7 + 24 + 7, 7)
    sources = list(realtrain.fotaq_sources(tmp_path))
    assert [(s.name, s.audio.read_bytes(), realtrain.speaker(s)) for s in sources] == [
        ("020001P2", b"mp3 one", "P"), ("18001EJ1", b"mp3 two", "J")]
    assert "hello there joe" in realtrain.game_lines("fotaq", tmp_path)
    assert realtrain.game_lines("fotaq", tmp_path / "elsewhere") == []
    (tmp_path / "bad.1c").write_bytes(b"PK\3\4" + bytes(20))
    with pytest.raises(ValueError, match="not a compressed Flight of the Amazon Queen archive"):
        realtrain.queen_entries(tmp_path / "bad.1c")


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (scripts/setup.sh)")
def test_drascula_lines_are_raw_8_bit_audio_at_11_khz(tmp_path):
    folder = tmp_path / realtrain.DRASCULA
    folder.mkdir(parents=True)
    tone = (128 + 60 * np.sin(np.arange(11025) * 2 * np.pi * 440 / 11025)).astype(np.uint8)
    (folder / "D12.ALS").write_bytes(tone.tobytes())
    (folder / "12.ALS").write_bytes(tone.tobytes())
    (folder / "drascula.dat").write_bytes(b"\x1dIT'S A COFFIN IN THE SHAPE OF A CROSS\x05")
    sources = list(realtrain.drascula_sources(tmp_path))
    assert [(s.name, realtrain.speaker(s)) for s in sources] == [("12", "hero"), ("D12", "D")]
    assert "it's a coffin in the shape of a cross" in realtrain.game_lines("drascula", tmp_path)
    # the real layout: a big-endian length, the text, 1-8 NULs up to it; a printable last byte of
    # the length ("8" = 56, "(" = 40) is glued to the text and must not pass for a letter of it
    door, stiff = b"THAT'S THE SECOND BIGGEST DOOR I'VE SEEN IN MY LIFE", b"IT IS VERY STIFF, JUST LIKE MY BOSS"
    (folder / "drascula.dat").write_bytes(b"\0\0\0\x38" + door + bytes(5) + b"\0\0\0\x28" + stiff + bytes(5)
                                          + b"\0\0\0\x10NOT REALLY" + bytes(6))
    assert realtrain.game_lines("drascula", tmp_path) == [
        "that's the second biggest door i've seen in my life", "it is very stiff just like my boss", "not really"]
    wav = tmp_path / "out.wav"
    realtrain.convert(sources[0].audio, wav)
    audio = load_wave(str(wav)).numpy()
    assert abs(len(audio) - SAMPLE_RATE) < 10  # one second, resampled to 16 kHz
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / len(audio) - 440) < 3


def test_beneath_a_steel_sky_speech_comes_out_of_its_disk_and_is_unpacked(tmp_path):
    propack = pytest.importorskip("propack")
    folder = tmp_path / realtrain.BASS
    folder.mkdir(parents=True)
    said = bytes(range(100, 160)) * 40
    header = struct.pack("<11H", *([0x81] + [0] * 10))  # bit 7 of the first word: RNC-compressed
    files = [(60111, b"\0" * 22 + b"a sprite", 0), (50001, header + propack.pack(said, method=1), 0),
             (54490, b"\0" * 22 + said[:100], 1 << 23)]  # bit 23: stored as is
    dsk, dnr = b"", struct.pack("<I", len(files))
    for number, data, flag in files:
        dsk += b"\0" * (-len(dsk) % 16)  # the second file's offset is given in 16-byte units
        unit = number == 50001
        offset = (len(dsk) >> 4 | 1 << 23) if unit else len(dsk)
        dnr += struct.pack("<H", number) + offset.to_bytes(3, "little") + (len(data) | flag).to_bytes(3, "little")
        dsk += data
    (folder / "sky.dnr").write_bytes(dnr)
    (folder / "sky.dsk").write_bytes(dsk)
    assert dict(realtrain.sky_speech(folder)) == {50001: said, 54490: said[:100]}  # 60111 is not speech
    sources = list(realtrain.bass_sources(tmp_path))
    assert [(s.name, s.text, s.audio.read_bytes(), realtrain.speaker(s)) for s in sources] == [
        ("50001", "", said, "cast"), ("54490", "", said[:100], "cast")]
    assert choose_label("bass", "", "Did you laugh?", -0.2) is None  # no text of its own: only pseudo-labels
    assert choose_label("bass", "", "Did you laugh?", -0.2, -0.5) == ("did you laugh", "whisper")


def test_warzone_voice_files_come_out_of_its_zip_with_the_games_own_lines(tmp_path):
    archive = tmp_path / realtrain.WARZONE
    archive.parent.mkdir(parents=True)
    tutorial = ('{"audio": "tut1.ogg", "clear": false, "message": _("Oil resources are key to your success"), '
                '"state": 0},\n{"audio": "tut2.ogg", "wait": 3},')
    cfg = ('\taudio\t"beep1.ogg"\t\toneshot  30 1800\t/*Close Window*/\n'
           '\taudio\t"pcv337.ogg"\toneshot\t100 1800  /*Structure Under Attack*/\n'
           '\taudio\t"boom.ogg"\toneshot\t100 1800  /*Explosion*/\n')
    with zipfile.ZipFile(archive, "w") as wz:
        wz.writestr("script/tutorial.js", tutorial)
        wz.writestr("audio/audio.cfg", cfg)
        for name in ("audio/tutorial/tut1.ogg", "audio/tutorial/tut2.ogg", "audio/memressp/msg/pcv337.ogg",
                     "audio/sfx/weapons/boom.ogg", "audio/radclick/click1.ogg", "sequenceaudio/cam1/c001.ogg",
                     "texpages/tut1.png"):
            wz.writestr(name, name.encode())
    sources = list(realtrain.warzone_sources(tmp_path))
    assert [(s.name, s.text, s.audio.read_bytes()) for s in sources] == [
        ("audio-memressp-msg-pcv337", "Structure Under Attack", b"audio/memressp/msg/pcv337.ogg"),
        ("audio-tutorial-tut1", "Oil resources are key to your success", b"audio/tutorial/tut1.ogg"),
        ("audio-tutorial-tut2", "", b"audio/tutorial/tut2.ogg"),  # a step without a message
        ("sequenceaudio-cam1-c001", "", b"sequenceaudio/cam1/c001.ogg")]  # no effects, no clicks
    assert choose_label("warzone", "Structure Under Attack", "Structure under attack!", -0.1) == (
        "structure under attack", "confirmed")
    assert choose_label("warzone", "Close Window", "", -9.0) is None  # a comment that names a beep
    assert choose_label("warzone", "", "Commander, we have a situation.", -0.2, -0.5) == (
        "commander we have a situation", "whisper")
    assert realtrain.speaker(sources[0]) == "cast"


def test_nexuiz_voices_come_out_of_its_pk3_named_by_their_files(tmp_path):
    archive = tmp_path / realtrain.NEXUIZ
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as pk3:
        for name in ("sound/tutorial/5-to_the_left_to_the_left.ogg", "sound/player/pyria-skadi/coms/coverme2.ogg",
                     "sound/player/marine/player/pain1.ogg", "sound/announcer/male/03kills.ogg",
                     "sound/weapons/rocket_fire.ogg", "models/player/marine.md3"):
            pk3.writestr(name, name.encode())
    sources = list(realtrain.nexuiz_sources(tmp_path))
    assert [(s.name, s.text, realtrain.speaker(s), s.audio.read_bytes()) for s in sources] == [
        ("announcer-male-03kills", "03kills", "announcer", b"sound/announcer/male/03kills.ogg"),
        ("player-pyria-skadi-coms-coverme2", "coverme", "pyria-skadi", b"sound/player/pyria-skadi/coms/coverme2.ogg"),
        ("tutorial-5-to_the_left_to_the_left", "to the left to the left", "tutorial",
         b"sound/tutorial/5-to_the_left_to_the_left.ogg")]  # no grunts, no weapons
    # run-together file names are checked by their letters; Whisper supplies the spaces
    assert choose_label("nexuiz", "coverme", "Cover me!", -0.1) == ("cover me", "confirmed")
    assert choose_label("nexuiz", "coverme", "Help me!", -0.1) is None
    assert choose_label("nexuiz", "to the left to the left", "To the left, to the left.", -0.1) == (
        "to the left to the left", "confirmed")


def test_megaglest_unit_replies_once_each_without_shouts(tmp_path):
    techs = tmp_path / realtrain.MEGAGLEST / "megapack"
    files = {"commondata/sounds/technician_ack1.wav": b"yes sir", "commondata/sounds/technician_select2.wav": b"what",
             "commondata/sounds/guard_attack1.wav": b"argh",  # a shout
             "factions/magic/units/battlemage/sounds/battlemage_ack3.wav": b"at once",
             "factions/tech/units/technician/sounds/technician_ack1.wav": b"yes sir",  # the same recording again
             "factions/magic/units/battlemage/images/battlemage.bmp": b"picture"}
    for name, data in files.items():
        (techs / name).parent.mkdir(parents=True, exist_ok=True)
        (techs / name).write_bytes(data)
    sources = list(realtrain.megaglest_sources(tmp_path))
    assert [(s.name, s.text, realtrain.speaker(s), s.audio.read_bytes()) for s in sources] == [
        ("commondata-technician_ack1", "", "commondata-technician", b"yes sir"),
        ("commondata-technician_select2", "", "commondata-technician", b"what"),
        ("magic-battlemage-battlemage_ack3", "", "magic-battlemage-battlemage", b"at once")]
    assert choose_label("megaglest", "", "Yes, sir!", -0.3) is None  # no text of its own: only pseudo-labels
    assert choose_label("megaglest", "", "Yes, sir!", -0.3, -0.5) == ("yes sir", "whisper")
