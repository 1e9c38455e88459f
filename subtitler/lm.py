"""CTC prefix beam search over a word lexicon with a KenLM n-gram language model.

The search is flashlight-text's ``LexiconDecoder`` (the engine behind
``torchaudio.models.decoder.ctc_decoder``), used directly so that one lexicon
trie and one language model are shared by every stream while each stream owns
its own incremental decoder. Words are spelled with the acoustic model's
characters followed by the space token, which doubles as flashlight's word
separator ("silence"). flashlight-text is an optional dependency (the ``lm``
extra), imported only when a :class:`BeamSearch` is built.

A :class:`BeamStream` decodes one segment at a time: the recogniser opens it
where its greedy endpointing sees the first character (with a short pre-roll of
earlier frames) and closes it at the endpoint, so silence costs nothing and
memory is bounded by the longest segment. Frames may arrive in any chunking:
decoding is incremental, so the result does not depend on the cuts.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .decoding import GreedyState, greedy_words
from .errors import SubtitlerError
from .paths import model_path
from .vocab import Vocab

LM_FILE = "lm-en.bin"  # shipped KenLM binary (scripts/build_lm.sh)
LEXICON_FILE = "lexicon-en.txt"  # its vocabulary, one word per line
INSTALL_HINT = "beam search needs flashlight-text: pip install 'subtitler[lm]' (or pip install flashlight-text)"
PREROLL_FRAMES = 4  # frames before a segment's first greedy character that the search also sees
_CLOSING = -1.0e4  # log-probability of every non-space token in the frame that closes a segment


def _flashlight():
    """The flashlight-text decoder module, or a clear error naming the extra to install."""
    try:
        from flashlight.lib.text import decoder, dictionary
        from flashlight.lib.text.decoder.kenlm import KenLM
    except ImportError as exc:
        raise SubtitlerError(f"{INSTALL_HINT} ({exc})") from None
    return decoder, dictionary, KenLM


def beam_available(config: BeamConfig | None = None) -> bool:
    """True when flashlight-text imports and the configured LM and lexicon files exist."""
    config = config or BeamConfig()
    try:
        _flashlight()
    except SubtitlerError:
        return False
    files = [p for p in (config.lm, config.lexicon) if p is not None]
    return all(Path(p).is_file() for p in files) and config.lexicon is not None


@dataclass(frozen=True)
class BeamConfig:
    """Beam search settings. Scores are natural-log acoustic + ``lm_weight`` x log10 LM + bonuses.

    Defaults were tuned on the synthetic valid split (see models/README.md).
    """

    lm: Path | None = field(default_factory=lambda: model_path(LM_FILE))  # KenLM binary or ARPA; None: no LM
    lexicon: Path | None = field(default_factory=lambda: model_path(LEXICON_FILE))  # word list, one per line
    # the search of live captions and files alike: wide but pruned (models/README.md: B27, F28, L29; live
    # captions pay for it with the int8 GRU, live.Recognition)
    beam_size: int = 512  # hypotheses kept after each frame
    beam_size_token: int = 16  # most likely tokens tried per frame
    beam_threshold: float = 15.0  # drop hypotheses this far (natural log) below the best
    lm_weight: float = 1.5  # weight of the LM's log10 probability
    word_score: float = -1.0  # score added per word (negative: the model over-splits words)
    blank_penalty: float = 1.5  # subtracted from the blank's log-probability before the search: lets
    # through characters that the unsure model (real voices) leaves under the blank
    unk_score: float = -math.inf  # score of a word outside the lexicon; -inf forbids them
    hotwords: tuple[str, ...] = ()  # user vocabulary: added to the lexicon and boosted
    hotword_boost: float = 4.0  # bonus per hotword, in the units of word_score


@dataclass(frozen=True)
class BeamWord:
    """A decoded word with the stream frames and posteriors of its characters."""

    text: str
    frames: tuple[int, ...]  # stream frame index where each character was emitted
    probs: tuple[float, ...]  # posterior of each character at its frame


def read_words(path: str | Path) -> tuple[str, ...]:
    """Words of a user vocabulary file: whitespace-separated, ``#`` starts a comment."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SubtitlerError(f"{path}: cannot read word list ({exc.strerror or exc})") from None
    return tuple(w for line in text.splitlines() for w in line.split("#", 1)[0].split())


def spoken_words(text: str, vocab: Vocab) -> list[str]:
    """``text`` lowercased and split into words spelled with ``vocab``'s characters only."""
    kept = "".join(c if c in vocab.tokens and c != " " else " " for c in text.lower())
    return [w.strip("'") for w in kept.split() if w.strip("'")]


