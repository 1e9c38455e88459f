"""The sentence pool's sources: game text reaches the language model text and nothing else."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("num2words")

from subtitler.train import textsources as ts  # noqa: E402
from subtitler.train.text import normalize  # noqa: E402


@pytest.fixture
def games(tmp_path, monkeypatch):
    """A miniature of each game's data layout, with the module's folders pointed at it."""
    g = tmp_path / "games"
    (g / "endless-sky" / "data").mkdir(parents=True)
    (g / "endless-sky" / "data" / "missions.txt").write_text(
        'mission "X"\n\tdialog `The spaceport is quiet tonight. Welcome back, <first>!`\n'
        '\t\t`\t"Where are we going next?" you ask.`\n')
    wes = g / "wesnoth" / "1.16" / "data" / "campaigns" / "Test" / "scenarios"
    wes.mkdir(parents=True)
    (wes / "01.cfg").write_text(
        '[message]\n    speaker=Konrad\n    message= _ "We must reach the river before dark. Follow $unit.name now."\n'
        '[/message]\n    story= _ "Long ago the elves ruled these lands.\nThen the ""orcs"" came."\n')
    fd = tmp_path / "freedroid" / "dialogs"
    fd.mkdir(parents=True)
    (fd / "Npc.lua").write_text('Npc:says(_"I have been waiting for you all day.")\n'
                                'Tux:says(_"Day %d of the siege.")\n')
    naev = tmp_path / "naev" / "missions"
    naev.mkdir(parents=True)
    (naev / "m.lua").write_text('local text = _([[The man looks at you for a long time.\n\nHe says nothing at all.]])\n'
                                'tk.msg(_("Travel"), _("Pay the captain before you board the ship."))\n')
    crawl = tmp_path / "crawl"
    (crawl / "cs").mkdir(parents=True)
    (crawl / "quotes.txt").write_text("%%%%\nrat\n\nA small animal that lives in the sewers.\n    -Anon\n%%%%\n")
    (crawl / "cs" / "quotes.txt").write_text("%%%%\nrat\n\nMalé zvíře, které žije v kanálech.\n%%%%\n")
    cdda = g / "cataclysm-dda" / "json"
    cdda.mkdir(parents=True)
    (cdda / "items.json").write_text(json.dumps([
        {"type": "GENERIC", "name": {"str": "red phone"}, "description": "A vintage red phone of famous design."},
        {"type": "talk_topic", "dynamic_line": "Let's take it easy now, okay?",
         "responses": [{"text": "Sounds like a plan to me.", "topic": "TALK_DONE"}]},
        {"type": "snippet", "text": [{"id": "a", "text": {"str": "The radio crackles with static and nothing more."}}]}]))
    (cdda / "broken.json").write_text("{not json")
    monkeypatch.setattr(ts, "GAMES_DIR", g)
    monkeypatch.setattr(ts, "FREEDROID_DIR", tmp_path / "freedroid")
    monkeypatch.setattr(ts, "NAEV_DIR", tmp_path / "naev")
    monkeypatch.setattr(ts, "CRAWL_DIR", crawl)
    return tmp_path


def _texts(sentences):
    return [s.text for s in sentences]


def test_each_game_reader_keeps_whole_sentences_and_drops_placeholders(games):
    assert _texts(ts.endless_sky_sentences()) == ["The spaceport is quiet tonight.",
                                                  '"Where are we going next?" you ask.']
    assert _texts(ts.wesnoth_sentences()) == ["We must reach the river before dark.",
                                              "Long ago the elves ruled these lands.", 'Then the "orcs" came.']
    assert _texts(ts.freedroid_sentences()) == ["I have been waiting for you all day."]
    assert _texts(ts.naev_sentences()) == ["The man looks at you for a long time.", "He says nothing at all.",
                                           "Travel", "Pay the captain before you board the ship."]
    assert _texts(ts.crawl_sentences()) == ["A small animal that lives in the sewers."]  # no translation, no author
    assert sorted(_texts(ts.cataclysm_sentences())) == sorted([
        "A vintage red phone of famous design.", "Let's take it easy now, okay?", "Sounds like a plan to me.",
        "The radio crackles with static and nothing more."])  # not the item's name; the broken file skipped


def test_missing_games_yield_nothing(tmp_path, monkeypatch):
    for name in ("GAMES_DIR", "FREEDROID_DIR", "NAEV_DIR", "CRAWL_DIR"):
        monkeypatch.setattr(ts, name, tmp_path / "absent")
    assert list(ts.lm_only_sentences()) == []


def test_game_text_goes_to_the_language_model_only(games, tmp_path, monkeypatch):
    pool = [ts.Sentence("fortunes", "The early bird catches the worm, they say.")] * 2
    monkeypatch.setattr(ts, "all_sentences", lambda: iter(pool))
    before = tmp_path / "before"
    monkeypatch.setattr(ts, "lm_only_sentences", lambda *extras: iter(()))
    ts.build_sentence_pool(before)
    monkeypatch.undo()
    monkeypatch.setattr(ts, "all_sentences", lambda: iter(pool))
    for name, path in (("GAMES_DIR", games / "games"), ("FREEDROID_DIR", games / "freedroid"),
                       ("NAEV_DIR", games / "naev"), ("CRAWL_DIR", games / "crawl")):
        monkeypatch.setattr(ts, name, path)
    after = tmp_path / "after"
    ts.build_sentence_pool(after)
    for split in ts.SPLITS:  # the TTS sentences do not change
        for kind in ("txt", "spoken.txt"):
            assert (after / f"sentences.{split}.{kind}").read_text() == (before / f"sentences.{split}.{kind}").read_text()
    old = (before / "lm_text.txt").read_text().splitlines()
    new = (after / "lm_text.txt").read_text().splitlines()
    assert new[:len(old)] == old  # the pool's text first, unchanged
    added = new[len(old):]
    expected = {normalize(s.text) for s in ts.lm_only_sentences()}
    expected = {t for t in expected if t.count(" ") >= 2 and ts.split_of(t) == "train"}
    assert added and set(added) == expected and len(added) == len(set(added))  # once each, train split only
    assert "travel" not in added  # fewer than three words


def test_sotu_is_opt_in_and_references_are_excluded(tmp_path, monkeypatch):
    sotu = tmp_path / "sotu"
    sotu.mkdir()
    (sotu / "1961_x.txt").write_text("Fellow citizens. The state of the union is strong and growing.\n"
                                     "Ask not what your country can do for you today, my friends.\n")
    (sotu / "1961_x.json").write_text('{"text": "not read"}')
    monkeypatch.setattr(ts, "SOTU_DIR", sotu)
    for name in ("GAMES_DIR", "FREEDROID_DIR", "NAEV_DIR", "CRAWL_DIR"):
        monkeypatch.setattr(ts, name, tmp_path / "absent")
    assert list(ts.lm_only_sentences()) == []  # not without being asked for
    assert _texts(ts.lm_only_sentences(("sotu",))) == [
        "Fellow citizens.", "The state of the union is strong and growing.",
        "Ask not what your country can do for you today, my friends."]
    refs = tmp_path / "realdev.jsonl"
    refs.write_text(json.dumps({"path": "a.wav", "text": "and so ask not what your country can do for you"}) + "\n")
    runs = ts.reference_runs([refs])
    assert ("what", "your", "country", "can", "do", "for") in runs and len(runs) == 6  # 11 words
    monkeypatch.setattr(ts, "all_sentences", lambda: iter(()))
    ts.build_sentence_pool(tmp_path / "out", extras=("sotu",), exclude=runs)
    kept = (tmp_path / "out" / "lm_text.txt").read_text().splitlines()
    union, quote = (normalize(t) for t in _texts(ts.sotu_sentences())[1:])
    assert ts.split_of(union) == ts.split_of(quote) == "train"  # so only the exclusion can drop one
    assert kept == [union]  # the quoted line is gone, the other kept ("fellow citizens": two words)
    ts.build_sentence_pool(tmp_path / "all", extras=("sotu",))
    assert (tmp_path / "all" / "lm_text.txt").read_text().splitlines() == [union, quote]


def test_games_pool_speaks_the_game_text_and_keeps_the_lm_text(games, tmp_path, monkeypatch):
    pool = [ts.Sentence("fortunes", "The early bird catches the worm, they say.")]
    monkeypatch.setattr(ts, "all_sentences", lambda: iter(pool))
    ts.build_sentence_pool(tmp_path / "default")
    refs = tmp_path / "realdev.jsonl"
    refs.write_text(json.dumps({"path": "a.wav", "text": "i have been waiting for you all day"}) + "\n")
    ts.build_sentence_pool(tmp_path / "games", pool_from="games", exclude=ts.reference_runs([refs]))
    spoken = {split: (tmp_path / "games" / f"sentences.{split}.spoken.txt").read_text().splitlines()
              for split in ts.SPLITS}
    norm = {split: (tmp_path / "games" / f"sentences.{split}.txt").read_text().splitlines() for split in ts.SPLITS}
    game = {normalize(s.text): s.text for s in ts.game_sentences()}
    expected = {t for t in game if 3 <= len(t.split()) <= 25 and t != "i have been waiting for you all day"}
    assert "i have been waiting for you all day" in game  # so only the exclusion can drop it
    assert set(sum(norm.values(), [])) == expected  # every game sentence of 3-25 words, none of the pool's
    for split in ts.SPLITS:
        assert all(ts.split_of(t) == split for t in norm[split])
        assert spoken[split] == [game[t] for t in norm[split]]  # written as the game wrote it
    assert '"Where are we going next?" you ask.' in sum(spoken.values(), [])
    # the language model reads the same text either way, minus the excluded line
    default_lm = (tmp_path / "default" / "lm_text.txt").read_text().splitlines()
    games_lm = (tmp_path / "games" / "lm_text.txt").read_text().splitlines()
    assert "i have been waiting for you all day" in default_lm  # a train line, so only the exclusion drops it
    assert games_lm == [t for t in default_lm if t != "i have been waiting for you all day"]
    with pytest.raises(ValueError):
        ts.build_sentence_pool(tmp_path / "x", pool_from="wiki")
