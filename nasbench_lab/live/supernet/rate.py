"""Rates architectures with a trained supernet's inherited weights on the data's valid split.

Per architecture: its path is activated in its (sub-)supernet, every BatchNorm's running statistics
are reset and recalibrated on ``bn_batches`` training batches (momentum None: the cumulative mean
over those batches; the same batches for every architecture, drawn with ``seed``), then the valid
split is classified in one pass. ``bn_batches=0`` keeps the statistics accumulated in training
(the supernet's mixture of all paths). Each distinct architecture is rated once, in one forward
pass over the calibration batches followed by the valid split (each BatchNorm normalises the batches
in training mode, then the rest with the statistics they left: the same numbers as separate passes,
with fewer calls); architectures are grouped by sub-supernet so its weights are loaded once. The
cost is compute on ``bn_batches * 64 + len(valid)`` images per architecture: at toy size about
20 ms on one CPU thread (2-core machine shared with other jobs), a third of it in 3x3 average pooling.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.live._torch import require_torch
from nasbench_lab.live.supernet.config import read_config

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.supernet.train import TrainedSupernet, load_supernet  # noqa: E402
from nasbench_lab.live.trainer import deterministic, resolve_data  # noqa: E402

#: default number of training batches that recalibrate BatchNorm per architecture
BN_BATCHES = 4


@dataclass(frozen=True)
class Ratings:
    """Valid accuracy (%) and loss per architecture, with what the rating and the supernet cost."""

    valid_acc: np.ndarray
    valid_loss: np.ndarray
    rate_seconds: float
    train_epochs: int
    train_seconds: float
    bn_batches: int


def rate_supernet(supernet: TrainedSupernet | str | os.PathLike, archs: object, *, bn_batches: int = BN_BATCHES,
                  seed: int = 0, space: object = None, device: str = "cpu", num_threads: int | None = 1) -> Ratings:
    """Ratings of ``archs`` (a batch or one architecture of the supernet's space; official strings too).

    ``supernet``: a TrainedSupernet or its folder. ``space`` (a name or SearchSpace), when given, says
    which space ``archs`` come from; one other than the supernet's is refused.
    """
    from nasbench_lab.spaces.registry import space as get_space

    cfg = supernet.config if isinstance(supernet, TrainedSupernet) else read_config(supernet)
    if space is not None:
        name = space if isinstance(space, str) else getattr(space, "name", repr(space))
        if name != cfg.space:
            raise ConfigError(f"supernet ratings requested for architectures of space {name!r}, but this supernet "
                              f"is of {cfg.space!r}")
    if isinstance(bn_batches, bool) or not isinstance(bn_batches, (int, np.integer)) or bn_batches < 0:
        raise ConfigError(f"supernet: bn_batches must be an integer >= 0, got {bn_batches!r}")
    trained = supernet if isinstance(supernet, TrainedSupernet) else load_supernet(supernet, device=device,
                                                                                    num_threads=num_threads)
    sp = get_space(cfg.space)
    if isinstance(archs, str):
        archs = sp.from_string(archs)
    elif isinstance(archs, (list, tuple)) and archs and all(isinstance(a, str) for a in archs):
        archs = np.stack([sp.from_string(a) for a in archs])
    batch = sp.validate(archs)
    distinct, back = np.unique(batch, axis=0, return_inverse=True)
    ds = resolve_data(cfg.data, cfg.split_seed)
    start = time.perf_counter()
    acc = np.empty(len(distinct))
    loss = np.empty(len(distinct))
    with deterministic(num_threads), torch.no_grad():
        net = trained.network().to(device)
        Xt = torch.from_numpy(ds.train.X).to(device)
        order = torch.randperm(len(Xt), generator=torch.Generator().manual_seed(int(seed))).to(device)
        bs = cfg.batch_size
        calib = [Xt[order[i * bs:(i + 1) * bs]] for i in range(min(bn_batches, -(-len(Xt) // bs)))]
        Xv = torch.from_numpy(ds.valid.X).to(device)
        yv = torch.from_numpy(ds.valid.y).to(device)
        if calib:  # one forward per architecture: the calibration batches, then the valid split
            sizes = [len(xb) for xb in calib]
            for bn in net.batchnorms():
                bn.forward = _recalibrating_forward(bn, sizes)  # type: ignore[method-assign]
            Xv = torch.cat([*calib, Xv])
        net.eval()
        phases = [trained.phase_of(tuple(int(o) for o in ops)) for ops in distinct]
        for phase in sorted(set(phases)):
            net.load_state_dict(trained.states[phase])
            for i in (j for j, p in enumerate(phases) if p == phase):
                net.set_path(distinct[i].tolist())
                out = net(Xv)[-len(yv):]
                loss[i] = float(nn.functional.cross_entropy(out, yv))
                acc[i] = 100.0 * float((out.argmax(1) == yv).sum()) / len(yv)
    return Ratings(acc[back].reshape(-1), loss[back].reshape(-1), time.perf_counter() - start, trained.epochs,
                   trained.train_seconds, int(bn_batches))


def _recalibrating_forward(bn: nn.BatchNorm2d, sizes: list[int]):
    """A forward for ``bn`` over [calibration batches of ``sizes``, then evaluation images] in one tensor.

    It does what resetting the statistics, running the batches in training mode with momentum None (the
    cumulative average) and then evaluating would do: each calibration batch is normalised with its own
    statistics and updates the running ones; the rest is normalised with the result.
    """
    functional = nn.functional

    def forward(x: torch.Tensor) -> torch.Tensor:
        bn.reset_running_stats()
        outs, start = [], 0
        for k, n in enumerate(sizes):
            outs.append(functional.batch_norm(x[start:start + n], bn.running_mean, bn.running_var, bn.weight, bn.bias,
                                              True, 1.0 / (k + 1), bn.eps))
            start += n
        outs.append(functional.batch_norm(x[start:], bn.running_mean, bn.running_var, bn.weight, bn.bias, False,
                                          0.0, bn.eps))
        return torch.cat(outs)

    return forward
