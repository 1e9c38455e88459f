"""Training smoke test: a tiny corpus, a few dozen steps, loss falls, the checkpoint runs."""
import json

import numpy as np

from subtitler.checkpoint import load_checkpoint
from subtitler.config import ModelConfig
from subtitler.stream import Recognizer
from subtitler.train.train import TrainConfig, Trainer

from conftest import speechlike, write_wav

TEXTS = ["hello world", "good morning", "yes", "no thanks", "see you soon", "it is late"]


def tiny_corpus(root):
    lines = []
    for i, text in enumerate(TEXTS * 2):
        split = "valid" if i >= len(TEXTS) + 4 else "train"
        path = write_wav(root / f"u{i}.wav", speechlike(1.0 + 0.1 * (i % len(TEXTS)), seed=i % len(TEXTS)))
        lines.append(json.dumps({"path": path.name, "text": text, "seconds": 1.0 + 0.1 * (i % len(TEXTS)),
                                 "voice": "v", "engine": "tone", "split": split}))
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return root / "manifest.jsonl"


def test_loss_falls_and_checkpoint_loads(tmp_path):
    manifest = tiny_corpus(tmp_path)
    cfg = TrainConfig(train=(str(manifest),), out=str(tmp_path / "run"), steps=40, warmup=5,
                      batch_seconds=8.0, lr=3e-3, eval_every=40, workers=0, rir_rooms=3,
                      model=ModelConfig(conv_channels=32, hidden=48, layers=1, lookahead=1, dropout=0.0))
    trainer = Trainer(cfg)
    trainer.fit()
    losses = trainer.losses
    assert len(losses) == 40
    assert np.mean(losses[-8:]) < 0.7 * np.mean(losses[:8]), losses
    bundle = load_checkpoint(tmp_path / "run" / "model.pt")
    assert bundle.meta["step"] == 40 and "valid_cer" in bundle.meta
    rec = Recognizer(bundle)
    stream = rec.new_stream()
    rec.accept(stream, speechlike(1.0))
    rec.finish(stream)


def test_frame_entropy_counts_real_frames_only():
    import math

    import torch

    from subtitler.train.train import frame_entropy

    uniform = torch.full((1, 3, 4), math.log(1 / 4))  # log 4 nats a frame
    sure = torch.log(torch.tensor([1.0 - 3e-6, 1e-6, 1e-6, 1e-6])).expand(1, 3, 4)  # about 0
    batch = torch.cat([uniform, sure])
    assert abs(float(frame_entropy(batch, torch.tensor([3, 3]))) - math.log(4) / 2) < 1e-3
    # the padding after each utterance's length is ignored: 2 uniform frames and 1 sure one
    assert abs(float(frame_entropy(batch, torch.tensor([2, 1]))) - 2 * math.log(4) / 3) < 1e-3


def test_confidence_penalty_lowers_the_training_loss_by_the_entropy(tmp_path):
    import torch

    from subtitler.train.train import frame_entropy

    base = dict(train=(str(tiny_corpus(tmp_path)),), out=str(tmp_path / "run"), workers=0, augment=False,
                spec_freq_mask=0, spec_time_mask=0,
                model=ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0))
    plain, penalised = Trainer(TrainConfig(**base)), Trainer(TrainConfig(entropy=0.5, **base))
    penalised.model.load_state_dict(plain.model.state_dict())
    batch = next(iter(plain.data.loader(epoch=0, rank=0, world=1)))
    feats, lens = batch[0], batch[1]
    with torch.no_grad():
        log_probs, _ = plain.model(plain.normalise(feats))
        entropy = frame_entropy(log_probs, plain.model.output_lengths(lens))
        for t in (plain, penalised):
            t.net.train()
        assert float(entropy) > 0.1
        assert abs(float(penalised.loss(batch)) - (float(plain.loss(batch)) - 0.5 * float(entropy))) < 1e-4
        for t in (plain, penalised):
            t.net.eval()  # validation scores the CTC loss alone
        assert abs(float(penalised.loss(batch)) - float(plain.loss(batch))) < 1e-5


