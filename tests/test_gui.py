"""The overlay, its line builder and settings, offscreen: no display, no audio, no sleeps."""
import dataclasses
import os
import queue

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported: never open a real window

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 (the 'gui' extra) or its system libraries are missing")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from subtitler.engine import DeviceError, Status  # noqa: E402
from subtitler.gui.app import Controller, EventPump  # noqa: E402
from subtitler.gui.overlay import TAIL_DIM, CaptionOverlay  # noqa: E402
from subtitler.gui.rollup import RollUp  # noqa: E402
from subtitler.gui.settings import OverlaySettings, load_settings, open_store, save_settings  # noqa: E402
from subtitler.live import LiveOptions  # noqa: E402
from subtitler.results import Final, Partial, Segment, Word  # noqa: E402


@pytest.fixture(scope="module")
def app():
    return QApplication.instance() or QApplication([])


def final(text, start_ms=0):
    words = tuple(Word(w, start_ms + 300 * i, start_ms + 300 * i + 250, 0.9) for i, w in enumerate(text.split()))
    return Final(Segment(words))


def lines(overlay):
    return overlay.document().toPlainText().split("\n")


def fragments(overlay):
    """(text, alpha) of every formatted run in the caption document."""
    out, block = [], overlay.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            out.append((frag.text(), frag.charFormat().foreground().color().alphaF()))
            it += 1
        block = block.next()
    return out


@pytest.fixture
def controller(app, tmp_path, model_file, speech_wav):
    options = LiveOptions(input=speech_wav, model=model_file, session_dir=tmp_path)
    c = Controller(options, store=open_store(tmp_path / "settings.ini"))
    c.overlay.resize(900, c.overlay.min_height())
    yield c
    c.engine.stop()
    c.engine.session.close()


def test_overlay_shows_partial_then_final_from_events(controller, app):
    events, overlay = controller.engine.events, controller.overlay
    for e in (Status("listening: test"), Partial("hello", ()), Partial("hello wor", ())):
        events.put(e)
    controller.pump.drain()
    app.processEvents()
    assert lines(overlay)[-1] == "hello wor" and overlay.status == ""
    assert fragments(overlay) == [("hello wor", pytest.approx(TAIL_DIM, abs=0.01))]  # all tentative: dimmed
    events.put(final("hello world"))
    events.put(Partial("how are", ()))
    controller.pump.drain()
    assert lines(overlay)[-1] == "hello world how are"
    assert fragments(overlay) == [("hello world", 1.0), (" how are", pytest.approx(TAIL_DIM, abs=0.01))]
    assert controller.history.toPlainText() == "[00:00:00] hello world"


def test_device_error_and_status_are_shown(controller):
    controller.engine.events.put(DeviceError("fake mic unplugged"))
    controller.pump.drain()
    assert "fake mic unplugged" in controller.overlay.status
    controller.engine.events.put(Status("listening: fake mic"))
    controller.pump.drain()
    assert controller.overlay.status == "listening: fake mic"


def test_roll_up_keeps_at_most_n_lines(app):
    overlay = CaptionOverlay(OverlaySettings(lines=3, width=300, font_size=20))
    overlay.resize(300, overlay.min_height())
    for i in range(40):
        overlay.show_final(f"segment number {i} ends")
        assert overlay.document().blockCount() == 3
    shown = lines(overlay)
    assert shown[-1].endswith("39 ends") and "segment number 30" not in " ".join(shown)


