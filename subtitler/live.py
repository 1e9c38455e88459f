"""Live captions in a terminal, and the setup the terminal and the GUI share.

``LiveOptions`` says what to listen to and with which model; :func:`make_source` and
:func:`make_engine` turn it into a running pipeline; :func:`run_in_terminal` prints
captions until Ctrl-C or the end of a replayed file, then saves/exports the session.
"""
from __future__ import annotations

import dataclasses
import queue
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .engine import DeviceError, Engine, EngineEvent, Overflow, Status, Stopped
from .results import Final, Partial
from .session import SessionWriter, export_session, new_session_path
from .sources import QUEUE_BLOCKS, FileSource, MicrophoneSource

# With --adapt each line's second pass (about 0.3 s per second of the line on one core, lines of up
# to 30 s) runs on a worker thread; when more lines wait than AdaptConfig.max_pending the engine
# waits for the oldest, so the capture queue holds 40 s instead of 5 s: a slow machine delays
# captions instead of dropping audio.
ADAPT_QUEUE_BLOCKS = 400


@dataclass(frozen=True)
class LiveOptions:
    """What to caption and how."""

    device: int | str | None = None  # PortAudio index or name fragment; None = the default input
    system_audio: bool = False  # capture what the computer plays instead of a microphone
    input: Path | None = None  # replay this media file in real time instead of a device
    model: Path | None = None  # checkpoint; None = the bundled model
    threads: int = 1  # CPU threads for the model; one keeps latency low and the machine quiet
    export: Path | None = None  # write the session here at the end (format from the extension)
    session_dir: Path | None = None  # where session files go; None = the per-user data directory
    # How to recognise; None = not said on the command line: the overlay's saved choice, else the
    # default of `Recognition` (see `with_recognition`).
    decoder: str | None = None  # auto (beam when installed), beam (word LM) or greedy (no LM, least CPU)
    int8: bool | None = None  # int8 GRU weights: about half the CPU, as accurate (models/README.md, L29)
    adapt: int | None = None  # test-time adaptation steps for each final line (0 = off; see subtitler.adapt)
    words: Path | None = None  # the user's vocabulary file (names, jargon), favoured by the beam search
    glossary: Path | None = None  # rewrite rules file ('spoken words -> Written form')

    def with_recognition(self, fallback: Recognition | None = None) -> LiveOptions:
        """These options with every recognition choice the command line left unset taken from
        ``fallback`` (the overlay's saved settings; default: `Recognition()`)."""
        fallback = fallback or Recognition()
        return dataclasses.replace(self, **{f.name: _given(getattr(self, f.name), getattr(fallback, f.name))
                                            for f in dataclasses.fields(Recognition)})

    @property
    def recognition(self) -> Recognition:
        """The recognition choices (unset ones at their defaults)."""
        r = self.with_recognition()
        return Recognition(**{f.name: getattr(r, f.name) for f in dataclasses.fields(Recognition)})


@dataclass(frozen=True)
class Recognition:
    """The choices that decide the recogniser of a live session, and their defaults.

    The beam search with the word language model is the default: on real speech it gets far more
    words right than greedy decoding (realdev-ivr WER 42 % vs 79 %, models/README.md) for more CPU
    and later partial words (benchmarks/results.md); "auto" falls back to greedy where
    flashlight-text or the LM files are missing. The GRU runs on int8 weights: as accurate within
    the measured noise at about half the CPU, which pays for the files' wide search live (L29).
    Files run the float GRU whatever ``int8`` says: there int8 saves only about 13 % of the time.
    """

    decoder: str = "auto"
    int8: bool = True
    adapt: int = 0  # steps; 0 = off
    words: Path | None = None
    glossary: Path | None = None


def _given(value, default):
    return default if value is None else value


def queue_blocks(options: LiveOptions) -> int:
    """Capacity of the capture queue (blocks) for ``options``."""
    return ADAPT_QUEUE_BLOCKS if options.recognition.adapt else QUEUE_BLOCKS


def make_source(options: LiveOptions) -> FileSource | MicrophoneSource:
    """The source ``options`` ask for (not yet opened)."""
    if options.input is not None:
        return FileSource(options.input, realtime=True, capacity=queue_blocks(options))
    return MicrophoneSource(options.device, system_audio=options.system_audio, capacity=queue_blocks(options))


