"""Transcribing several files for the command line: output naming, progress, per-file errors."""
from __future__ import annotations

import sys
from pathlib import Path

from .errors import MediaError, SubtitlerError
from .stream import Recognizer
from .subtitles import render, write_atomic
from .transcribe import Transcript, transcribe_file


def output_path(source: Path, output: str | None, fmt: str) -> Path | None:
    """Where ``source``'s transcript goes: None for stdout, a directory entry, a file, or next to it."""
    if output == "-":
        return None
    if output is None:
        return source.with_suffix(f".{fmt}")
    out = Path(output)
    return out / f"{source.stem}.{fmt}" if out.is_dir() else out


def transcribe_all(recognizer: Recognizer, inputs: list[Path], output: str | None, fmt: str,
                   progress: bool = True) -> int:
    """Transcribe each input; report failures as one line each and carry on. Returns the exit status."""
    failed = 0
    for source in inputs:
        try:
            target = output_path(source, output, fmt)
            if target is not None and target.resolve() == source.resolve():
                raise MediaError(f"{source}: output would overwrite the input; choose another -o or --format")
            transcript = _transcribe_one(recognizer, source, progress)
            _write(transcript, target, fmt)
        except SubtitlerError as exc:
            print(f"subtitler: error: {exc}", file=sys.stderr)
            failed += 1
        except OSError as exc:
            print(f"subtitler: error: {source}: cannot write output ({exc.strerror or exc})", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _transcribe_one(recognizer: Recognizer, source: Path, progress: bool) -> Transcript:
    from .audio_io import probe_duration

    total = probe_duration(source)
    show = progress and sys.stderr.isatty()
    with _progress_bar(source, total, show) as bar:
        def update(seconds: float) -> None:
            bar.update(seconds - bar.n)
        return transcribe_file(recognizer, source, update)


def _progress_bar(source: Path, total: float | None, show: bool):
    from tqdm import tqdm

    return tqdm(total=round(total, 1) if total else None, desc=source.name, unit="s audio",
                disable=not show, leave=False, bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                "{n:.0f}/{total:.0f} s [{elapsed}<{remaining}, {rate_fmt}]")


def _write(transcript: Transcript, target: Path | None, fmt: str) -> None:
    text = render(fmt, transcript.segments)
    if target is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(target, text)
        print(f"{transcript.source} -> {target}", file=sys.stderr)
