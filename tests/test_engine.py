"""The live engine with scripted sources: same results as files, recovery, overflow, sessions."""
import threading

import numpy as np
import pytest
import srt

from subtitler import sources
from subtitler.audio_io import Resampler
from subtitler.engine import DeviceError, Engine, EngineConfig, Overflow, Status, Stopped
from subtitler.errors import SourceError
from subtitler.results import Final, Partial
from subtitler.session import SessionWriter, export_session, load_session
from subtitler.stream import Recognizer
from subtitler.subtitles import render
from subtitler.transcribe import transcribe_chunks

from conftest import speechlike

FAST = EngineConfig(read_timeout_s=0.02, retry_s=0.01)
TIMEOUT = 120  # s; a generous bound on waiting for the engine thread (a loaded machine is slow), never a sleep


class ScriptedSource:
    """Blocks of ``samples`` (frames, channels) at ``rate`` in varying sizes, then end of input.

    ``fail_opens``: how many ``open()`` calls fail before the device "comes back";
    ``fail_at``: block index whose read fails once (the device "vanishes"), after which
    the replay continues where it stopped, like a device that returns.
    ``endless``: after the audio, reads time out forever instead of ending.
    """

    def __init__(self, samples, rate=16_000, channels=1, seed=0, fail_opens=0, fail_at=None, endless=False):
        data = np.repeat(samples[:, None], channels, axis=1) * np.linspace(1.0, 0.5, channels)
        rng = np.random.default_rng(seed)
        cuts = np.cumsum(rng.choice([1, 7, 441, rate // 10, 3000], size=data.shape[0]))
        self.blocks = np.split(data.astype(np.float32), cuts[cuts < data.shape[0]])
        self.rate, self.name, self.dropped = rate, f"scripted {rate} Hz x{channels}", 0
        self.fail_opens, self.fail_at, self.endless = fail_opens, fail_at, endless
        self.next, self.opens, self.is_open = 0, 0, False

    def open(self):
        if self.fail_opens > 0:
            self.fail_opens -= 1
            raise SourceError("fake device is unplugged")
        self.opens += 1
        self.is_open = True

    def read(self, timeout):
        if self.next == self.fail_at:
            self.fail_at = None
            raise SourceError("fake device vanished")
        if self.next >= len(self.blocks):
            if self.endless:
                threading.Event().wait(timeout)  # like a silent device: the read times out
                return None
            raise EOFError
        self.next += 1
        return self.blocks[self.next - 1]

    def close(self):
        self.is_open = False


def collect(engine, until=Stopped):
    """Events up to and including the first of type ``until``."""
    events = []
    while not events or not isinstance(events[-1], until):
        events.append(engine.events.get(timeout=TIMEOUT))
    return events


def finals(events):
    return [e.segment for e in events if isinstance(e, Final)]


@pytest.mark.parametrize("rate,channels", [(16_000, 1), (44_100, 2), (48_000, 1)])
def test_finals_equal_file_transcription(bundle, rate, channels):
    audio = speechlike(8.0, seed=3, rate=rate)
    source = ScriptedSource(audio, rate, channels, seed=rate)
    rec = Recognizer(bundle)
    engine = Engine(rec, source, config=FAST)
    engine.start()
    events = collect(engine)
    resampler = Resampler()
    stereo = np.concatenate(source.blocks)
    expected = transcribe_chunks(rec, [resampler.samples(stereo, rate), resampler.frame(None)]).segments
    assert expected, "the tiny model should produce words"
    assert finals(events) == list(expected)
    assert isinstance(events[0], Status) and isinstance(events[-1], Stopped)
    assert not engine.running and not source.is_open


def test_events_in_order(bundle):
    engine = Engine(bundle, ScriptedSource(speechlike(6.0, seed=1)), config=FAST)
    engine.start()
    events = collect(engine)
    starts = [e.segment.start_ms for e in events if isinstance(e, Final)]
    assert starts == sorted(starts)
    last_partial = None
    for e in events:  # every Final completes the Partials shown before it
        if isinstance(e, Partial):
            last_partial = e.text
        elif isinstance(e, Final):
            assert last_partial is None or e.segment.text.startswith(last_partial.rsplit(" ", 1)[0])
            last_partial = None
    assert [type(e) for e in events].count(Stopped) == 1


def test_start_stop_idempotent(bundle):
    source = ScriptedSource(speechlike(1.0), endless=True)
    engine = Engine(bundle, source, config=FAST)
    engine.stop()  # before start: nothing to do
    engine.start()
    engine.start()
    assert engine.running
    engine.stop()
    engine.stop()
    assert not engine.running and not source.is_open
    events = collect(engine)
    assert [type(e) for e in events].count(Stopped) == 1 and engine.events.empty()


def test_pause_releases_the_source_and_times_continue(bundle):
    source = ScriptedSource(speechlike(6.0, seed=2), endless=True)
    engine = Engine(bundle, source, config=FAST)
    engine.start()
    collect(engine, until=Partial)
    engine.pause()
    assert collect(engine, until=Status)[-1] == Status("paused")
    assert not source.is_open
    fed_ms = engine.offset_ms
    source.next = 0  # the "device" plays the same audio again after resuming
    engine.resume()
    partial = collect(engine, until=Partial)[-1]
    engine.stop()
    resumed = finals(collect(engine))
    assert source.opens == 2 and resumed, "stop() finalises the segment in progress"
    assert fed_ms > 0 and partial.words[0].start_ms >= fed_ms and resumed[0].start_ms >= fed_ms


def test_device_error_then_recovery(bundle):
    audio = speechlike(6.0, seed=4)
    source = ScriptedSource(audio, fail_opens=2, fail_at=30)
    engine = Engine(bundle, source, config=FAST)
    engine.start()
    events = collect(engine)
    kinds = [type(e).__name__ for e in events]
    errors = [e for e in events if isinstance(e, DeviceError)]
    # one report per distinct failure, not one per retry
    assert [e.message for e in errors] == ["fake device is unplugged", "fake device vanished"]
    assert all(e.retrying for e in errors)
    assert kinds.index("DeviceError") < kinds.index("Status")  # listening only after it came back
    assert kinds.count("Status") >= 2 and source.opens == 2
    assert finals(events), "captions continue after the device returns"


def test_full_capture_queue_yields_overflow(bundle, monkeypatch):
    monkeypatch.setattr(sources, "sounddevice", lambda: FakeSoundDevice(burst=10))
    source = sources.MicrophoneSource(capacity=4)
    engine = Engine(bundle, source, config=FAST)
    engine.start()
    overflow = collect(engine, until=Overflow)[-1]
    engine.stop()
    assert overflow == Overflow(6) and source.dropped == 6
    assert source.rate == 44_100 and source.name == "Fake Mic"


def test_session_file_holds_every_final_without_stop(bundle, tmp_path):
    writer = SessionWriter(tmp_path / "s.jsonl", source="test")
    engine = Engine(bundle, ScriptedSource(speechlike(8.0, seed=5)), session=writer, config=FAST)
    engine.start()
    first = collect(engine, until=Final)[-1]
    assert load_session(writer.path)[-1] == first.segment  # on disk before it was shown
    shown = [first.segment] + finals(collect(engine))
    # no stop(), no close(): read the file as a crashed app would have left it
    with open(writer.path, "a") as f:
        f.write('{"start_ms": 1, "end_ms": 2, "te')  # killed mid-line
    assert load_session(writer.path) == shown
    out = export_session(writer.path, tmp_path / "s.srt")
    assert out.read_text() == render("srt", shown)
    assert len(list(srt.parse(out.read_text()))) >= 1


def test_session_rejects_a_damaged_middle_line(tmp_path):
    from subtitler.errors import SubtitlerError

    path = tmp_path / "bad.jsonl"
    path.write_text('{"format": "subtitler-session"}\nnot json\n{"words": []}\n')
    with pytest.raises(SubtitlerError, match="bad.jsonl:2"):
        load_session(path)


class FakeSoundDevice:
    """Just enough of the sounddevice module: one mic, one monitor; streams push ``burst`` blocks."""

    def __init__(self, burst=0, devices=None):
        self.burst = burst
        self.devices = devices if devices is not None else [
            {"name": "Fake Mic", "hostapi": 0, "max_input_channels": 2, "default_samplerate": 44100.0},
            {"name": "Speakers", "hostapi": 0, "max_input_channels": 0, "default_samplerate": 48000.0},
            {"name": "Monitor of Speakers", "hostapi": 1, "max_input_channels": 2, "default_samplerate": 48000.0},
        ]
        self.default = type("Default", (), {"device": (0, 1)})()
        self.streams = []
        fake = self

        class InputStream:
            def __init__(self, device, samplerate, channels, dtype, blocksize, callback):
                self.callback, self.shape, self.active = callback, (blocksize, channels), False
                fake.streams.append(self)

            def start(self):
                self.active = True
                status = type("Status", (), {"input_overflow": False})()
                for _ in range(fake.burst):  # a burst before anyone reads: the queue overflows
                    self.callback(np.zeros(self.shape, np.float32), self.shape[0], None, status)

            def abort(self):
                self.active = False

            def close(self):
                pass

        self.InputStream = InputStream

    def query_hostapis(self):
        return [{"name": "ALSA"}, {"name": "PulseAudio"}]

    def query_devices(self):
        return self.devices


def test_microphone_unplugged_and_replugged(bundle, monkeypatch):
    fake = FakeSoundDevice(burst=3)
    monkeypatch.setattr(sources, "sounddevice", lambda: fake)
    engine = Engine(bundle, sources.MicrophoneSource(stall_s=60), config=FAST)
    engine.start()
    assert collect(engine, until=Status)[-1] == Status("listening: Fake Mic")
    devices, fake.devices = fake.devices, []  # unplugged: the stream stops, the device is gone
    fake.streams[-1].active = False
    first, second = collect(engine, until=DeviceError)[-1], collect(engine, until=DeviceError)[-1]
    assert "device stopped" in first.message and "no audio input device" in second.message
    assert engine.running
    fake.devices = devices  # plugged in again
    assert collect(engine, until=Status)[-1] == Status("listening: Fake Mic")
    engine.stop()
    assert len(fake.streams) == 2 and not fake.streams[-1].active


def test_device_listing_and_system_audio(monkeypatch):
    monkeypatch.setattr(sources, "sounddevice", lambda: FakeSoundDevice())
    inputs = sources.input_devices()
    assert [(d.index, d.is_default, d.is_monitor) for d in inputs] == [(0, True, False), (2, False, True)]
    assert sources.system_audio_device().name == "Monitor of Speakers"
    assert sources.find_device("monitor").index == 2 and sources.find_device(None).index == 0
    with pytest.raises(SourceError, match="no input device matches"):
        sources.find_device("nothing")
    monkeypatch.setattr(sources, "sounddevice", lambda: FakeSoundDevice(devices=[]))
    with pytest.raises(SourceError, match="no system-audio input"):
        sources.system_audio_device()


def test_file_source_replays_everything_across_a_pause(speech_wav):
    from subtitler.audio_io import read_audio

    source = sources.FileSource(speech_wav, realtime=False, capacity=2)
    source.open()
    blocks = [source.read(TIMEOUT) for _ in range(5)]
    source.close()  # a pause: reopening continues where the replay stopped
    source.open()
    with pytest.raises(EOFError):
        while True:
            blocks.append(source.read(TIMEOUT))
    source.close()
    assert np.array_equal(np.concatenate(blocks)[:, 0], read_audio(speech_wav)) and source.dropped == 0


def test_missing_file_is_a_final_device_error(bundle, tmp_path):
    engine = Engine(bundle, sources.FileSource(tmp_path / "gone.wav"), config=FAST)
    engine.start()
    events = collect(engine)
    assert [type(e) for e in events] == [DeviceError, Stopped] and not events[0].retrying



def test_terminal_view_rewrites_the_partial_line():
    import io

    from subtitler.live import TerminalView

    out, err = io.StringIO(), io.StringIO()
    view = TerminalView(out, err, tty=True)
    for event in (Partial("hel", ()), Partial("hello", ()), Status("listening: x")):
        assert view.show(event)
    assert view.show(Final(final_segment := _segment("hello there")))
    assert not view.show(Stopped())
    text = out.getvalue()
    assert text.count("\r\x1b[2K") >= 3 and text.endswith("hello there\n") and final_segment.text in text
    assert err.getvalue() == "subtitler: listening: x\n"
    piped = io.StringIO()
    TerminalView(piped, io.StringIO(), tty=False).show(Partial("hidden", ()))
    assert piped.getvalue() == ""  # pipes get finals only


def _segment(text):
    from subtitler.results import Segment, Word

    return Segment(tuple(Word(w, 100 * i, 100 * i + 80, 0.9) for i, w in enumerate(text.split())))


def test_cli_live_no_gui_replays_a_file_and_exports(model_file, tmp_path, monkeypatch, capsys):
    from conftest import write_wav
    from subtitler import session
    from subtitler.cli import main

    monkeypatch.setattr(session, "sessions_dir", lambda: tmp_path / "sessions")
    wav = write_wav(tmp_path / "short.wav", speechlike(1.5, seed=6))
    out = tmp_path / "live.srt"
    code = main(["live", "--no-gui", "--input", str(wav), "--model", str(model_file), "--export", str(out)])
    captured = capsys.readouterr()
    assert code == 0 and "end of input: short.wav" in captured.err
    saved = load_session(next((tmp_path / "sessions").glob("*.jsonl")))
    assert saved and captured.out == "".join(s.text + "\n" for s in saved)
    assert out.read_text() == render("srt", saved)


def test_cli_devices_marks_default_and_monitor(monkeypatch, capsys):
    from subtitler.cli import main

    monkeypatch.setattr(sources, "sounddevice", lambda: FakeSoundDevice())
    assert main(["devices"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert rows[0].startswith("*  0  Fake Mic") and rows[1].endswith("system audio") and len(rows) == 2


def test_live_options_choose_decoder_and_int8(model_file):
    from subtitler.lm import beam_available
    from subtitler.live import LiveOptions, load_recognizer
    from subtitler.model import FramewiseGRU

    greedy = load_recognizer(LiveOptions(model=model_file, decoder="greedy"))
    assert greedy.decoder is None
    default = load_recognizer(LiveOptions(model=model_file))  # auto: the language model where it is installed
    assert (default.decoder is not None) == beam_available()
    assert isinstance(greedy.model.gru, FramewiseGRU)  # live captions: the int8 GRU unless turned off
    assert not isinstance(load_recognizer(LiveOptions(model=model_file, int8=False)).model.gru, FramewiseGRU)
    assert not isinstance(load_recognizer(LiveOptions(model=model_file), live=False).model.gru, FramewiseGRU)  # files
    assert greedy.adapter is None
    adapted = load_recognizer(LiveOptions(model=model_file, adapt=4)).adapter.config
    assert adapted.steps == 4 and adapted.background  # live: captions keep flowing during the pass


def test_adapt_gives_the_capture_queue_room_for_the_second_pass(speech_wav):
    from subtitler.live import LiveOptions, make_source
    from subtitler.sources import BLOCK_MS, QUEUE_BLOCKS

    plain = make_source(LiveOptions(input=speech_wav))
    adapted = make_source(LiveOptions(input=speech_wav, adapt=10))
    mic = make_source(LiveOptions(adapt=10))  # not opened: no device needed
    assert plain.queue.maxsize == QUEUE_BLOCKS
    # a 30 s line (the longest refined) at 1 s of work per second of audio must fit
    assert adapted.queue.maxsize == mic.queue.maxsize and adapted.queue.maxsize * BLOCK_MS >= 30_000


def test_unset_recognition_choices_come_from_the_fallback():
    from subtitler.live import LiveOptions, Recognition

    assert LiveOptions().recognition == Recognition() == Recognition("auto", True, 0)
    saved = Recognition("greedy", True, 10)
    assert LiveOptions().with_recognition(saved).recognition == saved
    given = LiveOptions(decoder="beam", int8=False, adapt=0).with_recognition(saved)  # the command line wins
    assert given.recognition == Recognition("beam", False, 0)
    assert LiveOptions(adapt=5).with_recognition(saved).recognition == Recognition("greedy", True, 5)


class SwitchingSource(ScriptedSource):
    """Asks ``engine`` to switch to ``recognizer`` as it hands out block ``at`` (the engine's own thread)."""

    def __init__(self, samples, at, **kw):
        super().__init__(samples, **kw)
        self.at, self.engine, self.recognizer = at, None, None

    def read(self, timeout):
        if self.next == self.at:
            self.engine.switch_recognizer(self.recognizer)
        return super().read(timeout)


def test_switching_the_recognizer_finalises_with_the_old_and_continues_with_the_new(bundle):
    """The open line is finished by the recogniser that heard it; the rest of the audio goes to the
    new one, nothing lost or fed twice, times continuing, the source never closed in between."""
    from subtitler.engine import _shift

    old, new = Recognizer(bundle), Recognizer(bundle)
    fed = {old: 0, new: 0}
    for rec in (old, new):
        def counting(stream, samples, rec=rec, accept=rec.accept):
            fed[rec] += len(samples)
            return accept(stream, samples)
        rec.accept = counting
    source = SwitchingSource(speechlike(8.0, seed=3), at=25, seed=5)
    engine = Engine(old, source, config=FAST)
    source.engine, source.recognizer = engine, new
    engine.start()
    events = collect(engine)
    assert engine.recognizer is new and source.opens == 1
    first, rest = np.concatenate(source.blocks[:26])[:, 0], np.concatenate(source.blocks[26:])[:, 0]
    assert fed[old] == first.size and fed[new] == rest.size
    expected = list(transcribe_chunks(Recognizer(bundle), [first]).segments)
    later = transcribe_chunks(Recognizer(bundle), [rest]).segments
    assert later, "the tiny model should hear words after the switch too"
    expected += [_shift(Final(s), first.size // 16).segment for s in later]
    assert expected and finals(events) == expected


def test_switching_the_recognizer_resizes_the_capture_queue(bundle, speech_wav):
    source = sources.FileSource(speech_wav, realtime=False, capacity=7)
    engine = Engine(bundle, source, config=FAST)
    rec = Recognizer(bundle)
    engine.switch_recognizer(rec, capacity=9)  # not running: at once
    assert engine.recognizer is rec and source.capacity == source.queue.maxsize == 9


def test_live_words_and_glossary(model_file, tmp_path):
    from subtitler.errors import SubtitlerError
    from subtitler.lm import beam_available
    from subtitler.live import LiveOptions, load_recognizer

    glossary = tmp_path / "glossary.txt"
    glossary.write_text("sub titler -> Subtitler\n")
    words = tmp_path / "words.txt"
    words.write_text("zorblax quintessa\n")
    rec = load_recognizer(LiveOptions(model=model_file, decoder="greedy", glossary=glossary))
    assert rec.glossary.rules == {("sub", "titler"): "Subtitler"}
    with pytest.raises(SubtitlerError, match="custom words need the beam decoder"):
        load_recognizer(LiveOptions(model=model_file, decoder="greedy", words=words))
    with pytest.raises(SubtitlerError, match="gone.txt"):
        load_recognizer(LiveOptions(model=model_file, glossary=tmp_path / "gone.txt"))
    if beam_available():
        rec = load_recognizer(LiveOptions(model=model_file, words=words))
        assert rec.decoder.config.hotwords == ("zorblax", "quintessa")


def test_engine_with_a_background_second_pass_gives_the_file_finals(bundle):
    from subtitler.adapt import AdaptConfig
    from subtitler.config import EndpointConfig

    audio = np.concatenate([speechlike(6.0, seed=s) for s in range(3)])
    endpoint = EndpointConfig(trailing_blank_ms=200)
    background = Recognizer(bundle, endpoint, adapt=AdaptConfig(steps=2, background=True))
    engine = Engine(background, ScriptedSource(audio, seed=2), config=FAST)
    engine.start()
    got = finals(collect(engine))
    expected = transcribe_chunks(Recognizer(bundle, endpoint, adapt=AdaptConfig(steps=2)), [audio]).segments
    assert len(expected) >= 2 and got == list(expected)


def test_auto_without_a_language_model_says_so(model_file, tmp_path, monkeypatch, speech_wav):
    from subtitler import lm
    from subtitler.live import LiveOptions, make_engine

    options = LiveOptions(input=speech_wav, model=model_file, session_dir=tmp_path)
    monkeypatch.setattr(lm, "beam_available", lambda config=None: False)
    engine = make_engine(options)
    assert engine.recognizer.decoder is None
    notice = engine.events.get_nowait()
    assert isinstance(notice, Status) and "greedy decoding" in notice.text and "subtitler[lm]" in notice.text
    engine.session.close()
    quiet = make_engine(LiveOptions(input=speech_wav, model=model_file, session_dir=tmp_path, decoder="greedy"))
    assert quiet.events.empty()  # greedy was asked for: nothing to report
    quiet.session.close()


def test_the_capture_queue_resizes_while_open_without_losing_queued_blocks():
    queue_source = sources._QueueSource(capacity=3)
    blocks = [np.full((4, 1), i, np.float32) for i in range(5)]
    for b in blocks[:3]:
        queue_source._offer(b)
    queue_source.set_capacity(2)  # smaller than what it holds: the three stay, the next is a drop
    queue_source._offer(blocks[3])
    assert queue_source.dropped == 1 and queue_source.capacity == 2
    queue_source.set_capacity(5)
    queue_source._offer(blocks[4])
    got = [queue_source._get(0.0) for _ in range(4)]
    assert [int(b[0, 0]) for b in got] == [0, 1, 2, 4] and queue_source._get(0.0) is None
