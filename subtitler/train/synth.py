"""Synthetic speech corpus: many TTS voices reading the sentence pool.

Splits: ``train`` (training voices x train sentences), ``valid`` (training voices
x valid sentences) and ``test`` (held-out voices x test sentences), so test
measures unseen voices on unseen text. The manifest ``manifest.jsonl`` holds one
JSON object per utterance: ``{"path", "text", "seconds", "voice", "engine",
"split"}``, ``path`` relative to the manifest's folder, ``text`` normalised.

Resumable: every utterance has a fixed path from (split, engine, index); those
already in the manifest are skipped (a WAV without a manifest line is redone), and running again with a larger ``--hours`` adds to
the corpus. Only the parent process writes the manifest.

    python -m subtitler.train.synth --out runs/corpus --hours 3 --jobs 2
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import time
import wave
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from subtitler.train.text import normalize
from subtitler.train.voices import KOKORO_BLENDS, Request, Voice, kokoro_blends, list_voices, synthesize

FAST_ENGINES = ("espeak-ng", "flite", "festival", "pico", "rhvoice", "mbrola")
NEURAL_ENGINES = ("piper", "hibari", "kokoro", "kokoro-mix", "kokoro-accent")
# Share of utterances per engine: more for the intelligible and the varied ones.
ENGINE_WEIGHTS = {"espeak-ng": 3.0, "rhvoice": 2.5, "festival": 1.5, "flite": 1.5, "pico": 1.5,
                  "mbrola": 1.0, "hibari": 3.0, "piper": 1.0}
BATCH = {"festival": 40, "piper": 8, "hibari": 8}  # utterances per task; default below
DEFAULT_BATCH = 20
COMMON_WORDS = 100  # --word-share: a content word is not among the pool's this many most frequent words
# SynthConfig's <kind>_share fields, in the order their shares stack in Planner.job (fixed: a corpus
# is reproduced from its seed only if the order of the random draws stays the same).
UTTERANCE_KINDS = ("short", "word", "number", "letter")
# --letter-share: each letter as the engines are given it, since a bare "A" is also the article and
# the engines' text front ends read bare letters each their own way; the transcript keeps the letter.
LETTER_NAMES = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "ay", "bee", "see", "dee", "ee", "ef", "gee", "aitch", "eye", "jay", "kay", "el", "em", "en", "oh",
    "pee", "cue", "are", "ess", "tee", "you", "vee", "double you", "ex", "why", "zee")))


@dataclass(frozen=True)
class SynthConfig:
    """What to generate and how."""

    out_dir: Path  # corpus folder: wav/ and manifest.jsonl
    text_dir: Path = Path("runs/text")  # sentence pool of subtitler.train.text
    hours: float = 3.0  # train audio of the selected engines to have, in hours
    valid_minutes: float = 15.0  # valid audio of the selected engines, in minutes
    test_minutes: float = 15.0  # test audio (held-out voices) of the selected engines, in minutes
    engines: tuple[str, ...] = FAST_ENGINES  # engines to use in this run
    jobs: int = 1  # worker processes
    rate_range: tuple[float, float] = (0.85, 1.2)  # speaking-rate factor, uniform
    pitch_range: tuple[float, float] = (-2.5, 2.5)  # pitch shift in semitones, uniform
    seed: int = 0  # fixes voice, rate, pitch and sentence of every utterance index
    short_share: float = 0.0  # share of utterances that say only 1-3 words of their sentence
    word_share: float = 0.0  # share of utterances that say one content word of their sentence
    number_share: float = 0.0  # share of utterances that say a number alone (digits, a count, a year, a time)
    letter_share: float = 0.0  # share of utterances that spell 1-5 letters ("q", "m i s d n")
    mix_speakers: int = KOKORO_BLENDS  # kokoro-mix: use the first N mixed speakers (cycle 7: 48, cycle 9: 144)


@dataclass(frozen=True)
class Utterance:
    """One manifest line."""

    path: str  # WAV path relative to the manifest's folder
    text: str  # normalised transcript ([a-z' ])
    seconds: float  # duration
    voice: str  # "engine:name"
    engine: str
    split: str  # "train", "valid" or "test"


@dataclass(frozen=True)
class Job:
    """A request plus what the manifest needs to know about it."""

    request: Request
    text: str  # normalised transcript
    split: str


def wav_seconds(path: Path) -> float:
    """Duration of a WAV file in seconds."""
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def read_manifest(path: Path) -> list[Utterance]:
    """All complete lines of a manifest (a torn last line is ignored)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(Utterance(**json.loads(line)))
        except (json.JSONDecodeError, TypeError):
            continue
    return out


