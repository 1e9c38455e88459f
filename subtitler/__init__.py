"""Subtitler: offline, streaming speech-to-subtitle."""

__version__ = "0.1.0"
