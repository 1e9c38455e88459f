import dataclasses

import pytest
import torch

from subtitler.checkpoint import Bundle, load_checkpoint, save_checkpoint
from subtitler.errors import CheckpointError
from subtitler.model import AcousticModel
from subtitler.train.average import average, main

from conftest import tiny_bundle


def test_mean_of_two_is_the_elementwise_mean():
    a, b = tiny_bundle(seed=1), tiny_bundle(seed=2)
    out = average([a, b]).model.state_dict()
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert not torch.equal(sa["out.weight"], sb["out.weight"])
    for key in sa:
        torch.testing.assert_close(out[key], (sa[key] + sb[key]) / 2, msg=key)


def test_weights_and_self_average():
    a, b = tiny_bundle(seed=1), tiny_bundle(seed=2)
    out = average([a, b], [3.0, 1.0]).model.state_dict()
    sa, sb = a.model.state_dict(), b.model.state_dict()
    torch.testing.assert_close(out["gru.weight_hh_l0"], 0.75 * sa["gru.weight_hh_l0"] + 0.25 * sb["gru.weight_hh_l0"])
    same = average([a, a]).model.state_dict()
    for key in sa:
        assert torch.equal(same[key], sa[key]), key
    with pytest.raises(ValueError):
        average([a, b], [1.0])
    with pytest.raises(ValueError):
        average([a, b], [0.0, 0.0])


def test_refuses_models_that_do_not_match():
    a = tiny_bundle(seed=1)
    wider = AcousticModel(dataclasses.replace(a.model.config, hidden=a.model.config.hidden * 2))
    with pytest.raises(CheckpointError, match="architecture"):
        average([a, Bundle(wider, a.features, a.vocab, a.mean, a.std)])
    other_norm = Bundle(tiny_bundle(seed=2).model, a.features, a.vocab, a.mean + 1, a.std)
    with pytest.raises(CheckpointError, match="normalisation"):
        average([a, other_norm])


def test_command_writes_a_loadable_checkpoint(tmp_path, capsys):
    paths = []
    for seed in (1, 2, 3):
        paths.append(tmp_path / f"m{seed}.pt")
        save_checkpoint(paths[-1], tiny_bundle(seed=seed))
    out = tmp_path / "avg.pt"
    assert main([*map(str, paths), "--out", str(out)]) == 0
    loaded = load_checkpoint(out)
    assert loaded.meta["averaged"] == [str(p) for p in paths]
    states = [load_checkpoint(p).model.state_dict() for p in paths]
    torch.testing.assert_close(loaded.model.state_dict()["row.weight"],
                               sum(s["row.weight"] for s in states) / 3)
    with pytest.raises(SystemExit):
        main([str(paths[0]), "--out", str(out)])
    assert "two or more" in capsys.readouterr().err
