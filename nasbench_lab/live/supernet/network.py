"""The NB201 weight-sharing supernet: the live NB201 network whose every edge holds all five ops.

Same skeleton as :class:`~nasbench_lab.live.networks.nb201.NB201Network` (stem, three stages of N
cells at C/2C/4C, ResNet reduction blocks, BN-ReLU, pooling, linear); only the cell differs. One path
(6 op codes, shared by every cell as in NB201) is active at a time: :meth:`Supernet.set_path`.

Rating many architectures reuses what they share (``SupernetCell.memo``, ``Supernet.logits_from_stem``):
the stem's output and, in the first cell, every op applied to a node whose value only depends on the
ops of the edges that feed it; see ``rate.py``.
"""

from __future__ import annotations

from collections import OrderedDict
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


def effective_path(path: Sequence[int]) -> tuple[int, ...]:
    """``path`` with the op of every edge that does not reach the output (see :func:`live_inputs`) set to
    ``none``: two paths with the same effective path compute the same output with the same weights."""
    live = {e for incoming in live_inputs(path) for e, _ in incoming}
    none = OPS.index("none")
    return tuple(int(op) if e in live else none for e, op in enumerate(path))


class TermMemo:
    """The last ``size`` values of ``op(edge)(node)`` terms computed from one cell input (an LRU).

    Valid while the cell gets the same input tensor (checked by identity: a new input clears it) and
    the same weights (whoever loads weights calls :meth:`clear`). A term's key names the edge, its op
    and the key of the node it reads, so equal keys mean equal values, bit for bit.
    """

    def __init__(self, size: int = 32):
        self.size = int(size)
        self.source: torch.Tensor | None = None
        self.values: OrderedDict[tuple, torch.Tensor] = OrderedDict()

    def clear(self) -> None:
        self.source = None
        self.values.clear()

    def bind(self, x: torch.Tensor) -> None:
        """Keeps the memo when ``x`` is the input its values were computed from, else empties it."""
        if self.source is not x:
            self.values.clear()
            self.source = x

    def get(self, key: tuple) -> torch.Tensor | None:
        value = self.values.get(key)
        if value is not None:
            self.values.move_to_end(key)
        return value

    def put(self, key: tuple, value: torch.Tensor) -> None:
        self.values[key] = value
        if len(self.values) > self.size:
            self.values.popitem(last=False)


class SupernetCell(nn.Module):
    """An NB201 cell with all five ops on every edge; ``path`` (set by the network) picks one per edge."""

    def __init__(self, channels: int):
        super().__init__()
        #: op ``o`` of edge ``e`` is ``choices[e * len(OPS) + o]``
        self.choices = nn.ModuleList(nb201_op(op, channels) for _ in EDGES for op in OPS)
        self.path: tuple[int, ...] = (0,) * len(EDGES)
        self.inputs = live_inputs(self.path)
        #: set (no gradients) to reuse terms across paths that get the same input; see :class:`TermMemo`
        self.memo: TermMemo | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes: list[torch.Tensor | None] = [x]
        path, memo = self.path, self.memo
        if memo is not None:
            memo.bind(x)
        keys: list[tuple] = [("input",)]
        for incoming in self.inputs:
            total = None
            terms = []
            for e, src in incoming:
                key = (e, path[e], keys[src])
                value = memo.get(key) if memo is not None else None
                if value is None:
                    value = self.choices[e * NUM_OPS + path[e]](nodes[src])
                    if memo is not None:
                        memo.put(key, value)
                total = value if total is None else total + value
                terms.append(key)
            nodes.append(total)
            keys.append(tuple(terms))
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

    def logits_from_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The logits of the active path given the stem's output ``h`` (``forward`` is ``stem`` then this)."""
        return self.classifier(self.global_pooling(self.lastact(self.cells(h))).flatten(1))

    def batchnorms(self) -> list[nn.BatchNorm2d]:
        """Every BatchNorm layer (what rating recalibrates)."""
        return [m for m in self.modules() if isinstance(m, nn.BatchNorm2d)]
