"""The DARTS / NAS-Bench-301 evaluation network: a 3C stem and ``layers`` cells, reductions at 1/3 and 2/3.

Reimplemented from the published description of DARTS's ``NetworkCIFAR``: each cell takes the two
previous cells' outputs (preprocessed by a 1x1 ReLU-Conv-BN, or a factorized reduction after a
reduction cell), builds 4 nodes of two ops each, and concatenates the nodes in ``concat``;
reduction cells double the width and apply their input ops with stride 2. No auxiliary head and
no drop-path (neither changes the network's function at evaluation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeGuard

import numpy as np

from nasbench_lab.errors import InvalidArchitectureError
from nasbench_lab.live._torch import require_torch

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.networks.ops import (  # noqa: E402
    CellNetwork,
    DilConv,
    FactorizedReduce,
    GlobalAvgPool,
    ReLUConvBN,
    SepConv,
    Zero,
)

#: DARTS primitives (names as in the DARTS genotype notation)
DARTS_OPS = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
             "dil_conv_3x3", "dil_conv_5x5")
#: op order of NASLib's compact NB301 genotype (index -> name); ``none`` is not part of the NB301 space
COMPACT_OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
               "dil_conv_5x5")


@dataclass(frozen=True)
class Genotype:
    """A DARTS cell pair: ``normal``/``reduce`` are (op name, input node) pairs, two per intermediate node."""

    normal: tuple[tuple[str, int], ...]
    normal_concat: tuple[int, ...]
    reduce: tuple[tuple[str, int], ...]
    reduce_concat: tuple[int, ...]


class GenotypeLike(Protocol):
    """Anything with a genotype's four fields, e.g. the ``Genotype`` namedtuple of DARTS or NASLib."""

    @property
    def normal(self) -> Iterable[tuple[str, int]]: ...
    @property
    def normal_concat(self) -> Iterable[int]: ...
    @property
    def reduce(self) -> Iterable[tuple[str, int]]: ...
    @property
    def reduce_concat(self) -> Iterable[int]: ...


def _genotype_like(arch: object) -> TypeGuard[GenotypeLike]:
    return all(hasattr(arch, a) for a in ("normal", "normal_concat", "reduce", "reduce_concat"))


def as_genotype(arch: object) -> Genotype:
    """A Genotype from a Genotype-like object (``.normal`` etc.) or NASLib's compact (normal, reduce) pairs."""
    if isinstance(arch, dict) and {"normal", "reduce"} <= set(arch):
        arch = Genotype(arch["normal"], arch.get("normal_concat", (2, 3, 4, 5)), arch["reduce"],
                        arch.get("reduce_concat", (2, 3, 4, 5)))
    if _genotype_like(arch):
        g = Genotype(tuple((str(o), int(i)) for o, i in arch.normal), tuple(int(c) for c in arch.normal_concat),
                     tuple((str(o), int(i)) for o, i in arch.reduce), tuple(int(c) for c in arch.reduce_concat))
    else:
        try:
            arr = np.asarray(arch)
        except (ValueError, TypeError):
            arr = np.zeros(0)
        if arr.shape != (2, 8, 2) or arr.dtype.kind not in "iu":
            raise InvalidArchitectureError(
                "darts: expected a Genotype (normal, normal_concat, reduce, reduce_concat) or NASLib's compact "
                f"genotype, an integer array of shape (2, 8, 2) of (input node, op index) pairs; got {arch!r:.120}"
            )
        if arr[..., 1].min() < 0 or arr[..., 1].max() >= len(COMPACT_OPS):
            raise InvalidArchitectureError(f"darts: op indices must be 0..{len(COMPACT_OPS) - 1} "
                                           f"({', '.join(COMPACT_OPS)})")
        cells = [tuple((COMPACT_OPS[int(op)], int(inp)) for inp, op in cell) for cell in arr]
        g = Genotype(cells[0], (2, 3, 4, 5), cells[1], (2, 3, 4, 5))
    _check_genotype(g)
    return g


