"""Command line: ``subtitler transcribe|live|devices|bench ...``. Thin: parse, build configs, call the library."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import SubtitlerError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMATS = ("srt", "vtt", "txt", "json")
ADAPT_STEPS = 10  # default of --adapt-steps: subtitler.adapt.AdaptConfig().steps

DESCRIPTION = """\
Offline, streaming speech-to-subtitle. Nothing leaves your computer.

commands:
  transcribe   turn audio or video files into SRT, WebVTT, text or JSON
  live         live captions from a microphone, system audio or a replayed file
  devices      list audio input devices
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
    _add_live(sub)
    _add_devices(sub)
    _add_bench(sub)
    return parser


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", type=Path,
                   help="model checkpoint (default: the bundled English model)")
    p.add_argument("--threads", type=int, default=0, metavar="N",
                   help="CPU threads for the model (default: all cores)")
    p.add_argument("--int8", action="store_true",
                   help="run the model's GRU on int8 weights, as live captions do: less CPU, as accurate within "
                        "the measured noise; on whole files only about 13%% faster (see models/README.md)")


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
    _add_decoding_options(p)
    p.set_defaults(run=_run_transcribe)


def _add_decoding_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("decoding", "Beam search with the bundled word language model needs flashlight-text "
                             "(pip install 'subtitler[lm]'); without it, greedy decoding is used.")
    g.add_argument("--decoder", choices=("auto", "beam", "greedy"), default="auto",
                   help="beam: beam search + language model; greedy: best path, no language model; "
                        "auto (default): beam when available")
    _add_vocabulary_options(g)
    g.add_argument("--lm-weight", type=float, metavar="X", help="language model weight (default: tuned)")
    g.add_argument("--word-score", type=float, metavar="Y", help="bonus per word (default: tuned)")
    g.add_argument("--blank-penalty", type=float, metavar="Z",
                   help="subtracted from the blank's log-probability in the beam search (default: tuned)")
    g.add_argument("--beam", type=int, metavar="N",
                   help="hypotheses kept per frame (default 512)")
    g.add_argument("--beam-threshold", type=float, metavar="T",
                   help="drop hypotheses scoring more than T below the best (default 15)")
    g.add_argument("--beam-tokens", type=int, metavar="K",
                   help="most likely characters tried per frame (default 16)")
    _add_adapt_option(g)


def _add_vocabulary_options(g) -> None:
    g.add_argument("--words", metavar="FILE", type=Path,
                   help="your vocabulary (names, jargon), whitespace-separated: added to the lexicon and "
                        "favoured (needs the beam search)")
    g.add_argument("--glossary", metavar="FILE", type=Path,
                   help="rewrite rules, one per line: 'spoken words -> Written form'")


def _steps(text: str) -> int:
    try:
        steps = int(text)
    except ValueError:
        steps = -1
    if steps < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of steps (0 or more)")
    return steps


def _add_adapt_option(p, negatable: bool = False) -> None:
    """--adapt and --adapt-steps; ``negatable``: --adapt/--no-adapt, None when neither is given."""
    p.add_argument("--adapt", action=argparse.BooleanOptionalAction if negatable else "store_true", default=None,
                   help="after each caption line ends, decode it again with the input adapted to the voice "
                        "(test-time adaptation), for many times the CPU time: fewer wrong words on real voices "
                        "with --decoder greedy, more with the default beam search (see models/README.md)"
                        + (" (default: off)" if negatable else ""))
    p.add_argument("--adapt-steps", type=_steps, default=None, metavar="N",
                   help=f"gradient steps of --adapt per line (default {ADAPT_STEPS}); giving it turns --adapt on"
                        + (" unless --no-adapt is given" if negatable else ""))


def adapt_steps(args) -> int | None:
    """Steps of the --adapt pass the arguments ask for: 0 = off, None = not said (``live``: the
    overlay's saved choice). ``--adapt-steps N`` alone turns the pass on; ``--no-adapt`` wins."""
    if args.adapt is False:
        return 0
    if args.adapt is None and args.adapt_steps is None:
        return None
    return ADAPT_STEPS if args.adapt_steps is None else args.adapt_steps


def _add_bench(sub) -> None:
    p = sub.add_parser(
        "bench", help="measure speed on this machine",
        description="Measure the real-time factor of whole-file transcription and of streaming in "
                    "fixed chunks, per-chunk latency (p50/p99) and peak memory, with the live captions' "
                    "recogniser (the int8 GRU and the beam search) unless options say otherwise (files: "
                    "--no-int8). RTF = processing time / audio duration; lower is faster.")
    p.add_argument("audio", nargs="?", type=Path, help="audio file (default: the bundled demo)")
    p.add_argument("--chunk-ms", type=int, default=160, help="streaming chunk length in ms (default 160)")
    p.add_argument("--repeat", type=int, default=3, help="passes per measurement; the best is kept (default 3)")
    p.add_argument("--model", metavar="PATH", type=Path, help="model checkpoint (default: bundled)")
    p.add_argument("--threads", type=int, default=1, metavar="N", help="CPU threads (default 1)")
    p.add_argument("--int8", action=argparse.BooleanOptionalAction, default=True,
                   help="run the model's GRU on int8 weights, as live captions do (default: on)")
    _add_decoding_options(p)
    p.set_defaults(run=_run_bench)


