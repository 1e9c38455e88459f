import random

import pytest
import torch

from subtitler.config import FeatureConfig
from subtitler.features import FeatureExtractor, running_mean_subtract

from conftest import speechlike


def chunked(extractor, samples, rng):
    state, out, i = extractor.initial_state(), [], 0
    while i < samples.numel():
        n = rng.choice([0, 1, 2, 159, 160, 161, 399, 400, rng.randint(1, 5000)])
        frames, state = extractor(samples[i:i + n], state)
        out.append(frames)
        i += n
    return torch.cat(out)


@pytest.mark.parametrize("cmn_ms", [0, 3000])
@pytest.mark.parametrize("seed", range(3))
def test_chunked_equals_whole(cmn_ms, seed):
    cfg = FeatureConfig(cmn_ms=cmn_ms)
    ex = FeatureExtractor(cfg, torch.randn(80), torch.rand(80) + 0.5)
    samples = torch.from_numpy(speechlike(2.3, seed))
    whole, _ = ex(samples, ex.initial_state())
    parts = chunked(ex, samples, random.Random(seed))
    assert whole.shape == parts.shape == ((samples.numel() - 400) // 160 + 1, 80)
    torch.testing.assert_close(parts, whole, atol=1e-4, rtol=1e-4)


def test_frames_cover_whole_windows_only():
    ex = FeatureExtractor(FeatureConfig(), torch.zeros(80), torch.ones(80))
    assert ex(torch.zeros(399), ex.initial_state())[0].shape == (0, 80)
    frames, state = ex(torch.zeros(400 + 160 + 5), ex.initial_state())
    assert frames.shape == (2, 80) and state.pending.numel() == 400 - 160 + 5


def test_running_mean_matches_recursion():
    x = torch.randn(300, 4, dtype=torch.float64)
    decay, m = 0.97, torch.zeros(4, dtype=torch.float64)
    expected = []
    for row in x:
        m = decay * m + (1 - decay) * row
        expected.append(row - m)
    got, last = running_mean_subtract(x, torch.zeros(4, dtype=torch.float64), decay, block=64)
    torch.testing.assert_close(got, torch.stack(expected))
    torch.testing.assert_close(last, m)


def test_bad_statistics_shape():
    with pytest.raises(ValueError):
        FeatureExtractor(FeatureConfig(), torch.zeros(40), torch.ones(40))