def test_vtlp_warps_the_chosen_share_of_a_batch(tmp_path):
    import torch

    base = dict(train=(str(tiny_corpus(tmp_path)),), out=str(tmp_path / "run"), workers=0, augment=False,
                model=ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0))
    feats = torch.randn(6, 20, 80)
    assert torch.equal(Trainer(TrainConfig(vtlp=0.0, **base))._vtlp(feats), feats)  # nobody is chosen
    every = Trainer(TrainConfig(vtlp=1.0, vtlp_max=0.1, **base))._vtlp(feats)
    assert every.shape == feats.shape
    assert all(not torch.allclose(every[b], feats[b], atol=1e-3) for b in range(6))
    torch.manual_seed(3)
    half = Trainer(TrainConfig(vtlp=0.5, **base))._vtlp(feats)
    untouched = sum(torch.equal(half[b], feats[b]) for b in range(6))
    assert 0 < untouched < 6  # the others keep their exact features


def test_training_resumes(tmp_path):
    manifest = tiny_corpus(tmp_path)
    base = dict(train=(str(manifest),), out=str(tmp_path / "run"), warmup=2, batch_seconds=8.0,
                eval_every=5, workers=0, augment=False,
                model=ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0))
    Trainer(TrainConfig(steps=5, **base)).fit()
    resumed = Trainer(TrainConfig(steps=8, **base))
    assert resumed.step == 5
    resumed.fit()
    assert resumed.step == 8 and len(resumed.losses) == 3


def test_time_budget_stops_the_run_and_drives_the_lr_cycle(tmp_path):
    from subtitler.train.train import cosine_lr

    timed = TrainConfig(train=("x",), out="y", steps=1000, warmup=10, minutes=2.0)
    assert cosine_lr(5, timed, elapsed=100.0) == 0.6  # warm-up still counts steps
    assert cosine_lr(500, timed, elapsed=0.0) == 1.0
    assert abs(cosine_lr(500, timed, elapsed=60.0) - 0.525) < 1e-9  # half the time: half way down
    assert abs(cosine_lr(20, timed, elapsed=120.0) - 0.05) < 1e-9  # time up: the floor, whatever the step
    manifest = tiny_corpus(tmp_path)
    trainer = Trainer(TrainConfig(train=(str(manifest),), out=str(tmp_path / "run"), steps=10_000, warmup=1,
                                  batch_seconds=8.0, eval_every=10_000, workers=0, augment=False, minutes=0.02,
                                  model=ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0)))
    trainer.fit()
    assert 0 < trainer.step < 10_000 and trainer.elapsed >= 1.2
    assert load_checkpoint(tmp_path / "run" / "final.pt").meta["step"] == trainer.step  # saved at the stop


def test_warm_start_takes_weights_and_statistics_with_a_fresh_schedule(tmp_path):
    import pytest
    import torch

    manifest = tiny_corpus(tmp_path)
    model = ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0)
    base = dict(train=(str(manifest),), warmup=2, batch_seconds=8.0, eval_every=5, workers=0, augment=False)
    Trainer(TrainConfig(out=str(tmp_path / "a"), steps=5, model=model, **base)).fit()
    first = load_checkpoint(tmp_path / "a" / "final.pt")
    warm = Trainer(TrainConfig(out=str(tmp_path / "b"), steps=3, model=model, init=str(tmp_path / "a" / "final.pt"), **base))
    assert warm.step == 0 and warm.sched.get_last_lr()[0] < warm.cfg.lr  # a new warm-up
    for name, value in first.model.state_dict().items():
        assert torch.equal(warm.model.state_dict()[name], value), name
    assert torch.equal(warm.mean, first.mean) and torch.equal(warm.std, first.std)
    warm.fit()
    assert load_checkpoint(tmp_path / "b" / "final.pt").meta["init"].endswith("final.pt")
    with pytest.raises(SystemExit, match="differs"):
        Trainer(TrainConfig(out=str(tmp_path / "c"), steps=3, init=str(tmp_path / "a" / "final.pt"),
                            model=ModelConfig(conv_channels=16, hidden=24, layers=1, lookahead=0), **base))


def test_warm_start_can_widen_the_lookahead_without_changing_the_output(tmp_path):
    import pytest
    import torch

    manifest = tiny_corpus(tmp_path)
    base = dict(train=(str(manifest),), warmup=2, batch_seconds=8.0, eval_every=5, workers=0, augment=False)
    Trainer(TrainConfig(out=str(tmp_path / "a"), steps=3, model=ModelConfig(conv_channels=16, hidden=16, layers=1,
                                                                              lookahead=1), **base)).fit()
    first = load_checkpoint(tmp_path / "a" / "final.pt").model.eval()
    wide = Trainer(TrainConfig(out=str(tmp_path / "b"), steps=3, init=str(tmp_path / "a" / "final.pt"),
                               model=ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=3), **base))
    assert wide.model.row.weight.shape[-1] == 4 and not wide.model.row.weight[..., 2:].any()
    feats = torch.randn(2, 37, 80)
    with torch.no_grad():
        assert torch.allclose(wide.model.eval()(feats)[0], first(feats)[0], atol=1e-6)
    with pytest.raises(SystemExit, match="only --model-lookahead may grow"):
        Trainer(TrainConfig(out=str(tmp_path / "c"), steps=3, init=str(tmp_path / "a" / "final.pt"),
                            model=ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0), **base))


