"""The NB201 weight-sharing supernet: the live NB201 network whose every edge holds all five ops.

Same skeleton as :class:`~nasbench_lab.live.networks.nb201.NB201Network` (stem, three stages of N
cells at C/2C/4C, ResNet reduction blocks, BN-ReLU, pooling, linear); only the cell differs. One path
(6 op codes, shared by every cell as in NB201) is active at a time: :meth:`Supernet.set_path`.
"""

from __future__ import annotations

from collections.abc import Sequence

from nasbench_lab.live._torch import require_torch

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.networks.nb201 import NB201Network, nb201_op  # noqa: E402
from nasbench_lab.spaces.nb201 import EDGES, NUM_OPS, OPS  # noqa: E402


def live_inputs(path: Sequence[int]) -> list[list[tuple[int, int]]]:
    """Per node 1..3, the (edge, source) pairs that carry a value to the cell's output under ``path``.

    An edge is left out when its op is ``none`` (it adds zeros), its source is all zeros (no live edge
    reaches it from the input) or its target never reaches the output: the output is the same, and
    the rating of an architecture skips work that does not change it.
    """
    none = OPS.index("none")
    on = [op != none for op in path]
    from_input = {0}
    for e, (to, src) in sorted(enumerate(EDGES), key=lambda t: t[1][0]):
        if on[e] and src in from_input:
            from_input.add(to)
    to_output = {3}
    for e, (to, src) in sorted(enumerate(EDGES), key=lambda t: -t[1][0]):
        if on[e] and to in to_output:
            to_output.add(src)
    return [[(e, src) for e, (to, src) in enumerate(EDGES)
             if to == node and on[e] and src in from_input and to in to_output] for node in (1, 2, 3)]


class SupernetCell(nn.Module):
    """An NB201 cell with all five ops on every edge; ``path`` (set by the network) picks one per edge."""

    def __init__(self, channels: int):
        super().__init__()
        #: op ``o`` of edge ``e`` is ``choices[e * len(OPS) + o]``
        self.choices = nn.ModuleList(nb201_op(op, channels) for _ in EDGES for op in OPS)
        self.path: tuple[int, ...] = (0,) * len(EDGES)
        self.inputs = live_inputs(self.path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes: list[torch.Tensor | None] = [x]
        path = self.path
        for incoming in self.inputs:
            total = None
            for e, src in incoming:
                value = self.choices[e * NUM_OPS + path[e]](nodes[src])
                total = value if total is None else total + value
            nodes.append(total)
        return x.mul(0.0) if nodes[-1] is None else nodes[-1]


class Supernet(NB201Network):
    """The NB201 supernet (``C`` width, ``N`` cells per stage); call ``set_path(ops)`` before ``forward``."""

    def __init__(self, num_classes: int = 10, *, C: int = 16, N: int = 5, in_channels: int = 3):
        super().__init__(None, num_classes, C=C, N=N, in_channels=in_channels)
        self.supercells = [m for m in self.modules() if isinstance(m, SupernetCell)]

    def make_cell(self, ops: Sequence[int] | None, width: int) -> nn.Module:
        return SupernetCell(width)

    def set_path(self, ops: Sequence[int]) -> None:
        """Activates one architecture (6 op codes in the official order) in every cell."""
        path = tuple(int(o) for o in ops)
        inputs = live_inputs(path)
        for cell in self.supercells:
            cell.path, cell.inputs = path, inputs

    def batchnorms(self) -> list[nn.BatchNorm2d]:
        """Every BatchNorm layer (what rating recalibrates)."""
        return [m for m in self.modules() if isinstance(m, nn.BatchNorm2d)]
