"""The NAS-Bench-101 network: conv stem, 3 stacks of 3 cells, 2x2 max-pool downsampling (128 stem channels).

Reimplemented from the published description of the official ``model_builder``: a 3x3
conv-BN-ReLU stem; stacks of cells whose width doubles after each 2x2 max-pool; in a cell each
vertex's width follows the official channel-splitting rule, the cell input reaches a vertex through
a 1x1 conv-BN-ReLU projection, other vertices through channel truncation, and the output
concatenates the vertices feeding it (plus a projected input when the input feeds it directly);
global average pooling and a dense classifier. The cell is pruned first, as the official
``ModelSpec`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasbench_lab.live._torch import require_torch

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.counts import nb101_prune, nb101_vertex_channels  # noqa: E402
from nasbench_lab.live.networks.ops import CellNetwork, ConvBNReLU, GlobalAvgPool  # noqa: E402


def nb101_op(name: str, channels: int) -> nn.Module:
    """One vertex op at ``channels``."""
    if name == "conv3x3-bn-relu":
        return ConvBNReLU(channels, channels, 3)
    if name == "conv1x1-bn-relu":
        return ConvBNReLU(channels, channels, 1)
    if name == "maxpool3x3":
        return nn.MaxPool2d(3, stride=1, padding=1)
    raise ValueError(f"unknown NAS-Bench-101 op {name!r}")


class NB101Cell(nn.Module):
    """One module of the official network for a pruned (matrix, ops) cell."""

    def __init__(self, matrix: np.ndarray, ops: Sequence[str], c_in: int, c_out: int):
        super().__init__()
        n = len(matrix)
        self.matrix = matrix
        self.channels = nb101_vertex_channels(c_in, c_out, matrix)
        self.ops = nn.ModuleList(nn.Identity() for _ in range(n))
        self.projections = nn.ModuleList(nn.Identity() for _ in range(n))
        for t in range(1, n - 1):
            self.ops[t] = nb101_op(ops[t], self.channels[t])
            if matrix[0, t]:
                self.projections[t] = ConvBNReLU(c_in, self.channels[t], 1)
        if matrix[0, n - 1]:
            self.projections[n - 1] = ConvBNReLU(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, n = self.matrix, len(self.matrix)
        tensors = [x]
        concat = []
        for t in range(1, n - 1):
            width = self.channels[t]
            add_in = [tensors[src][:, :width] for src in range(1, t) if m[src, t]]
            if m[0, t]:
                add_in.append(self.projections[t](x))
            total = add_in[0]
            for extra in add_in[1:]:
                total = total + extra
            tensors.append(self.ops[t](total))
            if m[t, n - 1]:
                concat.append(tensors[t])
        if not concat:
            return self.projections[n - 1](x)
        out = concat[0] if len(concat) == 1 else torch.cat(concat, dim=1)
        if m[0, n - 1]:
            out = out + self.projections[n - 1](x)
        return out


class NB101Network(CellNetwork):
    """The official macro-architecture; stem width, stacks and cells per stack are configurable."""

    def __init__(self, matrix: object, ops: Sequence[str], num_classes: int = 10, *, stem_channels: int = 128,
                 num_stacks: int = 3, modules_per_stack: int = 3, in_channels: int = 3):
        super().__init__()
        m, ops = nb101_prune(matrix, ops)
        self.stem = ConvBNReLU(in_channels, stem_channels, 3)
        layers: list[nn.Module] = []
        c_in = channels = stem_channels
        for stack in range(num_stacks):
            if stack:
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))  # TF 'same' padding on odd sizes
                channels *= 2
            for _ in range(modules_per_stack):
                layers.append(NB101Cell(m, ops, c_in, channels))
                c_in = channels
        self.cells = nn.Sequential(*layers)
        self.global_pooling = GlobalAvgPool()
        self.classifier = nn.Linear(channels, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.cells(self.stem(x))
