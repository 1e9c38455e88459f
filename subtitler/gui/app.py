"""The live-captions desktop app: engine events in, overlay + tray + history out.

``subtitler-gui [live options]`` is ``subtitler live [options]``: :func:`main` hands its
arguments to the CLI, which calls :func:`run` with the parsed :class:`LiveOptions`.

A QTimer in the GUI thread drains the engine's queue every ``PUMP_MS`` and emits typed
signals; widgets only render them. Quitting stops the engine explicitly (which finalises
the open segment), closes the session file, exports it when ``--export`` was given and
saves the settings.
"""
from __future__ import annotations

import dataclasses
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox, QProgressDialog

from ..engine import DeviceError, Engine, Overflow, Status, Stopped, drain
from ..errors import SubtitlerError
from ..adapt import AdaptConfig
from ..live import (LiveOptions, Recognition, fallback_notice, finish_session, load_recognizer, make_engine,
                    queue_blocks)
from ..paths import ICON, asset_path
from ..results import Final, Partial
from ..session import export_session
from ..sources import QUEUE_BLOCKS, FileSource, MicrophoneSource, input_devices
from .files import MEDIA_FILTER, FileJob, FileResult, folders, summary
from .overlay import CaptionOverlay, HistoryWindow
from .settings import (FILE_FORMATS, FORMAT_CHOICES, OverlaySettings, SettingsDialog, load_settings, open_store,
                       save_settings)
from .tray import CLICK_THROUGH_SHORTCUT, Tray

PUMP_MS = 50  # ms between drains of the engine's queue: well under a caption's reading time
EXPORT_FILTERS = "SubRip (*.srt);;WebVTT (*.vtt);;Text (*.txt);;JSON (*.json)"


def main(argv: list[str] | None = None) -> int:
    """``subtitler-gui``: the overlay with ``subtitler live``'s options."""
    from ..cli import main as cli_main

    return cli_main(["live", *(sys.argv[1:] if argv is None else argv)])


class EventPump(QObject):
    """Moves engine events from a queue.Queue to Qt signals in the GUI thread."""

    partial = Signal(str)
    final = Signal(int, str)  # start_ms, text
    status = Signal(str)
    device_error = Signal(str)
    stopped = Signal()

    def __init__(self, events, parent: QObject | None = None):
        super().__init__(parent)
        self.events = events
        self.timer = QTimer(self, interval=PUMP_MS)
        self.timer.timeout.connect(self.drain)

    def drain(self) -> None:
        """Emit a signal for everything queued now (tests call this directly)."""
        for event in drain(self.events):
            if isinstance(event, Partial):
                self.partial.emit(event.text)
            elif isinstance(event, Final):
                self.final.emit(event.segment.start_ms, event.segment.text)
            elif isinstance(event, Status):
                self.status.emit(event.text)
            elif isinstance(event, DeviceError):
                self.device_error.emit(event.message)
            elif isinstance(event, Overflow):
                self.status.emit(f"too slow: {event.dropped_blocks} block(s) of audio skipped")
            elif isinstance(event, Stopped):
                self.stopped.emit()


