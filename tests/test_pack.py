"""Corpus packs: engine- and voice-balanced selection, Opus round trip with sample-exact offsets, test voices stay home."""
import json

import numpy as np

from subtitler.train.data import load_wave
from subtitler.train.datasets import Utterance, load_corpus
from subtitler.train.pack import pack, select, unpack

from conftest import speechlike, write_wav


def _corpus(root, n_voices=3, per_voice=4):
    utts = []
    for v in range(n_voices):
        for k in range(per_voice):
            seconds = 0.6 + 0.1 * k
            path = write_wav(root / f"v{v}_{k}.wav", speechlike(seconds, seed=10 * v + k))
            split = "test" if v == n_voices - 1 else ("valid" if k == 0 else "train")
            utts.append(Utterance(str(path), f"voice {'abcd'[v]} line {'efghij'[k]}", seconds, f"e:v{v}", "e", split))
    return utts


def test_select_balances_voices_and_never_takes_test(tmp_path):
    utts = _corpus(tmp_path, n_voices=4, per_voice=6)
    chosen = select(utts, hours=3.0 / 3600)  # about 3 s of training audio
    train = [u for u in chosen if u.split == "train"]
    assert {u.split for u in chosen} <= {"train", "valid"}
    assert 3.0 <= sum(u.seconds for u in train) < 3.0 + 1.1  # stops at the first utterance past the budget
    counts = [sum(u.voice == v for u in train) for v in ("e:v0", "e:v1", "e:v2")]
    assert max(counts) - min(counts) <= 1, counts  # voices take turns
    assert select(utts, hours=1.0) == select(utts, hours=1.0)  # deterministic for a seed
    lone = [Utterance(f"/x/{k}.wav", "one voice", 0.5, "n:solo", "n", "train") for k in range(20)]
    mixed = [u for u in select(utts + lone, hours=4.0 / 3600) if u.split == "train"]
    per_engine = [sum(u.engine == e for u in mixed) for e in ("e", "n")]
    assert min(per_engine) >= 2 and abs(per_engine[0] - per_engine[1]) <= 1, per_engine  # engines take turns
    assert len([u for u in select(utts, hours=1.0) if u.split == "train"]) == 15  # small voices give all they have


def test_pack_round_trip_keeps_every_utterance_in_place(tmp_path):
    utts = [u for u in _corpus(tmp_path) if u.split != "test"]
    stats = pack(utts, tmp_path / "pack", kbps=16, streams=2)
    assert stats["utterances"] == len(utts) == 8 and len(list((tmp_path / "pack").glob("*.opus"))) == 2
    assert stats["bytes"] < 0.2 * sum(u.seconds for u in utts) * 32_000  # far smaller than 16-bit PCM
    assert unpack(tmp_path / "pack", tmp_path / "out", jobs=1) == len(utts)
    back = sorted(load_corpus(tmp_path / "out"), key=lambda u: u.text)
    utts = sorted(utts, key=lambda u: u.text)
    assert [(u.text, u.voice, u.split) for u in back] == [(u.text, u.voice, u.split) for u in utts]
    for original, decoded in zip(utts, back):
        a, b = load_wave(original.path).numpy(), load_wave(decoded.path).numpy()
        assert len(a) == len(b)
        lags = np.arange(-80, 81)
        corr = [float(np.dot(a[200:-200], b[200 + k:len(b) - 200 + k])) for k in lags]
        assert abs(int(lags[int(np.argmax(corr))])) <= 16  # aligned to a millisecond (not 5 ms off)
        assert max(corr) > 0.5 * float(np.dot(a[200:-200], a[200:-200]))  # and it is the same sound
    index = [json.loads(line) for line in open(tmp_path / "pack" / "index.jsonl")]
    assert {r["stream"] for r in index} == {"stream_00.opus", "stream_01.opus"}


def test_pack_command_carries_a_float16_reverb_bank(tmp_path):
    import torch

    from subtitler.train.pack import main

    utts = [u for u in _corpus(tmp_path) if u.split != "test"]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps({"path": u.path, "text": u.text, "seconds": u.seconds, "voice": u.voice,
                                            "engine": u.engine, "split": u.split}) + "\n" for u in utts))
    torch.save(torch.randn(5, 160), tmp_path / "rirs.pt")
    assert main([str(manifest), "--hours", "1", "--out", str(tmp_path / "p"), "--streams", "1",
                 "--rirs", str(tmp_path / "rirs.pt"), "--rir-rooms", "3"]) == 0
    bank = torch.load(tmp_path / "p" / "rirs.pt")
    assert bank.shape == (3, 160) and bank.dtype == torch.float16
    assert len((tmp_path / "p" / "index.jsonl").read_text().splitlines()) == len(utts)


def test_bad_input_gets_a_clear_error_and_nothing_is_written(tmp_path, capsys):
    import pytest

    from subtitler.train.pack import main, main_unpack

    with pytest.raises(SystemExit):
        main_unpack([str(tmp_path), "--out", str(tmp_path / "out")])
    assert "not a pack" in capsys.readouterr().err and not (tmp_path / "out").exists()
    with pytest.raises(SystemExit):
        main([str(tmp_path / "missing.jsonl"), "--hours", "1", "--out", str(tmp_path / "p")])
    assert "no such file" in capsys.readouterr().err and not (tmp_path / "p").exists()


def test_a_truncated_stream_gives_back_the_utterances_it_still_holds(tmp_path):
    utts = [u for u in _corpus(tmp_path) if u.split != "test"]
    pack(utts, tmp_path / "pack", kbps=16, streams=1)
    stream = tmp_path / "pack" / "stream_00.opus"
    stream.write_bytes(stream.read_bytes()[: stream.stat().st_size // 2])
    n = unpack(tmp_path / "pack", tmp_path / "out", jobs=1)
    assert 0 < n < len(utts)
    assert len(load_corpus(tmp_path / "out")) == n