def test_painted_overlay_is_translucent_with_visible_text(app):
    overlay = CaptionOverlay(OverlaySettings(background_color="#000000", background_opacity=0.5))
    overlay.resize(600, overlay.min_height())
    overlay.show_final("HELLO WORLD")
    image = overlay.grab().toImage()
    corner = image.pixelColor(image.width() // 2, 3)
    assert 0.4 < corner.alphaF() < 0.6
    bright = sum(image.pixelColor(x, y).lightness() > 200
                 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
    assert bright > 20


def test_overlay_placement(app):
    from PySide6.QtCore import QRect

    screen, desktop = QRect(0, 0, 1280, 720), QRect(0, 0, 3200, 1080)
    overlay = CaptionOverlay(OverlaySettings(x=2000, y=500, width=800))  # saved on a second monitor
    overlay.place(screen, desktop)
    assert (overlay.x(), overlay.y(), overlay.width()) == (2000, 500, 800)
    overlay.place(screen)  # that monitor is gone: centred near the bottom of the screen
    assert abs(overlay.geometry().center().x() - 640) <= 2 and overlay.geometry().bottom() < 720 - 720 // 12


def test_committed_words_never_move():
    roll = RollUp(lines=5, width=20)
    roll.commit("one two three four five")
    committed = [line.committed for line in roll.view()]
    assert committed == ["", "", "", "one two three four", "five"]  # the newest line at the bottom
    for guess in ("six", "six seven", "sx", "six seven eight"):
        roll.tentative(guess)
        assert [line.committed for line in roll.view()] == committed
        assert roll.view()[-1].tentative == guess


def test_view_never_jumps_down_when_the_guess_shrinks():
    roll = RollUp(lines=2, width=20)
    roll.commit("the quick brown fox")
    roll.tentative("jumps over the lazy dog again")
    assert [line.text for line in roll.view()] == ["jumps over the lazy", "dog again"]
    roll.tentative("jumps")  # one line fewer is needed now
    assert [line.text for line in roll.view()] == ["jumps", ""]  # stays put instead of moving down
    roll.commit("jumps high")
    assert [line.text for line in roll.view()] == ["jumps high", ""]


def test_roll_up_relayout_shows_newest_lines():
    roll = RollUp(lines=1, width=10)
    for w in "a b c d e f g h".split():
        roll.commit(w)
    roll.relayout(width=100)
    assert roll.view()[0].text == "a b c d e f g h"


def test_settings_persist_across_instances(app, tmp_path):
    path = tmp_path / "settings.ini"
    changed = OverlaySettings(font_family="DejaVu Serif", font_size=40, text_color="#ffcc00", text_opacity=0.8,
                              background_opacity=0.25, outline=0, lines=3, x=10, y=20, width=700, height=150,
                              source="system", click_through=True)
    save_settings(open_store(path), changed)
    assert load_settings(open_store(path)) == changed
    store = open_store(path)
    store.setValue("font_size", "huge")  # a damaged value falls back to its default
    store.setValue("lines", 99)  # out of range: clamped
    loaded = load_settings(store)
    assert loaded.font_size == OverlaySettings().font_size and loaded.lines == 10
    assert dataclasses.replace(loaded, font_size=40, lines=3) == changed


def test_controller_saves_what_the_user_changes(controller, tmp_path):
    controller.tray.click_action.setEnabled(True)  # offscreen has no tray; pretend it has
    controller.tray.click_action.trigger()
    assert controller.overlay.windowFlags() & Qt.WindowType.WindowTransparentForInput
    controller.tray.source_chosen.emit("mic")
    controller.engine.stop()
    saved = load_settings(open_store(tmp_path / "settings.ini"))
    assert saved.click_through and saved.source == "mic"


def test_pump_without_engine(app):
    events = queue.Queue()
    pump = EventPump(events)
    got = []
    pump.partial.connect(got.append)
    events.put(Partial("a b", ()))
    pump.drain()
    assert got == ["a b"]


def test_settings_dialog_previews_and_cancel_reverts(app):
    from PySide6.QtWidgets import QSpinBox

    from subtitler.gui.settings import SettingsDialog

    dialog = SettingsDialog(OverlaySettings(lines=2))
    seen = []
    dialog.changed.connect(seen.append)
    lines_box = [box for box in dialog.findChildren(QSpinBox) if box.maximum() == 10 and box.minimum() == 1][0]
    lines_box.setValue(4)
    assert seen[-1].lines == 4 and dialog.settings.lines == 4
    dialog.reject()
    assert seen[-1] == OverlaySettings(lines=2) and dialog.settings.lines == 2


def test_saved_recognition_applies_unless_the_command_line_says_otherwise(app, tmp_path, model_file, speech_wav):
    from subtitler.live import Recognition

    store = open_store(tmp_path / "settings.ini")
    save_settings(store, OverlaySettings(decoder="greedy", int8=True, adapt=True))
    options = LiveOptions(input=speech_wav, model=model_file, session_dir=tmp_path)
    for given, expected in ((options, Recognition("greedy", True, 10)),
                            (dataclasses.replace(options, decoder="auto", adapt=0), Recognition("auto", True, 0))):
        c = Controller(given, store=store)
        try:
            assert c.options.recognition == expected
            assert (c.engine.recognizer.adapter is not None) == (expected.adapt > 0)
            assert c.engine.source.capacity == (400 if expected.adapt else 50)
        finally:
            c.engine.session.close()


def test_changing_recognition_swaps_the_recognizer_and_is_saved(controller, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from subtitler.errors import SubtitlerError
    from subtitler.gui import app as gui_app
    from subtitler.live import Recognition

    before = controller.engine.recognizer
    assert controller.set_recognition(dataclasses.replace(controller.settings, decoder="greedy", adapt=True))
    rec = controller.engine.recognizer  # the engine is not running: swapped at once
    assert rec is not before and rec.decoder is None and rec.adapter is not None
    assert controller.engine.source.capacity == 400
    assert controller.options.recognition == Recognition("greedy", True, 10)
    saved = load_settings(open_store(tmp_path / "settings.ini"))
    assert (saved.decoder, saved.int8, saved.adapt) == ("greedy", True, True)
    # a recogniser that cannot be built: the running one stays, the user is told, nothing is saved
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    monkeypatch.setattr(gui_app, "load_recognizer", lambda o: (_ for _ in ()).throw(SubtitlerError("no LM")))
    assert not controller.set_recognition(dataclasses.replace(controller.settings, decoder="beam"))
    assert controller.engine.recognizer is rec and "no LM" in warnings[0]
    assert load_settings(open_store(tmp_path / "settings.ini")).decoder == "greedy"


def test_settings_dialog_edits_recognition(app):
    from PySide6.QtWidgets import QCheckBox, QComboBox

    from subtitler.gui.settings import SettingsDialog

    dialog = SettingsDialog(OverlaySettings())
    dialog.findChildren(QComboBox)[-1].setCurrentIndex(1)
    checks = {box.text().split(" (")[0]: box for box in dialog.findChildren(QCheckBox)}
    assert checks["Lighter model for live captions"].isChecked()  # on by default (models/README.md, L29)
    checks["Lighter model for live captions"].setChecked(False)
    assert (dialog.settings.decoder, dialog.settings.int8, dialog.settings.adapt) == ("greedy", False, False)
    store_value = OverlaySettings(decoder="nonsense").clamped().decoder
    assert store_value == "auto"


def test_a_stale_saved_word_list_does_not_stop_the_app(app, tmp_path, model_file, speech_wav):
    store = open_store(tmp_path / "settings.ini")
    save_settings(store, OverlaySettings(glossary=str(tmp_path / "deleted.txt")))
    c = Controller(LiveOptions(input=speech_wav, model=model_file, session_dir=tmp_path), store=store)
    try:
        assert c.options.glossary is None and c.engine.recognizer.glossary is None
        assert "deleted.txt" in c.notice and "saved recognition settings not used" in c.notice
        assert [c.engine.session.path] == list(tmp_path.glob("*.jsonl"))  # no empty file from the failed try
    finally:
        c.engine.session.close()


def test_choosing_a_glossary_in_the_settings(controller, tmp_path):
    glossary = tmp_path / "g.txt"
    glossary.write_text("hello there -> Hi\n")
    assert controller.set_recognition(dataclasses.replace(controller.settings, glossary=str(glossary)))
    assert controller.engine.recognizer.glossary.rules == {("hello", "there"): "Hi"}
    assert load_settings(open_store(tmp_path / "settings.ini")).glossary == str(glossary)


def test_settings_dialog_file_rows(app, tmp_path):
    from PySide6.QtWidgets import QLineEdit

    from subtitler.gui.settings import SettingsDialog

    dialog = SettingsDialog(OverlaySettings(words="/old/words.txt"))
    edits = dialog.findChildren(QLineEdit)
    words = [e for e in edits if e.text() == "/old/words.txt"][0]
    words.setText("  ")
    assert dialog.settings.words == ""
    glossary = [e for e in edits if e.toolTip().startswith("Glossary")][0]
    glossary.setText(str(tmp_path / "g.txt"))
    assert dialog.settings.glossary == str(tmp_path / "g.txt")


def test_subtitle_files_from_the_app(controller, app, tmp_path, speech_wav, monkeypatch):
    import shutil

    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from subtitler.batch import subtitle_file
    from subtitler.live import load_recognizer

    talk = shutil.copy(speech_wav, tmp_path / "talk.wav")
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not audio at all" * 64)
    asked, shown = [], []
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a: (asked.append(a[3][a[4]]), ("WebVTT (.vtt)", True))[1])
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(("warning", a[2])))
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(("information", a[2])))
    job = controller.subtitle_files([str(talk), str(broken)])
    assert asked == ["SubRip (.srt)"]  # the saved format (the default) is offered first
    assert controller.subtitle_files([str(talk)]) is None and "already" in shown.pop()[1]  # one job at a time
    assert job.wait(120)
    for _ in range(200):  # the finished signal crosses from the worker thread
        app.processEvents()
        if controller.file_job is None:
            break
    assert controller.file_job is None and controller.file_progress is None
    written = (tmp_path / "talk.vtt").read_text()
    assert written.startswith("WEBVTT")
    # the same text as `subtitler transcribe --format vtt` (one code path, the live recognition settings)
    subtitle_file(load_recognizer(controller.options, live=False), talk, str(tmp_path / "cli.vtt"), "vtt")
    assert written == (tmp_path / "cli.vtt").read_text()
    assert not (tmp_path / "broken.vtt").exists()
    assert shown == []  # the summary is the job's own box, not a modal one
    box = controller.file_summary
    assert box.icon() == QMessageBox.Icon.Warning and box.isVisible()
    assert f"Wrote {tmp_path / 'talk.vtt'}" in box.text() and "broken.mp3" in box.text()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    folder, = [b for b in box.buttons() if b.text() == "Open folder"]
    folder.click()  # the file manager at the subtitle file's folder
    assert opened == [str(tmp_path)]
    box.accept()
    assert controller.file_summary is None
    assert load_settings(open_store(tmp_path / "settings.ini")).file_format == "vtt"


