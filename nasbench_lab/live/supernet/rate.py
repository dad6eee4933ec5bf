"""Rates architectures with a trained supernet's inherited weights on the data's valid split.

Per architecture: its path is activated in its (sub-)supernet, every BatchNorm's running statistics
are reset and recalibrated on ``bn_batches`` training batches (momentum None: the cumulative mean
over those batches; the same batches for every architecture, drawn with ``seed``), then the valid
split is classified in one pass. ``bn_batches=0`` keeps the statistics accumulated in training
(the supernet's mixture of all paths). One forward per architecture covers the calibration batches
and then the valid split (each BatchNorm normalises the batches in training mode, then the rest with
the statistics they left: the same numbers as separate passes, with fewer calls).

A :class:`SupernetRater` builds the network, the calibration batches and the valid split once and
rates any number of batches with them. Work that cannot change a rating is skipped (``shortcuts``,
on by default; every skip is exact, the ratings are equal bit for bit to those without it):

- architectures are rated once per *effective path* (``network.effective_path``: the ops of edges
  that carry nothing to the output do not matter) within their sub-supernet;
- the stem's output is the same for every architecture (same images, same weights, and the same
  calibration statistics), so it is computed once per sub-supernet;
- in the first cell, an op applied to a node depends only on the ops that feed that node, so such
  terms are kept in a small memo (``network.TermMemo``) and architectures are rated in lexicographic
  order of their paths, which makes consecutive ones share most terms.

Cost and speed: docs/weight_sharing.md (``experiments/bench_supernet_rating.py``).
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.live._torch import require_torch
from nasbench_lab.live.supernet.config import SupernetConfig, read_config

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.supernet.network import TermMemo, effective_path  # noqa: E402
from nasbench_lab.live.supernet.train import TrainedSupernet, load_supernet  # noqa: E402
from nasbench_lab.live.trainer import deterministic, resolve_data  # noqa: E402

#: default number of training batches that recalibrate BatchNorm per architecture
BN_BATCHES = 4
#: at most this many first-cell terms are kept, and at most MEMO_BYTES of them
MEMO_TERMS = 32
MEMO_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Ratings:
    """Valid accuracy (%) and loss per architecture, with what the rating and the supernet cost."""

    valid_acc: np.ndarray
    valid_loss: np.ndarray
    rate_seconds: float
    train_epochs: int
    train_seconds: float
    bn_batches: int


def _check_space(cfg: SupernetConfig, space: object) -> None:
    if space is not None:
        name = space if isinstance(space, str) else getattr(space, "name", repr(space))
        if name != cfg.space:
            raise ConfigError(f"supernet ratings requested for architectures of space {name!r}, but this supernet "
                              f"is of {cfg.space!r}")


def _check_bn_batches(bn_batches: object) -> int:
    if isinstance(bn_batches, bool) or not isinstance(bn_batches, (int, np.integer)) or bn_batches < 0:
        raise ConfigError(f"supernet: bn_batches must be an integer >= 0, got {bn_batches!r}")
    return int(bn_batches)


class SupernetRater:
    """Rates architectures with one trained supernet: network, calibration batches and valid split built once.

    ``shortcuts=False`` runs the whole network for every distinct architecture (the plain rule; the
    reference that tests and ``experiments/bench_supernet_rating.py`` compare the shortcuts with).
    """

    def __init__(self, trained: TrainedSupernet, *, bn_batches: int = BN_BATCHES, seed: int = 0,
                 device: str = "cpu", num_threads: int | None = 1, shortcuts: bool = True):
        if not isinstance(trained, TrainedSupernet):
            raise ConfigError(f"supernet: SupernetRater needs a TrainedSupernet, got {type(trained).__name__}")
        self.trained, self.config = trained, trained.config
        self.bn_batches = _check_bn_batches(bn_batches)
        self.num_threads, self.shortcuts = num_threads, bool(shortcuts)
        from nasbench_lab.spaces.registry import space as get_space

        self.space = get_space(self.config.space)
        ds = resolve_data(self.config.data, self.config.split_seed)
        net = trained.network().to(device).requires_grad_(False)
        Xt = torch.from_numpy(ds.train.X).to(device)
        order = torch.randperm(len(Xt), generator=torch.Generator().manual_seed(int(seed))).to(device)
        bs = self.config.batch_size
        calib = [Xt[order[i * bs:(i + 1) * bs]] for i in range(min(self.bn_batches, -(-len(Xt) // bs)))]
        self.labels = torch.from_numpy(ds.valid.y).to(device)
        self.images = torch.cat([*calib, torch.from_numpy(ds.valid.X).to(device)])
        if calib:  # one forward per architecture: the calibration batches, then the valid split
            sizes = [len(xb) for xb in calib]
            for bn in net.batchnorms():
                bn.forward = _recalibrating_forward(bn, sizes)  # type: ignore[method-assign]
        net.eval()
        self.net = net
        self.memo = TermMemo(0)
        if self.shortcuts:
            net.supercells[0].memo = self.memo  # the first cell reads the stem's output: the same for every path
        self._phase: str | None = None
        self._stem: torch.Tensor | None = None

    def rate(self, archs: object, *, space: object = None) -> Ratings:
        """Ratings of ``archs`` (a batch or one architecture of the supernet's space; official strings too).

        ``space`` (a name or SearchSpace), when given, says which space ``archs`` come from; one other
        than the supernet's is refused.
        """
        _check_space(self.config, space)
        start = time.perf_counter()
        batch = self._batch(archs)
        trained = self.trained
        keys = [(trained.phase_of(tuple(ops)), effective_path(ops) if self.shortcuts else tuple(ops))
                for ops in batch.tolist()]
        distinct = sorted(set(keys))  # by sub-supernet, then paths in lexicographic order (memo locality)
        results: dict[tuple[str, tuple[int, ...]], tuple[float, float]] = {}
        n_valid = len(self.labels)
        with deterministic(self.num_threads), torch.inference_mode():
            for phase, group in itertools.groupby(distinct, key=lambda k: k[0]):
                stem = self._load(phase)
                for key in group:
                    self.net.set_path(key[1])
                    out = self.net.logits_from_stem(stem) if stem is not None else self.net(self.images)
                    out = out[-n_valid:]
                    results[key] = (100.0 * float((out.argmax(1) == self.labels).sum()) / n_valid,
                                    float(nn.functional.cross_entropy(out, self.labels)))
        acc = np.array([results[k][0] for k in keys], dtype=float)
        loss = np.array([results[k][1] for k in keys], dtype=float)
        return Ratings(acc, loss, time.perf_counter() - start, trained.epochs, trained.train_seconds,
                       self.bn_batches)

    def _batch(self, archs: object) -> np.ndarray:
        sp = self.space
        if isinstance(archs, str):
            archs = sp.from_string(archs)
        elif isinstance(archs, (list, tuple)) and archs and all(isinstance(a, str) for a in archs):
            archs = np.stack([sp.from_string(a) for a in archs])
        return sp.validate(archs)

    def _load(self, phase: str) -> torch.Tensor | None:
        """Loads ``phase``'s weights (once); with shortcuts, returns its stem's output (computed once)."""
        if phase != self._phase:
            self.net.load_state_dict(self.trained.states[phase])
            self._phase, self._stem = phase, None
            self.memo.clear()
        if self.shortcuts and self._stem is None:
            self._stem = self.net.stem(self.images)
            self.memo.size = min(MEMO_TERMS, MEMO_BYTES // max(1, self._stem.numel() * self._stem.element_size()))
        return self._stem


def rate_supernet(supernet: TrainedSupernet | str | os.PathLike, archs: object, *, bn_batches: int = BN_BATCHES,
                  seed: int = 0, space: object = None, device: str = "cpu", num_threads: int | None = 1,
                  shortcuts: bool = True) -> Ratings:
    """Ratings of ``archs`` (a batch or one architecture of the supernet's space; official strings too).

    ``supernet``: a TrainedSupernet or its folder. ``space`` (a name or SearchSpace), when given, says
    which space ``archs`` come from; one other than the supernet's is refused. To rate many batches
    with one supernet, build a :class:`SupernetRater` once. ``rate_seconds`` counts building the rater.
    """
    cfg = supernet.config if isinstance(supernet, TrainedSupernet) else read_config(supernet)
    _check_space(cfg, space)
    _check_bn_batches(bn_batches)
    trained = supernet if isinstance(supernet, TrainedSupernet) else load_supernet(supernet, device=device,
                                                                                    num_threads=num_threads)
    start = time.perf_counter()
    rater = SupernetRater(trained, bn_batches=bn_batches, seed=seed, device=device, num_threads=num_threads,
                          shortcuts=shortcuts)
    ratings = rater.rate(archs)
    return Ratings(ratings.valid_acc, ratings.valid_loss, time.perf_counter() - start, ratings.train_epochs,
                   ratings.train_seconds, ratings.bn_batches)


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
