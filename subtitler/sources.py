"""Audio sources for live captions: a sound card, system audio, or a file replayed in real time.

Every source has the same small contract, used by :class:`subtitler.engine.Engine`:

- ``open()`` starts capture and sets ``rate`` (Hz); raises :class:`SourceError` when the
  device cannot be opened;
- ``read(timeout)`` returns the next block, float32 of shape (frames, channels) at ``rate``,
  ``None`` when none arrived within ``timeout`` seconds, raises :class:`SourceError` when the
  device failed and ``EOFError`` when a finite input is exhausted;
- ``dropped`` counts blocks lost since the source was created (queue full or driver overrun);
- ``close()`` stops capture; ``open()`` may be called again afterwards.

The capture callback only copies the block and ``put_nowait``\\ s it into a bounded queue, so it
never blocks the audio thread; when the engine falls behind, blocks are dropped and counted.
sounddevice (PortAudio) is imported lazily, so files and tests work without it.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio_io import read_chunks
from .config import SAMPLE_RATE
from .errors import MediaError, SourceError

BLOCK_MS = 100  # capture block length in ms: short enough for low latency, long enough to be cheap
QUEUE_BLOCKS = 50  # capacity of the capture queue in blocks (5 s at BLOCK_MS) before drops
_END = object()  # queued by FileSource after its last block
STALL_S = 3.0  # an open device that delivers nothing for this long is treated as lost
PORTAUDIO_HINT = ("live capture needs sounddevice and the PortAudio library: "
                  "pip install sounddevice; on Debian/Ubuntu apt-get install libportaudio2")


@dataclass(frozen=True)
class DeviceInfo:
    """One audio device as PortAudio reports it."""

    index: int  # PortAudio device index (what --device N takes)
    name: str
    host_api: str  # e.g. "ALSA", "PulseAudio", "Windows WASAPI"
    channels: int  # maximum input channels
    default_rate: int  # Hz
    is_input: bool
    is_default: bool  # the system's default input
    is_monitor: bool  # plays back what the computer outputs (PulseAudio monitor or WASAPI loopback)


def sounddevice():
    """The sounddevice module, or a :class:`SourceError` with an install hint."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:  # OSError: the module is there but libportaudio is not
        raise SourceError(f"{PORTAUDIO_HINT} ({exc})") from None
    return sd


def list_devices() -> list[DeviceInfo]:
    """Every audio device PortAudio knows, inputs and outputs."""
    sd = sounddevice()
    apis = [api["name"] for api in sd.query_hostapis()]
    default_in = _default_input(sd)
    devices = []
    for i, d in enumerate(sd.query_devices()):
        api = apis[d["hostapi"]]
        name = d["name"]
        monitor = "monitor" in name.lower() or ("WASAPI" in api and "loopback" in name.lower())
        devices.append(DeviceInfo(i, name, api, int(d["max_input_channels"]), int(d["default_samplerate"]),
                                  d["max_input_channels"] > 0, i == default_in, monitor))
    return devices


def input_devices() -> list[DeviceInfo]:
    return [d for d in list_devices() if d.is_input]


def system_audio_device() -> DeviceInfo:
    """The input that carries what the computer plays; raises :class:`SourceError` if there is none.

    On Linux that is a PulseAudio/PipeWire monitor source, preferring the PulseAudio host API
    (its monitors follow the default output). On Windows it is a WASAPI loopback input, which
    only PortAudio builds with loopback support list. macOS has no system capture without a
    virtual device such as BlackHole, which then appears as an ordinary input.
    """
    monitors = [d for d in input_devices() if d.is_monitor]
    monitors.sort(key=lambda d: ("pulse" not in d.host_api.lower(), d.index))
    if monitors:
        return monitors[0]
    if sys.platform == "win32":
        how = "this PortAudio build lists no WASAPI loopback input; enable 'Stereo Mix' or use --device"
    elif sys.platform == "darwin":
        how = "macOS needs a loopback device such as BlackHole, then choose it with --device"
    else:
        how = ("no PulseAudio/PipeWire monitor source found; is pulseaudio or pipewire-pulse running? "
               "'pactl list short sources' lists the monitors")
    raise SourceError(f"no system-audio input: {how}")


def find_device(spec: int | str | None) -> DeviceInfo:
    """The input device an index, a (case-insensitive) name fragment or None (the default) names."""
    devices = input_devices()
    if not devices:
        raise SourceError("no audio input device found (is a microphone connected?)")
    if spec is None:
        return next((d for d in devices if d.is_default), devices[0])
    if isinstance(spec, int) or str(spec).isdigit():
        match = [d for d in devices if d.index == int(spec)]
    else:
        match = [d for d in devices if str(spec).lower() in d.name.lower()]
    if not match:
        raise SourceError(f"no input device matches {spec!r}; 'subtitler devices' lists them")
    return match[0]


def _default_input(sd) -> int:
    try:
        return int(sd.default.device[0])
    except (TypeError, ValueError, IndexError):
        return -1


def _rescan(sd) -> None:
    """Make PortAudio list the devices again, so a replugged or new device can be found.

    PortAudio reads the device list once, when it is initialised; re-initialising it is the
    known way to refresh it (python-sounddevice issue #125). It would stop other open streams;
    it is only called while this app has none open.
    """
    try:
        sd._terminate()
        sd._initialize()
    except Exception:  # a private API: if it is gone or fails, keep the old list
        pass


