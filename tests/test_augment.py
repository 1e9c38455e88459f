"""Augmentation chain: lengths, ranges, determinism, band limits, SNR, speed, and its throughput."""
from __future__ import annotations

import dataclasses
import math
import random
import time

import numpy as np
import pytest
import torch

from subtitler.train.augment import (
    AugmentConfig, Augmenter, add_noise, a_law, change_speed, coloured_noise, fft_size, hum, load_or_make_rir_bank,
    make_rir_bank, shift_pitch, telephone, warp_vocal_tract,
)

SR = 16_000
STEPS = ("p_speed", "p_pitch", "p_reverb", "p_noise", "p_mic", "p_telephone", "p_gain", "p_dc", "p_clip",
         "p_quantize")


def speechlike(seconds: float = 1.0, seed: int = 0) -> torch.Tensor:
    """A harmonic tone at 150 Hz with a syllable-rate envelope and a little broadband noise, peak < 1."""
    t = torch.arange(int(seconds * SR)) / SR
    voiced = sum(torch.sin(2 * math.pi * 150 * k * t) / k for k in range(1, 30))
    noise = torch.from_numpy(np.random.default_rng(seed).standard_normal(t.numel()).astype(np.float32))
    x = (voiced + 0.3 * noise) * (0.6 + 0.4 * torch.sin(2 * math.pi * 4 * t))
    return (0.5 * x / x.abs().max()).float()


def only(step: str, **overrides) -> AugmentConfig:
    """A config where only ``step`` happens (always)."""
    probs = {name: 0.0 for name in STEPS}
    probs[step] = 1.0
    return dataclasses.replace(AugmentConfig(), **probs, **overrides)


def always() -> AugmentConfig:
    return dataclasses.replace(AugmentConfig(), **{name: 1.0 for name in STEPS})


@pytest.fixture(scope="module")
def rirs() -> torch.Tensor:
    return make_rir_bank(2, seed=1)


def spectrum_share_above(x: torch.Tensor, hz: float) -> float:
    power = torch.fft.rfft(x).abs().pow(2)
    freqs = torch.fft.rfftfreq(x.numel(), 1 / SR)
    return float(power[freqs > hz].sum() / power.sum())


def dominant_hz(x: torch.Tensor) -> float:
    power = torch.fft.rfft(x * torch.hann_window(x.numel())).abs()
    return float(torch.fft.rfftfreq(x.numel(), 1 / SR)[power.argmax()])


@pytest.mark.parametrize("step", [s for s in STEPS if s != "p_speed"])
def test_every_step_but_speed_keeps_length_and_range(step, rirs):
    wave = speechlike(0.7)
    aug = Augmenter(only(step, gain_db=(6.0, 6.0)), rir_bank=rirs, babble=[speechlike(0.3, seed=2)])
    for seed in range(4):
        out = aug(wave, random.Random(seed))
        assert out.shape == wave.shape and out.dtype == torch.float32
        assert torch.isfinite(out).all() and out.abs().max() <= 1.0


def test_full_chain_is_finite_clipped_and_deterministic(rirs):
    wave = speechlike(0.8) * 1.9  # forces clipping or limiting
    aug = Augmenter(always(), rir_bank=rirs, babble=[speechlike(0.5, seed=3)])
    for seed in range(6):
        a, b = aug(wave, random.Random(seed)), aug(wave, random.Random(seed))
        assert torch.equal(a, b)
        assert torch.isfinite(a).all() and a.abs().max() <= 1.0
    assert not torch.equal(aug(wave, random.Random(0)), aug(wave, random.Random(1)))


def test_speed_1_1_shortens_by_about_ten_percent_and_raises_pitch():
    wave = torch.sin(2 * math.pi * 1000 * torch.arange(SR) / SR)
    fast = change_speed(wave, 1.1)
    assert fast.numel() == pytest.approx(SR / 1.1, rel=0.01)
    assert dominant_hz(fast) == pytest.approx(1100, rel=0.01)
    assert change_speed(wave, 0.9).numel() == pytest.approx(SR / 0.9, rel=0.01)


def test_pitch_shift_keeps_duration_and_moves_frequency():
    wave = torch.sin(2 * math.pi * 500 * torch.arange(SR) / SR)
    out = shift_pitch(wave, 1.15)
    assert out.numel() == wave.numel()
    assert dominant_hz(out) == pytest.approx(575, rel=0.02)


@pytest.mark.parametrize("law", [None, "mu", "a"])
def test_telephone_removes_energy_above_4_khz(law):
    noise = coloured_noise(SR, 0.0, np.random.default_rng(0)) * 0.1  # white: half its power above 4 kHz
    assert spectrum_share_above(noise, 4000) > 0.4
    out = telephone(noise, 300.0, 3400.0, law)
    assert out.numel() == noise.numel()
    assert spectrum_share_above(out, 4000) < 1e-3
    assert spectrum_share_above(out, 3800) < 0.02


def test_a_law_round_trip_is_close():
    x = torch.linspace(-1, 1, 1001)
    assert ((a_law(x) - x).abs() <= 0.025 * x.abs() + 1e-3).all()  # 8-bit log steps: ~2 % relative


