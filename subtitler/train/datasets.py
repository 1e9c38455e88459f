"""Speech corpora as lists of :class:`Utterance` records, and duration-bucketed batches.

Readers for our own JSON-lines manifests, generic CSV/TSV manifests,
LibriSpeech and Common Voice folders; :func:`load_corpus` picks one from what
a path looks like. Audio paths come back absolute-or-joined with the corpus
folder, so they can be opened from anywhere; transcripts are normalised to the
model's alphabet (``[a-z' ]``).
"""
from __future__ import annotations

import csv
import json
import os
import random
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from ..audio_io import probe_duration
from ..errors import MediaError

PATH_COLUMNS = ("path", "audio", "file", "filename", "wav")  # CSV header names for the audio file
TEXT_COLUMNS = ("text", "transcript", "transcription", "sentence")  # ... for the transcript
SECONDS_COLUMNS = ("seconds", "duration")  # ... for the duration in seconds (optional)
VOICE_COLUMNS = ("voice", "speaker", "client_id")  # ... for the speaker (optional)
SPLIT_NAMES = {"train": "train", "dev": "valid", "valid": "valid", "validation": "valid", "test": "test",
               "realdev": "realdev"}  # real speech for measuring only: never a training split


@dataclass(frozen=True)
class Utterance:
    """One recording and its transcript."""

    path: str  # audio file, joined with the corpus folder
    text: str  # normalised transcript ([a-z' ], single spaces)
    seconds: float  # duration in s; 0.0 when unknown (see fill_seconds)
    voice: str = ""  # speaker id, e.g. "engine:name", LibriSpeech speaker, Common Voice client_id
    engine: str = ""  # TTS engine, or "" for human speech
    split: str = "train"  # "train", "valid", "test" or "realdev" (real speech, never trained on)


@lru_cache(maxsize=1)
def _normalizer():
    try:
        from .text import normalize
    except ImportError:
        return _simple_normalize
    return normalize


def _simple_normalize(text: str) -> str:
    text = re.sub(r"[^a-z' ]", " ", text.lower())
    return " ".join(re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text).split())


def normalize_text(text: str) -> str:
    """``subtitler.train.text.normalize`` if it imports, else lowercase and keep ``[a-z' ]``."""
    return _normalizer()(text)


def read_manifest(path: str | Path) -> list[Utterance]:
    """Our JSON-lines manifest: one object per line with the fields of :class:`Utterance`.

    Relative paths are joined with the manifest's folder; unknown keys are
    ignored; a torn last line (a manifest being appended to) is skipped.
    """
    path = Path(path)
    lines = [(i, s) for i, s in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if s.strip()]
    out = []
    for i, line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if i == lines[-1][0]:
                break
            raise ValueError(f"{path}:{i}: not a JSON object") from None
        out.append(_record(path.parent, rec["path"], rec["text"], rec.get("seconds"), rec.get("voice", ""),
                           rec.get("engine", ""), rec.get("split", "train"), probe=False))
    return out


