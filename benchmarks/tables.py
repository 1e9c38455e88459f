"""Markdown for a comparison run: the main table and the detail tables under it."""
from __future__ import annotations

import os
import platform
import subprocess
import time

from common import ROOT

PARTIAL_TARGET_MS = 300  # p50 of partial captions
FINAL_TARGET_MS = 1000  # finals within this of the phrase end (p90 checked)
MAIN_ROWS = ("subtitler greedy", "subtitler greedy int8", "subtitler beam+LM", "subtitler beam+LM int8",
             "whisper tiny.en (int8)", "pocketsphinx 5")
PROFILE_STAGES = ("features", "conv", "GRU", "model rest", "decode", "captions", "glue")


def machine() -> str:
    """CPU model and cores, e.g. 'AMD EPYC 7B13, 2 cores'."""
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "?")
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("torch", "ctranslate2", "faster-whisper", "pocketsphinx", "flashlight-text"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def ms_pair(p50: float, p90: float) -> str:
    return f"{p50:.0f} / {p90:.0f}"


def render(res, tolerance: float) -> str:
    parts = [header(res), main_table(res), latency_table(res), wins_table(res, tolerance), live_table(res),
             profile_table(res), notes(res)]
    return "\n\n".join(p for p in parts if p) + "\n"


def header(res) -> str:
    o, first = res.options, next(iter(res.accuracy.values()))
    model = o.model.relative_to(ROOT) if o.model.is_relative_to(ROOT) else o.model
    sets = ", ".join(f"**{name}** {len(texts)} utterances" for name, texts in first.texts.items())
    return (f"# subtitler vs Whisper tiny.en vs PocketSphinx\n\n"
            f"Machine: {machine()}; {versions()}.  \nRun {time.strftime('%Y-%m-%d %H:%M')} in {res.seconds / 60:.0f} min.  \n"
            f"Model: `{model}`. Sets: {sets} (real = human speech dev set, synthetic = held-out TTS "
            f"voices).  \nCommand: `.venv/bin/python benchmarks/compare.py"
            f"{f' --limit {o.limit}' if o.limit else ''} --model {model}`")


def main_table(res) -> str:
    names = list(next(iter(res.accuracy.values())).wer)
    head = ["system"] + [f"{m} {n}" for n in names for m in ("WER %", "CER %")] + [
        "RTF 1 thr", "RTF 2 thr", "peak RAM MB", "size MB", "partial p50/p90 ms", "final p50/p90 ms"]
    rows = [head, ["---"] * len(head)]
    for name in MAIN_ROWS:
        one, two = res.accuracy.get(f"{name}/1"), res.accuracy.get(f"{name}/2")
        if one is None:
            continue
        lat = res.latency.get(name)
        rows.append([name] + [pct(getattr(one, m)[n]) for n in names for m in ("wer", "cer")] + [
            f"{one.rtf:.3f}", f"{two.rtf:.3f}" if two else "n/a (1 thread)",
            f"{max(r.peak_rss_mb for r in (one, two) if r):.0f}", f"{res.sizes.get(name, float('nan')):.1f}",
            ms_pair(lat.partial_p50_ms, lat.partial_p90_ms) if lat else "n/a (not streaming)",
            ms_pair(lat.final_p50_ms, lat.final_p90_ms) if lat else "n/a"])
    legend = ("RTF = processing time / audio time (subtitler: streaming, 160 ms chunks; Whisper and "
              "PocketSphinx: whole utterances). Latency: 1 thread, see the next table.")
    return "## Main table\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n\n" + legend


def latency_table(res) -> str:
    head = ["system", "chunk ms", "utts", "words timed / all", "partial p50/p90 ms", "last word partial p50 ms",
            "final p50/p90 ms", "chunk cost p50 ms", "reference check ms"]
    rows = [head, ["---"] * len(head)]
    for r in res.latency.values():
        rows.append([r.system, str(r.chunk_ms), str(r.utterances), f"{r.words} / {r.reference_words}",
                     ms_pair(r.partial_p50_ms, r.partial_p90_ms), f"{r.last_partial_p50_ms:.0f}",
                     ms_pair(r.final_p50_ms, r.final_p90_ms), f"{r.chunk_p50_ms:.2f}", f"{r.anchor_ms:+.0f}"])
    first = next(iter(res.latency.values()), None)
    return ("## Caption latency (synthetic test voices, 1 thread)\n\n"
            f"Reference: {first.reference if first else '?'}; targets: partial p50 <= {PARTIAL_TARGET_MS} ms, "
            f"final <= {FINAL_TARGET_MS} ms after the phrase end. Partial latency counts only the words a "
            "system finally recognises exactly; a PocketSphinx word counts when its final text first "
            "stands at its place, and its partials are often revised (hence its long p90).\n\n"
            + "\n".join("| " + " | ".join(r) + " |" for r in rows))


def wins_table(res, tolerance: float) -> str:
    base1 = res.accuracy["subtitler greedy/1"]
    names = list(base1.wer)
    head = ["change (vs fp32, 1 thread, 160 ms)"] + [f"{m} {n}" for n in names for m in ("WER %", "CER %")] + [
        "RTF", "speed-up", "partial p50 ms", "verdict"]
    rows = [head, ["---"] * len(head)]
    for key, label in wins_keys(res):
        run, lat = res.accuracy[key], res.latency.get(key.split("/")[0])
        same = all(abs(getattr(run, m)[n] - getattr(base1, m)[n]) <= tolerance for n in names for m in ("wer", "cer"))
        rows.append([label] + [pct(getattr(run, m)[n]) for n in names for m in ("wer", "cer")] + [
            f"{run.rtf:.4f}", f"x{base1.rtf / run.rtf:.2f}", f"{lat.partial_p50_ms:.0f}" if lat else "—",
            res.verdicts.get(key, "") or ("accuracy unchanged" if same else "ACCURACY CHANGED")])
    return (f"## Cheap speed-ups on the streaming path\n\nKept only if WER and CER move by at most "
            f"{100 * tolerance:.1f} points on every set.\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in rows))


def wins_keys(res) -> list[tuple[str, str]]:
    keys = [("subtitler greedy/1", "baseline: fp32, 1 thread, 160 ms chunks"),
            ("subtitler greedy/2", "2 threads"),
            ("subtitler greedy int8/1", "int8 GRU (dynamic quantisation)"),
            ("subtitler greedy int8/2", "int8 GRU, 2 threads"),
            ("subtitler greedy, 320 ms chunks/1", "320 ms chunks"),
            ("subtitler greedy, 640 ms chunks/1", "640 ms chunks")]
    return [(k, label) for k, label in keys if k in res.accuracy]


def live_table(res) -> str:
    head = ["system", "CPU % speech", "CPU % silence", "RSS over the long stream MB", "growth MB", "RTF",
            "measured through"]
    rows = [head, ["---"] * len(head)]
    for label, cpu in res.engine.items():
        long = res.long[label]
        rows.append([label, f"{cpu.speech_cpu_pct:.1f}", f"{cpu.silence_cpu_pct:.1f}",
                     " → ".join(f"{x:.0f}" for x in long.rss_mb), f"{long.growth_mb:+.1f}", f"{long.rtf:.4f}",
                     cpu.path])
    o = res.options
    return (f"## Live engine (1 thread)\n\nCPU % of one core while {o.live_seconds:.0f} s of speech, then "
            f"{o.live_seconds:.0f} s of faint noise, play in real time; resident memory sampled "
            f"{min(5, o.long_minutes / 4):g} min apart over {o.long_minutes:g} min of audio fed as fast as "
            "possible through one stream.\n\n"
            + "\n".join("| " + " | ".join(r) + " |" for r in rows))


def profile_table(res) -> str:
    if not res.profiles:
        return ""
    labels = list(res.profiles)
    head = ["stage"] + [f"{lb} (% of accept)" for lb in labels]
    rows = [head, ["---"] * len(head)]
    for stage in PROFILE_STAGES:
        rows.append([stage] + [f"{100 * res.profiles[lb].shares.get(stage, 0):.1f}" for lb in labels])
    rows.append(["ms per 160 ms chunk, no profiler"] + [f"{res.profiles[lb].chunk_ms_plain:.2f}" for lb in labels])
    return ("## Where the streaming time goes (cProfile, 60 s of speech, 160 ms chunks, 1 thread)\n\n"
            + "\n".join("| " + " | ".join(r) + " |" for r in rows))


def notes(res) -> str:
    lines = [f"- {name}: not measured: {why}" for name, why in res.skipped.items()]
    lines += [f"- {n}" for n in res.notes]
    return "## Notes\n\n" + "\n".join(lines) if lines else ""
