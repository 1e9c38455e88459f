"""The command line end to end on generated media, and every kind of bad input."""
import difflib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import srt

from subtitler import batch
from subtitler.cli import main

from conftest import speechlike, write_wav
from media import encode, video_only


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    x = speechlike(5.0, seed=2)
    files = {ext: encode(d / f"clip{ext}", x) for ext in (".ogg", ".mp3", ".m4a", ".webm")}
    files[".flac"] = encode(d / "clip.flac", x, out_rate=16_000, channels=1)
    files[".mp4"] = encode(d / "movie.mp4", x, video=True)
    files[".mkv"] = encode(d / "movie.mkv", x, video=True)
    files[".wav"] = write_wav(d / "clip.wav", x)
    return files


def transcribe(args, model_file):
    return main(["transcribe", "-q", "--model", str(model_file), "--threads", "1", *map(str, args)])


def test_every_container_gives_the_same_words(media, model_file, tmp_path, capsys):
    texts = {}
    for ext, path in media.items():
        # greedy: the containers are under test, not the search (whose pruning can turn a near-tie of the
        # tiny test model's flat posteriors into another lexicon word)
        assert transcribe([path, "-o", tmp_path / f"{path.name}.json", "--decoder", "greedy"], model_file) == 0
        doc = json.loads((tmp_path / f"{path.name}.json").read_text())
        texts[ext] = [w["text"] for s in doc["segments"] for w in s["words"]]
    assert texts[".wav"], "the tiny model should produce words"
    # lossless input decodes to identical words; lossy, resampled, stereo codecs to similar text
    assert texts[".flac"] == texts[".wav"]
    reference = " ".join(texts[".wav"])
    for ext, words in texts.items():
        assert difflib.SequenceMatcher(None, " ".join(words), reference).ratio() > 0.6, ext


def test_outputs_next_to_input_in_each_format(media, model_file, tmp_path):
    src = tmp_path / "talk.wav"
    src.write_bytes(media[".wav"].read_bytes())
    for fmt in ("srt", "vtt", "txt", "json"):
        assert transcribe([src, "--format", fmt], model_file) == 0
        assert (tmp_path / f"talk.{fmt}").stat().st_size > 0
    subs = list(srt.parse((tmp_path / "talk.srt").read_text()))
    assert subs and all(s.start < s.end for s in subs)
    assert (tmp_path / "talk.vtt").read_text().startswith("WEBVTT")


def test_stdout_output(media, model_file, capsys):
    assert transcribe([media[".wav"], "-o", "-", "--format", "srt"], model_file) == 0
    out = capsys.readouterr().out
    assert list(srt.parse(out))