class _QueueSource:
    """A bounded queue between a producer (audio callback or file thread) and the engine."""

    def __init__(self, capacity: int = QUEUE_BLOCKS):
        self.queue: queue.Queue = queue.Queue(maxsize=capacity)
        self.dropped = 0  # blocks lost; only the producer writes it
        self.rate = SAMPLE_RATE

    @property
    def capacity(self) -> int:
        return self.queue.maxsize

    def set_capacity(self, blocks: int) -> None:
        """Hold up to ``blocks`` from now on; safe while open (the producer never blocks, and blocks
        already queued beyond a smaller capacity are kept)."""
        with self.queue.mutex:
            self.queue.maxsize = blocks

    def _offer(self, block: np.ndarray) -> None:
        """Enqueue without ever blocking the producer; count a drop when the queue is full."""
        try:
            self.queue.put_nowait(block)
        except queue.Full:
            self.dropped += 1

    def _get(self, timeout: float) -> np.ndarray | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _clear(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()


class MicrophoneSource(_QueueSource):
    """A sound-card input at its native rate, up to two channels (the engine downmixes).

    ``device`` is a PortAudio index, a name fragment or None for the default input;
    ``system_audio=True`` picks :func:`system_audio_device` instead. The device is looked up
    again on every ``open()``, so a replugged device is found under its new index.
    """

    def __init__(self, device: int | str | None = None, block_ms: int = BLOCK_MS, *,
                 system_audio: bool = False, capacity: int = QUEUE_BLOCKS, stall_s: float = STALL_S):
        super().__init__(capacity)
        self.device, self.block_ms, self.system_audio, self.stall_s = device, block_ms, system_audio, stall_s
        self.name = "system audio" if system_audio else str(device or "default microphone")
        self._stream = None
        self._last_block = 0.0  # monotonic time of the last block read
        self._failed = False  # the last open or read failed: rescan the devices before reopening

    def open(self) -> None:
        sd = sounddevice()
        if self._failed:
            _rescan(sd)
        self._failed = True  # until the stream runs
        info = system_audio_device() if self.system_audio else find_device(self.device)
        self._clear()
        try:
            stream = sd.InputStream(
                device=info.index, samplerate=info.default_rate, channels=max(1, min(info.channels, 2)),
                dtype="float32", blocksize=info.default_rate * self.block_ms // 1000, callback=self._callback)
            stream.start()
        except Exception as exc:  # PortAudioError, ValueError for bad parameters, ...
            raise SourceError(f"{info.name}: cannot open the device ({exc})") from None
        self._stream, self.rate, self.name = stream, info.default_rate, info.name
        self._last_block, self._failed = time.monotonic(), False

    def _callback(self, indata, frames, time_info, status) -> None:
        # Runs on PortAudio's thread: copy and enqueue, nothing else.
        if status.input_overflow:
            self.dropped += 1
        self._offer(indata.copy())

    def read(self, timeout: float) -> np.ndarray | None:
        block = self._get(timeout)
        if block is not None:
            self._last_block = time.monotonic()
            return block
        if self._stream is None:
            raise SourceError(f"{self.name}: not open")
        if not self._stream.active:
            self._failed = True
            raise SourceError(f"{self.name}: the device stopped (disconnected?)")
        if time.monotonic() - self._last_block > self.stall_s:
            self._failed = True
            raise SourceError(f"{self.name}: no audio for {self.stall_s:.0f} s (disconnected?)")
        return None

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # a vanished device may fail to close; it is gone either way
                pass


class FileSource(_QueueSource):
    """Any media file replayed as if it were a microphone (16 kHz mono blocks).

    With ``realtime=True`` a thread releases each block when its audio would have been
    recorded and drops blocks the engine is too slow to take, like a sound card; with
    ``realtime=False`` it delivers as fast as the engine reads, losing nothing. Closing and
    reopening continues where the replay stopped. Decoding errors end the input with a
    :class:`SourceError` whose ``retry`` is False.
    """

    def __init__(self, path: str | Path, realtime: bool = True, block_ms: int = BLOCK_MS,
                 capacity: int = QUEUE_BLOCKS):
        super().__init__(capacity)
        self.path, self.realtime, self.block_ms = Path(path), realtime, block_ms
        self.name = self.path.name
        self.position = 0  # samples delivered (or dropped) so far; a reopen resumes here
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._ended = False  # the end-of-input marker has been read
        self._error: SourceError | None = None

    def open(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file", retry=False)
        # Blocks still queued from before a close are the next audio: keep them (a mic drops its stale ones).
        self._halt.clear()
        self._ended, self._error = False, None
        self._thread = threading.Thread(target=self._produce, name="subtitler-file", daemon=True)
        self._thread.start()

    def read(self, timeout: float) -> np.ndarray | None:
        block = None if self._ended else self._get(timeout)
        if block is _END:
            self._ended = True
        if self._ended:
            if self._error is not None:
                raise self._error
            raise EOFError(str(self.path))
        return block

    def close(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _produce(self) -> None:
        start, sent = time.monotonic(), 0
        try:
            for block in self._blocks():
                sent += block.size
                if not self._deliver(block[:, None], start + sent / self.rate):
                    return
                self.position += block.size
        except MediaError as exc:
            self._error = SourceError(str(exc), retry=False)
        self._put(_END)  # never dropped, so the reader always learns that the input ended

    def _deliver(self, block: np.ndarray, due: float) -> bool:
        """Hand one block over at monotonic time ``due``; False once closed."""
        if not self.realtime:
            return self._put(block)
        if self._halt.wait(max(0.0, due - time.monotonic())):
            return False
        self._offer(block)
        return True

    def _put(self, item) -> bool:
        """Blocking put that gives up when the source is closed; False then."""
        while not self._halt.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _blocks(self):
        """The file's 16 kHz mono blocks from ``position`` on."""
        skip = self.position
        for chunk in read_chunks(self.path, self.block_ms / 1000, self.rate):
            if skip >= chunk.size:
                skip -= chunk.size
                continue
            chunk, skip = chunk[skip:], 0
            yield chunk