def load_sentences(text_dir: Path, split: str) -> list[tuple[str, str]]:
    """(normalised, spoken) pairs of one split, building the pool first if needed."""
    norm_file = text_dir / f"sentences.{split}.txt"
    if not norm_file.exists():
        from subtitler.train.textsources import build_sentence_pool

        build_sentence_pool(text_dir)
    norm = norm_file.read_text().splitlines()
    spoken_file = text_dir / f"sentences.{split}.spoken.txt"
    spoken = spoken_file.read_text().splitlines() if spoken_file.exists() else norm
    return list(zip(norm, spoken))


class Planner:
    """Deterministic stream of jobs for one split: utterance k of engine e is fixed by the seed."""

    def __init__(self, cfg: SynthConfig, split: str, voices: list[Voice]):
        self.cfg, self.split = cfg, split
        self.voices: dict[str, list[Voice]] = {}
        for v in voices:
            self.voices.setdefault(v.engine, []).append(v)
        self.sentences = load_sentences(cfg.text_dir, split)
        random.Random(cfg.seed).shuffle(self.sentences)
        self.common = common_words(norm for norm, _ in self.sentences) if cfg.word_share else frozenset()
        self.cursor = Counter()  # engine -> next utterance index

    def job(self, engine: str, k: int) -> Job:
        """Utterance ``k`` of ``engine``: voice, rate, pitch and sentence from a seeded RNG."""
        rng = random.Random(f"{self.cfg.seed}:{self.split}:{engine}:{k}")
        voice = rng.choice(self.voices[engine])
        offset = zlib.crc32(engine.encode()) % len(self.sentences)
        norm, spoken = self.sentences[(offset + k) % len(self.sentences)]
        u, edge = rng.random(), 0.0
        for kind in UTTERANCE_KINDS:  # the shares stack in this order; the rest says the sentence
            edge += getattr(self.cfg, f"{kind}_share")
            if u < edge:
                norm, spoken = self._utterance(kind, norm, rng)
                break
        path = self.cfg.out_dir / "wav" / self.split / engine / f"{k // 1000:04d}" / f"{k:07d}.wav"
        req = Request(voice, spoken, rng.uniform(*self.cfg.rate_range), rng.uniform(*self.cfg.pitch_range), path)
        return Job(req, norm, self.split)

    def _utterance(self, kind: str, sentence: str, rng: random.Random) -> tuple[str, str]:
        """(transcript, text for the engine) of one short utterance of ``kind`` (``UTTERANCE_KINDS``)."""
        if kind == "letter":
            return letter_phrase(rng)
        if kind == "number":
            said = number_phrase(rng)
        elif kind == "word":
            said = content_word(sentence, self.common, rng)
        else:
            said = short_span(sentence, rng)
        return said, said  # spoken as written

    def batches(self, n_jobs: int) -> Iterator[list[Job]]:
        """About ``n_jobs`` new jobs, shared by engine weight, in per-engine batches."""
        total_w = sum(ENGINE_WEIGHTS.get(e, 1.0) for e in self.voices)
        for engine in self.voices:
            n = max(1, round(n_jobs * ENGINE_WEIGHTS.get(engine, 1.0) / total_w))
            jobs = [self.job(engine, self.cursor[engine] + i) for i in range(n)]
            self.cursor[engine] += n
            size = BATCH.get(engine, DEFAULT_BATCH)
            for i in range(0, n, size):
                yield jobs[i:i + size]


def short_span(sentence: str, rng: random.Random) -> str:
    """1, 2 or 3 consecutive words of a normalised sentence (a one-word answer, a name, a command)."""
    words = sentence.split()
    n = min(len(words), rng.choices((1, 2, 3), weights=(5, 3, 2))[0])
    start = rng.randrange(len(words) - n + 1)
    return " ".join(words[start:start + n])


def common_words(sentences: Iterable[str], n: int = COMMON_WORDS) -> frozenset[str]:
    """The ``n`` most frequent words of a sentence pool: its function words ("the", "of", "and")."""
    counts = Counter(w for s in sentences for w in s.split())
    return frozenset(w for w, _ in counts.most_common(n))


def content_word(sentence: str, common: frozenset[str], rng: random.Random) -> str:
    """One word of a normalised sentence that is not among the pool's most frequent words, as a
    noun or a name is said alone ("lantern", "harbour"); a sentence of common words only gives one
    of them."""
    words = sentence.split()
    return rng.choice([w for w in words if w not in common] or words)