def _add_live(sub) -> None:
    p = sub.add_parser(
        "live", help="live captions (overlay window or terminal)",
        description="Caption live audio. By default the overlay window opens (as with subtitler-gui) "
                    "and listens to the source chosen there last time; --device, --system-audio or "
                    "--input choose one for this run. Every final caption is appended to a session "
                    "file in the per-user data directory as it happens.",
        epilog="examples:\n  subtitler live\n  subtitler live --system-audio --no-gui\n"
               "  subtitler live --input talk.mp4 --export talk.srt",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--device", metavar="N|NAME", help="input device index or name (see 'subtitler devices')")
    source.add_argument("--system-audio", action="store_true",
                        help="capture what the computer plays (PulseAudio/PipeWire monitor, WASAPI loopback)")
    source.add_argument("--input", metavar="FILE", type=Path,
                        help="replay an audio/video file in real time, as if it were a microphone")
    p.add_argument("--no-gui", action="store_true", help="print captions in the terminal instead")
    p.add_argument("--subtitle-files", nargs="*", metavar="FILE", type=Path, default=[],
                   help="overlay only: on start, make subtitle files of these audio/video files, as its "
                        "'Subtitle files...' menu does (the desktop's 'Open with Subtitler')")
    p.add_argument("--export", metavar="OUT", type=Path,
                   help="when the run ends, write the session to OUT (.srt, .vtt, .txt or .json)")
    p.add_argument("--model", metavar="PATH", type=Path, help="model checkpoint (default: the bundled model)")
    p.add_argument("--threads", type=int, default=1, metavar="N", help="CPU threads for the model (default 1)")
    rec = p.add_argument_group(
        "recognition", "Unset, these take the overlay's saved choice (its Settings dialog), else the defaults; "
                       "given, they hold for this run.")
    rec.add_argument("--decoder", choices=("auto", "beam", "greedy"),
                     help="auto (default): beam search + word language model when installed (more words right "
                          "on real speech), else greedy; beam: require it; greedy: no language model, least CPU")
    _add_vocabulary_options(rec)
    rec.add_argument("--int8", action=argparse.BooleanOptionalAction,
                     help="int8 GRU weights: about half the CPU, as accurate within the measured noise "
                          "(default: on; --no-int8: float)")
    _add_adapt_option(rec, negatable=True)
    p.set_defaults(run=_run_live)


def _add_devices(sub) -> None:
    p = sub.add_parser("devices", help="list audio input devices",
                       description="List audio input devices: '*' marks the default input, "
                                   "'system audio' the monitors of what the computer plays.")
    p.set_defaults(run=_run_devices)


def _recognizer(args):
    """The recogniser of transcribe's and bench's model, decoding and --adapt options."""
    from .adapt import AdaptConfig
    from .stream import open_recognizer

    steps = adapt_steps(args)
    adapt = AdaptConfig(steps=steps) if steps else None
    return open_recognizer(args.model, threads=args.threads, int8=args.int8, adapt=adapt, mode=args.decoder,
                           words=args.words, glossary=args.glossary, lm_weight=args.lm_weight,
                           word_score=args.word_score, blank_penalty=args.blank_penalty, beam_size=args.beam,
                           beam_threshold=args.beam_threshold, beam_size_token=args.beam_tokens)


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


def _run_live(args) -> int:
    from .live import run_in_terminal

    if args.export is not None and _format_from(str(args.export)) is None:
        print(f"subtitler: error: --export {args.export}: use a .srt, .vtt, .txt or .json file name",
              file=sys.stderr)
        return EXIT_USAGE
    if args.input is not None:
        from .audio_io import probe_duration

        probe_duration(args.input)  # an unreadable file is a one-line MediaError now, not a retry loop
    options = live_options(args)
    if args.no_gui:
        if args.subtitle_files:
            print("subtitler: error: --subtitle-files needs the overlay; without it use "
                  "'subtitler transcribe FILE...'", file=sys.stderr)
            return EXIT_USAGE
        return run_in_terminal(options.with_recognition())
    try:
        from .gui.app import run
    except ImportError as exc:
        print(f"subtitler: error: the overlay needs PySide6 (pip install 'subtitler[gui]'), or use --no-gui "
              f"({exc})", file=sys.stderr)
        return EXIT_FAILED
    return run(options, files=[str(f) for f in args.subtitle_files])


def live_options(args):
    """The :class:`~subtitler.live.LiveOptions` of parsed ``live`` arguments; recognition choices
    not given stay None (the overlay fills them from its saved settings)."""
    from .live import LiveOptions

    device = int(args.device) if args.device and args.device.isdigit() else args.device
    return LiveOptions(device=device, system_audio=args.system_audio, input=args.input,
                       model=args.model, threads=args.threads, export=args.export,
                       decoder=args.decoder, int8=args.int8, words=args.words, glossary=args.glossary,
                       adapt=adapt_steps(args))


def _run_devices(args) -> int:
    from .sources import input_devices

    devices = input_devices()
    if not devices:
        print("no audio input devices found", file=sys.stderr)
        return EXIT_FAILED
    print("   #  name                                      channels  rate      host API")
    for d in devices:
        mark = "*" if d.is_default else " "
        note = "  system audio" if d.is_monitor else ""
        print(f"{mark}{d.index:>3}  {d.name[:40]:<40}  {d.channels:>8}  {d.default_rate:>5} Hz  {d.host_api}{note}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
