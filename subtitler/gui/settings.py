"""Overlay settings: a frozen dataclass stored with QSettings, and the dialog that edits it.

QSettings keeps them in the platform's usual place (``~/.config/subtitler/subtitler.conf``
on Linux, the registry on Windows, a plist on macOS); tests pass an INI file instead.
Every field is read back with its default's type, and a missing or damaged value falls
back to the default, so an old or hand-edited file never stops the app from starting.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFontComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QWidget)

ORGANISATION = APPLICATION = "subtitler"
# the dialog's decoder choices: (value, label)
DECODER_CHOICES = (("auto", "Language model (more words right)"), ("greedy", "No language model (least CPU)"),
                   ("beam", "Language model, required"))
DECODERS = tuple(value for value, _ in DECODER_CHOICES)
# "Subtitle files..." choices: (format, label), subtitler.subtitles.FORMATS in order
FORMAT_CHOICES = (("srt", "SubRip (.srt)"), ("vtt", "WebVTT (.vtt)"), ("txt", "Plain text (.txt)"),
                  ("json", "JSON with word times (.json)"))
FILE_FORMATS = tuple(value for value, _ in FORMAT_CHOICES)


@dataclass(frozen=True)
class OverlaySettings:
    """How the overlay looks, where it is, and what it listens to."""

    font_family: str = ""  # "" = the system's default UI font
    font_size: int = 26  # points
    text_color: str = "#ffffff"  # "#rrggbb"
    text_opacity: float = 1.0  # 0..1
    background_color: str = "#101010"  # "#rrggbb"
    background_opacity: float = 0.6  # 0..1; 0 shows only the (outlined) text
    outline: int = 2  # px of dark outline around the letters; 0 = none
    lines: int = 2  # caption lines shown (roll-up)
    x: int = -1  # px, left edge of the window; -1 = centred near the bottom of the screen
    y: int = -1  # px, top edge of the window
    width: int = 900  # px
    height: int = 0  # px; 0 = just tall enough for `lines` lines
    source: str = "mic"  # "mic", "system" or "device:<name>"
    click_through: bool = False  # mouse clicks pass through the overlay to the window below
    # how it recognises (the command line's --decoder/--int8/--adapt win for one run; see live.Recognition)
    decoder: str = "auto"  # "auto" (language model when installed), "greedy" or "beam" (LM required)
    int8: bool = True  # int8 GRU weights for live captions: about half the CPU (files: always float)
    adapt: bool = False  # second pass with test-time adaptation of each line
    words: str = ""  # the user's word list file (names, jargon); "" = none
    glossary: str = ""  # rewrite rules file; "" = none
    file_format: str = "srt"  # the format "Subtitle files..." wrote last time: srt, vtt, txt or json

    def clamped(self) -> OverlaySettings:
        """The same settings with every number in its valid range (and a known decoder)."""
        return dataclasses.replace(
            self, font_size=min(max(self.font_size, 6), 200), lines=min(max(self.lines, 1), 10),
            text_opacity=min(max(self.text_opacity, 0.0), 1.0), outline=min(max(self.outline, 0), 12),
            background_opacity=min(max(self.background_opacity, 0.0), 1.0), width=max(self.width, 120),
            decoder=self.decoder if self.decoder in DECODERS else DECODERS[0],
            file_format=self.file_format if self.file_format in FILE_FORMATS else FILE_FORMATS[0])


DEFAULTS = OverlaySettings()


def open_store(path: Path | None = None) -> QSettings:
    """The app's settings store, or an INI file at ``path`` (tests, portable setups)."""
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


def load_settings(store: QSettings) -> OverlaySettings:
    values = {}
    for f in dataclasses.fields(OverlaySettings):
        raw = store.value(f.name)
        if raw is None:
            continue
        try:
            values[f.name] = _convert(raw, type(getattr(DEFAULTS, f.name)))
        except (TypeError, ValueError):
            continue  # damaged value: keep the default
    return OverlaySettings(**values).clamped()


def save_settings(store: QSettings, settings: OverlaySettings) -> None:
    for f in dataclasses.fields(OverlaySettings):
        store.setValue(f.name, getattr(settings, f.name))
    store.sync()  # written now, so a killed app keeps them


def _convert(raw, kind: type):
    """INI files give strings back; native stores give typed values."""
    if kind is bool:
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("true", "1", "yes")
    return kind(raw)


