import pytest
import torch

from subtitler.checkpoint import load_checkpoint, save_checkpoint
from subtitler.errors import CheckpointError

from conftest import tiny_bundle


def test_round_trip(tmp_path):
    original = tiny_bundle(seed=3)
    path = tmp_path / "m.pt"
    save_checkpoint(path, original)
    loaded = load_checkpoint(path)
    assert loaded.model.config == original.model.config
    assert loaded.features == original.features
    assert loaded.vocab.tokens == original.vocab.tokens
    assert loaded.meta == original.meta
    torch.testing.assert_close(loaded.mean, original.mean)
    for (k, a), (_, b) in zip(original.model.state_dict().items(), loaded.model.state_dict().items()):
        torch.testing.assert_close(a, b, msg=k)
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("content, reason", [
    (b"", "not a readable model file"),
    (b"\x00garbage" * 100, "not a readable model file"),
])
def test_corrupt_files(tmp_path, content, reason):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=reason):
        load_checkpoint(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, tiny_bundle())
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match="not a readable model file"):
        load_checkpoint(path)


def test_foreign_and_future_files(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a Subtitler model file"):
        load_checkpoint(foreign)
    future = tmp_path / "future.pt"
    torch.save({"format": "subtitler-ctc", "version": 99}, future)
    with pytest.raises(CheckpointError, match="version 99"):
        load_checkpoint(future)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")


def test_mismatched_weights(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, tiny_bundle())
    payload = torch.load(path, weights_only=True)
    payload["model_config"]["hidden"] = 64
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="damaged model file"):
        load_checkpoint(path)
