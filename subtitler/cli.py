"""Command line: ``subtitler transcribe|bench ...``. Thin: parse, build configs, call the library."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import SubtitlerError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMATS = ("srt", "vtt", "txt", "json")

DESCRIPTION = """\
Offline, streaming speech-to-subtitle. Nothing leaves your computer.

commands:
  transcribe   turn audio or video files into SRT, WebVTT, text or JSON
  bench        measure speed (real-time factor, chunk latency, memory)

Run 'subtitler COMMAND --help' for the options of a command.
"""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("subtitler: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SubtitlerError as exc:
        print(f"subtitler: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="subtitler", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"subtitler {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_transcribe(sub)
    _add_bench(sub)
    return parser


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", type=Path,
                   help="model checkpoint (default: the bundled English model)")
    p.add_argument("--threads", type=int, default=0, metavar="N",
                   help="CPU threads for the model (default: all cores)")


def _add_transcribe(sub) -> None:
    p = sub.add_parser(
        "transcribe", help="transcribe audio/video files to subtitles",
        description="Transcribe audio or video files (wav, flac, mp3, ogg, m4a, mp4, mkv, webm, ...) "
                    "to subtitles. Without -o, each output is written next to its input with the "
                    "format's extension. Files that cannot be read are reported and skipped; the "
                    "others are still transcribed. Outputs are written atomically.",
        epilog="examples:\n  subtitler transcribe talk.mp4\n  subtitler transcribe a.wav b.mp3 -o subs/ --format vtt\n"
               "  subtitler transcribe lecture.m4a -o - --format txt | less",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", type=Path, metavar="IN", help="audio or video files")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file (one input), existing directory, or '-' for standard output")
    p.add_argument("-f", "--format", choices=FORMATS,
                   help="output format (default: from OUT's extension, else srt)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_model_options(p)
    p.set_defaults(run=_run_transcribe)


def _add_bench(sub) -> None:
    p = sub.add_parser(
        "bench", help="measure speed on this machine",
        description="Measure the real-time factor of whole-file transcription and of streaming in "
                    "fixed chunks, per-chunk latency (p50/p99) and peak memory. RTF = processing "
                    "time / audio duration; lower is faster.")
    p.add_argument("audio", nargs="?", type=Path, help="audio file (default: the bundled demo)")
    p.add_argument("--chunk-ms", type=int, default=160, help="streaming chunk length in ms (default 160)")
    p.add_argument("--repeat", type=int, default=3, help="passes per measurement; the best is kept (default 3)")
    p.add_argument("--model", metavar="PATH", type=Path, help="model checkpoint (default: bundled)")
    p.add_argument("--threads", type=int, default=1, metavar="N", help="CPU threads (default 1)")
    p.set_defaults(run=_run_bench)


def _recognizer(args):
    import torch

    from .checkpoint import load_checkpoint
    from .stream import Recognizer

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    return Recognizer(load_checkpoint(args.model))


def _run_transcribe(args) -> int:
    from .batch import transcribe_all

    fmt = args.format or _format_from(args.output) or "srt"
    if args.output not in (None, "-") and len(args.inputs) > 1 and not Path(args.output).is_dir():
        print("subtitler: error: with several inputs, -o must be an existing directory or '-'", file=sys.stderr)
        return EXIT_USAGE
    return transcribe_all(_recognizer(args), args.inputs, args.output, fmt, progress=not args.quiet)


def _format_from(output: str | None) -> str | None:
    if output in (None, "-"):
        return None
    suffix = Path(output).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def _run_bench(args) -> int:
    from .bench import run_bench

    print(run_bench(_recognizer(args), args.audio, args.chunk_ms, args.repeat).table())
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
