"""Errors the app reports to users as one line, without a traceback."""
from __future__ import annotations


class SubtitlerError(Exception):
    """Base class: ``str(error)`` is a complete, user-readable sentence."""


class CheckpointError(SubtitlerError):
    """A model file is missing, corrupt, or not a Subtitler checkpoint."""


class MediaError(SubtitlerError):
    """An input file cannot be read as audio."""