def _check_genotype(g: Genotype) -> None:
    for kind, pairs, concat in (("normal", g.normal, g.normal_concat), ("reduce", g.reduce, g.reduce_concat)):
        if len(pairs) % 2 or not pairs:
            raise InvalidArchitectureError(f"darts: the {kind} cell needs two (op, input) pairs per node, "
                                           f"got {len(pairs)} pairs")
        for k, (op, inp) in enumerate(pairs):
            if op not in DARTS_OPS:
                raise InvalidArchitectureError(f"darts: unknown op {op!r} in the {kind} cell; accepted: "
                                               f"{', '.join(DARTS_OPS)}")
            if not 0 <= inp < 2 + k // 2:
                raise InvalidArchitectureError(f"darts: pair {k} of the {kind} cell reads node {inp}; node "
                                               f"{2 + k // 2} may read nodes 0..{1 + k // 2}")
        n_nodes = 2 + len(pairs) // 2
        if not concat or any(not 0 <= c < n_nodes for c in concat):
            raise InvalidArchitectureError(f"darts: {kind}_concat {list(concat)} must name nodes 0..{n_nodes - 1}")


def darts_op(name: str, channels: int, stride: int, affine: bool = True) -> nn.Module:
    """One DARTS op at ``channels`` (stride 2 on the inputs of a reduction cell)."""
    if name == "none":
        return Zero(stride)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels, affine)
    if name == "sep_conv_3x3":
        return SepConv(channels, channels, 3, stride, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(channels, channels, 5, stride, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(channels, channels, 3, stride, 2, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(channels, channels, 5, stride, 4, 2, affine)
    raise ValueError(f"unknown DARTS op {name!r}; accepted: {', '.join(DARTS_OPS)}")


class DartsCell(nn.Module):
    """One normal or reduction cell."""

    def __init__(self, pairs: Sequence[tuple[str, int]], concat: Sequence[int], c_prev_prev: int, c_prev: int,
                 channels: int, reduction: bool, reduction_prev: bool, op_affine: bool = True):
        super().__init__()
        self.preprocess0 = (FactorizedReduce(c_prev_prev, channels) if reduction_prev
                            else ReLUConvBN(c_prev_prev, channels, 1, 1, 0))
        self.preprocess1 = ReLUConvBN(c_prev, channels, 1, 1, 0)
        self.edges = nn.ModuleList(darts_op(op, channels, 2 if reduction and inp < 2 else 1, op_affine)
                                   for op, inp in pairs)
        self.inputs = [inp for _, inp in pairs]
        self.concat = list(concat)
        self.multiplier = len(self.concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k in range(0, len(self.edges), 2):
            states.append(self.edges[k](states[self.inputs[k]]) + self.edges[k + 1](states[self.inputs[k + 1]]))
        return torch.cat([states[i] for i in self.concat], dim=1)


class DartsNetwork(CellNetwork):
    """DARTS's CIFAR evaluation network; ``C`` (initial width) and ``layers`` (cells) are configurable.

    ``op_affine=False`` drops the learnable BN scale/shift inside the cell ops (preprocessing keeps
    them): that is the network NASLib built for NAS-Bench-Suite-Zero's NB301 proxies.
    """

    def __init__(self, genotype: Genotype, num_classes: int = 10, *, C: int = 32, layers: int = 8,
                 in_channels: int = 3, stem_multiplier: int = 3, op_affine: bool = True):
        super().__init__()
        c_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        c_prev_prev, c_prev, c_curr = c_curr, c_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            pairs, concat = (genotype.reduce, genotype.reduce_concat) if reduction else \
                (genotype.normal, genotype.normal_concat)
            cell = DartsCell(pairs, concat, c_prev_prev, c_prev, c_curr, reduction, reduction_prev, op_affine)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
        self.global_pooling = GlobalAvgPool()
        self.classifier = nn.Linear(c_prev, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return s1