def test_evaluation_decodes_whole_and_streamed_alike(tmp_path, bundle):
    from subtitler.train.datasets import load_corpus
    from subtitler.train.evaluate import breakdown, evaluate_model

    rows = evaluate_model(bundle, load_corpus(str(tiny_corpus(tmp_path))), progress=False)
    assert len(rows) == 12 and any(r.whole for r in rows)
    assert [r.whole for r in rows] == [r.streamed for r in rows]
    cer, wer, n = breakdown(rows)["all"]
    assert n == 12 and cer > 0.5  # a random model is far from the references


def test_eval_command_can_score_the_int8_model(tmp_path, bundle, capsys, monkeypatch):
    import subtitler.model
    from subtitler.checkpoint import save_checkpoint
    from subtitler.train.cli import main

    calls = []
    real = subtitler.model.quantize_int8
    monkeypatch.setattr(subtitler.model, "quantize_int8", lambda m: calls.append(m) or real(m))
    save_checkpoint(tmp_path / "m.pt", bundle)
    manifest = tiny_corpus(tmp_path)
    assert main(["eval", str(manifest), "--model", str(tmp_path / "m.pt"), "--no-peers", "--int8"]) == 0
    assert len(calls) == 1 and "whole == streamed for 12/12" in capsys.readouterr().out


def test_eval_command_names_the_utterances_whose_decodes_differ(tmp_path, bundle, capsys, monkeypatch):
    import subtitler.train.report as report
    from subtitler.checkpoint import save_checkpoint
    from subtitler.train.cli import main
    from subtitler.train.evaluate import Scored

    def fake(bundle, utts, **kw):
        return [Scored("e", "a b", "a b", "a b", path="same.wav"), Scored("e", "mordol", "mordol", "mor dol", path="odd.wav")]

    monkeypatch.setattr(report, "evaluate_model", fake)
    save_checkpoint(tmp_path / "m.pt", bundle)
    assert main(["eval", str(tiny_corpus(tmp_path)), "--model", str(tmp_path / "m.pt"), "--no-peers"]) == 1
    out = capsys.readouterr().out
    assert "whole == streamed for 1/2" in out and "differs: odd.wav" in out and "same.wav" not in out
    assert "streamed: mor dol" in out


def test_char_confusions_count_aligned_substitutions_only():
    from subtitler.train.evaluate import char_confusions

    subs, totals = char_confusions(["please press", "time", "tone", ""], ["bles bress", "dime", "one", "x"])
    assert subs == {("p", "b"): 2, ("t", "d"): 1}  # "l" kept, "a" dropped and "t" of tone deleted: no substitutions
    assert totals["p"] == 2 and totals["t"] == 2 and totals["e"] == 5  # the empty reference is skipped


def test_eval_command_prints_the_commonest_confusions(tmp_path, bundle, capsys, monkeypatch):
    import subtitler.train.report as report
    from subtitler.checkpoint import save_checkpoint
    from subtitler.train.cli import main
    from subtitler.train.evaluate import Scored

    rows = [Scored("e", "pat", "bad", "bad"), Scored("e", "tip", "dip", "dip")]
    monkeypatch.setattr(report, "evaluate_model", lambda bundle, utts, **kw: rows)
    save_checkpoint(tmp_path / "m.pt", bundle)
    assert main(["eval", str(tiny_corpus(tmp_path)), "--model", str(tmp_path / "m.pt"), "--no-peers",
                 "--confusions", "1"]) == 0
    out = capsys.readouterr().out
    assert "3 substituted characters of 6" in out
    assert "'t' -> 'd'     2  (100.0% of 't')" in out and "'p' -> 'b'" not in out  # only the commonest one