def test_the_file_formats_offered_are_the_subtitle_writers():
    from subtitler.gui.settings import FILE_FORMATS
    from subtitler.subtitles import FORMATS

    assert FILE_FORMATS == FORMATS
    assert OverlaySettings(file_format="doc").clamped().file_format == "srt"


def test_cancelled_subtitle_files_leave_nothing_half_written(app, tmp_path, bundle, speech_wav):
    import shutil

    from subtitler.gui.files import CANCELLED, FileJob, summary
    from subtitler.stream import Recognizer

    first, second = (shutil.copy(speech_wav, tmp_path / f"{n}.wav") for n in ("first", "second"))
    (tmp_path / "first.srt").write_text("an older subtitle\n")
    job = FileJob(lambda: Recognizer(bundle), [first, second], "srt")
    seen = []

    def progress(index, name, share):  # run() works in this thread: direct connection
        seen.append((index, name, share))
        if share > 0.2:
            job.cancel()

    job.progress.connect(progress)
    results = job.run()
    assert [r.error for r in results] == [CANCELLED, CANCELLED] and all(r.target is None for r in results)
    assert seen[0] == (0, "first.wav", 0.0) and all(i == 0 for i, _, _ in seen)  # the second never started
    assert (tmp_path / "first.srt").read_text() == "an older subtitle\n" and not (tmp_path / "second.srt").exists()
    assert summary(results) == (False, "Cancelled: 2 file(s) not written.")