def number_phrase(rng: random.Random) -> str:
    """A number said alone, written as digits and spoken as the normaliser reads it: digits one
    by one (a phone number, a code: "two nine three four zero"), a count ("seventeen", "three
    hundred and five"), a year ("nineteen eighty four") or a clock time ("seven oh five")."""
    kind = rng.choice(("digits", "count", "year", "time"))
    if kind == "digits":
        written = " ".join(str(rng.randrange(10)) for _ in range(rng.randint(2, 7)))
    elif kind == "count":
        written = str(rng.randrange(rng.choice((20, 100, 1000, 100_000))))
    elif kind == "year":
        written = str(rng.randint(1900, 2039))
    else:
        written = f"{rng.randint(1, 12)}:{rng.choice((0, 0, 15, 30, 45, rng.randrange(60))):02d}"
    return normalize(written)


def letter_phrase(rng: random.Random) -> tuple[str, str]:
    """Letters spelled alone, as a code, a name or a menu key is spelled: one letter half of the
    time, else 2-5, said with or without pauses. Returns (transcript, text for the engine):
    ("m i s d n", "em, eye, ess, dee, en")."""
    letters = [rng.choice(tuple(LETTER_NAMES)) for _ in range(1 if rng.random() < 0.5 else rng.randint(2, 5))]
    return " ".join(letters), rng.choice((", ", " ")).join(LETTER_NAMES[c] for c in letters)


def _work(batch: list[Job]) -> list[Utterance]:
    """Worker: synthesise every job (overwriting a WAV left without a manifest line); describe them."""
    synthesize([j.request for j in batch])
    return [_describe(j) for j in batch if j.request.path.exists()]


def _rel(job: Job) -> str:
    """Manifest path of a job: relative to out_dir (out_dir/wav/split/engine/chunk/file.wav)."""
    return str(job.request.path.relative_to(job.request.path.parents[4]))


def _describe(job: Job) -> Utterance:
    req = job.request
    return Utterance(_rel(job), job.text, round(wav_seconds(req.path), 3), req.voice.id,
                     req.voice.engine, job.split)


class Manifest:
    """Append-only manifest owned by the parent process."""

    def __init__(self, path: Path):
        self.path = path
        self.records = read_manifest(path)
        self.paths = {r.path for r in self.records}
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            with path.open("a") as f:
                f.write("\n")  # a torn last line stays alone on its line

    def seconds(self, split: str, engines: tuple[str, ...]) -> float:
        return sum(r.seconds for r in self.records if r.split == split and r.engine in engines)

    def add(self, utts: list[Utterance]) -> float:
        """Append the new ones; returns their total seconds."""
        new = [u for u in utts if u.path not in self.paths]
        with self.path.open("a") as f:
            f.writelines(json.dumps(asdict(u)) + "\n" for u in new)
        self.records += new
        self.paths.update(u.path for u in new)
        return sum(u.seconds for u in new)


def run_split(cfg: SynthConfig, manifest: Manifest, pool, split: str, voices: list[Voice],
              target_s: float) -> float:
    """Synthesise ``split`` until the selected engines have ``target_s`` seconds; returns seconds added."""
    have = manifest.seconds(split, cfg.engines)
    if have >= target_s or not voices:
        return 0.0
    planner, added, mean_s = Planner(cfg, split, voices), 0.0, 3.0
    bar = tqdm(total=round(target_s), initial=round(have), unit="s", desc=split, mininterval=5)
    while have < target_s:
        n = int(min(max((target_s - have) / mean_s, 10), 200 * cfg.jobs))
        batches = [[j for j in b if _rel(j) not in manifest.paths] for b in planner.batches(n)]
        batches = [b for b in batches if b]
        if not batches:
            continue  # this stretch was made by an earlier run: skip ahead
        utts = [u for batch in pool.imap_unordered(_work, batches) for u in batch]
        if not utts:
            break  # the engines produced nothing: do not loop for ever
        got = manifest.add(utts)
        mean_s = sum(u.seconds for u in utts) / len(utts)
        have, added = have + got, added + got
        bar.update(round(got))
    bar.close()
    return added


def select_voices(cfg: SynthConfig, voices: list[Voice]) -> list[Voice]:
    """The voices of ``cfg.engines``, mixed Kokoro speakers limited to the first ``cfg.mix_speakers``."""
    mixes = set(kokoro_blends(cfg.mix_speakers))
    return [v for v in voices if v.engine in cfg.engines and (v.engine != "kokoro-mix" or v.name in mixes)]