def test_eval_breaks_the_peers_down_like_the_model(tmp_path, bundle, capsys, monkeypatch):
    import subtitler.train.report as report
    from subtitler.checkpoint import save_checkpoint
    from subtitler.train.cli import main
    from subtitler.train.evaluate import Scored
    from subtitler.train.peers import PeerRun

    manifest = tiny_corpus(tmp_path)
    lines = manifest.read_text().splitlines()  # two engines: the first three utterances are "other"
    manifest.write_text("\n".join(ln.replace('"tone"', '"other"') if i < 3 else ln for i, ln in enumerate(lines)) + "\n")
    monkeypatch.setattr(report, "evaluate_model", lambda bundle, utts, by, **kw: [
        Scored(getattr(u, by), u.text, u.text, u.text) for u in utts])
    monkeypatch.setattr(report, "PEERS", [lambda paths: PeerRun("echo peer", ["Hello, World!"] * len(paths), 1.0)])
    save_checkpoint(tmp_path / "m.pt", bundle)
    assert main(["eval", str(manifest), "--model", str(tmp_path / "m.pt"), "--peers",
                 "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    written = json.loads((tmp_path / "r.json").read_text())
    saved = written["breakdown"]["echo peer"]
    assert saved["other"]["n"] == 3 and abs(saved["other"]["wer"] - 0.8) < 1e-9
    rows = written["rows"]  # every utterance of every system, for 'subtitler-train compare'
    assert [len(rows[k]) for k in ("subtitler (greedy)", "echo peer")] == [len(lines)] * 2
    assert {r["whole"] for r in rows["echo peer"]} == {"hello world"} and written["corpora"] == [str(manifest)]
    block = out[out.index("echo peer by engine:"):]
    assert "other" in block and "tone" in block  # the peer's own breakdown, by the same field
    other = next(line for line in block.splitlines() if line.startswith("other"))
    assert other.split()[1:] == ["80.0%", "76.9%", "3"]  # 0 + 2 + 2 word errors (one inserted) over 5 words


def test_ema_weights_follow_the_recurrence_and_survive_a_resume(tmp_path):
    import torch

    manifest = tiny_corpus(tmp_path)
    base = dict(train=(str(manifest),), out=str(tmp_path / "run"), warmup=1, batch_seconds=8.0, lr=3e-3,
                eval_every=3, workers=0, augment=False, ema=0.6,
                model=ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0))
    trainer = Trainer(TrainConfig(steps=3, **base))
    seen = []  # the weights after every optimiser step
    trainer.opt.register_step_post_hook(lambda *_: seen.append(trainer.model.out.weight.detach().clone()))
    trainer.fit()
    expected = seen[0]
    for w in seen[1:]:
        expected = 0.6 * expected + 0.4 * w
    ema = load_checkpoint(tmp_path / "run" / "ema.pt")
    torch.testing.assert_close(ema.model.out.weight, expected)
    assert not torch.equal(ema.model.out.weight, seen[-1])  # an average, not the last weights
    assert ema.meta["ema"] == 0.6 and "valid_cer" in ema.meta
    assert "ema valid CER" in (tmp_path / "run" / "train.log").read_text()

    resumed = Trainer(TrainConfig(steps=4, **base))
    assert int(resumed.ema.n_averaged) == 3
    torch.testing.assert_close(resumed.ema.module.out.weight, expected)
    resumed.fit()
    expected = 0.6 * expected + 0.4 * resumed.model.out.weight.detach()
    torch.testing.assert_close(load_checkpoint(tmp_path / "run" / "ema.pt").model.out.weight, expected)


def test_train_only_moves_the_named_parameters(tmp_path):
    import pytest
    import torch

    manifest = tiny_corpus(tmp_path)
    model = ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=0)
    base = dict(train=(str(manifest),), warmup=2, batch_seconds=8.0, eval_every=5, workers=0, augment=False)
    Trainer(TrainConfig(out=str(tmp_path / "a"), steps=2, model=model, **base)).fit()
    start = load_checkpoint(tmp_path / "a" / "final.pt").model.state_dict()
    Trainer(TrainConfig(out=str(tmp_path / "b"), steps=4, model=model, init=str(tmp_path / "a" / "final.pt"),
                        train_only="conv1, norm", lr=3e-3, **base)).fit()
    after = load_checkpoint(tmp_path / "b" / "final.pt").model.state_dict()
    moved = {name for name, value in after.items() if not torch.equal(value, start[name])}
    assert moved and all(name.startswith(("conv1", "norm")) for name in moved), moved
    assert {"conv1.conv.weight", "norm.weight"} <= moved
    with pytest.raises(SystemExit, match="no parameter"):
        Trainer(TrainConfig(out=str(tmp_path / "c"), steps=1, model=model, train_only="nothing", **base))