class BeamSearch:
    """The shared part of the search: lexicon trie, language model and options."""

    def __init__(self, vocab: Vocab, config: BeamConfig = BeamConfig()):
        if config.lexicon is None:
            raise SubtitlerError("beam search needs a lexicon (word list)")
        if vocab.space_id < 0:
            raise SubtitlerError("beam search needs a vocabulary with a space token")
        self._fl, dictionary, KenLM = _flashlight()
        self.vocab, self.config = vocab, config
        words = self._lexicon_words(config)
        self.words = dictionary.Dictionary()
        for w in ("<unk>", *words):
            self.words.add_entry(w)
        self.unk = self.words.get_index("<unk>")
        self.lm = KenLM(str(config.lm), self.words) if config.lm is not None else self._fl.ZeroLM()
        hot = {self.words.get_index(w) for h in config.hotwords for w in spoken_words(h, vocab)}
        if hot:
            self.lm = _boosted_lm(self._fl.LM, self.lm, hot, self._bonus(config))
        self.trie = self._build_trie(words)
        self.options = self._fl.LexiconDecoderOptions(
            config.beam_size, config.beam_size_token, config.beam_threshold, config.lm_weight,
            config.word_score, config.unk_score, 0.0, False, self._fl.CriterionType.CTC)

    def _lexicon_words(self, config: BeamConfig) -> list[str]:
        path = Path(config.lexicon)
        if not path.is_file():
            raise SubtitlerError(f"{path}: lexicon not found")
        if config.lm is not None and not Path(config.lm).is_file():
            raise SubtitlerError(f"{config.lm}: language model not found")
        words = [w for line in path.read_text(encoding="utf-8").split("\n") for w in spoken_words(line, self.vocab)]
        words += [w for h in config.hotwords for w in spoken_words(h, self.vocab)]
        return list(dict.fromkeys(words))

    @staticmethod
    def _bonus(config: BeamConfig) -> float:
        """Hotword boost in LM units, so that the decoder's ``lm_weight`` scales it back."""
        if config.lm_weight <= 0:
            raise SubtitlerError("hotwords need lm_weight > 0")
        return config.hotword_boost / config.lm_weight

    def _build_trie(self, words: list[str]):
        """Spellings ``w o r d <space>`` with each word's unigram score for look-ahead."""
        fl, ids, space = self._fl, {t: i for i, t in enumerate(self.vocab.tokens)}, self.vocab.space_id
        trie = fl.Trie(len(self.vocab), space)
        start = self.lm.start(False)
        for word in words:
            index = self.words.get_index(word)
            _, score = self.lm.score(start, index)
            trie.insert([ids[c] for c in word] + [space], index, score)
        trie.smear(fl.SmearingMode.MAX)
        return trie

    def new_stream(self) -> BeamStream:
        decoder = self._fl.LexiconDecoder(self.options, self.trie, self.lm, self.vocab.space_id, 0,
                                          self.unk, [], False)
        return BeamStream(self, decoder)

    def decode(self, log_probs: torch.Tensor) -> list[BeamWord]:
        """Best word sequence of one whole segment's log-probabilities (T, vocab)."""
        stream = self.new_stream()
        stream.add(log_probs, 0)
        stream.open(0)
        return stream.close()


