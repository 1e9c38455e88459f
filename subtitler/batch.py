"""Transcribing several files for the command line: output naming, progress, per-file errors."""
from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
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
            with _progress_bar(source, progress) as update:
                subtitle_file(recognizer, source, output, fmt, update)
        except SubtitlerError as exc:
            print(f"subtitler: error: {exc}", file=sys.stderr)
            failed += 1
        except OSError as exc:
            print(f"subtitler: error: {source}: cannot write output ({exc.strerror or exc})", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def subtitle_file(recognizer: Recognizer, source: Path, output: str | None, fmt: str,
                  on_progress: Callable[[float, float | None], None] | None = None) -> Path | None:
    """Transcribe ``source`` and write it as ``fmt`` where :func:`output_path` says; returns that path.

    ``on_progress(seconds, total)`` follows the audio consumed (``total`` None when the container does
    not declare a duration); an exception it raises stops the work before anything is written.
    """
    from .audio_io import probe_duration

    target = output_path(source, output, fmt)
    if target is not None and target.resolve() == source.resolve():
        raise MediaError(f"{source}: output would overwrite the input; choose another -o or --format")
    total = probe_duration(source) if on_progress is not None else None

    def update(seconds: float) -> None:
        on_progress(seconds, total)

    transcript = transcribe_file(recognizer, source, update if on_progress is not None else None)
    _write(transcript, target, fmt)
    return target


@contextmanager
def _progress_bar(source: Path, show: bool):
    """A terminal progress bar for one file (drawn only on a terminal); yields its update function."""
    from tqdm import tqdm

    with tqdm(desc=source.name, unit="s audio", disable=not (show and sys.stderr.isatty()), leave=False,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}, "
              "{rate_fmt}]") as bar:
        def update(seconds: float, total: float | None) -> None:
            if total and bar.total is None:
                bar.total = round(total, 1)
            bar.update(seconds - bar.n)
        yield update


def _write(transcript: Transcript, target: Path | None, fmt: str) -> None:
    text = render(fmt, transcript.segments)
    if target is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(target, text)
        print(f"{transcript.source} -> {target}", file=sys.stderr)
