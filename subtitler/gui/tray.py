"""The tray icon and its menu: the app's controls. It only emits signals; ``app.py`` acts on them.

Where the desktop has no system tray (GNOME without an AppIndicator extension, bare X
servers) the same menu opens from a right click on the overlay.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

CLICK_THROUGH_SHORTCUT = "Ctrl+Shift+C"


class Tray(QObject):
    """Menu: pause, source, click-through, history, export, subtitle files, settings, quit."""

    pause_toggled = Signal(bool)  # True = pause
    source_chosen = Signal(str)  # a key given to set_sources
    click_through_toggled = Signal(bool)
    history_requested = Signal()
    export_requested = Signal()
    files_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None):
        super().__init__(parent)
        self.menu = QMenu()
        self.pause_action = self._action("Pause captions", self.pause_toggled, checkable=True)
        self.source_menu = self.menu.addMenu("Source")
        self._sources = QActionGroup(self)
        self._sources.triggered.connect(lambda a: self.source_chosen.emit(a.data()))
        self.click_action = self._action(f"Click-through ({CLICK_THROUGH_SHORTCUT})", self.click_through_toggled,
                                         checkable=True)
        self.menu.addSeparator()
        self._action("Show history", self.history_requested)
        self._action("Export session...", self.export_requested)
        self._action("Subtitle files...", self.files_requested)
        self._action("Settings...", self.settings_requested)
        self.menu.addSeparator()
        self._action("Quit", self.quit_requested)
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(icon, self)
            self.icon.setToolTip("Subtitler live captions")
            self.icon.setContextMenu(self.menu)
            self.icon.show()
        else:
            # Without a tray, click-through could not be turned off with the mouse again.
            self.click_action.setEnabled(False)
            self.click_action.setToolTip("needs a system tray")

    @property
    def available(self) -> bool:
        return self.icon is not None

    def set_sources(self, choices: list[tuple[str, str]], current: str) -> None:
        """Offer ``(key, label)`` sources, ``current`` checked."""
        self.source_menu.clear()
        for action in self._sources.actions():
            self._sources.removeAction(action)
        for key, label in choices:
            action = QAction(label, self.source_menu, checkable=True, checked=(key == current))
            action.setData(key)
            self._sources.addAction(action)
            self.source_menu.addAction(action)

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setChecked(paused)

    def set_click_through(self, on: bool) -> None:
        self.click_action.setChecked(on)

    def notify(self, title: str, message: str) -> None:
        """A desktop notification, where the tray supports them."""
        if self.icon is not None and self.icon.supportsMessages():
            self.icon.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, 5000)

    def _action(self, text: str, signal, checkable: bool = False) -> QAction:
        action = self.menu.addAction(text)
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(signal.emit)
        else:
            action.triggered.connect(lambda: signal.emit())
        return action