def load_recognizer(options: LiveOptions, live: bool = True):
    """The recogniser ``options`` ask for, with the thread count applied; ``live=False``: for files
    (the float GRU, and the ``--adapt`` pass runs in line rather than on a worker thread)."""
    from .adapt import AdaptConfig
    from .stream import open_recognizer

    r = options.recognition
    adapt = AdaptConfig(steps=r.adapt, background=live) if r.adapt else None  # live: captions keep flowing
    return open_recognizer(options.model, threads=options.threads, int8=r.int8 and live, adapt=adapt,
                           mode=r.decoder, words=r.words, glossary=r.glossary)


def make_engine(options: LiveOptions, source=None) -> Engine:
    """A ready (not started) engine writing a new session file."""
    source = source if source is not None else make_source(options)
    recognizer = load_recognizer(options)  # first: a bad word list must not leave an empty session file
    session = SessionWriter(new_session_path(options.session_dir), source=source.name)
    engine = Engine(recognizer, source, session)
    notice = fallback_notice(options, recognizer)
    if notice:
        engine.events.put(Status(notice))
    return engine


def fallback_notice(options: LiveOptions, recognizer) -> str | None:
    """What to tell the user when ``auto`` found no language model and decodes greedily."""
    if options.recognition.decoder == "auto" and recognizer.decoder is None:
        from .lm import INSTALL_HINT

        return f"no language model, greedy decoding ({INSTALL_HINT})"
    return None


def finish_session(engine: Engine, options: LiveOptions, err: TextIO | None = None) -> None:
    """Stop the engine, close the session file, export it if asked and say where it is (on ``err``)."""
    err = err or sys.stderr
    engine.stop()
    session = engine.session
    if session is None:
        return
    session.close()
    print(f"subtitler: session saved to {session.path} ({session.segments} segments)", file=err)
    if options.export is not None:
        export_session(session.path, options.export)
        print(f"subtitler: session exported to {options.export}", file=err)


class TerminalView:
    """Prints engine events: finals on their own lines; on a terminal, the partial on one rewritten line.

    Partials are only shown when ``out`` is a terminal, so piped output holds finals only.
    Status, errors and overflows go to ``err``.
    """

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None, tty: bool | None = None):
        out, err = out or sys.stdout, err or sys.stderr  # looked up now, so redirections apply
        self.out, self.err = out, err
        self.tty = out.isatty() if tty is None else tty
        self._partial = False  # a partial is on the current line

    def show(self, event: EngineEvent) -> bool:
        """Render one event; False once the engine has stopped."""
        if isinstance(event, Partial):
            self._show_partial(event.text)
        elif isinstance(event, Final):
            self._clear()
            self.out.write(event.segment.text + "\n")
            self.out.flush()
        elif isinstance(event, (Status, DeviceError, Overflow)):
            self._clear()
            self.err.write(f"subtitler: {_describe(event)}\n")
            self.err.flush()
        elif isinstance(event, Stopped):
            self._clear()
            return False
        return True

    def _show_partial(self, text: str) -> None:
        if not self.tty:
            return
        width = shutil.get_terminal_size().columns - 1
        tail = text[-width:] if len(text) > width else text  # one line only: show the newest words
        self.out.write(f"\r\x1b[2K\x1b[2m{tail}\x1b[0m")  # dim: it may still change
        self.out.flush()
        self._partial = True

    def _clear(self) -> None:
        if self._partial:
            self.out.write("\r\x1b[2K")
            self.out.flush()
            self._partial = False


def _describe(event: Status | DeviceError | Overflow) -> str:
    if isinstance(event, Status):
        return event.text
    if isinstance(event, DeviceError):
        return f"audio input problem: {event.message}" + (" (retrying)" if event.retrying else "")
    return f"warning: fell behind, {event.dropped_blocks} block(s) of audio dropped"


def run_in_terminal(options: LiveOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Caption ``options``' source in the terminal until Ctrl-C or the input ends. Returns 0."""
    engine = make_engine(options)
    view = TerminalView(out, err)
    err = view.err
    engine.start()
    try:
        while view.show(_next(engine)):
            pass
    except KeyboardInterrupt:
        engine.stop()
        while view.show(_next(engine)):  # the finals flushed by stop()
            pass
    finally:
        finish_session(engine, options, err)
    return 0


def _next(engine: Engine) -> EngineEvent:
    """The next event; waits in short slices so Ctrl-C is noticed on every platform."""
    while True:
        try:
            return engine.events.get(timeout=0.5)
        except queue.Empty:
            continue
