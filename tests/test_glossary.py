import pytest

from subtitler.errors import SubtitlerError
from subtitler.glossary import Glossary
from subtitler.results import Final, Word
from subtitler.stream import Recognizer

from conftest import speechlike, tiny_bundle

RULES = """\
# product names
sub titler -> Subtitler
subtitler -> Subtitler
g p u -> GPU
"""


def words(text: str) -> tuple[Word, ...]:
    return tuple(Word(w, 100 * i, 100 * i + 80, 0.5 + 0.1 * (i % 3)) for i, w in enumerate(text.split()))


def test_multiword_rule_becomes_one_word_spanning_its_times():
    out = Glossary.parse(RULES).apply(words("the sub titler runs on a g p u"))
    assert [w.text for w in out] == ["the", "Subtitler", "runs", "on", "a", "GPU"]
    assert (out[1].start_ms, out[1].end_ms) == (100, 280)
    assert out[1].confidence == pytest.approx((0.6 + 0.7) / 2)


def test_longest_rule_wins_and_matching_ignores_case():
    glossary = Glossary.parse("new -> New\nnew york -> New York\n")
    assert [w.text for w in glossary.apply(words("NEW york and new"))] == ["New York", "and", "New"]


def test_no_rules_no_change():
    assert Glossary.parse("# nothing\n\n").apply(words("a b")) == words("a b")


def test_bad_line_is_reported_with_its_number():
    with pytest.raises(SubtitlerError, match="glossary:2"):
        Glossary.parse("a -> A\nno arrow here\n")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SubtitlerError, match="cannot read glossary"):
        Glossary.load(tmp_path / "none.txt")


def test_recognizer_applies_the_glossary_to_finals():
    plain = Recognizer(tiny_bundle())
    stream = plain.new_stream()
    segments = [e.segment for e in plain.accept(stream, speechlike(6.0)) + plain.finish(stream)
                if isinstance(e, Final)]
    first = segments[0].words[0].text
    rewritten = Recognizer(tiny_bundle(), glossary=Glossary.parse(f"{first} -> WORD\n"))
    stream = rewritten.new_stream()
    out = [e.segment for e in rewritten.accept(stream, speechlike(6.0)) + rewritten.finish(stream)
           if isinstance(e, Final)]
    assert [w.text for w in out[0].words] == ["WORD" if w.text == first else w.text for w in segments[0].words]
    assert [w.start_ms for w in out[0].words] == [w.start_ms for w in segments[0].words]


def test_cli_glossary_and_greedy_words_option(model_file, speech_wav, tmp_path, capsys):
    from subtitler.cli import main

    base = ["transcribe", "-q", "--model", str(model_file), "--threads", "1", "--decoder", "greedy",
            str(speech_wav), "-o", "-", "--format", "txt"]
    assert main(base) == 0
    first = capsys.readouterr().out.split()[0]
    rules = tmp_path / "glossary.txt"
    rules.write_text(f"{first} -> REPLACED\n")
    assert main([*base, "--glossary", str(rules)]) == 0
    assert capsys.readouterr().out.split()[0] == "REPLACED"
    words = tmp_path / "words.txt"
    words.write_text("Subtitler\n")
    assert main([*base, "--words", str(words)]) == 1
    assert "custom words need the beam decoder" in capsys.readouterr().err
