"""Per-utterance edit counts and the paired bootstrap of ``subtitler-train compare``."""
import json
import random

import jiwer
import pytest

from subtitler.train.compare import compare, main, paired_delta
from subtitler.train.evaluate import edit_counts, error_rates

WORDS = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "away"]


def _sentence(rng: random.Random, lo: int = 1) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, 8)))


def test_edit_counts_agree_with_jiwer_and_an_empty_hypothesis_deletes_everything():
    rng = random.Random(3)
    refs = [_sentence(rng) for _ in range(60)]
    hyps = [_sentence(rng) for _ in range(60)]
    counts = edit_counts(refs, hyps)
    for (we, nw, ce, nc), r, h in zip(counts, refs, hyps):
        assert we == pytest.approx(jiwer.wer(r, h) * nw)
        assert nw == len(r.split()) and nc == len(r)
        assert ce == pytest.approx(jiwer.cer(r, h) * nc)
    cer, wer = error_rates(refs, hyps)
    assert cer == pytest.approx(jiwer.cer(refs, hyps)) and wer == pytest.approx(jiwer.wer(refs, hyps))
    assert edit_counts(["ear", "hello world"], ["", "hello  world "]) == [(1, 1, 3, 3), (0, 2, 0, 11)]
    assert error_rates(["ear"], [""]) == (1.0, 1.0)  # not 7/3: no stand-in word for the empty decode
    assert error_rates(["", "a b"], ["x", "a b"]) == (0.0, 0.0)  # an empty reference counts nowhere


def test_identical_decodes_differ_by_exactly_nothing():
    d = paired_delta([3, 0, 5, 2], [3, 0, 5, 2], [4, 2, 9, 3], resamples=500)
    assert (d.diff, d.low, d.high, d.p_better, d.verdict) == (0.0, 0.0, 0.0, 0.0, "~")
    assert d.base == d.candidate == pytest.approx(10 / 18)


def test_a_candidate_better_on_every_utterance_is_better_and_one_lucky_utterance_is_not():
    rng = random.Random(0)
    lengths = [rng.randint(3, 12) for _ in range(200)]
    base = [rng.randint(1, n) for n in lengths]
    better = paired_delta(base, [e - 1 for e in base], lengths, resamples=2000)
    assert better.verdict == "better" and better.high < 0 and better.p_better == 1.0
    assert better.diff == pytest.approx(-200 / sum(lengths))
    assert better.low <= better.diff <= better.high
    one = paired_delta(base, [base[0] - 1] + base[1:], lengths, resamples=2000)
    assert one.verdict == "~" and one.low < 0 <= one.high
    worse = paired_delta(base, [e + 1 for e in base], lengths, resamples=2000)
    assert worse.verdict == "worse" and worse.p_better == 0.0
    assert paired_delta(base, base[::-1], lengths, seed=7) == paired_delta(base, base[::-1], lengths, seed=7)


def _eval_json(path, corpus, refs, hyps, label="subtitler (greedy)"):
    rows = [{"path": f"{corpus}/{i}.wav", "key": "k", "ref": r, "whole": h} for i, (r, h) in enumerate(zip(refs, hyps))]
    path.write_text(json.dumps({"corpora": [f"runs/{corpus}"], "rows": {label: rows}}))
    return path


def test_compare_pairs_each_set_and_pools_them(tmp_path, capsys):
    rng = random.Random(1)
    refs_a, refs_b = [_sentence(rng, 2) for _ in range(80)], [_sentence(rng, 2) for _ in range(40)]
    perfect = lambda refs: refs  # noqa: E731
    garbled = lambda refs: [" ".join(r.split()[1:]) for r in refs]  # noqa: E731  one word dropped each
    base = [_eval_json(tmp_path / "a1.json", "ivr", refs_a, garbled(refs_a)),
            _eval_json(tmp_path / "a2.json", "more", refs_b, refs_b)]
    cand = [_eval_json(tmp_path / "b1.json", "ivr", refs_a, perfect(refs_a)),
            _eval_json(tmp_path / "b2.json", "more", refs_b, refs_b)]
    out = compare(base, cand, resamples=1000)["subtitler (greedy)"]
    assert list(out) == ["ivr", "more", "pooled"]
    assert out["ivr"]["WER"].verdict == "better" and out["ivr"]["WER"].candidate == 0.0
    assert out["more"]["WER"].diff == 0.0 and out["more"]["CER"].verdict == "~"
    words_a, words_b = sum(len(r.split()) for r in refs_a), sum(len(r.split()) for r in refs_b)
    assert out["pooled"]["WER"].base == pytest.approx(80 / (words_a + words_b))  # each set by its words
    assert main(["--base", *map(str, base), "--candidate", *map(str, cand), "--resamples", "500",
                 "--json", str(tmp_path / "c.json")]) == 0
    printed = capsys.readouterr().out
    assert "subtitler (greedy)" in printed and "pooled" in printed and "better" in printed
    saved = json.loads((tmp_path / "c.json").read_text())["subtitler (greedy)"]
    assert saved["ivr"]["WER"]["verdict"] == "better" and saved["more"]["WER"]["diff"] == 0.0


def test_compare_refuses_files_that_do_not_pair_up(tmp_path, capsys):
    a = _eval_json(tmp_path / "a.json", "ivr", ["a b", "c d"], ["a b", "c"])
    b = _eval_json(tmp_path / "b.json", "ivr", ["a b"], ["a b"])
    with pytest.raises(SystemExit, match="different utterances"):
        compare([a], [b])
    with pytest.raises(SystemExit, match="as many --candidate"):
        compare([a, a], [a])
    (tmp_path / "old.json").write_text(json.dumps({"systems": []}))
    with pytest.raises(SystemExit, match="no per-utterance rows"):
        compare([tmp_path / "old.json"], [a])
    with pytest.raises(SystemExit):
        main(["--base", str(a), "--candidate", str(tmp_path / "missing.json")])
    assert "no such file" in capsys.readouterr().err
