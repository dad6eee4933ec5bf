"""The NAS-Bench-201 network: stem, three stages of N cells, residual reduction blocks (C=16, N=5).

Reimplemented from the published description of the official ``TinyNetwork``: a 3x3 conv + BN stem
with C channels; stages of N cells at C, 2C and 4C channels separated by ResNet basic blocks of
stride 2 (two ReLU-Conv-BN 3x3 and an avg-pool + 1x1 conv shortcut); BN + ReLU, global average
pooling and a linear classifier. Every edge of a cell holds its op, ``none`` included, and every
node is computed (also nodes that do not reach the output), as in the official code.
"""

from __future__ import annotations

from collections.abc import Sequence

from nasbench_lab.live._torch import require_torch

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.networks.ops import CellNetwork, GlobalAvgPool, ReLUConvBN, Zero  # noqa: E402
from nasbench_lab.spaces.nb201 import EDGES, OPS  # noqa: E402


def nb201_op(name: str, channels: int) -> nn.Module:
    """One cell op at ``channels`` (stride 1, same width in and out, as in every NB201 cell)."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"unknown NAS-Bench-201 op {name!r}; accepted: {', '.join(OPS)}")


class NB201Cell(nn.Module):
    """Four nodes; node j sums op(edge)(node i) over its incoming edges; node 3 is the output."""

    def __init__(self, ops: Sequence[int], channels: int):
        super().__init__()
        self.edges = nn.ModuleList(nb201_op(OPS[int(code)], channels) for code in ops)
        self._inputs = [[(e, src) for e, (to, src) in enumerate(EDGES) if to == node] for node in (1, 2, 3)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for (e0, src0), *rest in self._inputs:  # every node has at least one incoming edge
            total = self.edges[e0](nodes[src0])
            for e, src in rest:
                total = total + self.edges[e](nodes[src])
            nodes.append(total)
        return nodes[-1]


class ResNetBasicBlock(nn.Module):
    """The stride-2 reduction block between stages: two ReLU-Conv-BN 3x3 plus an avg-pool/1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, stride=2, padding=0),
                                        nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NB201Network(CellNetwork):
    """The official macro-architecture; ``C`` (width) and ``N`` (cells per stage) are configurable.

    Cells come from :meth:`make_cell`, so a subclass (the weight-sharing supernet) keeps this skeleton
    and swaps the cell only.
    """

    def __init__(self, ops: Sequence[int] | None, num_classes: int = 10, *, C: int = 16, N: int = 5,
                 in_channels: int = 3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells: list[nn.Module] = []
        c_prev = C
        for stage, width in enumerate((C, 2 * C, 4 * C)):
            if stage:
                cells.append(ResNetBasicBlock(c_prev, width))
            cells.extend(self.make_cell(ops, width) for _ in range(N))
            c_prev = width
        self.cells = nn.Sequential(*cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=False))
        self.global_pooling = GlobalAvgPool()
        self.classifier = nn.Linear(c_prev, num_classes)

    def make_cell(self, ops: Sequence[int] | None, width: int) -> nn.Module:
        """One cell of ``ops`` at ``width`` channels."""
        if ops is None:
            raise ValueError("NB201Network needs the cell's 6 op codes")
        return NB201Cell(ops, width)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.lastact(self.cells(self.stem(x)))
