"""Encode test audio into real containers and codecs with PyAV (its bundled FFmpeg)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

AUDIO_CODECS = {".flac": "flac", ".ogg": "libopus", ".mp3": "libmp3lame", ".m4a": "aac",
                ".mp4": "aac", ".mkv": "libopus", ".webm": "libopus", ".wav": "pcm_s16le"}


def encode(path: Path, samples: np.ndarray, rate: int = 16_000, out_rate: int = 48_000,
           channels: int = 2, video: bool = False) -> Path:
    """Write mono float ``samples`` (at ``rate``) as ``channels`` channels at ``out_rate``."""
    codec = AUDIO_CODECS[path.suffix]
    with av.open(str(path), "w") as container:
        vstream = _video_stream(container) if video else None
        stream = container.add_stream(codec, rate=out_rate, layout="stereo" if channels == 2 else "mono")
        if vstream is not None:
            _write_video(container, vstream, samples.size / rate)
        resampler = av.AudioResampler(format=stream.format.name if stream.format else "s16",
                                      layout=stream.layout.name, rate=out_rate)
        block = rate // 10
        for i in range(0, samples.size, block):
            chunk = np.ascontiguousarray(samples[i:i + block], np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = rate
            for f in resampler.resample(frame):
                container.mux(stream.encode(f))
        for f in resampler.resample(None):
            container.mux(stream.encode(f))
        container.mux(stream.encode(None))
    return path


def _video_stream(container):
    video = container.add_stream("mpeg4", rate=5)
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    return video


def _write_video(container, video, seconds: float) -> None:
    for i in range(max(1, int(seconds * 5))):
        img = np.full((48, 64, 3), (i * 20) % 255, np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, 5)
        container.mux(video.encode(frame))
    container.mux(video.encode(None))


def video_only(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        _write_video(container, _video_stream(container), 1.0)
    return path
