"""Reading any audio or video file as a stream of 16 kHz mono chunks.

Decoding and resampling use PyAV, which bundles its own FFmpeg (every common
container and codec) and libswresample, whose resampler keeps its filter state
between calls, so a long file is converted chunk by chunk without ever being
loaded whole and without seams at chunk edges. The same :class:`Resampler`
converts live input from a sound card. Without PyAV (a bare training machine),
16-bit WAV files still read through :mod:`wave` in the training code, and
anything else raises :class:`MediaError`.
"""
from __future__ import annotations

from collections.abc import Iterator
import wave
from pathlib import Path

import numpy as np

try:
    import av
except ImportError:  # pragma: no cover - every app install has PyAV; bare GPU training hosts may not
    av = None

from .config import SAMPLE_RATE
from .errors import MediaError

TEXT_DEMUXERS = {"tty", "srt", "webvtt", "ass", "subviewer", "microdvd"}  # FFmpeg opens text as these
TRUNCATION_TOLERANCE_S = 1.0  # decoded audio may fall this short of the declared duration


class Resampler:
    """Any rate and channel layout -> mono float32 at ``rate``, keeping state across calls."""

    def __init__(self, rate: int = SAMPLE_RATE):
        self._swr = av.AudioResampler(format="flt", layout="mono", rate=rate)

    def frame(self, frame: av.AudioFrame | None) -> np.ndarray:
        """Convert one decoded frame (``None`` flushes the filter's tail)."""
        if frame is not None:
            frame.pts = None
        parts = [f.to_ndarray().reshape(-1) for f in self._swr.resample(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def samples(self, block: np.ndarray, rate: int) -> np.ndarray:
        """Convert interleaved float32 samples of shape (n, channels) recorded at ``rate``."""
        block = np.ascontiguousarray(block, dtype=np.float32)
        if block.ndim == 1:
            block = block[:, None]
        layout = {1: "mono", 2: "stereo"}.get(block.shape[1], f"{block.shape[1]}c")
        frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout=layout)
        frame.sample_rate = rate
        return self.frame(frame)


def probe_duration(path: str | Path) -> float | None:
    """Declared duration of the file's first audio stream in seconds, if the container knows it."""
    with _open(Path(path)) as container:
        return _declared_seconds(container)


def read_chunks(path: str | Path, chunk_seconds: float = 1.0, rate: int = SAMPLE_RATE) -> Iterator[np.ndarray]:
    """Yield mono float32 chunks of ``chunk_seconds`` (the last may be shorter) at ``rate``.

    Raises :class:`MediaError` naming the file and the reason for anything that
    is not decodable audio, including a file that ends well before its declared
    duration (truncated).
    """
    path = Path(path)
    chunk = max(1, int(chunk_seconds * rate))
    buf, total = [], 0
    with _open(path) as container:
        declared = _declared_seconds(container) or 0.0
        declared = max(declared, _wav_header_seconds(path))
        for block in _decode(path, container, Resampler(rate)):
            buf.append(block)
            if sum(b.size for b in buf) >= chunk:
                data = np.concatenate(buf)
                for start in range(0, data.size - chunk + 1, chunk):
                    total += chunk
                    yield data[start:start + chunk]
                buf = [data[data.size - data.size % chunk:]]
    rest = np.concatenate(buf) if buf else np.zeros(0, np.float32)
    total += rest.size
    if total == 0:
        raise MediaError(f"{path}: no audio could be decoded (empty or truncated file)")
    if declared and total / rate < declared - TRUNCATION_TOLERANCE_S:
        raise MediaError(f"{path}: file is truncated (decoded {total / rate:.1f} s of {declared:.1f} s)")
    if rest.size:
        yield rest


def read_audio(path: str | Path, rate: int = SAMPLE_RATE) -> np.ndarray:
    """The whole file as one mono float32 array (for short files, tests and training)."""
    parts = list(read_chunks(path, chunk_seconds=30.0, rate=rate))
    return np.concatenate(parts)


def _open(path: Path) -> av.container.InputContainer:
    if av is None:
        raise MediaError(f"{path}: cannot be decoded: PyAV is not installed (pip install av)")
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a directory, not a media file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: file is empty")
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: not an audio or video file that can be read ({_reason(exc)})") from None
    except OSError as exc:
        raise MediaError(f"{path}: cannot be opened ({exc.strerror or exc})") from None
    if not container.streams.audio:
        kind = container.format.name
        container.close()
        if kind in TEXT_DEMUXERS:
            raise MediaError(f"{path}: not an audio or video file that can be read (looks like text)")
        raise MediaError(f"{path}: contains no audio stream")
    return container


def _decode(path: Path, container: av.container.InputContainer, resampler: Resampler) -> Iterator[np.ndarray]:
    stream = container.streams.audio[0]
    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                yield resampler.frame(frame)
        yield resampler.frame(None)
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: decoding failed, the file is damaged ({_reason(exc)})") from None


def _declared_seconds(container: av.container.InputContainer) -> float | None:
    stream = container.streams.audio[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _wav_header_seconds(path: Path) -> float:
    """Duration a PCM WAV header declares (FFmpeg trusts the file size instead); 0 if not PCM WAV."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / w.getframerate()
    except (wave.Error, EOFError, OSError, ZeroDivisionError):
        return 0.0


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(":")[0]
