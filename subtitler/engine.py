"""The live-captions engine: one thread from an audio source through the recogniser to events.

::

    source (capture callback -> bounded queue) -> engine thread: Resampler -> Recognizer
        -> events queue (Partial / Final / Silence / Status / Overflow / DeviceError / Stopped)
        -> GUI or terminal;  every Final also -> SessionWriter (on disk first)

The recogniser is the same code path as file transcription. The thread blocks on the
source with a timeout, so it costs nothing but the model's work while audio flows and
wakes a few times a second otherwise. A device that fails or vanishes is reported as a
:class:`DeviceError` and reopened every ``retry_s`` seconds until it comes back.

Times in events are integer ms of audio fed since the engine first started. Each time the
source is (re)opened or the recogniser is switched a new recogniser stream begins, so pausing,
switching source or recogniser or losing the device finalises the open segment; later events are
shifted by the audio fed before. A recogniser switch keeps the source open, so no audio is lost.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import traceback
from dataclasses import dataclass

from .audio_io import Resampler
from .checkpoint import Bundle
from .config import EndpointConfig
from .errors import SourceError
from .results import Event, Final, Partial, Segment, Silence, Word
from .session import SessionWriter
from .stream import Recognizer, Stream


@dataclass(frozen=True)
class Status:
    """Something the user may want to see: listening on a device, paused, input ended."""

    text: str


@dataclass(frozen=True)
class Overflow:
    """Audio was lost: the capture queue was full (the engine fell behind) or the driver overran."""

    dropped_blocks: int  # blocks lost since the previous Overflow event


@dataclass(frozen=True)
class DeviceError:
    """The source cannot be opened or failed; the engine retries unless the input cannot recover."""

    message: str
    retrying: bool = True  # the engine will try to open the source again every few seconds


@dataclass(frozen=True)
class Stopped:
    """The engine thread has ended: ``stop()`` was called or a finite input ended."""


EngineEvent = Event | Status | Overflow | DeviceError | Stopped


@dataclass(frozen=True)
class EngineConfig:
    """How the engine waits and recovers."""

    endpoint: EndpointConfig = EndpointConfig()  # used when the engine builds its own Recognizer
    read_timeout_s: float = 0.5  # s; longest wait for audio before checking for stop/pause
    retry_s: float = 3.0  # s between attempts to reopen a failed device


class Engine:
    """Runs ``source`` through a recogniser on its own thread; results arrive on ``events``.

    ``model`` is a loaded :class:`Bundle` or a ready :class:`Recognizer` (shareable: the
    engine owns its streams). ``source`` follows the contract in :mod:`subtitler.sources`.
    ``session``, if given, receives every Final before it is put on ``events``.
    ``start``, ``stop``, ``pause``, ``resume`` and ``switch_source`` are safe to call from any
    thread, any number of times; ``stop`` waits for the thread to end.
    """

    def __init__(self, model: Bundle | Recognizer, source, session: SessionWriter | None = None,
                 config: EngineConfig = EngineConfig()):
        self.recognizer = model if isinstance(model, Recognizer) else Recognizer(model, config.endpoint)
        self.source = source
        self.session = session
        self.config = config
        self.events: queue.Queue[EngineEvent] = queue.Queue()  # unbounded: a Final is never dropped
        self.offset_ms = 0  # audio fed in earlier streams; shifts later events
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._alive = False  # the thread has not yet committed to exit
        self._stopping = False
        self._paused = False
        self._next_source = None
        self._next_recognizer: tuple[Recognizer, int | None] | None = None
        self._dropped_seen = getattr(source, "dropped", 0)
        self._last_error = ""

    @property
    def running(self) -> bool:
        with self._cond:
            return self._alive

    @property
    def paused(self) -> bool:
        return self._paused

    def start(self) -> None:
        """Start the thread; no-op while it runs. Restarting after Stopped continues the times."""
        with self._cond:
            if self._alive:
                return
            old, self._thread = self._thread, threading.Thread(target=self._run, name="subtitler-engine",
                                                                  daemon=True)
            self._alive, self._stopping = True, False
        if old is not None:
            old.join()
        self._thread.start()

    def stop(self) -> None:
        """Finalise the open segment, close the source and wait for the thread; idempotent."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def pause(self) -> None:
        """Finalise the open segment and release the source until ``resume``."""
        self._set(paused=True)

    def resume(self) -> None:
        self._set(paused=False)

    def switch_source(self, source) -> None:
        """Listen to ``source`` from now on; takes effect at once (or at the next ``start``)."""
        with self._cond:
            if self._alive:
                self._next_source = source
                self._cond.notify_all()
            else:
                self._use(source)

    def switch_recognizer(self, recognizer: Recognizer, capacity: int | None = None) -> None:
        """Recognise with ``recognizer`` from now on: the open segment is finalised by the old one
        and the next block goes to the new one; the source stays open (a microphone loses no audio
        in the switch), its capture queue resized to ``capacity`` blocks if given. Takes effect at
        once (or at the next ``start``)."""
        with self._cond:
            if self._alive:
                self._next_recognizer = (recognizer, capacity)
                self._cond.notify_all()
            else:
                self._use_recognizer(recognizer, capacity)

    def _take_next_recognizer(self) -> None:
        """Switch to the pending recogniser; called with ``_cond`` held."""
        self._use_recognizer(*self._next_recognizer)
        self._next_recognizer = None

    def _use_recognizer(self, recognizer: Recognizer, capacity: int | None) -> None:
        self.recognizer = recognizer
        if capacity is not None and hasattr(self.source, "set_capacity"):
            self.source.set_capacity(capacity)

    def _set(self, paused: bool) -> None:
        with self._cond:
            self._paused = paused
            self._cond.notify_all()

    def _use(self, source) -> None:
        self.source, self._dropped_seen, self._last_error = source, getattr(source, "dropped", 0), ""

    def _interrupted(self) -> bool:
        return self._stopping or self._paused or self._next_source is not None or self._next_recognizer is not None

    def _run(self) -> None:
        try:
            ended = False
            while True:
                with self._cond:
                    if self._next_source is not None:
                        self._use(self._next_source)
                        self._next_source, ended = None, False
                    if self._next_recognizer is not None:
                        self._take_next_recognizer()
                    if self._stopping or ended:
                        self._alive = False
                        break
                    if self._paused:
                        self._park()
                        continue
                ended = self._listen()
        except Exception as exc:  # a bug must not leave the GUI waiting forever
            traceback.print_exc()
            with self._cond:
                self._alive = False
            self._emit(Status(f"engine failed: {exc}"))
        finally:
            self._emit(Stopped())

    def _park(self) -> None:
        """Wait (holding ``_cond``) while paused; called with the lock held."""
        self._emit(Status("paused"))
        self._cond.wait_for(lambda: not self._paused or self._stopping or self._next_source is not None
                            or self._next_recognizer is not None)

    def _listen(self) -> bool:
        """Open the source and feed it until interrupted; True when the input has ended for good."""
        try:
            self.source.open()
        except SourceError as exc:
            self._report(exc)
            if exc.retry:
                self._wait_retry()
            return not exc.retry
        self._last_error = ""
        self._emit(Status(f"listening: {self.source.name}"))
        try:
            while True:
                stream, resampler = self.recognizer.new_stream(), Resampler(self.recognizer.sample_rate)
                ended = self._pump(stream, resampler)
                if ended or not self._swap_recognizer():
                    break
                self._finish(stream, resampler)  # the old recogniser ends the line it heard
                with self._cond:
                    self._take_next_recognizer()
        finally:
            self.source.close()
            self._finish(stream, resampler)
        if self._last_error and not ended:  # failed while reading: don't spin on a flapping device
            self._wait_retry()
        return ended

    def _swap_recognizer(self) -> bool:
        """Only a new recogniser interrupted the pump: swap it in without closing the source."""
        with self._cond:
            return (self._next_recognizer is not None and not self._stopping and not self._paused
                    and self._next_source is None)

    def _wait_retry(self) -> None:
        """Sleep ``retry_s`` unless stopped, paused or given another source meanwhile."""
        with self._cond:
            self._cond.wait_for(self._interrupted, self.config.retry_s)

    def _pump(self, stream: Stream, resampler: Resampler) -> bool:
        while not self._interrupted():
            try:
                block = self.source.read(self.config.read_timeout_s)
            except EOFError:
                self._emit(Status(f"end of input: {self.source.name}"))
                return True
            except SourceError as exc:
                self._report(exc)
                return not exc.retry
            self._report_drops()
            if block is not None:
                self._publish(self.recognizer.accept(stream, resampler.samples(block, self.source.rate)))
        return False

    def _finish(self, stream: Stream, resampler: Resampler) -> None:
        """Flush the resampler and the stream; later streams continue the session's times."""
        tail = resampler.frame(None)
        events = self.recognizer.accept(stream, tail) if tail.size else []
        self._publish(events + self.recognizer.finish(stream))
        self.offset_ms += stream.samples * 1000 // self.recognizer.sample_rate

    def _publish(self, events: list[Event]) -> None:
        for event in events:
            event = _shift(event, self.offset_ms)
            if isinstance(event, Final) and self.session is not None:
                self._save(event.segment)
            self._emit(event)

    def _save(self, segment: Segment) -> None:
        try:
            self.session.append(segment)
        except OSError as exc:  # disk full, file removed: keep captioning, say so
            self._emit(Status(f"cannot write the session file: {exc.strerror or exc}"))

    def _report(self, exc: SourceError) -> None:
        """A DeviceError, once per distinct message, so retries do not repeat it every few seconds."""
        if str(exc) != self._last_error:
            self._last_error = str(exc)
            self._emit(DeviceError(str(exc), exc.retry))

    def _report_drops(self) -> None:
        dropped = self.source.dropped
        if dropped > self._dropped_seen:
            self._emit(Overflow(dropped - self._dropped_seen))
            self._dropped_seen = dropped

    def _emit(self, event: EngineEvent) -> None:
        self.events.put(event)


def _shift(event: Event, ms: int) -> Event:
    """``event`` with every time moved ``ms`` later."""
    if ms == 0:
        return event
    if isinstance(event, Silence):
        return Silence(event.start_ms + ms)
    if isinstance(event, Partial):
        return Partial(event.text, _shift_words(event.words, ms))
    return Final(Segment(_shift_words(event.segment.words, ms)))


def _shift_words(words: tuple[Word, ...], ms: int) -> tuple[Word, ...]:
    return tuple(dataclasses.replace(w, start_ms=w.start_ms + ms, end_ms=w.end_ms + ms) for w in words)


def drain(events: queue.Queue, limit: int = 1000) -> list[EngineEvent]:
    """Everything waiting on ``events`` now (at most ``limit``), without blocking."""
    out = []
    while len(out) < limit:
        try:
            out.append(events.get_nowait())
        except queue.Empty:
            break
    return out