class BeamStream:
    """One stream's incremental search. Frames are numbered from the start of the stream."""

    def __init__(self, search: BeamSearch, decoder):
        self.search, self._decoder = search, decoder
        self._frames = torch.zeros(0, len(search.vocab))  # (N, vocab) log-probs kept for the segment
        self._start = 0  # stream frame of self._frames[0]
        self._decoded = 0  # rows of self._frames already given to the decoder
        self.is_open = False

    def add(self, log_probs: torch.Tensor, first_frame: int) -> None:
        """Queue log-probabilities (T, vocab) of consecutive frames starting at ``first_frame``."""
        if first_frame != self._start + len(self._frames):
            raise ValueError(f"frame {first_frame} does not follow frame {self._start + len(self._frames) - 1}")
        if not self.is_open:
            self._keep_from(first_frame - PREROLL_FRAMES)
        frames = log_probs.detach().float().cpu()
        if self.search.config.blank_penalty:
            frames = frames.clone()
            frames[:, 0] -= self.search.config.blank_penalty
        self._frames = torch.cat([self._frames, frames])

    def open(self, frame: int) -> None:
        """Begin a segment whose first greedy character is at ``frame`` (already added)."""
        self._keep_from(frame - PREROLL_FRAMES)
        self._decoder.decode_begin()
        self._decoded, self.is_open = 0, True

    def partial(self) -> list[BeamWord]:
        """Best words so far; [] when no segment is open.

        flashlight reports the best hypothesis only up to its last completed word,
        so the unfinished rest is shown as the best path (greedy) of the frames after it.
        """
        if not self.is_open:
            return []
        self._decode_to(len(self._frames))
        words, row = self._words(self._decoder.get_best_hypothesis(0))
        return words + self._greedy_tail(row)

    def close(self, frame: int | None = None) -> list[BeamWord]:
        """End the segment after ``frame`` (default: every added frame); returns its best words."""
        if not self.is_open:
            return []
        end = len(self._frames) if frame is None else frame + 1 - self._start
        self._decode_to(end)
        closing = torch.full((1, len(self.search.vocab)), _CLOSING)
        closing[0, self.search.vocab.space_id] = 0.0
        self._decoder.decode_step(closing.data_ptr(), 1, closing.shape[1])
        self._decoder.decode_end()
        hyps = self._decoder.get_all_final_hypothesis()
        words = self._words(hyps[0])[0] if hyps else []
        self.is_open = False
        self._keep_from(self._start + end)
        return words

    def _keep_from(self, frame: int) -> None:
        drop = min(max(0, frame - self._start), len(self._frames))
        self._frames, self._start = self._frames[drop:], self._start + drop

    def _decode_to(self, end: int) -> None:
        if end > self._decoded:
            block = self._frames[self._decoded:end].contiguous()
            self._decoder.decode_step(block.data_ptr(), block.shape[0], block.shape[1])
            self._decoded = end

    def _words(self, result) -> tuple[list[BeamWord], int]:
        """Completed words of a flashlight result, and the decoded row after the last one.

        ``result.tokens[k]`` and ``result.words[k]`` belong to decoded row ``k - 1``
        (index 0 is the start state); a word's label sits on its closing space.
        """
        vocab, tokens, labels = self.search.vocab, list(result.tokens), list(result.words)
        words, chars, rows, after = [], [], [], 0
        for k in range(1, len(tokens)):
            token = tokens[k]
            if k - 1 < self._decoded and token not in (0, vocab.space_id) and token != tokens[k - 1]:
                chars.append(token)
                rows.append(k - 1)
            if labels[k] >= 0 and chars:
                words.append(self._word(labels[k], chars, rows))
                chars, rows, after = [], [], k
        return words, after

    def _greedy_tail(self, row: int) -> list[BeamWord]:
        """Best-path words of the decoded rows from ``row`` on, the last one possibly unfinished."""
        prev = int(self._frames[row - 1].argmax()) if row > 0 else 0
        words = greedy_words(self._frames[row:self._decoded], GreedyState(prev, row), self.search.vocab.space_id)
        return [self._word(-1, [t.id for t in w], [t.frame for t in w]) for w in words]

    def _word(self, label: int, chars: list[int], rows: list[int]) -> BeamWord:
        spelled = self.search.vocab.decode(chars)
        text = spelled if label < 0 or label == self.search.unk else self.search.words.get_entry(label)
        probs = tuple(round(math.exp(float(self._frames[r, c])), 6) for r, c in zip(rows, chars))
        return BeamWord(text, tuple(self._start + r for r in rows), probs)


def _boosted_lm(base, inner, hotwords: set[int], bonus: float):
    """``inner`` (a flashlight LM) with ``bonus`` added to the score of each word in ``hotwords``."""

    class BoostedLM(base):
        def __init__(self):
            base.__init__(self)
            self.inner = inner  # kept alive here: the decoder holds only the C++ side

        def start(self, start_with_nothing):
            return self.inner.start(start_with_nothing)

        def score(self, state, index):
            state, score = self.inner.score(state, index)
            return state, score + bonus if index in hotwords else score

        def finish(self, state):
            return self.inner.finish(state)

    return BoostedLM()


def choose_decoder(vocab: Vocab, mode: str = "auto", config: BeamConfig | None = None) -> BeamSearch | None:
    """The words' decoder: None for ``greedy``; a :class:`BeamSearch` for ``beam``, or for
    ``auto`` when flashlight-text imports and the LM files exist (else greedy)."""
    config = config or BeamConfig()
    if mode not in ("auto", "greedy", "beam"):
        raise ValueError(f"unknown decoder {mode!r}")
    if mode == "greedy" or (mode == "auto" and not beam_available(config)):
        if config.hotwords:
            why = "--decoder greedy" if mode == "greedy" else INSTALL_HINT
            raise SubtitlerError(f"custom words need the beam decoder ({why})")
        return None
    return BeamSearch(vocab, config)


def beam_config(**given) -> BeamConfig:
    """The tuned search settings with the BeamConfig overrides ``given`` (None: kept)."""
    return dataclasses.replace(BeamConfig(), **{k: v for k, v in given.items() if v is not None})


def decoding(vocab: Vocab, mode: str = "auto", words: str | Path | None = None,
             glossary: str | Path | None = None, **beam) -> dict:
    """The :class:`~subtitler.stream.Recognizer`'s ``decoder`` and ``glossary`` arguments for a
    decoder ``mode``, a user word list file, a glossary file and BeamConfig overrides (None: tuned)."""
    from .glossary import Glossary

    config = beam_config(hotwords=read_words(words) if words is not None else None, **beam)
    return {"decoder": choose_decoder(vocab, mode, config),
            "glossary": Glossary.load(glossary) if glossary is not None else None}