@pytest.mark.parametrize("kind", ["white", "pink", "brown", "hum", "babble"])
def test_noise_is_added_at_the_target_snr(kind):
    wave = speechlike(1.0)
    config = only("p_noise", noise_kinds=(kind,), snr_db=(7.5, 7.5))
    out = Augmenter(config, babble=[speechlike(0.4, seed=5)])(wave, random.Random(0))
    snr = 10 * math.log10(float(wave.pow(2).mean() / (out - wave).pow(2).mean()))
    assert snr == pytest.approx(7.5, abs=1.0)


def test_add_noise_exact_snr_and_hum_spectrum():
    gen = np.random.default_rng(1)
    wave, noise = speechlike(0.5), hum(SR // 2, gen)
    out = add_noise(wave, noise, 12.0)
    assert 10 * math.log10(float(wave.pow(2).mean() / (out - wave).pow(2).mean())) == pytest.approx(12.0, abs=0.01)
    assert dominant_hz(noise) % 50 == pytest.approx(0, abs=2) or dominant_hz(noise) % 60 == pytest.approx(0, abs=2)


def test_noise_files_are_used(tmp_path):
    from subtitler.audio_io import read_audio

    path = "tests/fixtures/librispeech/19/198/19-198-0001.flac"
    config = only("p_noise", noise_kinds=("file",), snr_db=(0.0, 0.0))
    out = Augmenter(config, noise_files=[path])(speechlike(0.2), random.Random(0))
    assert out.numel() == int(0.2 * SR) and torch.isfinite(out).all()
    assert read_audio(path).size > 0


def test_rir_bank_is_normalised_direct_first_and_cached(tmp_path, rirs):
    assert rirs.shape == (2, SR)
    assert torch.allclose(rirs.norm(dim=1), torch.ones(2))
    assert int(rirs[0].abs().argmax()) < 100  # direct path at the start, no propagation delay
    path = tmp_path / "rirs.pt"
    first = load_or_make_rir_bank(path, n=1)
    assert path.exists() and torch.equal(load_or_make_rir_bank(path, n=1), first)


def test_rir_bank_falls_back_without_pyroomacoustics(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pra(name, *args, **kwargs):
        if name == "pyroomacoustics":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pra)
    with pytest.warns(UserWarning, match="pyroomacoustics"):
        bank = make_rir_bank(3, seed=0)
    assert bank.shape == (3, SR) and torch.isfinite(bank).all()


def test_fft_size_is_smooth_and_not_smaller():
    for n in (1, 7, 95_999, 131_073):
        m = fft_size(n)
        assert m >= n and m < 2 * n + 1
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        assert m == 1


def test_speed_of_the_full_chain(rirs, capsys):
    """Throughput of the default chain on a 5 s utterance on one thread (target >= 100x real time)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        wave, aug, rng = speechlike(5.0), Augmenter(AugmentConfig(), rir_bank=rirs), random.Random(0)
        for _ in range(3):
            aug(wave, rng)
        start, n = time.perf_counter(), 20
        for _ in range(n):
            aug(wave, rng)
        speed = 5.0 * n / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    with capsys.disabled():
        print(f"\naugmenter (default chain): {speed:.0f}x real time on one thread")
    assert speed > 30  # loose, so a busy shared machine does not fail the suite


def _tone_log_mel(hz: float) -> torch.Tensor:
    """(1, T, 80) log-mel of a pure tone through the runtime's own front end settings."""
    import torchaudio

    from subtitler.config import FeatureConfig

    c = FeatureConfig()
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=SR, n_fft=c.n_fft, hop_length=c.hop_length, f_min=c.f_min,
                                               f_max=c.f_max, n_mels=c.n_mels, center=False)
    t = torch.arange(SR // 2) / SR
    return (mel(torch.sin(2 * math.pi * hz * t)) + 1e-6).log().T.unsqueeze(0)


def test_vocal_tract_warp_moves_formants_by_its_factor_and_keeps_the_band_edges():
    from subtitler.config import FeatureConfig

    c = FeatureConfig()
    peak = lambda x: int(x[0].mean(0).argmax())  # noqa: E731 - the loudest mel bin
    x = _tone_log_mel(1000.0)
    same = warp_vocal_tract(x, torch.tensor([1.0]), c.f_min, c.f_max)
    assert torch.allclose(same, x, atol=1e-4)
    assert peak(warp_vocal_tract(x, torch.tensor([1.1]), c.f_min, c.f_max)) == peak(_tone_log_mel(1100.0)) > peak(x)
    assert peak(warp_vocal_tract(x, torch.tensor([0.9]), c.f_min, c.f_max)) == peak(_tone_log_mel(900.0)) < peak(x)
    out = warp_vocal_tract(torch.cat([x, x]), torch.tensor([1.0, 1.1]), c.f_min, c.f_max)  # a factor each
    assert torch.allclose(out[0], x[0], atol=1e-4) and not torch.allclose(out[1], x[0], atol=1e-2)
