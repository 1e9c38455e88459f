import random

import pytest
import torch

from subtitler.config import ModelConfig
from subtitler.model import AcousticModel


@pytest.mark.parametrize("lookahead", [0, 2])
@pytest.mark.parametrize("seed", range(3))
def test_chunked_equals_whole(lookahead, seed):
    torch.manual_seed(seed)
    model = AcousticModel(ModelConfig(conv_channels=32, hidden=40, layers=2, lookahead=lookahead)).eval()
    feats = torch.randn(1, 203, 80)
    with torch.no_grad():
        whole, _ = model(feats)
        state, parts, i, rng = model.initial_state(), [], 0, random.Random(seed)
        while i < feats.shape[1]:
            n = rng.choice([0, 1, 2, 3, 5, 17])
            out, state = model(feats[:, i:i + n], state, final=False)
            parts.append(out)
            i += n
        out, state = model(feats[:, :0], state, final=True)
        parts.append(out)
    streamed = torch.cat(parts, dim=1)
    assert whole.shape[1] == model.output_lengths(torch.tensor([203])).item()
    torch.testing.assert_close(streamed, whole, atol=1e-5, rtol=1e-5)


def test_batch_rows_are_independent_of_padding():
    torch.manual_seed(0)
    model = AcousticModel(ModelConfig(conv_channels=16, hidden=16, layers=1, lookahead=1)).eval()
    a = torch.randn(1, 50, 80)
    padded = torch.cat([a, torch.zeros(1, 30, 80)], dim=1)
    with torch.no_grad():
        alone, _ = model(a)
        batch, _ = model(torch.cat([padded, torch.randn(1, 80, 80)]))
    # the lookahead sees zero-padding only past the end, like the flush of a stream
    n = alone.shape[1] - model.config.lookahead
    torch.testing.assert_close(batch[0, :n], alone[0, :n], atol=1e-5, rtol=1e-5)


def test_state_shape_is_checked():
    model = AcousticModel(ModelConfig(conv_channels=16, hidden=16, layers=1))
    bad = model.initial_state(2)
    with pytest.raises(ValueError, match="GRU state"):
        model(torch.randn(1, 10, 80), bad)
    with pytest.raises(ValueError, match="features"):
        model(torch.randn(1, 10, 40))