def source_choices(extra: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """``(key, label)`` for the tray: microphone, system audio, each input device (and a file)."""
    choices = [("mic", "Default microphone"), ("system", "System audio (what the computer plays)")]
    try:
        choices += [(f"device:{d.name}", d.name) for d in input_devices() if not d.is_monitor]
    except SubtitlerError:
        pass  # no PortAudio: the two entries above will report why when chosen
    return choices + ([extra] if extra else [])


def source_for(key: str, capacity: int = QUEUE_BLOCKS):
    """The source a tray key names; ``capacity``: of its capture queue, in blocks."""
    if key == "system":
        return MicrophoneSource(system_audio=True, capacity=capacity)
    if key.startswith("device:"):
        return MicrophoneSource(key.removeprefix("device:"), capacity=capacity)
    if key.startswith("file:"):
        return FileSource(key.removeprefix("file:"), capacity=capacity)
    return MicrophoneSource(capacity=capacity)


def _open_folders(paths: list[Path]) -> None:
    for path in paths:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class Controller(QObject):
    """Owns the engine, the windows and the settings, and connects them."""

    def __init__(self, options: LiveOptions, store=None):
        super().__init__()
        self.store = store if store is not None else open_store()
        self.settings = load_settings(self.store)
        self.options = options.with_recognition(recognition_of(self.settings))  # the command line wins
        self.source_key = self._initial_source()
        self.notice = ""  # shown on the overlay once it is up
        try:
            self.engine: Engine = self._make_engine()
        except SubtitlerError as exc:  # e.g. a saved word list was deleted: start with the defaults
            if options.with_recognition() == self.options:
                raise
            self.notice = f"saved recognition settings not used: {exc}"
            self.options = options.with_recognition()
            self.engine = self._make_engine()
        self.tray = Tray(QIcon(str(asset_path(ICON))), self)
        if not self.tray.available:  # nothing could turn click-through off again
            self.settings = dataclasses.replace(self.settings, click_through=False)
        self.overlay = CaptionOverlay(self.settings)
        self.history = HistoryWindow()
        self.pump = EventPump(self.engine.events, self)
        self.file_job: FileJob | None = None  # "Subtitle files..." at work
        self.file_progress: QProgressDialog | None = None
        self.file_summary: QMessageBox | None = None  # the last job's summary (with "Open folder")
        self._connect()
        file_choice = (self.source_key, f"File: {options.input.name}") if options.input else None
        self.tray.set_sources(source_choices(file_choice), self.source_key)
        self.tray.set_click_through(self.settings.click_through)

    def _make_engine(self) -> Engine:
        return make_engine(self.options, source_for(self.source_key, queue_blocks(self.options)))

    def _initial_source(self) -> str:
        """Command-line choices win for this run; otherwise the one saved last time."""
        o = self.options
        if o.input is not None:
            return f"file:{o.input}"
        if o.system_audio:
            return "system"
        if o.device is not None:
            return f"device:{o.device}"
        return self.settings.source

    def _connect(self) -> None:
        p, t, o = self.pump, self.tray, self.overlay
        p.partial.connect(self._on_partial)
        p.final.connect(self._on_final)
        p.status.connect(o.show_status)
        p.device_error.connect(self._on_device_error)
        t.pause_toggled.connect(self._on_pause)
        t.source_chosen.connect(self._on_source)
        t.click_through_toggled.connect(self._on_click_through)
        t.history_requested.connect(self.history.show)
        t.export_requested.connect(self._on_export)
        t.files_requested.connect(self._on_files_requested)
        o.files_dropped.connect(self.subtitle_files)
        t.settings_requested.connect(self._on_settings)
        t.quit_requested.connect(QApplication.quit)
        o.menu_requested.connect(lambda pos: t.menu.popup(pos))
        o.geometry_changed.connect(self._on_geometry)
        # One application-wide shortcut (two with the same keys would be ambiguous and never fire):
        # it works while any Subtitler window has focus, which a click-through overlay cannot.
        shortcut = QShortcut(QKeySequence(CLICK_THROUGH_SHORTCUT), o)
        shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        shortcut.activated.connect(t.click_action.trigger)

    def start(self) -> None:
        screen = QGuiApplication.primaryScreen()
        self.overlay.place(screen.availableGeometry(), screen.availableVirtualGeometry())
        self.overlay.show()
        if self.notice:
            self.overlay.show_status(self.notice)
        self.engine.start()
        self.pump.timer.start()

    def shutdown(self) -> None:
        self.pump.timer.stop()
        if self.file_job is not None:  # nothing half-written is left: outputs are written atomically
            self.file_job.cancel()
            self.file_job.wait(5.0)
        finish_session(self.engine, self.options)
        self._save()

    def _on_partial(self, text: str) -> None:
        self.overlay.show_status("")
        self.overlay.show_partial(text)

    def _on_final(self, start_ms: int, text: str) -> None:
        self.overlay.show_status("")
        self.overlay.show_final(text)
        self.history.add(start_ms, text)

    def _on_device_error(self, message: str) -> None:
        self.overlay.show_status(f"audio input problem: {message}")
        self.tray.notify("Subtitler", message)

    def _on_pause(self, paused: bool) -> None:
        if paused:
            self.engine.pause()
        else:
            self.engine.resume()

    def _on_source(self, key: str) -> None:
        self.source_key = key
        self.engine.switch_source(source_for(key, queue_blocks(self.options)))
        self.engine.start()  # no-op while running; restarts after a replayed file ended
        if not key.startswith("file:"):
            self._update(source=key)

    def _on_click_through(self, on: bool) -> None:
        self.overlay.set_click_through(on)
        self._update(click_through=on)

    def _on_geometry(self, rect: QRect) -> None:
        self._update(x=rect.x(), y=rect.y(), width=rect.width(), height=rect.height())

    def _on_settings(self) -> None:
        r = self.options.recognition
        dialog = SettingsDialog(dataclasses.replace(self.settings, decoder=r.decoder, int8=r.int8, adapt=r.adapt > 0,
                                                    words=str(r.words or ""), glossary=str(r.glossary or "")))
        dialog.changed.connect(self.overlay.apply)
        if dialog.exec():
            self._update(**{f: getattr(dialog.settings, f) for f in STYLE_FIELDS})
            self.set_recognition(dialog.settings)
        self.overlay.apply(self.settings)

    def set_recognition(self, chosen: OverlaySettings) -> bool:
        """Recognise as ``chosen`` says from now on, and remember it; False (and a message) when
        that recogniser cannot be built: the running one stays."""
        r = self.options.recognition
        steps = (r.adapt or AdaptConfig().steps) if chosen.adapt else 0  # --adapt-steps stays while on
        wanted = dataclasses.replace(recognition_of(chosen), adapt=steps)
        if wanted == r:
            return True
        options = dataclasses.replace(self.options, **dataclasses.asdict(wanted))
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            recognizer = load_recognizer(options)
        except SubtitlerError as exc:
            QMessageBox.warning(None, "Subtitler", f"Could not change how captions are recognised: {exc}")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.options = options
        self.engine.switch_recognizer(recognizer, queue_blocks(options))
        self.overlay.show_status(fallback_notice(options, recognizer) or "")
        self._update(**{f: getattr(chosen, f) for f in RECOGNITION_FIELDS})
        return True

    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(None, "Export session", "session.srt", EXPORT_FILTERS)
        if not path:
            return
        try:
            export_session(self.engine.session.path, path)
        except (SubtitlerError, OSError) as exc:
            QMessageBox.warning(None, "Subtitler", f"Could not export the session: {exc}")

    def _on_files_requested(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(None, "Subtitle files", "", MEDIA_FILTER)
        if paths:
            self.subtitle_files(paths)

    def subtitle_files(self, paths: list[str]) -> FileJob | None:
        """Ask for a format, then write a subtitle file next to each of ``paths`` on a worker thread,
        with the recognition settings of the live captions; a progress dialog can cancel it."""
        if self.file_job is not None:
            QMessageBox.information(None, "Subtitler", "Subtitle files are already being made; "
                                    "wait for them or cancel them first.")
            return None
        labels = [label for _, label in FORMAT_CHOICES]
        current = FILE_FORMATS.index(self.settings.file_format)
        label, ok = QInputDialog.getItem(None, "Subtitle files", f"Subtitles for {len(paths)} file(s), "
                                         "written next to each, as:", labels, current, False)
        if not ok:
            return None
        fmt = FORMAT_CHOICES[labels.index(label)][0]
        self._update(file_format=fmt)
        options, count = self.options, len(paths)
        job = FileJob(lambda: load_recognizer(options, live=False), [Path(p) for p in paths], fmt, self)
        dialog = QProgressDialog("Loading the model...", "Cancel", 0, 1000 * count)
        dialog.setWindowTitle("Subtitler: subtitle files")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(job.cancel)

        def progress(index: int, name: str, share: float) -> None:
            known = share >= 0
            dialog.setLabelText(f"{name} ({index + 1} of {count}){'' if known else ', length unknown'}")
            dialog.setValue(int(1000 * (index + (share if known else 0.0))))

        job.progress.connect(progress)
        job.finished.connect(self._on_files_done)
        self.file_job, self.file_progress = job, dialog
        dialog.show()
        job.start()
        return job

    def _on_files_done(self, results: list[FileResult]) -> None:
        if self.file_progress is not None:
            self.file_progress.close()
        self.file_job = self.file_progress = None
        ok, text = summary(results)
        box = QMessageBox(QMessageBox.Icon.Information if ok else QMessageBox.Icon.Warning, "Subtitler", text)
        written = folders(results)
        if written:  # the file manager at the new subtitle file(s)
            box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole).clicked.connect(
                lambda: _open_folders(written))
        box.addButton(QMessageBox.StandardButton.Ok)
        box.finished.connect(lambda _: setattr(self, "file_summary", None))
        self.file_summary = box
        box.open()  # not modal to the app: captions keep coming

    def _update(self, **change) -> None:
        self.settings = dataclasses.replace(self.settings, **change)
        self._save()

    def _save(self) -> None:
        save_settings(self.store, self.settings)


def recognition_of(settings: OverlaySettings) -> Recognition:
    """The recognition choices that ``settings`` saved ("" file names: none)."""
    return Recognition(settings.decoder, settings.int8, AdaptConfig().steps if settings.adapt else 0,
                       Path(settings.words) if settings.words else None,
                       Path(settings.glossary) if settings.glossary else None)


RECOGNITION_FIELDS = ("decoder", "int8", "adapt", "words", "glossary")


STYLE_FIELDS = ("font_family", "font_size", "text_color", "text_opacity", "background_color",
                "background_opacity", "outline", "lines")


def run(options: LiveOptions, store=None, files: list[str] | None = None) -> int:
    """Show the overlay and caption ``options``' source until Quit (or Ctrl-C in the terminal);
    ``files``: make subtitle files of these once it is up (``--subtitle-files``, the desktop's Open with)."""
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Subtitler")
    app.setDesktopFileName("subtitler")
    app.setWindowIcon(QIcon(str(asset_path(ICON))))
    app.setQuitOnLastWindowClosed(False)  # closing the history window must not end the app
    try:
        controller = Controller(options, store)
    except SubtitlerError as exc:  # started from a desktop menu, stderr is nowhere to be seen
        QMessageBox.critical(None, "Subtitler", str(exc))
        raise
    signal.signal(signal.SIGINT, lambda *_: app.quit())  # runs between pump ticks
    controller.start()
    if files:
        QTimer.singleShot(0, lambda: controller.subtitle_files(files))
    try:
        return app.exec()
    finally:
        controller.shutdown()