def run(cfg: SynthConfig) -> dict[str, float]:
    """Generate the corpus; returns seconds added per split and the wall time."""
    voices = select_voices(cfg, list_voices())
    train_voices = [v for v in voices if not v.held_out]
    test_voices = [v for v in voices if v.held_out]
    manifest = Manifest(cfg.out_dir / "manifest.jsonl")
    start, added = time.time(), {}
    with multiprocessing.get_context("fork").Pool(cfg.jobs) as pool:
        added["test"] = run_split(cfg, manifest, pool, "test", test_voices, cfg.test_minutes * 60)
        added["valid"] = run_split(cfg, manifest, pool, "valid", train_voices, cfg.valid_minutes * 60)
        added["train"] = run_split(cfg, manifest, pool, "train", train_voices, cfg.hours * 3600)
    added["wall"] = time.time() - start
    return added


def summary(cfg: SynthConfig, added: dict[str, float]) -> str:
    """Human-readable report: hours per split and engine, and the hours/hour speed."""
    records = read_manifest(cfg.out_dir / "manifest.jsonl")
    lines = [f"corpus {cfg.out_dir}: {len(records)} utterances"]
    for split in ("train", "valid", "test"):
        by_engine = Counter()
        for r in records:
            if r.split == split:
                by_engine[r.engine] += r.seconds / 3600
        engines = ", ".join(f"{e} {h:.2f}" for e, h in sorted(by_engine.items()))
        lines.append(f"  {split}: {sum(by_engine.values()):.2f} h ({engines})")
    new_h = sum(v for k, v in added.items() if k != "wall") / 3600
    wall_h = max(added["wall"], 1e-9) / 3600
    lines.append(f"this run: {new_h:.3f} h of audio in {added['wall']:.0f} s wall "
                 f"= {new_h / wall_h:.0f} hours of audio per hour with {cfg.jobs} jobs")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description="Synthesise a TTS speech corpus with a JSONL manifest.")
    p.add_argument("--out", type=Path, default=Path("runs/corpus"), help="corpus folder")
    p.add_argument("--text", type=Path, default=Path("runs/text"), help="sentence pool folder")
    p.add_argument("--hours", type=float, default=3.0, help="train hours of the selected engines")
    p.add_argument("--valid-minutes", type=float, default=15.0)
    p.add_argument("--test-minutes", type=float, default=15.0)
    p.add_argument("--engines", default=",".join(FAST_ENGINES),
                   help=f"comma list; all: {','.join(FAST_ENGINES + NEURAL_ENGINES)}")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--short-share", type=float, default=0.0,
                   help="share of utterances that say only 1-3 words of their sentence "
                        "(isolated words; a sentence-only corpus makes a model insert words)")
    p.add_argument("--word-share", type=float, default=0.0,
                   help="share of utterances that say one content word of their sentence, one not "
                        f"among the pool's {COMMON_WORDS} most frequent words (a noun or a name said alone)")
    p.add_argument("--number-share", type=float, default=0.0,
                   help="share of utterances that say a number alone: digits one by one, a count, "
                        "a year or a clock time (drawn at random, not from the sentence)")
    p.add_argument("--letter-share", type=float, default=0.0,
                   help="share of utterances that spell 1-5 letters alone (\"q\", \"m i s d n\"; drawn at "
                        "random, spoken as letter names, transcribed as letters)")
    p.add_argument("--mix-speakers", type=int, default=KOKORO_BLENDS, metavar="N",
                   help=f"kokoro-mix: speak with the first N mixed speakers (default all {KOKORO_BLENDS}; "
                        "48 made the cycle-7 corpus, 144 cycle 9's)")
    p.add_argument("--list-voices", action="store_true", help="print the voice inventory and exit")
    a = p.parse_args(argv)
    if a.list_voices:
        for v in list_voices():
            print(f"{v.id}\t{'HELD-OUT' if v.held_out else 'train'}\t{v.licence}")
        return 0
    cfg = SynthConfig(a.out, a.text, a.hours, a.valid_minutes, a.test_minutes,
                      tuple(e for e in a.engines.split(",") if e), a.jobs, seed=a.seed,
                      short_share=a.short_share, word_share=a.word_share, number_share=a.number_share,
                      letter_share=a.letter_share, mix_speakers=a.mix_speakers)
    print(summary(cfg, run(cfg)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
