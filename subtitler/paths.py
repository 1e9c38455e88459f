"""Where shipped files live: the bundled model(s) and assets (demo audio, icon).

In a checkout they are ``models/`` and ``assets/`` beside the package; an
installed copy carries them as the packages ``subtitler.models`` and
``subtitler.data`` (see ``[tool.setuptools]`` in pyproject.toml).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT_MODEL = "subtitler-en.pt"
DEMO_AUDIO = "demo.wav"
ICON = "icon.png"
_CHECKOUT = Path(__file__).resolve().parent.parent


def _packaged(package: str, folder: str, name: str) -> Path:
    try:
        shipped = resources.files(package) / name
        if shipped.is_file():
            return Path(str(shipped))
    except ModuleNotFoundError:
        pass
    return _CHECKOUT / folder / name


def model_path(name: str = DEFAULT_MODEL) -> Path:
    return _packaged("subtitler.models", "models", name)


def asset_path(name: str) -> Path:
    return _packaged("subtitler.data", "assets", name)


def demo_audio_path() -> Path:
    return asset_path(DEMO_AUDIO)
