"""Trains one architecture on small image data with a fixed NB201-style recipe, deterministic per seed.

Recipe (NAS-Bench-201's, scaled down): SGD with Nesterov momentum 0.9, learning rate 0.1 annealed
to 0 by a per-step cosine, weight decay 5e-4, batch 64, cross-entropy, no augmentation. Every epoch
records train (running mean over the epoch), validation and test loss and accuracy; the test split
is only reported.

Determinism: weights come from ``torch.manual_seed(seed)`` inside ``torch.random.fork_rng`` (the
caller's global RNG state is restored), batch order from a local ``torch.Generator``, and
deterministic algorithms are switched on during the run. On the CPU a run is bit-for-bit
repeatable for the same seed, PyTorch version and thread count; other thread counts or a GPU
can change the low bits.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.live._torch import require_torch

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.data import ImageData, load_data  # noqa: E402
from nasbench_lab.live.networks import NETWORKS, build_network  # noqa: E402
from nasbench_lab.live.records import EpochRecord, RunResult  # noqa: E402


@dataclass(frozen=True)
class Recipe:
    """Training hyperparameters (NAS-Bench-201's recipe with a smaller batch)."""

    batch_size: int = 64
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    eval_batch_size: int = 512

    def check(self) -> Recipe:
        if self.batch_size < 1 or self.eval_batch_size < 1:
            raise ConfigError(f"batch sizes must be >= 1, got {self.batch_size} and {self.eval_batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"learning rate must be a positive number, got {self.lr}")
        if not 0 <= self.momentum < 1 or self.weight_decay < 0:
            raise ConfigError(f"momentum must be in [0, 1) and weight decay >= 0, got {self.momentum}, "
                              f"{self.weight_decay}")
        return self


@lru_cache(maxsize=8)
def _named_data(name: str, split_seed: int) -> ImageData:
    return load_data(name, split_seed=split_seed)


def resolve_data(data: object, split_seed: int = 0) -> ImageData:
    """ImageData for a name (cached per process), arrays or ImageData."""
    if isinstance(data, str):
        return _named_data(data, split_seed)
    return load_data(data, split_seed=split_seed)


def resolve_macro(space_name: str, data: ImageData, preset: str | None, macro: dict[str, Any] | None) -> dict:
    """The macro a run uses: the small preset for images under 16 pixels a side unless told otherwise."""
    spec = NETWORKS.get(space_name)
    if preset is None:
        preset = "small" if min(data.input_shape[1:]) < 16 else "official"
    return spec.macro(preset, **{"in_channels": data.input_shape[0], **(macro or {})})


def arch_label(space_name: str, arch: object) -> str:
    """A readable, stable label of an architecture (the official string where the space has one)."""
    from nasbench_lab.spaces.registry import SPACES, space

    if isinstance(arch, str):
        return arch
    if space_name in SPACES:
        sp = space(space_name)
        try:
            return sp.to_string(sp.validate(arch)[0])
        except Exception:  # noqa: BLE001 - fall back to repr for representations the space does not take
            pass
    if isinstance(arch, (tuple, list)) and len(arch) == 2:
        return f"matrix={np.asarray(arch[0]).tolist()} ops={list(arch[1])}"
    return repr(arch)


@contextmanager
def deterministic(num_threads: int | None = None) -> Iterator[None]:
    """Deterministic algorithms (and optionally a thread count) for the block; restores the previous settings."""
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    old_threads = torch.get_num_threads()
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # needed by deterministic cuBLAS
    torch.use_deterministic_algorithms(True, warn_only=True)
    if num_threads:
        torch.set_num_threads(int(num_threads))
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)
        if num_threads:
            torch.set_num_threads(old_threads)


def seeded_network(space_name: str, arch: object, num_classes: int, seed: int, **macro: Any) -> nn.Module:
    """``build_network`` with weights drawn from ``seed`` without touching the caller's global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return build_network(space_name, arch, num_classes, **macro)


def _evaluate(net: nn.Module, X: torch.Tensor, y: torch.Tensor, batch: int) -> tuple[float, float]:
    net.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(y), batch):
            out = net(X[start:start + batch])
            target = y[start:start + batch]
            loss_sum += float(nn.functional.cross_entropy(out, target, reduction="sum"))
            correct += int((out.argmax(1) == target).sum())
    return loss_sum / len(y), 100.0 * correct / len(y)


def train(space_name: str, arch: object, data: object = "digits", epochs: int = 12, seed: int = 0, *,
          recipe: Recipe | None = None, preset: str | None = None, macro: dict[str, Any] | None = None,
          device: str = "cpu", num_threads: int | None = 1, split_seed: int = 0,
          **recipe_overrides: Any) -> RunResult:
    """Trains ``arch`` of ``space_name`` on ``data`` for ``epochs``; returns per-epoch records.

    ``data``: "digits" (default), "digits32", an ``(X, y)`` pair or a dict of train/valid/test
    pairs. ``preset``/``macro`` choose the network (default: the small macro for images under
    16x16, else the official one). ``num_threads``: PyTorch threads during the run (default 1:
    small networks gain nothing from intra-op threads, and several threads on a busy CPU slow them
    down; None keeps the current setting). Recipe fields (``lr=``, ``batch_size=`` ...) may be overridden.
    A NaN/inf loss stops the run with ``status="diverged"`` and a message naming the cell.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ConfigError(f"epochs must be a positive integer, got {epochs!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        recipe = replace(recipe or Recipe(), **recipe_overrides).check()
    except TypeError as exc:
        raise ConfigError(f"unknown training option: {exc}; accepted: {', '.join(Recipe.__dataclass_fields__)}") \
            from None
    ds = resolve_data(data, split_seed)
    full_macro = resolve_macro(space_name, ds, preset, macro)
    label = arch_label(space_name, arch)
    result = RunResult(space=space_name, arch=label, seed=int(seed), epochs=int(epochs), data=ds.name,
                       macro=full_macro, device=str(device))
    with deterministic(num_threads):
        net = seeded_network(space_name, arch, ds.num_classes, seed, **full_macro).to(device)
        result.params = sum(p.numel() for p in net.parameters() if p.requires_grad) / 1e6
        _fit(net, ds, int(epochs), int(seed), recipe, device, result)
    return result


def _fit(net: nn.Module, ds: ImageData, epochs: int, seed: int, recipe: Recipe, device: str,
         result: RunResult) -> None:
    tensors = {name: (torch.from_numpy(s.X).to(device), torch.from_numpy(s.y).to(device))
               for name, s in (("train", ds.train), ("valid", ds.valid), ("test", ds.test))}
    X, y = tensors["train"]
    n = len(y)
    steps_per_epoch = math.ceil(n / recipe.batch_size)
    total_steps = epochs * steps_per_epoch
    opt = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.nesterov,
                          weight_decay=recipe.weight_decay)
    gen = torch.Generator().manual_seed(seed)
    step, train_time = 0, 0.0
    for epoch in range(1, epochs + 1):
        net.train()
        start = time.perf_counter()
        order = torch.randperm(n, generator=gen).to(device)
        loss_sum, correct = 0.0, 0
        lr = recipe.lr
        for b in range(steps_per_epoch):
            lr = 0.5 * recipe.lr * (1 + math.cos(math.pi * step / total_steps))
            for group in opt.param_groups:
                group["lr"] = lr
            idx = order[b * recipe.batch_size:(b + 1) * recipe.batch_size]
            out = net(X[idx])
            loss = nn.functional.cross_entropy(out, y[idx])
            value = float(loss.detach())
            if not math.isfinite(value):
                result.status = "diverged"
                result.message = (f"{result.space} {result.arch} seed {seed}: loss became {value} at epoch {epoch}, "
                                  f"step {b + 1}; run stopped, {len(result.records)} finished epochs kept")
                return
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += value * len(idx)
            correct += int((out.argmax(1) == y[idx]).sum())
        train_time += time.perf_counter() - start
        eval_start = time.perf_counter()
        valid_loss, valid_acc = _evaluate(net, *tensors["valid"], recipe.eval_batch_size)
        test_loss, test_acc = _evaluate(net, *tensors["test"], recipe.eval_batch_size)
        result.records.append(EpochRecord(
            epoch=epoch, train_loss=loss_sum / n, train_acc=100.0 * correct / n, valid_loss=valid_loss,
            valid_acc=valid_acc, test_loss=test_loss, test_acc=test_acc, train_time=train_time,
            eval_time=time.perf_counter() - eval_start, lr=lr))