def test_open_folder_offers_each_folder_written_to_once(tmp_path):
    from subtitler.gui.files import CANCELLED, FileResult, folders

    a, b = tmp_path / "a", tmp_path / "b"
    results = [FileResult(a / "1.wav", a / "1.srt"), FileResult(b / "2.wav", None, "broken"),
               FileResult(b / "3.wav", b / "3.srt"), FileResult(a / "4.wav", a / "4.srt"),
               FileResult(a / "5.wav", None, CANCELLED)]
    assert folders(results) == [a, b]
    assert folders(results[1:2] + results[4:]) == []  # nothing written: no "Open folder"


def test_a_recogniser_that_cannot_load_fails_every_file(app, tmp_path):
    from subtitler.errors import SubtitlerError
    from subtitler.gui.files import FileJob

    def broken():
        raise SubtitlerError("no model here")

    got = []
    job = FileJob(broken, [tmp_path / "a.wav", tmp_path / "b.wav"], "srt")
    job.finished.connect(got.append)
    results = job.run()
    assert got == [results] and [r.error for r in results] == ["no model here"] * 2


def test_only_local_files_are_taken_from_a_drop(app, tmp_path, controller, monkeypatch):
    from PySide6.QtCore import QMimeData, QUrl

    from subtitler.gui.overlay import dropped_files

    media = tmp_path / "clip.mp4"
    media.write_bytes(b"x")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(media)), QUrl.fromLocalFile(str(tmp_path)), QUrl("https://example.org/a.mp3")])
    assert dropped_files(mime) == [str(media)]
    assert dropped_files(QMimeData()) == []
    from PySide6.QtWidgets import QInputDialog

    asked = []  # a drop asks for the format of one file's subtitles; the user cancels: no job
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a: (asked.append(a[2]), ("", False))[1])
    controller.overlay.files_dropped.emit([str(media)])
    assert asked == ["Subtitles for 1 file(s), written next to each, as:"] and controller.file_job is None


def test_run_asks_for_subtitle_files_once_the_overlay_is_up(app, tmp_path, model_file, speech_wav, monkeypatch):
    from subtitler.gui import app as gui_app

    asked = []
    monkeypatch.setattr(Controller, "subtitle_files", lambda self, paths: asked.append(paths))
    monkeypatch.setattr(QApplication, "exec", lambda self: (QApplication.processEvents(), 0)[1])
    monkeypatch.setattr(gui_app.signal, "signal", lambda *a: None)  # keep pytest's Ctrl-C
    options = LiveOptions(input=speech_wav, model=model_file, session_dir=tmp_path)
    assert gui_app.run(options, store=open_store(tmp_path / "settings.ini"), files=["a.mp4", "b.wav"]) == 0
    assert asked == [["a.mp4", "b.wav"]]
