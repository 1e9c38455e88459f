"""Every command that scripts/train_default.sh runs and the README shows parses with today's options.

The commands are parsed, never run: ``ArgumentParser.parse_args`` is wrapped so that a
successful parse stops right there. A renamed or removed option then fails here instead of
in the middle of a multi-hour reproduction.
"""
import argparse
import re
import shlex
from pathlib import Path

import pytest

from subtitler import cli as app_cli
from subtitler.train import cli as train_cli

ROOT = Path(__file__).resolve().parents[1]


class Parsed(Exception):
    """Raised by the wrapped parser once a command line has parsed."""


def _join_continuations(text: str) -> list[str]:
    return text.replace("\\\n", " ").splitlines()


def _strip_comment(line: str) -> str:
    return re.split(r"\s#\s|\s#$", line, maxsplit=1)[0].strip()


def _expand(command: str, values: dict[str, str] | None = None) -> list[str]:
    """Shell words of a command, each variable replaced by its value in ``values`` or by a path."""
    values = values or {}
    return shlex.split(re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: values.get(m[1], "runs/var"), command))


def script_commands() -> list[list[str]]:
    lines = _join_continuations((ROOT / "scripts" / "train_default.sh").read_text())
    found, values = [], {}
    for line in lines:
        line = _strip_comment(line)
        if line.startswith("#"):
            continue
        # "K=a M=b" and "for SEED in 2 3" (its first value) give the variables their values
        values.update(re.findall(r"(?:^|\s)([A-Za-z_]\w*)=(\S+)", line))
        values.update(re.findall(r"^for (\w+) in (\S+)", line))
        m = re.search(r"-m subtitler\.train\.cli (.*)", line)
        if m:
            found.append(["subtitler-train", *_expand(m.group(1), values)])
    return found


def readme_commands() -> list[list[str]]:
    """Complete commands in the README's code blocks (illustrations with '...' are left out)."""
    found, in_block = [], False
    for line in _join_continuations((ROOT / "README.md").read_text()):
        if line.startswith("```"):
            in_block = not in_block
            continue
        line = _strip_comment(line)
        if in_block and re.match(r"(subtitler|subtitler-train) ", line) and "..." not in line:
            found.append(_expand(line))
    return found


@pytest.fixture
def parse_only(monkeypatch):
    original = argparse.ArgumentParser.parse_args

    def parse_args(self, args=None, namespace=None):
        original(self, args, namespace)
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_args)


def _parses(words: list[str]) -> None:
    main = {"subtitler": app_cli.main, "subtitler-train": train_cli.main}[words[0]]
    with pytest.raises(Parsed):
        main(words[1:])


def test_the_documents_have_commands_to_check():
    script, readme = script_commands(), readme_commands()
    assert len(script) >= 30, script
    assert {w[1] for w in script} >= {"text", "synth", "realdev", "realtrain", "fit", "pack",
                                       "average", "eval", "calibrate"}
    assert {w[0] for w in readme} == {"subtitler", "subtitler-train"}
    assert len(readme) >= 20, readme


@pytest.mark.parametrize("words", script_commands(), ids=lambda w: " ".join(w[1:4]))
def test_train_default_commands_parse(words, parse_only):
    _parses(words)


@pytest.mark.parametrize("words", readme_commands(), ids=lambda w: " ".join(w[:4]))
def test_readme_commands_parse(words, parse_only):
    _parses(words)


def test_a_wrong_option_is_caught(parse_only, capsys):
    with pytest.raises(SystemExit):
        _parses(["subtitler-train", "fit", "--train", "x.jsonl", "--out", "r", "--no-such-option", "1"])
    with pytest.raises(SystemExit):
        _parses(["subtitler", "transcribe", "a.wav", "--no-such-option"])
