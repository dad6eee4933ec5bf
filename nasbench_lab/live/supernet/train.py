"""Trains a weight-sharing supernet (SPOS or fair sampling, optional few-shot split), resumably.

Recipe: live training's (SGD, Nesterov momentum 0.9, weight decay 5e-4, batch 64, learning rate 0.1
annealed to 0 by a per-step cosine within each phase, no augmentation) on the data's train split.
Phases: the one-shot supernet first, then (few-shot) each sub-supernet, warm-started from the
one-shot weights with a fresh optimizer. With a ``folder``, every epoch of every phase is saved
(weights, optimizer, generator state, records) and a rerun continues from the last saved epoch, so
an interrupted run ends with the same weights, bit for bit, as an uninterrupted one (CPU, same
thread count). Weights come from ``seed``; each phase's batch order and paths from a torch
Generator seeded with that phase's child seed of ``seed``.
"""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from nasbench_lab.errors import ConfigError, DataFileError, NasbenchLabError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.live._torch import require_torch
from nasbench_lab.live.supernet.config import SupernetConfig, open_folder, read_config
from nasbench_lab.registry import Registry
from nasbench_lab.rng import child_seeds

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.supernet.network import Supernet  # noqa: E402
from nasbench_lab.live.trainer import deterministic, resolve_data, resolve_macro  # noqa: E402


class SupernetDivergedError(NasbenchLabError, RuntimeError):
    """The supernet's training loss became NaN or infinite."""


@dataclass(frozen=True)
class PhaseEpoch:
    """One epoch of one phase: mean training loss and accuracy (%) over its steps, cumulative seconds."""

    phase: str
    epoch: int
    train_loss: float
    train_acc: float
    train_time: float


@dataclass
class TrainedSupernet:
    """A trained supernet: its settings, the final weights of every phase and what training cost."""

    config: SupernetConfig
    macro: dict[str, Any]
    num_classes: int
    states: dict[str, dict[str, torch.Tensor]]
    records: list[PhaseEpoch] = field(default_factory=list)
    folder: Path | None = None

    @property
    def epochs(self) -> int:
        """Supernet epochs trained in all (each sub-supernet's counted): the rating's cost in epochs."""
        return self.config.total_epochs

    @property
    def train_seconds(self) -> float:
        """Training seconds summed over phases (measured when each epoch ran, also before a resume)."""
        last: dict[str, float] = {}
        for r in self.records:
            last[r.phase] = r.train_time
        return float(sum(last.values()))

    def network(self) -> Supernet:
        """A fresh supernet module of these settings (weights: load one of ``states``)."""
        return Supernet(self.num_classes, **self.macro)

    def phase_of(self, ops: tuple[int, ...]) -> str:
        """The phase whose weights rate the architecture ``ops`` (its sub-supernet under a few-shot split)."""
        if not self.config.few_shot_k:
            return "oneshot"
        return "split_" + "_".join(f"e{e}o{int(ops[e])}" for e in self.config.split_edges)


# ----------------------------------------------------------------------------- sampling
#: one training step's forward/backward: (net, X, y, fixed edges, generator, edges, ops) -> (loss, correct)
StepFn = Callable[[Supernet, torch.Tensor, torch.Tensor, dict[int, int], torch.Generator, int, int],
                  tuple[float, float]]
SAMPLERS: Registry[StepFn] = Registry("supernet sampling")


def _forward(net: Supernet, path: list[int], X: torch.Tensor, y: torch.Tensor, fixed: dict[int, int],
             scale: float = 1.0) -> tuple[float, float]:
    for e, op in fixed.items():
        path[e] = op
    net.set_path(path)
    out = net(X)
    loss = nn.functional.cross_entropy(out, y)
    (loss * scale).backward() if scale != 1.0 else loss.backward()
    return float(loss.detach()), float((out.argmax(1) == y).sum())


@SAMPLERS.register("spos")
def spos_step(net, X, y, fixed, gen, edges, ops):
    """Single-path one-shot: one path, every edge's op drawn uniformly."""
    return _forward(net, torch.randint(ops, (edges,), generator=gen).tolist(), X, y, fixed)


@SAMPLERS.register("fair")
def fair_step(net, X, y, fixed, gen, edges, ops):
    """FairNAS strict fairness: ``ops`` paths whose ops form a permutation on every edge; gradients summed."""
    perms = torch.stack([torch.randperm(ops, generator=gen) for _ in range(edges)])  # (edges, ops)
    loss_sum, correct = 0.0, 0.0
    for j in range(ops):
        loss, right = _forward(net, perms[:, j].tolist(), X, y, fixed)
        loss_sum += loss
        correct += right
    return loss_sum / ops, correct / ops