def bad_inputs(d):
    x = speechlike(3.0, seed=5)
    good = write_wav(d / "good.wav", x)
    truncated = write_wav(d / "truncated.wav", x)
    truncated.write_bytes(truncated.read_bytes()[: 44 + 16000])
    flac = encode(d / "truncated.flac", x, channels=1)
    flac.write_bytes(flac.read_bytes()[: flac.stat().st_size // 3])
    (d / "empty.wav").write_bytes(b"")
    (d / "corrupt.mp3").write_bytes(np.random.default_rng(0).bytes(5000))
    (d / "notes.txt").write_text("this is not audio\n" * 50)
    (d / "folder.wav").mkdir()
    return good, {
        "missing.wav": "no such file", "empty.wav": "file is empty", "truncated.wav": "truncated",
        "truncated.flac": "truncated", "corrupt.mp3": "not an audio or video file",
        "notes.txt": "not an audio or video file", "folder.wav": "is a directory",
        "video.mp4": "contains no audio stream",
    }


def test_bad_inputs_are_reported_and_good_ones_transcribed(tmp_path, model_file, capsys):
    good, expected = bad_inputs(tmp_path)
    video_only(tmp_path / "video.mp4")
    out = tmp_path / "out"
    out.mkdir()
    status = transcribe([tmp_path / name for name in expected] + [good, "-o", out], model_file)
    err = capsys.readouterr().err
    assert status == 1
    assert (out / "good.srt").exists() and len(list(out.iterdir())) == 1
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == len(expected)
    for name, reason in expected.items():
        assert any(name in line and reason in line for line in lines), (name, err)
    assert "Traceback" not in err


def test_failed_transcription_leaves_existing_output_untouched(tmp_path, model_file):
    _, _ = bad_inputs(tmp_path)
    target = tmp_path / "keep.srt"
    target.write_text("old subtitles\n")
    assert transcribe([tmp_path / "truncated.wav", "-o", target], model_file) == 1
    assert target.read_text() == "old subtitles\n"


def test_interrupt_writes_nothing(tmp_path, model_file, monkeypatch, capsys):
    src = write_wav(tmp_path / "a.wav", speechlike(2.0))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(batch, "transcribe_file", interrupted)
    assert transcribe([src], model_file) == 130
    assert not (tmp_path / "a.srt").exists() and list(tmp_path.iterdir()) == [src]


def test_usage_errors(tmp_path, model_file, capsys):
    a = write_wav(tmp_path / "a.wav", speechlike(1.0))
    assert transcribe([a, a, "-o", tmp_path / "x.srt"], model_file) == 2
    assert transcribe([a, "--model", tmp_path / "missing.pt"], model_file) == 1
    assert "model file not found" in capsys.readouterr().err


def test_output_never_overwrites_input(tmp_path, model_file, capsys):
    a = write_wav(tmp_path / "a.wav", speechlike(1.0))
    assert transcribe([a, "-o", a], model_file) == 1
    assert "overwrite the input" in capsys.readouterr().err


def test_help_is_complete():
    out = subprocess.run([sys.executable, "-m", "subtitler", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("transcribe", "live", "devices", "bench"):
        assert command in out.stdout, command
    sub = subprocess.run([sys.executable, "-m", "subtitler", "transcribe", "--help"], capture_output=True, text=True)
    for option in ("--output", "--format", "--model", "--quiet", "--threads", "--adapt", "srt,vtt,txt,json"):
        assert option in sub.stdout, option
    live = subprocess.run([sys.executable, "-m", "subtitler", "live", "--help"], capture_output=True, text=True)
    for option in ("--device", "--system-audio", "--input", "--no-gui", "--export", "--model", "--adapt"):
        assert option in live.stdout, option


def test_no_traceback_for_bad_input_in_a_real_process(tmp_path, model_file):
    (tmp_path / "bad.wav").write_bytes(b"RIFF0000WAVEjunk")
    out = subprocess.run([sys.executable, "-m", "subtitler", "transcribe", "--model", str(model_file),
                          str(tmp_path / "bad.wav")], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "bad.wav" in out.stderr and "Traceback" not in out.stderr


def test_adapt_option_changes_words_and_rejects_bad_steps(media, model_file, tmp_path, capsys):
    from subtitler.adapt import AdaptConfig
    from subtitler.cli import ADAPT_STEPS

    assert ADAPT_STEPS == AdaptConfig().steps
    words = {}
    for name, extra in (("plain", []), ("adapted", ["--adapt", "--adapt-steps", "10"])):
        out = tmp_path / f"{name}.json"
        assert transcribe([media[".wav"], "-o", out, "--decoder", "greedy", *extra], model_file) == 0
        words[name] = [w["text"] for s in json.loads(out.read_text())["segments"] for w in s["words"]]
    assert words["plain"] and words["adapted"] and words["adapted"] != words["plain"]
    with pytest.raises(SystemExit) as exc:
        transcribe([media[".wav"], "--adapt", "--adapt-steps", "-2"], model_file)
    assert exc.value.code == 2 and "not a number of steps" in capsys.readouterr().err


@pytest.mark.parametrize("args,expected", [
    ([], (None, None, None)),  # unset: the overlay's saved choice, else the defaults
    (["--decoder", "greedy", "--int8", "--adapt", "--adapt-steps", "3"], ("greedy", True, 3)),
    (["--no-int8", "--no-adapt"], (None, False, 0)),
    (["--adapt"], (None, None, 10)),
    (["--adapt-steps", "4"], (None, None, 4)),  # the steps alone turn the pass on
    (["--no-adapt", "--adapt-steps", "4"], (None, None, 0)),  # --no-adapt wins
])
def test_live_recognition_options(args, expected):
    from subtitler.cli import build_parser, live_options
    from subtitler.live import Recognition

    options = live_options(build_parser().parse_args(["live", *args]))
    assert (options.decoder, options.int8, options.adapt) == expected
    decoder, int8, adapt = expected
    assert options.recognition == Recognition(decoder or "auto", True if int8 is None else int8, adapt or 0)


@pytest.mark.parametrize("args,steps", [([], None), (["--adapt"], 10), (["--adapt-steps", "3"], 3),
                                        (["--adapt", "--adapt-steps", "0"], None)])
def test_transcribe_adapt_steps_alone_turn_the_pass_on(args, steps, monkeypatch):
    from subtitler import cli, stream

    got = {}
    monkeypatch.setattr(stream, "open_recognizer", lambda model, **kw: got.update(kw))
    cli._recognizer(cli.build_parser().parse_args(["transcribe", "x.wav", *args]))
    assert (got["adapt"].steps if got["adapt"] else None) == steps


def test_transcribe_decodes_as_files_do(monkeypatch):
    from subtitler import cli, stream

    got = {}
    monkeypatch.setattr(stream, "open_recognizer", lambda model, **kw: got.update(kw))
    cli._recognizer(cli.build_parser().parse_args(["transcribe", "x.wav"]))
    assert got["int8"] is False and got["beam_size"] is None  # files: the float GRU; None: BeamConfig's search
    cli._recognizer(cli.build_parser().parse_args(["transcribe", "x.wav", "--beam", "64", "--beam-threshold", "9",
                                                      "--beam-tokens", "5"]))
    assert (got["beam_size"], got["beam_threshold"], got["beam_size_token"]) == (64, 9.0, 5)


def test_live_in_a_terminal_fills_unset_choices_with_the_defaults(speech_wav, model_file, monkeypatch):
    from subtitler import live
    from subtitler.cli import main

    got = []
    monkeypatch.setattr(live, "run_in_terminal", lambda options: got.append(options) or 0)
    assert main(["live", "--no-gui", "--input", str(speech_wav), "--model", str(model_file)]) == 0
    assert (got[0].decoder, got[0].int8, got[0].adapt) == ("auto", True, 0)


def test_live_takes_words_and_glossary():
    from subtitler.cli import build_parser, live_options

    options = live_options(build_parser().parse_args(["live", "--words", "w.txt", "--glossary", "g.txt"]))
    assert options.recognition.words == Path("w.txt") and options.recognition.glossary == Path("g.txt")


def test_subtitle_files_on_the_command_line_go_to_the_overlay(speech_wav, monkeypatch, capsys):
    import shlex

    from subtitler.paths import asset_path

    pytest.importorskip("PySide6.QtWidgets", reason="PySide6 (the 'gui' extra) or its system libraries are missing")
    from subtitler.gui import app

    got = []
    monkeypatch.setattr(app, "run", lambda options, files: got.append(files) or 0)
    assert main(["live", "--subtitle-files", str(speech_wav), "b.mp4"]) == 0
    assert got == [[str(speech_wav), "b.mp4"]]
    assert main(["live", "--no-gui", "--subtitle-files", str(speech_wav)]) == 2
    assert "subtitler transcribe" in capsys.readouterr().err
    # the desktop entry's "Open with": %F is one or more files, or nothing at all
    entry = asset_path("subtitler.desktop").read_text().splitlines()
    exec_line = next(line for line in entry if line.startswith("Exec="))
    command = shlex.split(exec_line.removeprefix("Exec="))
    assert command[0] == "subtitler-gui" and command[-1] == "%F"
    for files in ([], [str(speech_wav)]):
        got.clear()
        assert main(["live", *command[1:-1], *files]) == 0 and got == [files]


def test_the_search_defaults_named_in_the_help_are_the_ones_used():
    import argparse

    from subtitler import cli
    from subtitler.lm import BeamConfig
    from subtitler.train.cli import _add_eval

    tuned = BeamConfig()
    commands = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    evaluation = argparse.ArgumentParser().add_subparsers()
    _add_eval(evaluation)
    for parser in (commands["transcribe"], commands["bench"], evaluation.choices["eval"]):
        helps = {a.dest: a.help for a in parser._actions}
        assert [helps[k].endswith(f"(default {v:g})") for k, v in
                (("beam", tuned.beam_size), ("beam_threshold", tuned.beam_threshold),
                 ("beam_tokens", tuned.beam_size_token))] == [True] * 3