class SettingsDialog(QDialog):
    """Edits the look of the overlay (``changed`` fires on every edit, for a live preview) and how it
    recognises (the caller applies that on OK)."""

    changed = Signal(object)  # OverlaySettings

    def __init__(self, settings: OverlaySettings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Subtitler settings")
        self.original = self.settings = settings
        form = QFormLayout(self)
        self.font_box = QFontComboBox()
        self.font_box.setCurrentFont(QFont(settings.font_family) if settings.font_family else QFont())
        self.font_box.currentFontChanged.connect(lambda f: self._set(font_family=f.family()))
        form.addRow("Font", self.font_box)
        form.addRow("Size (pt)", self._spin(6, 200, settings.font_size, "font_size"))
        form.addRow("Text colour", self._colour_button("text_color"))
        form.addRow("Text opacity (%)", self._percent("text_opacity"))
        form.addRow("Background colour", self._colour_button("background_color"))
        form.addRow("Background opacity (%)", self._percent("background_opacity"))
        form.addRow("Outline (px)", self._spin(0, 12, settings.outline, "outline"))
        form.addRow("Lines", self._spin(1, 10, settings.lines, "lines"))
        form.addRow(QLabel("<b>Recognition</b> (applied on OK; the open line is finished first)"))
        self.decoder_box = QComboBox()
        for value, label in DECODER_CHOICES:
            self.decoder_box.addItem(label, value)
        self.decoder_box.setCurrentIndex(DECODERS.index(settings.decoder))
        self.decoder_box.currentIndexChanged.connect(lambda i: self._set(decoder=DECODERS[i]))
        form.addRow("Words from", self.decoder_box)
        form.addRow("Your words", self._file("words", "Your words: names and jargon, separated by spaces or lines"))
        form.addRow("Glossary", self._file("glossary", "Glossary: one rule per line, 'spoken words -> Written form'"))
        form.addRow(self._check("int8", "Lighter model for live captions "
                                        "(int8 weights: about half the CPU, as accurate)"))
        adapt = self._check("adapt", "Second pass: adapt each line to the voice (helps without the language "
                                      "model; more CPU)")
        adapt.setToolTip("Decodes each finished line again after fitting the input to the voice, for many times "
                         "the CPU: fewer wrong words on real voices without the language model, more with it. "
                         "A finished line stays dimmed until its second pass is done.")
        form.addRow(adapt)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def reject(self) -> None:
        """Cancel undoes the preview."""
        self.settings = self.original
        self.changed.emit(self.original)
        super().reject()

    def _set(self, **change) -> None:
        self.settings = dataclasses.replace(self.settings, **change).clamped()
        self.changed.emit(self.settings)

    def _spin(self, low: int, high: int, value: int, name: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setValue(value)
        box.valueChanged.connect(lambda v: self._set(**{name: v}))
        return box

    def _file(self, name: str, title: str) -> QWidget:
        """A file name (editable; empty = none) and a button that picks one."""
        row, edit, pick = QWidget(), QLineEdit(getattr(self.settings, name)), QPushButton("Choose...")
        edit.setPlaceholderText("none")
        edit.setToolTip(title)
        edit.textChanged.connect(lambda text: self._set(**{name: text.strip()}))

        def choose() -> None:
            path, _ = QFileDialog.getOpenFileName(self, title, edit.text(), "Text files (*.txt);;All files (*)")
            if path:
                edit.setText(path)
        pick.clicked.connect(choose)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit)
        layout.addWidget(pick)
        return row

    def _check(self, name: str, label: str) -> QCheckBox:
        box = QCheckBox(label)
        box.setChecked(getattr(self.settings, name))
        box.toggled.connect(lambda on: self._set(**{name: on}))
        return box

    def _percent(self, name: str) -> QSpinBox:
        box = self._spin(0, 100, round(getattr(self.settings, name) * 100), name)
        box.valueChanged.disconnect()
        box.valueChanged.connect(lambda v: self._set(**{name: v / 100}))
        return box

    def _colour_button(self, name: str) -> QPushButton:
        button = QPushButton(getattr(self.settings, name))

        def pick() -> None:
            colour = QColorDialog.getColor(QColor(getattr(self.settings, name)), self)
            if colour.isValid():
                button.setText(colour.name())
                self._set(**{name: colour.name()})
        button.clicked.connect(pick)
        return button
