"""`subtitler bench` runs and reports sane fields (it measures; it asserts no speed)."""
import pytest

from subtitler.bench import run_bench
from subtitler.stream import Recognizer

from conftest import letters_search, speechlike, write_wav


def test_bench_reports_every_field(bundle, tmp_path):
    wav = write_wav(tmp_path / "a.wav", speechlike(2.0))
    result = run_bench(Recognizer(bundle), wav, chunk_ms=160, repeat=1)
    assert abs(result.audio_seconds - 2.0) < 0.01
    assert result.file_rtf > 0 and result.stream_rtf > 0
    assert 0 < result.latency_p50_ms <= result.latency_p99_ms
    assert result.peak_rss_mb > 10 and result.parameters > 0
    table = result.table()
    for label in ("file pipeline RTF", "streaming RTF (160 ms chunks)", "p50 / p99", "peak memory"):
        assert label in table
    decoder_row, = [line.split() for line in table.splitlines() if line.startswith("decoder")]
    assert decoder_row == ["decoder", "greedy"]


def test_bench_measures_the_decoder_asked_for(bundle, monkeypatch):
    from subtitler import cli, stream
    from subtitler.bench import describe_decoder

    got = {}
    monkeypatch.setattr(stream, "open_recognizer", lambda model, **kw: got.update(kw))
    cli._recognizer(cli.build_parser().parse_args(["bench"]))
    assert (got["mode"], got["beam_size"], got["int8"]) == ("auto", None, True)  # live captions' recogniser
    cli._recognizer(cli.build_parser().parse_args(["bench", "--decoder", "greedy", "--beam", "64", "--no-int8"]))
    assert (got["mode"], got["beam_size"], got["int8"]) == ("greedy", 64, False)
    assert describe_decoder(Recognizer(bundle)) == "greedy"


def test_bench_names_the_beam(bundle, letters_lexicon):
    pytest.importorskip("flashlight.lib.text.decoder")
    from subtitler.bench import describe_decoder

    assert (describe_decoder(Recognizer(bundle, decoder=letters_search(letters_lexicon)))
            == "beam 8, 16 characters, threshold 15")
