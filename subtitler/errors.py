"""Errors the app reports to users as one line, without a traceback."""
from __future__ import annotations


class SubtitlerError(Exception):
    """Base class: ``str(error)`` is a complete, user-readable sentence."""


class CheckpointError(SubtitlerError):
    """A model file is missing, corrupt, or not a Subtitler checkpoint."""


class MediaError(SubtitlerError):
    """An input file cannot be read as audio."""


class SourceError(SubtitlerError):
    """A live audio source cannot be opened or stopped delivering audio.

    ``retry`` says whether opening it again later may help (a device that may come back)
    or not (a file that cannot be decoded).
    """

    def __init__(self, message: str, retry: bool = True):
        super().__init__(message)
        self.retry = retry
