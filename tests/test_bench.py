"""`subtitler bench` runs and reports sane fields (it measures; it asserts no speed)."""
from subtitler.bench import run_bench
from subtitler.stream import Recognizer

from conftest import speechlike, write_wav


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