# ----------------------------------------------------------------------------- training
def train_supernet(config: SupernetConfig | None = None, *, folder: str | os.PathLike | None = None,
                   device: str = "cpu", num_threads: int | None = 1, **settings: Any) -> TrainedSupernet:
    """Trains (or, with ``folder``, resumes or loads) the supernet of ``config`` (or of ``settings``:
    ``epochs=``, ``sampling=``, ``few_shot_k=``, ``C=``, ``N=``, ``data=``, ``seed=`` ...)."""
    config = _config(config, settings)
    path = open_folder(folder, config) if folder is not None else None
    ds = resolve_data(config.data, config.split_seed)
    macro = resolve_macro(config.space, ds, None, {"C": config.C, "N": config.N})
    with deterministic(num_threads):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            net = Supernet(ds.num_classes, **macro).to(device)
        trained = TrainedSupernet(config, macro, ds.num_classes, {}, folder=path)
        X = torch.from_numpy(ds.train.X).to(device)
        y = torch.from_numpy(ds.train.y).to(device)
        phase_seeds = child_seeds(config.seed, len(config.phases()))
        for (name, fixed, epochs), seed in zip(config.phases(), phase_seeds):
            start = None if name == "oneshot" else trained.states["oneshot"]
            _train_phase(net, trained, name, fixed, epochs, seed, X, y, start, device)
    return trained


def load_supernet(folder: str | os.PathLike, *, device: str = "cpu", num_threads: int | None = 1) -> TrainedSupernet:
    """The supernet saved in ``folder`` (training what its checkpoints lack)."""
    return train_supernet(read_config(folder), folder=folder, device=device, num_threads=num_threads)


def checkpoint_weights(folder: str | os.PathLike, phase: str, epoch: int) -> dict[str, torch.Tensor]:
    """The weights of ``phase`` after its ``epoch``-th epoch in a supernet folder (to rate with a partly
    trained supernet, e.g. ranking agreement over training epochs)."""
    path = Path(folder) / phase / f"epoch_{int(epoch):03d}.pt"
    if not path.is_file():
        have = sorted(p.name for p in (Path(folder) / phase).glob("epoch_*.pt"))
        raise DataFileError(f"{folder} has no checkpoint of phase {phase!r} after epoch {epoch}; it has "
                            f"{', '.join(have) or 'none'} (a folder keeps every epoch of every phase it trained)")
    return _load(path)["model"]


def _config(config: SupernetConfig | None, settings: dict[str, Any]) -> SupernetConfig:
    accepted = [f.name for f in fields(SupernetConfig)]
    unknown = sorted(set(settings) - set(accepted))
    if unknown:
        raise ConfigError(f"supernet: unknown setting(s) {', '.join(unknown)}; accepted: {', '.join(accepted)}")
    if config is None:
        return SupernetConfig(**settings)
    if not isinstance(config, SupernetConfig):
        raise ConfigError(f"supernet: config must be a SupernetConfig, got {type(config).__name__}")
    return SupernetConfig(**{**asdict(config), **settings}) if settings else config


def _train_phase(net: Supernet, trained: TrainedSupernet, name: str, fixed: dict[int, int], epochs: int, seed: int,
                 X: torch.Tensor, y: torch.Tensor, start: dict | None, device: str) -> None:
    cfg = trained.config
    opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=True,
                          weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(int(seed))
    done, records = 0, []
    saved = _last_checkpoint(trained.folder, name, epochs)
    if saved is not None:
        ckpt = _load(saved)
        net.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        gen.set_state(ckpt["generator"])
        records = [PhaseEpoch(**r) for r in ckpt["records"]]
        done = len(records)
    elif start is not None:
        net.load_state_dict(start)
    n = len(y)
    steps = math.ceil(n / cfg.batch_size)
    step_fn = SAMPLERS.get(cfg.sampling)
    elapsed = records[-1].train_time if records else 0.0
    for epoch in range(done + 1, epochs + 1):
        net.train()
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=gen).to(device)
        loss_sum, correct = 0.0, 0.0
        for b in range(steps):
            lr = 0.5 * cfg.lr * (1 + math.cos(math.pi * ((epoch - 1) * steps + b) / (epochs * steps)))
            for group in opt.param_groups:
                group["lr"] = lr
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            opt.zero_grad(set_to_none=True)
            loss, right = step_fn(net, X[idx], y[idx], fixed, gen, cfg.num_edges, cfg.num_ops)
            if not math.isfinite(loss):
                raise SupernetDivergedError(f"supernet {name}: loss became {loss} at epoch {epoch}, step {b + 1}; "
                                            "try a smaller lr")
            opt.step()
            loss_sum += loss * len(idx)
            correct += right
        elapsed += time.perf_counter() - t0
        records.append(PhaseEpoch(name, epoch, loss_sum / n, 100.0 * correct / n, elapsed))
        if trained.folder is not None:
            _save(trained.folder / name / f"epoch_{epoch:03d}.pt", {
                "model": net.state_dict(), "optimizer": opt.state_dict(), "generator": gen.get_state(),
                "records": [asdict(r) for r in records]})
    trained.states[name] = {k: v.detach().clone() for k, v in net.state_dict().items()}
    trained.records.extend(records)


def _last_checkpoint(folder: Path | None, phase: str, epochs: int) -> Path | None:
    if folder is None:
        return None
    for epoch in range(epochs, 0, -1):
        path = folder / phase / f"epoch_{epoch:03d}.pt"
        if path.is_file():
            return path
    return None


def _save(path: Path, obj: dict) -> None:
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write(path, buf.getvalue())


def _load(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is one clear error
        raise DataFileError(f"{path} is damaged ({type(exc).__name__}: {exc}); delete it to retrain that epoch") \
            from None
