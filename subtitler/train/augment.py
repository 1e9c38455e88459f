"""On-the-fly waveform augmentation: new speakers, rooms, noise, microphones and phone lines.

The acoustic model is trained on clean wideband TTS only, so every training
example is pushed through a random chain, different every epoch, in the
DataLoader workers on the CPU:

    speed -> pitch -> reverb -> noise -> microphone EQ -> telephone -> gain -> DC -> clip/limit -> quantise

Only speed changes the length. Everything is driven by the caller's
``random.Random``, so a chain is reproducible from a seed. Resampling kernels
are built once per rate pair and cached; reverb is one FFT convolution; noise
is shaped white noise from numpy. The chain runs at several hundred times real
time on one core (see ``tests/test_augment.py`` for the measured figure).
"""
from __future__ import annotations

import functools
import math
import random
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchaudio.functional as AF
import torchaudio.transforms as AT

from ..audio_io import read_audio
from ..config import SAMPLE_RATE

NOISE_DIRS = ("/usr/share/games/lincity-ng/sounds",)  # Debian lincity-ng-data: real ambient sound effects
RATE_STEPS = 100  # speed and pitch factors are 100/n, so each needs one small cached resampling kernel
HEADROOM = 64.0  # torchaudio's biquads clamp to [-1, 1]: filter 36 dB down, then restore the level
RIR_SECONDS = 1.0  # s; length of every impulse response in a bank (direct path at index 0)
MAX_IMAGE_ORDER = 80  # rooms needing more image-source reflections than this are redrawn (too slow)


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities (0..1) and ranges of each step of the chain."""

    p_speed: float = 0.6  # resample-based speed change (tempo, pitch and formants together)
    speed_range: tuple[float, float] = (0.9, 1.1)  # factor; 1.1 plays 10 % faster
    p_pitch: float = 0.4  # pitch and formant shift at constant duration: a new plausible speaker
    pitch_range: tuple[float, float] = (0.85, 1.18)  # frequency factor (about -3..+3 semitones)
    p_reverb: float = 0.5  # convolve with a room impulse response from the bank
    p_noise: float = 0.6  # add one kind of noise
    snr_db: tuple[float, float] = (0.0, 25.0)  # dB, speech power over noise power
    noise_kinds: tuple[str, ...] = ("white", "pink", "brown", "hum", "babble", "file")  # babble/file need sources
    babble_talkers: tuple[int, int] = (3, 7)  # how many other utterances overlap in babble
    p_mic: float = 0.5  # microphone colouration: random peaking EQ plus high/low-pass
    mic_bands: tuple[int, int] = (1, 3)  # number of peaking filters
    mic_gain_db: float = 10.0  # dB, +- gain of each peaking filter
    mic_highpass_hz: tuple[float, float] = (50.0, 300.0)  # Hz, cut-off of a cheap mic's bass roll-off
    mic_lowpass_hz: tuple[float, float] = (3500.0, 7500.0)  # Hz, cut-off of a dull mic
    p_mic_highpass: float = 0.5  # given p_mic
    p_mic_lowpass: float = 0.3  # given p_mic
    p_telephone: float = 0.2  # 8 kHz phone line: resample, band-pass, companding, resample back
    telephone_low_hz: tuple[float, float] = (200.0, 400.0)  # Hz, band-pass lower edge (nominal 300)
    telephone_high_hz: tuple[float, float] = (3000.0, 3600.0)  # Hz, band-pass upper edge (nominal 3400)
    p_companding: float = 0.5  # given p_telephone: 8-bit mu-law or A-law, equally likely
    p_gain: float = 0.5  # level change
    gain_db: tuple[float, float] = (-20.0, 6.0)  # dB
    p_dc: float = 0.1  # add a DC offset
    dc_max: float = 0.05  # full scale, +- offset
    p_clip: float = 0.3  # when the peak exceeds 1: hard clip (else scale down to peak 1)
    p_quantize: float = 0.1  # coarse uniform quantisation, like a cheap ADC or low-bitrate file
    quantize_bits: tuple[int, int] = (6, 12)  # bits including sign


class Augmenter:
    """A random augmentation chain; ``aug(wave, rng)`` maps (T,) float32 16 kHz to (T',) float32 in [-1, 1].

    ``rir_bank`` (n, L) holds room impulse responses (see :func:`load_or_make_rir_bank`);
    ``noise_files`` are any audio files, decoded on first use and kept in memory;
    ``babble`` is a pool of other 16 kHz utterances (T_i,) to mix as background talkers.
    """

    def __init__(self, config: AugmentConfig = AugmentConfig(), rir_bank: torch.Tensor | None = None,
                 noise_files: list | None = None, babble: list[torch.Tensor] | None = None):
        self.config = config
        self.rir_bank = rir_bank
        self.noise_files = [str(p) for p in noise_files or []]
        self.babble = list(babble or [])
        self._noise_cache: dict[str, torch.Tensor] = {}

    def __call__(self, wave: torch.Tensor, rng: random.Random,
                 others: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Augment one utterance; ``others`` (e.g. the rest of the batch) join the babble pool for this call."""
        c = self.config
        x = wave.detach().float().reshape(-1)
        if rng.random() < c.p_speed:
            x = change_speed(x, rng.uniform(*c.speed_range))
        if rng.random() < c.p_pitch:
            x = shift_pitch(x, rng.uniform(*c.pitch_range))
        if self.rir_bank is not None and len(self.rir_bank) and rng.random() < c.p_reverb:
            x = reverberate(x, self.rir_bank[rng.randrange(len(self.rir_bank))])
        if rng.random() < c.p_noise:
            x = self._add_noise(x, rng, others or [])
        if rng.random() < c.p_mic:
            x = self._microphone(x, rng)
        if rng.random() < c.p_telephone:
            law = rng.choice(("mu", "a")) if rng.random() < c.p_companding else None
            x = telephone(x, rng.uniform(*c.telephone_low_hz), rng.uniform(*c.telephone_high_hz), law)
        if rng.random() < c.p_gain:
            x = x * 10 ** (rng.uniform(*c.gain_db) / 20)
        if rng.random() < c.p_dc:
            x = x + rng.uniform(-c.dc_max, c.dc_max)
        x = limit(x, clip=rng.random() < c.p_clip)
        if rng.random() < c.p_quantize:
            x = quantize(x, rng.randint(*c.quantize_bits))
        return x

    def _add_noise(self, x: torch.Tensor, rng: random.Random, others: list[torch.Tensor]) -> torch.Tensor:
        c, n = self.config, x.numel()
        gen = np.random.default_rng(rng.getrandbits(64))
        pool = self.babble + list(others)
        kinds = [k for k in c.noise_kinds if (k != "babble" or pool) and (k != "file" or self.noise_files)]
        if not kinds or n == 0:
            return x
        kind = rng.choice(kinds)
        if kind == "babble":
            noise = babble(n, [rng.choice(pool) for _ in range(rng.randint(*c.babble_talkers))], gen)
        elif kind == "file":
            noise = crop_or_tile(self._noise_file(rng.choice(self.noise_files)), n, gen)
        elif kind == "hum":
            noise = hum(n, gen)
        else:
            noise = coloured_noise(n, {"white": 0.0, "pink": 1.0, "brown": 2.0}[kind], gen)
        return add_noise(x, noise, rng.uniform(*c.snr_db))

    def _noise_file(self, path: str) -> torch.Tensor:
        if path not in self._noise_cache:
            self._noise_cache[path] = torch.from_numpy(read_audio(path, SAMPLE_RATE))
        return self._noise_cache[path]

    def _microphone(self, x: torch.Tensor, rng: random.Random) -> torch.Tensor:
        c, sr = self.config, SAMPLE_RATE
        x = x / HEADROOM
        for _ in range(rng.randint(*c.mic_bands)):
            gain = rng.uniform(-c.mic_gain_db, c.mic_gain_db)
            x = AF.equalizer_biquad(x, sr, log_uniform(rng, 80.0, 6000.0), gain, rng.uniform(0.5, 3.0))
        if rng.random() < c.p_mic_highpass:
            x = AF.highpass_biquad(x, sr, log_uniform(rng, *c.mic_highpass_hz))
        if rng.random() < c.p_mic_lowpass:
            x = AF.lowpass_biquad(x, sr, log_uniform(rng, *c.mic_lowpass_hz))
        return x * HEADROOM


# --- single steps, usable on their own -------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _resampler(orig: int, new: int) -> AT.Resample:
    return AT.Resample(orig, new)


def resample(wave: torch.Tensor, orig: int, new: int) -> torch.Tensor:
    """(T,) at ``orig`` -> (about T*new/orig,) at ``new``, with a cached windowed-sinc kernel."""
    if orig == new:
        return wave
    return _resampler(orig, new)(wave.unsqueeze(0)).squeeze(0)


def change_speed(wave: torch.Tensor, factor: float) -> torch.Tensor:
    """Play ``factor`` times faster: (T,) -> (about T/factor,); pitch and formants rise by ``factor``.

    The factor is rounded to 100/n for an integer n, so there are only ~20 kernels to cache.
    """
    return resample(wave, RATE_STEPS, max(1, round(RATE_STEPS / factor)))


def shift_pitch(wave: torch.Tensor, factor: float, n_fft: int = 512, hop: int = 128) -> torch.Tensor:
    """Multiply pitch and formants by ``factor`` at constant duration: (T,) -> (T,).

    Speed change by resampling, then a phase-vocoder time stretch back to T,
    rescaled to the input's RMS (the vocoder's smeared phases lose ~3 dB on speech).
    """
    t = wave.numel()
    y = change_speed(wave, factor)
    if y.numel() < n_fft or t == 0:
        return fit_length(y, t)
    window = torch.hann_window(n_fft)
    spec = torch.stft(y, n_fft, hop, window=window, return_complex=True)
    advance = torch.linspace(0, math.pi * hop, spec.shape[0]).unsqueeze(-1)
    spec = AF.phase_vocoder(spec, y.numel() / t, advance)
    out = torch.istft(spec, n_fft, hop, window=window, length=t)
    return out * (rms(wave) / rms(out).clamp_min(1e-8))


def reverberate(wave: torch.Tensor, rir: torch.Tensor) -> torch.Tensor:
    """Convolve (T,) with a room impulse response (L,) whose direct path is at index 0; keeps T and RMS."""
    t = wave.numel()
    n = fft_size(t + rir.numel() - 1)  # torchaudio's fftconvolve uses the exact, often slow, length
    wet = torch.fft.irfft(torch.fft.rfft(wave, n) * torch.fft.rfft(rir.to(wave.dtype), n), n)[:t]
    return wet * (rms(wave) / rms(wet).clamp_min(1e-8))


def fft_size(n: int) -> int:
    """A fast FFT length >= n: the smallest m * 2**k with m a small product of 3s and 5s."""
    return min(m << ((max(n, 1) - 1) // m).bit_length() for m in (1, 3, 5, 9, 15, 25, 27, 45, 75, 81, 125))


def add_noise(wave: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    """wave + noise scaled so that mean(wave**2) / mean(noise**2) is ``snr_db`` dB; both (T,)."""
    scale = rms(wave) / (rms(noise).clamp_min(1e-8) * 10 ** (snr_db / 20))
    return wave + noise * scale


def coloured_noise(n: int, exponent: float, gen: np.random.Generator, rate: int = SAMPLE_RATE) -> torch.Tensor:
    """(n,) Gaussian noise with power spectrum ~ 1/f**exponent (0 white, 1 pink, 2 brown) above 20 Hz."""
    spec = np.fft.rfft(gen.standard_normal(n))
    freqs = np.maximum(np.fft.rfftfreq(n, 1.0 / rate), 20.0)
    spec *= freqs ** (-exponent / 2)
    spec[0] = 0.0
    return torch.from_numpy(np.fft.irfft(spec, n).astype(np.float32))


def hum(n: int, gen: np.random.Generator, rate: int = SAMPLE_RATE) -> torch.Tensor:
    """(n,) mains hum: 50 or 60 Hz and 2..12 harmonics with random amplitudes (falling ~1/k) and phases."""
    t = np.arange(n) / rate
    f0 = gen.choice((50.0, 60.0))
    k = np.arange(1, gen.integers(3, 13) + 1)[:, None]
    amps = gen.uniform(0.1, 1.0, k.shape) / k
    phases = gen.uniform(0, 2 * np.pi, k.shape)
    return torch.from_numpy((amps * np.sin(2 * np.pi * f0 * k * t + phases)).sum(0).astype(np.float32))


def babble(n: int, talkers: list[torch.Tensor], gen: np.random.Generator) -> torch.Tensor:
    """(n,) sum of random stretches of other utterances, each at unit RMS."""
    out = torch.zeros(n)
    for wave in talkers:
        piece = crop_or_tile(wave.float().reshape(-1), n, gen)
        out += piece / rms(piece).clamp_min(1e-8)
    return out


def crop_or_tile(wave: torch.Tensor, n: int, gen: np.random.Generator) -> torch.Tensor:
    """A random stretch of n samples of (T,), repeating the signal when T < n."""
    if wave.numel() == 0:
        return torch.zeros(n)
    if wave.numel() < n:
        wave = wave.repeat(n // wave.numel() + 1)
    start = int(gen.integers(0, wave.numel() - n + 1))
    return wave[start:start + n]


def telephone(wave: torch.Tensor, low_hz: float = 300.0, high_hz: float = 3400.0,
              law: str | None = None) -> torch.Tensor:
    """Narrowband phone line, (T,) 16 kHz -> (T,) 16 kHz with nothing above 4 kHz.

    Down to 8 kHz, 4th-order band-pass ``low_hz``..``high_hz``, optional 8-bit
    companding (``law`` "mu" or "a"), back up to 16 kHz.
    """
    x = resample(wave, SAMPLE_RATE, 8000) / HEADROOM
    for _ in range(2):
        x = AF.lowpass_biquad(AF.highpass_biquad(x, 8000, low_hz), 8000, min(high_hz, 3900.0))
    x = (x * HEADROOM).clamp(-1.0, 1.0)
    if law == "mu":
        x = AF.mu_law_decoding(AF.mu_law_encoding(x, 256), 256)
    elif law == "a":
        x = a_law(x)
    return fit_length(resample(x, 8000, SAMPLE_RATE), wave.numel())


def a_law(x: torch.Tensor, a: float = 87.6) -> torch.Tensor:
    """G.711 A-law 8-bit round trip of (T,) in [-1, 1] (torchaudio has mu-law only)."""
    ax, la = x.abs(), 1.0 + math.log(a)
    y = torch.where(ax < 1 / a, a * ax / la, (1 + torch.log((a * ax).clamp_min(1.0))) / la)
    y = torch.round(y * 127) / 127
    return x.sign() * torch.where(y < 1 / la, y * la / a, torch.exp(y * la - 1) / a)


def quantize(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Uniform quantisation of (T,) in [-1, 1] to ``bits`` bits including sign."""
    q = 2 ** (bits - 1) - 1
    return torch.round(x * q) / q


def limit(x: torch.Tensor, clip: bool) -> torch.Tensor:
    """Bring the peak into [-1, 1]: hard clip if ``clip``, otherwise scale the whole signal down."""
    peak = float(x.abs().max()) if x.numel() else 0.0
    if peak <= 1.0:
        return x
    return x.clamp(-1.0, 1.0) if clip else x / peak


def fit_length(x: torch.Tensor, n: int) -> torch.Tensor:
    """Cut or zero-pad (T,) to (n,)."""
    return x[:n] if x.numel() >= n else torch.nn.functional.pad(x, (0, n - x.numel()))


def rms(x: torch.Tensor) -> torch.Tensor:
    """Root mean square of (T,) as a 0-d tensor (0 for an empty signal)."""
    return x.pow(2).mean().sqrt() if x.numel() else torch.zeros(())


def log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    """A value between lo and hi, uniform on a log scale (for frequencies)."""
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def find_noise_files(dirs: tuple[str, ...] = NOISE_DIRS) -> list[str]:
    """Sound files (wav/ogg/flac/mp3) under the given directories that exist, sorted."""
    suffixes = {".wav", ".ogg", ".flac", ".mp3"}
    found = [p for d in dirs if Path(d).is_dir() for p in Path(d).rglob("*") if p.suffix.lower() in suffixes]
    return sorted(str(p) for p in found)


# --- room impulse responses ------------------------------------------------------------------------

def make_rir_bank(n: int, seed: int, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """(n, L) unit-energy room impulse responses, L = RIR_SECONDS * sample_rate, direct path first.

    Shoebox rooms from pyroomacoustics with random size, RT60 0.15..0.9 s and
    positions; synthetic exponentially decaying noise if it is not installed.
    """
    rng = random.Random(seed)
    length = int(RIR_SECONDS * sample_rate)
    try:
        import pyroomacoustics as pra
    except ImportError:
        warnings.warn("pyroomacoustics is not installed (pip install pyroomacoustics): "
                      "using synthetic exponentially decaying noise impulse responses", stacklevel=2)
        rirs = [_synthetic_rir(rng, sample_rate) for _ in range(n)]
    else:
        rirs = [_shoebox_rir(pra, rng, sample_rate) for _ in range(n)]
    bank = torch.stack([fit_length(_direct_first(torch.as_tensor(r, dtype=torch.float32)), length) for r in rirs]) \
        if rirs else torch.zeros(0, length)
    return bank / bank.norm(dim=1, keepdim=True).clamp_min(1e-8)


def load_or_make_rir_bank(path: str | Path, n: int = 200, seed: int = 0) -> torch.Tensor:
    """The bank cached in ``path`` (.pt) if it holds ``n`` responses, else a new one saved there."""
    path = Path(path)
    if path.exists():
        bank = torch.load(path, weights_only=True).float()  # a bank may travel as float16
        if bank.shape[0] == n:
            return bank
    bank = make_rir_bank(n, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(bank, path)
    return bank


def _shoebox_rir(pra, rng: random.Random, rate: int) -> np.ndarray:
    while True:
        dims = [rng.uniform(3.0, 10.0), rng.uniform(2.5, 8.0), rng.uniform(2.4, 4.0)]  # m
        try:
            absorption, order = pra.inverse_sabine(rng.uniform(0.15, 0.9), dims)
        except ValueError:  # RT60 impossible for this room size
            continue
        if order > MAX_IMAGE_ORDER:
            continue
        room = pra.ShoeBox(dims, fs=rate, materials=pra.Material(absorption), max_order=order)
        source, mic = ([rng.uniform(0.5, d - 0.5) for d in dims] for _ in range(2))
        if math.dist(source, mic) < 0.5:
            continue
        room.add_source(source)
        room.add_microphone(mic)
        room.compute_rir()
        return np.asarray(room.rir[0][0], dtype=np.float32)


def _synthetic_rir(rng: random.Random, rate: int) -> np.ndarray:
    rt60 = rng.uniform(0.15, 0.9)
    t = np.arange(int(rt60 * rate)) / rate
    gen = np.random.default_rng(rng.getrandbits(64))
    tail = gen.standard_normal(t.size) * np.exp(-6.9 * t / rt60) * rng.uniform(0.1, 0.5)
    tail[: int(0.002 * rate)] = 0.0  # first reflections arrive a few ms after the direct sound
    tail[0] = 1.0
    return tail.astype(np.float32)


def _direct_first(rir: torch.Tensor, lead: int = 40) -> torch.Tensor:
    """Drop the propagation delay, keeping ``lead`` samples of the fractional-delay filter before the peak."""
    return rir[max(0, int(rir.abs().argmax()) - lead):]


def _hz_to_mel(f: torch.Tensor) -> torch.Tensor:
    return 2595.0 * torch.log10(1.0 + f / 700.0)  # the HTK scale of torchaudio's MelSpectrogram


def _mel_to_hz(m: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def warp_vocal_tract(log_mel: torch.Tensor, alphas: torch.Tensor, f_min: float, f_max: float,
                     boundary: float = 0.85) -> torch.Tensor:
    """Vocal tract length perturbation (Jaitly & Hinton 2013) of log-mel frames (B, T, F).

    Utterance b is heard from a vocal tract ``alphas[b]`` times shorter: its
    spectral envelope (the formants) moves up in frequency by that factor while
    the pitch and the timing stay as they are, which speed and pitch changes on
    the waveform cannot do (they move formants and pitch together). The warp is
    piecewise linear in Hz with both ends of the band fixed: below
    ``boundary * f_max * min(1, alpha)`` a frequency f shows what the input had at
    f / alpha, above that the rest of the band is stretched to end at ``f_max``.
    Each output bin linearly interpolates the input's two nearest mel bins at the
    source frequency of its centre. ``alphas`` of 1 return the input unchanged.
    """
    n_mels = log_mel.shape[-1]
    mel_lo, mel_hi = _hz_to_mel(torch.tensor(f_min)), _hz_to_mel(torch.tensor(f_max))
    step = (mel_hi - mel_lo) / (n_mels + 1)
    centres = _mel_to_hz(mel_lo + step * torch.arange(1, n_mels + 1)).to(log_mel.device)  # (F,) Hz, as torchaudio's
    a = alphas.to(log_mel.device, torch.float32).reshape(-1, 1)
    knee = boundary * f_max * a.clamp(max=1.0)  # (B, 1) Hz where the linear warp ends
    below = centres / a
    above = knee / a + (centres - knee) * (f_max - knee / a) / (f_max - knee)
    source = torch.where(centres <= knee, below, above).clamp(f_min, f_max)  # (B, F) Hz
    pos = ((_hz_to_mel(source) - mel_lo) / step - 1.0).clamp(0, n_mels - 1)  # fractional input bin
    lo = pos.floor().long().clamp(max=n_mels - 2)
    frac = (pos - lo).to(log_mel.dtype).unsqueeze(1)  # (B, 1, F)
    index = lo.unsqueeze(1).expand(-1, log_mel.shape[1], -1)  # (B, T, F)
    left = log_mel.gather(-1, index)
    right = log_mel.gather(-1, index + 1)
    return left + frac * (right - left)