def read_csv_manifest(path: str | Path, probe: bool = True) -> list[Utterance]:
    """A CSV (or TSV, by suffix) with a header naming an audio and a transcript column.

    Recognised headers are listed in ``PATH_COLUMNS``, ``TEXT_COLUMNS``,
    ``SECONDS_COLUMNS``, ``VOICE_COLUMNS`` and ``split``; a ``.jsonl`` file is
    read with :func:`read_manifest`. Missing durations are probed from the file
    header when ``probe``.
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        return read_manifest(path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t" if path.suffix == ".tsv" else ","))
    if not rows:
        return []
    cols = {c.strip().lower(): c for c in rows[0]}
    audio, text = _column(cols, PATH_COLUMNS, path), _column(cols, TEXT_COLUMNS, path)
    seconds, voice = _column(cols, SECONDS_COLUMNS), _column(cols, VOICE_COLUMNS)
    split = _column(cols, ("split",))
    return [_record(path.parent, r[audio], r[text], r[seconds] if seconds else None, r[voice] if voice else "",
                    "", r[split] if split else "train", probe) for r in rows]


def _column(cols: dict[str, str], names: tuple[str, ...], path: Path | None = None) -> str | None:
    for name in names:
        if name in cols:
            return cols[name]
    if path is not None:
        raise ValueError(f"{path}: no column named any of {', '.join(names)}")
    return None


def read_librispeech(root: str | Path, probe: bool = True) -> list[Utterance]:
    """LibriSpeech layout: ``root/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt`` with lines "ID TEXT"
    and audio ``root/<speaker>/<chapter>/ID.flac``; voice is the speaker id.

    The split comes from the folder name (train-*, dev-* -> valid, test-*).
    Durations are probed from the FLAC headers when ``probe``, else 0.0.
    """
    root = Path(root)
    split = _split_of(root.name)
    out = []
    for trans in sorted(root.rglob("*.trans.txt")):
        for line in trans.read_text(encoding="utf-8").splitlines():
            uid, _, text = line.strip().partition(" ")
            if uid:
                out.append(_record(trans.parent, f"{uid}.flac", text, None, uid.split("-")[0], "", split, probe))
    return out


def read_common_voice(root: str | Path, tsv: str = "train.tsv", probe: bool = True) -> list[Utterance]:
    """Common Voice layout: ``root/<split>.tsv`` (client_id, path, sentence, ...), audio in ``root/clips/``.

    Voice is the client_id. Durations come from ``clip_durations.tsv`` (ms) when
    the release has it, else from the mp3 headers when ``probe``, else 0.0.
    """
    root = Path(root)
    with (root / tsv).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    known = _clip_durations(root / "clip_durations.tsv")
    split = _split_of(Path(tsv).stem)
    return [_record(root / "clips", r["path"], r["sentence"], known.get(r["path"]), r["client_id"], "", split,
                    probe) for r in rows]


def _clip_durations(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {r["clip"]: float(r["duration[ms]"]) / 1000 for r in csv.DictReader(f, delimiter="\t")}


def load_corpus(spec: str | Path) -> list[Utterance]:
    """Read a corpus from what ``spec`` is.

    A ``.jsonl`` file (our manifest), a ``.csv``/``.tsv`` file (a Common Voice
    split TSV when it sits next to ``clips/``), or a folder holding
    ``manifest.jsonl``, Common Voice (``clips/`` and ``*.tsv``) or LibriSpeech
    (``**/*.trans.txt``).
    """
    path = Path(spec)
    if path.is_file():
        if path.suffix == ".jsonl":
            return read_manifest(path)
        if path.suffix == ".tsv" and (path.parent / "clips").is_dir():
            return read_common_voice(path.parent, path.name)
        if path.suffix in (".csv", ".tsv"):
            return read_csv_manifest(path)
        raise ValueError(f"{path}: expected a .jsonl, .csv or .tsv manifest")
    if not path.is_dir():
        raise ValueError(f"{path}: no such file or folder")
    if (path / "manifest.jsonl").is_file():
        return read_manifest(path / "manifest.jsonl")
    if (path / "clips").is_dir() and any(path.glob("*.tsv")):
        return read_common_voice(path)
    if next(path.rglob("*.trans.txt"), None) is not None:
        return read_librispeech(path)
    raise ValueError(f"{path}: not a manifest, LibriSpeech or Common Voice folder")


def fill_seconds(utterances: list[Utterance]) -> list[Utterance]:
    """The same records with unknown (0.0) durations probed from the audio file headers."""
    return [u if u.seconds > 0 else replace(u, seconds=_probe(u.path)) for u in utterances]


def bucket_batches(utterances: list[Utterance], max_seconds_per_batch: float, rng: random.Random,
                   jitter: float = 0.05) -> list[list[int]]:
    """Indices grouped into batches of similar duration, in random batch order.

    Utterances are sorted by duration (perturbed by +-``jitter`` of itself, so
    batches differ from epoch to epoch) and cut into runs whose padded size,
    count x longest, stays within ``max_seconds_per_batch``. An utterance longer
    than the limit forms a batch of its own. Every index appears exactly once.
    """
    keys = [u.seconds * (1 + rng.uniform(-jitter, jitter)) for u in utterances]
    batches, current, longest = [], [], 0.0
    for i in sorted(range(len(utterances)), key=keys.__getitem__):
        longest_with = max(longest, utterances[i].seconds)
        if current and (len(current) + 1) * longest_with > max_seconds_per_batch:
            batches.append(current)
            current, longest_with = [], utterances[i].seconds
        current.append(i)
        longest = longest_with
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def _record(base: Path, audio: str, text: str, seconds, voice: str, engine: str, split: str,
            probe: bool) -> Utterance:
    full = os.path.join(base, audio.strip())
    secs = float(seconds) if seconds not in (None, "") else (_probe(full) if probe else 0.0)
    return Utterance(full, normalize_text(text), secs, str(voice), str(engine), _split_of(split))


def _probe(path: str) -> float:
    try:
        return probe_duration(path) or 0.0
    except MediaError:
        return 0.0


def _split_of(name: str) -> str:
    """Split of a folder or file name: train-clean-100 -> train, dev -> valid, test -> test,
    realdev -> realdev, other -> train."""
    return SPLIT_NAMES.get(re.split(r"[-_.]", name.lower())[0], "train")
