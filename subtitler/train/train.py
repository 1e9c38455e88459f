"""Training loop: CTC on (augmented) speech, one CPU or many GPUs via torchrun.

    subtitler-train fit --train runs/corpus/manifest.jsonl --out runs/exp1
    torchrun --nproc_per_node=8 -m subtitler.train.cli fit --train ... --out ...

Resumable: ``OUT/last.pt`` holds model, optimiser, scheduler, step and config;
``OUT/model.pt`` is the runtime checkpoint of the best validation CER so far, ``OUT/final.pt``
the latest; with ``--ema D``, ``OUT/ema.pt`` holds the exponential moving average of the
weights (decay D per step), validated beside them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
import torchaudio

from ..checkpoint import Bundle, load_checkpoint, save_checkpoint
from ..config import FeatureConfig, ModelConfig
from ..features import FeatureExtractor, running_mean_subtract, _cmn_decay
from ..model import AcousticModel, count_parameters
from ..vocab import Vocab
from .data import SpeechData, feature_statistics
from .evaluate import error_rates, greedy_texts


@dataclass(frozen=True)
class TrainConfig:
    train: tuple[str, ...]  # corpora: manifests (.jsonl/.csv) or LibriSpeech / Common Voice folders
    out: str  # run directory (checkpoints, log)
    valid: tuple[str, ...] = ()  # validation corpora; default: the train corpora's "valid" split
    model: ModelConfig = field(default_factory=ModelConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    steps: int = 20_000  # optimiser steps in total
    batch_seconds: float = 240.0  # audio per batch (per process), seconds
    max_utterance_seconds: float = 20.0  # longer utterances are skipped
    lr: float = 1.5e-3  # peak learning rate
    warmup: int = 500  # linear warm-up steps
    weight_decay: float = 0.01
    clip: float = 5.0  # gradient norm limit
    spec_freq_mask: int = 15  # SpecAugment: widest frequency mask (mel bins), two masks
    spec_time_mask: int = 40  # SpecAugment: widest time mask (10 ms frames), up to 5% of the utterance
    augment: bool = True  # waveform augmentation (speed, reverb, noise, channel)
    vtlp: float = 0.0  # share of training utterances whose formants move (vocal tract length perturbation)
    vtlp_max: float = 0.1  # widest VTLP warp: factor drawn uniformly in [1 - this, 1 + this]
    rir_rooms: int = 200  # simulated rooms in the reverberation bank
    workers: int = 1  # data loader processes
    eval_every: int = 500  # steps between validations and checkpoints
    seed: int = 1
    init: str = ""  # warm start: weights (and feature statistics) of this checkpoint; fresh optimiser and schedule
    minutes: float = 0.0  # > 0: stop after this many minutes of training; the LR cycle then follows the clock
    ema: float = 0.0  # > 0: also keep an exponential moving average of the weights (this decay per step), OUT/ema.pt
    train_only: str = ""  # comma-separated parameter name prefixes (e.g. "conv1,conv2,norm"): only these train
    entropy: float = 0.0  # > 0: confidence penalty: the training loss subtracts this x the outputs' mean frame entropy


def cosine_lr(step: int, cfg: TrainConfig, elapsed: float = 0.0) -> float:
    """Multiplier of the peak LR: linear warm-up, then cosine decay to 5% at ``cfg.steps``.

    With a time budget (``cfg.minutes``) the decay follows ``elapsed`` training
    seconds instead, so a run on a machine of unknown speed (a GPU lease) still
    ends its cycle exactly when its time is up.
    """
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    if cfg.minutes > 0:
        progress = min(1.0, elapsed / (60 * cfg.minutes))
    else:
        progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))


class Trainer:
    """Owns the model, optimiser and data of one run (one process of a distributed job)."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.rank, self.world = _init_distributed()
        self.device = _device(self.rank)
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(cfg.seed)
        self.vocab = Vocab()
        self.data = SpeechData(cfg, self.vocab)
        self.mean, self.std = self._statistics()
        self.model = AcousticModel(dataclasses.replace(cfg.model, vocab_size=len(self.vocab))).to(self.device)
        trained = self._trained()  # before wrapping: DDP must see which parameters are frozen
        self.net = self._wrap(self.model)
        self.elapsed = 0.0  # training seconds of this run's LR cycle (all ranks agree: rank 0's clock)
        self.opt = torch.optim.AdamW(trained, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda s: cosine_lr(s, cfg, self.elapsed))
        self.ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
        self.spec = torch.nn.Sequential(
            torchaudio.transforms.FrequencyMasking(cfg.spec_freq_mask, iid_masks=True),
            torchaudio.transforms.FrequencyMasking(cfg.spec_freq_mask, iid_masks=True),
        )
        self.decay = _cmn_decay(cfg.features)
        self.step, self.best_cer, self.train_seconds = 0, float("inf"), 0.0
        self.losses: list[float] = []  # training loss of every step of this process
        # The first update copies the weights (after a warm start or resume), then each step blends in.
        self.ema = (torch.optim.swa_utils.AveragedModel(
            self.model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(cfg.ema)) if cfg.ema > 0 else None)
        if not self._resume() and cfg.init:
            self._warm_start(cfg.init)

    def _trained(self) -> list[torch.nn.Parameter]:
        """The parameters the optimiser moves: all, or those named by ``train_only`` (the rest frozen)."""
        prefixes = tuple(p.strip() for p in self.cfg.train_only.split(",") if p.strip())
        if not prefixes:
            return list(self.model.parameters())
        chosen = []
        for name, param in self.model.named_parameters():
            param.requires_grad_(name.startswith(prefixes))
            if param.requires_grad:
                chosen.append(param)
        if not chosen:
            raise SystemExit(f"--train-only {self.cfg.train_only}: no parameter name starts with that")
        return chosen

    def _statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        path = self.out / "stats.pt"
        if not path.exists() and self.rank == 0:
            if self.cfg.init:  # the warm-started weights expect the statistics they were trained with
                bundle = load_checkpoint(self.cfg.init)
                mean, std = bundle.mean, bundle.std
            else:
                mean, std = feature_statistics(self.data.train, self.cfg.features)
            torch.save({"mean": mean, "std": std}, path)
        _barrier()
        stats = torch.load(path, weights_only=True)
        return stats["mean"], stats["std"]

    def _wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
        return model

    def _resume(self) -> bool:
        path = self.out / "last.pt"
        if not path.exists():
            return False
        state = torch.load(path, map_location=self.device, weights_only=True)
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.step, self.best_cer = state["step"], state["best_cer"]
        self.train_seconds = state.get("train_seconds", 0.0)
        self.elapsed = state.get("elapsed", 0.0)
        if self.ema is not None and "ema" in state:
            self.ema.load_state_dict(state["ema"])
        self.log(f"resumed from {path} at step {self.step}")
        return True

    def _warm_start(self, path: str) -> None:
        """Start from a trained checkpoint's weights (same architecture) with a new optimiser and LR cycle."""
        bundle = load_checkpoint(path)
        want = self.model.config
        ours = dataclasses.replace(bundle.model.config, dropout=want.dropout, lookahead=want.lookahead)
        if ours != want or want.lookahead < bundle.model.config.lookahead:
            raise SystemExit(f"--init {path}: its model {bundle.model.config} differs from {want}; "
                             "pass the same --model-* options (only --model-lookahead may grow)")
        self.model.load_state_dict(longer_lookahead(bundle.model.state_dict(), want.lookahead))
        self.train_seconds = float(bundle.meta.get("train_seconds", 0.0))
        self.log(f"warm start from {path} (step {bundle.meta.get('step', '?')} of its run)")

    def normalise(self, feats: torch.Tensor) -> torch.Tensor:
        """Raw log-mel (B, T, F) -> the runtime's normalised features."""
        x = (feats - self.mean.to(feats.device)) / self.std.to(feats.device)
        start = torch.zeros(x.shape[0], x.shape[2], device=x.device)
        return running_mean_subtract(x, start, self.decay)[0]

    def loss(self, batch) -> torch.Tensor:
        feats, feat_lens, targets, target_lens = (t.to(self.device) for t in batch[:4])
        if self.net.training and self.cfg.vtlp > 0:
            feats = self._vtlp(feats)
        x = self.normalise(feats)
        if self.net.training:
            x = self._spec_augment(x, feat_lens)
        log_probs, _ = self.net(x)
        out_lens = self.model.output_lengths(feat_lens)
        loss = self.ctc(log_probs.transpose(0, 1).float(), targets, out_lens, target_lens)
        if self.net.training and self.cfg.entropy > 0:
            loss = loss - self.cfg.entropy * frame_entropy(log_probs.float(), out_lens)
        return loss

    def _vtlp(self, feats: torch.Tensor) -> torch.Tensor:
        """Warp the formants of a random ``cfg.vtlp`` share of the batch (raw log-mel, B x T x F)."""
        from .augment import warp_vocal_tract

        n, c, f = feats.shape[0], self.cfg, self.cfg.features
        chosen = (torch.rand(n) < c.vtlp).nonzero().flatten().to(feats.device)
        alphas = 1.0 + c.vtlp_max * (2.0 * torch.rand(len(chosen)) - 1.0)
        out = feats.clone()
        out[chosen] = warp_vocal_tract(feats[chosen], alphas, f.f_min, f.f_max)
        return out

    def _spec_augment(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        x = self.spec(x.transpose(1, 2))
        width = max(1, min(self.cfg.spec_time_mask, int(lens.min()) // 20))
        for _ in range(2):
            x = torchaudio.functional.mask_along_axis_iid(x.unsqueeze(1), width, 0.0, 3).squeeze(1)
        return x.transpose(1, 2)

    def fit(self) -> None:
        cfg = self.cfg
        self.log(f"model {count_parameters(self.model) / 1e6:.2f} M parameters on {self.device}, "
                 f"{len(self.data.train)} training utterances ({self.data.train_hours:.1f} h), world {self.world}")
        progress = _progress(cfg.steps, self.step, self.rank == 0)
        seen, t0, spent, cycle = 0.0, time.time(), self.train_seconds, self.elapsed
        while not self._done():
            for batch in self.data.loader(epoch=self.step, rank=self.rank, world=self.world):
                self.net.train()
                loss = self.loss(batch)
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.clip)
                self.opt.step()
                if self.ema is not None:
                    self.ema.update_parameters(self.model)
                self.sched.step()
                self.step += 1
                seen += float(batch[1].sum()) * cfg.features.hop_length / cfg.features.sample_rate
                progress.set_postfix(loss=f"{loss.item():.3f}", audio_x=f"{seen / (time.time() - t0):.0f}")
                progress.update(1)
                self.losses.append(loss.item())
                self.train_seconds = spent + time.time() - t0
                self.elapsed = _from_rank0(cycle + time.time() - t0)
                if self.step % 50 == 0:
                    self.log(f"step {self.step} loss {loss.item():.4f} lr {self.sched.get_last_lr()[0]:.2e} "
                             f"speed {seen / (time.time() - t0):.0f}x")
                done = self._done()
                if self.step % cfg.eval_every == 0 or done:
                    self.validate_and_save()
                if done:
                    break
        progress.close()

    def _done(self) -> bool:
        return self.step >= self.cfg.steps or 0 < self.cfg.minutes * 60 <= self.elapsed

    def validate_and_save(self) -> None:
        if self.rank == 0:
            cer, wer = self.validate()
            self.log(f"step {self.step} valid CER {cer:.4f} WER {wer:.4f}")
            if cer <= self.best_cer:
                self.best_cer = cer
                self.export(self.out / "model.pt", {"valid_cer": cer, "valid_wer": wer})
            self.export(self.out / "final.pt", {"valid_cer": cer, "valid_wer": wer})
            self.export(self.out / "snapshots" / f"step{self.step:06d}.pt", {"valid_cer": cer, "valid_wer": wer})
            if self.ema is not None:
                cer, wer = self.validate(self.ema.module)
                self.log(f"step {self.step} ema valid CER {cer:.4f} WER {wer:.4f}")
                self.export(self.out / "ema.pt", {"valid_cer": cer, "valid_wer": wer, "ema": self.cfg.ema},
                            self.ema.module)
            self._save_state()
        _barrier()

    @torch.no_grad()
    def validate(self, model: AcousticModel | None = None) -> tuple[float, float]:
        """Greedy (CER, WER) of ``model`` (default: the one being trained) on the valid sample."""
        model = self.model if model is None else model
        self.net.eval()
        model.eval()
        refs, hyps = [], []
        for feats, feat_lens, _, _, texts in self.data.valid_batches():
            log_probs, _ = model(self.normalise(feats.to(self.device)))
            hyps += greedy_texts(log_probs.cpu(), model.output_lengths(feat_lens), self.vocab)
            refs += texts
        return error_rates(refs, hyps)

    def export(self, path: Path, scores: dict, weights: AcousticModel | None = None) -> None:
        """Write a runtime checkpoint of ``weights`` (default: the model being trained)."""
        model = AcousticModel(self.model.config)
        model.load_state_dict({k: v.cpu() for k, v in (self.model if weights is None else weights).state_dict().items()})
        meta = {"step": self.step, "train_seconds": round(self.train_seconds), "train_hours": round(self.data.train_hours, 2),
                "corpora": list(self.cfg.train), **({"init": self.cfg.init} if self.cfg.init else {}), **scores}
        save_checkpoint(path, Bundle(model, self.cfg.features, self.vocab, self.mean, self.std, meta))

    def _save_state(self) -> None:
        state = {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                 "sched": self.sched.state_dict(), "step": self.step, "best_cer": self.best_cer,
                 "train_seconds": self.train_seconds, "elapsed": self.elapsed,
                 **({"ema": self.ema.state_dict()} if self.ema is not None else {})}
        tmp = self.out / "last.pt.tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.out / "last.pt")

    def log(self, message: str) -> None:
        if self.rank == 0:
            line = f"{time.strftime('%H:%M:%S')} {message}"
            with open(self.out / "train.log", "a") as f:
                f.write(line + "\n")
            print(line, file=sys.stderr, flush=True)


def frame_entropy(log_probs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean entropy (nats) of the output distributions over the real frames of a (B, T, V) batch.

    Subtracted from the CTC loss it is a confidence penalty (Pereyra et al. 2017; for CTC, Liu et al.
    2018): a model rewarded for spreading some mass is less sure of its blanks.
    """
    real = torch.arange(log_probs.shape[1], device=log_probs.device)[None, :] < lengths.to(log_probs.device)[:, None]
    per_frame = -(log_probs.exp() * log_probs).sum(-1)
    return (per_frame * real).sum() / real.sum().clamp(min=1)


def longer_lookahead(state: dict, lookahead: int) -> dict:
    """A model's weights with its row convolution widened to ``lookahead`` future frames.

    The new taps (the farthest frames) start at zero, so the widened model computes exactly
    what the original did and training decides what the extra frames are worth.
    """
    weight = state["row.weight"]  # (hidden, 1, old lookahead + 1)
    extra = lookahead + 1 - weight.shape[-1]
    if extra <= 0:
        return state
    return {**state, "row.weight": torch.cat([weight, weight.new_zeros(*weight.shape[:-1], extra)], dim=-1)}


def _init_distributed() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def _device(rank: int) -> torch.device:
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", rank))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device("cpu")


def _from_rank0(value: float) -> float:
    """``value`` as rank 0 has it (so that every process takes the same LR and stops at the same step)."""
    if not dist.is_initialized():
        return value
    t = torch.tensor([value], dtype=torch.float64, device="cuda" if dist.get_backend() == "nccl" else "cpu")
    dist.broadcast(t, 0)
    return float(t.item())


def _barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def _progress(total: int, start: int, show: bool):
    from tqdm import tqdm

    # None: only on a terminal (a log file piped through tee gets the 50-step log lines instead)
    return tqdm(total=total, initial=start, unit="step", disable=None if show else True, dynamic_ncols=True)
